"Two processes under torchrun (gloo on CPU) through fastai's own `learn.distrib_ctx()`, checked against one process."
import json, os, subprocess, sys
from fastai.learner import load_learner
from fastai_sota.learner import sota_learner

SUBSET = 448  # 7 global batches of 64
ARGS = ['--subset', str(SUBSET), '--epochs', '3', '--seed', '0', '--mix', 'cutmix', '--progressive', '0.5', '--tta', 'corners']
GLOBAL_BS = 64  # each of n processes takes GLOBAL_BS / n items of every batch

def launch(tmp_path, nproc:int):
    out = tmp_path/f'np{nproc}.json'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={nproc}',
           '-m', 'fastai_sota.train', *ARGS, '--bs', str(GLOBAL_BS // nproc), '--out', str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path, env=os.environ | {'OMP_NUM_THREADS': '1'})
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    return json.loads(out.read_text()), p.stdout

def test_two_processes_agree_with_one(tmp_path):
    two, stdout = launch(tmp_path, 2)
    one, _ = launch(tmp_path, 1)
    r2, r1 = two['runs'][0], one['runs'][0]
    assert (two['settings']['world_size'], r2['world_size'], r1['world_size']) == (2, 2, 1)
    assert stdout.count('final accuracy') == 1  # one process reports and writes
    # each process trained on half of every batch of 64: as many optimizer steps as one process with batches of 64
    assert r2['train_iters'] == r1['train_iters'] == 3 * (SUBSET // 64)
    # progressive resizing ran on the same schedule in both
    assert r2['sizes'][0][1] == r1['sizes'][0][1] == 14 and r2['sizes'][-1][1] == r1['sizes'][-1][1] == 28
    assert abs(r2['final']['accuracy'] - r1['final']['accuracy']) < 0.1  # 500 validation images, 3 short epochs
    # the 2-process metrics and TTA equal a 1-process evaluation of the same weights on the whole validation set
    exported = load_learner(tmp_path/'np2_seed0.pkl')
    assert {'CutMix', 'ProgressiveResize'} <= {type(c).__name__ for c in exported.cbs}
    learn = sota_learner(seed=0, subset=SUBSET)
    learn.model.load_state_dict(exported.model.state_dict())
    with learn.no_bar():
        p, y = learn.get_preds()
        pt, yt = learn.tta(use_corners=True)
    assert abs((p.argmax(1) == y).float().mean().item() - r2['final']['accuracy']) < 1e-6
    assert (pt.argmax(1) == yt).float().mean().item() == r2['final']['accuracy_tta']

DRAWS = '''
import json, sys
from pathlib import Path
from fastai.callback.core import Callback
from fastai.distributed import DistributedDL
from fastai.torch_core import rank_distrib
from fastai_sota.fit import fit_run
from fastai_sota.augment import FlipShift
from fastai_sota.compat import end_distributed

class Draws(Callback):
    "Each process's MixUp lambdas and flips, batch by batch."
    order = 100
    def __init__(self): self.lams, self.flips = [], []  # not in `before_fit`: `get_preds` runs it too
    def before_batch(self):
        if not self.training: return
        dl = self.learn.dls.train
        fs = next(t for t in (dl.dl if isinstance(dl, DistributedDL) else dl).after_batch.fs if isinstance(t, FlipShift))
        self.lams.append(self.learn.mix_up._lam.tolist()); self.flips.append(fs.flips.tolist())

out, d = Path(sys.argv[1]), Draws()
learn, rec = fit_run(data='sample', subset=256, bs=16, loader='array', aug='flip_shift', mix='mixup', ema=0.9, epochs=2,
                     valid_subset=64, seed=0, cbs=[d])
(out/f'draws{rank_distrib()}.json').write_text(json.dumps(dict(lams=d.lams, flips=d.flips, final=rec['final'])))
if not rank_distrib(): learn.export(out/'learn.pkl')
end_distributed()  # wait for the other process, then end the group: no rank aborted at exit
'''

def test_two_processes_ema_array_loader_own_draws(tmp_path):
    "gloo, 2 processes: the in-memory loader, the weight average (loaded back after DDP is unwrapped, exported) and per-process draws."
    (tmp_path/'draws.py').write_text(DRAWS)
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', str(tmp_path/'draws.py'), str(tmp_path)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path, env=os.environ | {'OMP_NUM_THREADS': '1'})
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    r0, r1 = (json.loads((tmp_path/f'draws{r}.json').read_text()) for r in (0, 1))
    assert len(r0['lams']) == len(r1['lams']) == 2 * 256 // 32  # each process: half of each batch of 32, 8 steps an epoch
    assert r0['lams'] != r1['lams'] and r0['flips'] != r1['flips']  # each process its own augmentation of its own items
    assert 0 < r0['final']['accuracy'] <= 1 and {'accuracy_raw_weights'} <= set(r0['final'])
    learn = load_learner(tmp_path/'learn.pkl')
    assert not any(k.startswith('module.') for k in learn.model.state_dict())
    ema = next(c for c in learn.cbs if type(c).__name__ == 'WeightEMA')
    assert ema.ema is None  # the averaged copy is not in the export
