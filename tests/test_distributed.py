"Two processes under torchrun (gloo on CPU) through fastai's own `learn.distrib_ctx()`, checked against one process."
import json, os, subprocess, sys
from fastai.learner import load_learner
from fastai_sota.train import sota_learner

ARGS = ['--subset', '600', '--epochs', '3', '--seed', '0', '--mix', 'cutmix', '--progressive', '0.5', '--tta', 'corners']
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
    assert r2['train_iters'] == r1['train_iters'] == 3 * (600 // 64)
    # progressive resizing ran on the same schedule in both
    assert r2['sizes'][0][1] == r1['sizes'][0][1] == 14 and r2['sizes'][-1][1] == r1['sizes'][-1][1] == 28
    assert abs(r2['final']['accuracy'] - r1['final']['accuracy']) < 0.1  # 500 validation images, 3 short epochs
    # the 2-process metrics and TTA equal a 1-process evaluation of the same weights on the whole validation set
    exported = load_learner(tmp_path/'np2_seed0.pkl')
    assert {'CutMix', 'ProgressiveResize'} <= {type(c).__name__ for c in exported.cbs}
    learn = sota_learner(seed=0, subset=600)
    learn.model.load_state_dict(exported.model.state_dict())
    with learn.no_bar():
        p, y = learn.get_preds()
        pt, yt = learn.tta(use_corners=True)
    assert abs((p.argmax(1) == y).float().mean().item() - r2['final']['accuracy']) < 1e-6
    assert (pt.argmax(1) == yt).float().mean().item() == r2['final']['accuracy_tta']
