"""The GPU tier of the readiness checks (issue #27), as one prepared run: `python scripts/gpu_check.py [--out results/gpu_check.json]`.

On a CUDA machine: PyTorch's sync debug mode (`torch.cuda.set_sync_debug_mode('warn')`) over a short fit with each
callback, counting the warnings raised from the package's code; fp16 and bf16 fits of each; every TTA; each mix's
training throughput relative to no mix; with two or more GPUs, a 2-process NCCL run of `sota-train`. Without a GPU it
says so and exits with status 2; `--cpu` runs the same grid on the CPU as a smoke test (syncs then counted by `StepSyncs`).
"""
import argparse, json, os, subprocess, sys, time, warnings
from pathlib import Path
import torch
from fastai.callback.fp16 import MixedPrecision
from fastai_sota.learner import sota_learner
from fastai_sota.fit import versions
from fastai_sota.mix import MixUp, CutMix, CutMixUp, FMix, ResizeMix, ManifoldMixup
from fastai_sota.progressive import ProgressiveResize
from fastai_sota.ema import WeightEMA
from fastai_sota.losses import LabelSmoothingCrossEntropy
from fastai_sota.sync import StepSyncs

PACKAGE = str(Path(__import__('fastai_sota').__file__).parent)
CASES = {'none': lambda: None, 'MixUp': MixUp, 'CutMix': CutMix, 'CutMix per element': lambda: CutMix(per_element=True),
         'CutMixUp': CutMixUp, 'FMix': FMix, 'ResizeMix': ResizeMix, 'ManifoldMixup': ManifoldMixup,
         'ProgressiveResize': lambda: ProgressiveResize(start=0.5), 'WeightEMA': lambda: WeightEMA(0.9, start_pct=0.)}

def learner(name, data, subset, precision='fp32', folder=False):
    "The in-memory loader with flip-and-shift, or fastai's image-folder loader (which ProgressiveResize needs)."
    kw = dict(loss_func=LabelSmoothingCrossEntropy(0.1), precision=precision)
    if name != 'ProgressiveResize' and not folder: kw |= dict(loader='array', aug='flip_shift')
    return sota_learner(data=data, seed=0, subset=subset, bs=128, valid_subset=256, **kw)

def fit_counting_syncs(learn, cb, cuda:bool) -> dict:
    "One epoch; the host-device syncs of the package's code: sync-debug warnings on CUDA, `StepSyncs` on the CPU."
    counter = StepSyncs()
    cbs = [c for c in (cb, counter) if c is not None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        if cuda: torch.cuda.set_sync_debug_mode('warn')
        try:
            with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=cbs)
        finally:
            if cuda: torch.cuda.set_sync_debug_mode(0)
    ours = [f"{Path(w.filename).name}:{w.lineno}" for w in caught if 'synchroniz' in str(w.message) and w.filename.startswith(PACKAGE)]
    return dict(sync_warnings=len(ours), where=sorted(set(ours)), step_syncs=sum(counter.places.values()),
                finite=bool(torch.isfinite(torch.tensor(learn.recorder.losses)).all()))

def train_throughput(name, data, subset, cuda:bool, epochs:int=2, folder=False) -> float:
    "Training images per second of the second epoch (the first compiles kernels and fills caches)."
    learn, cb = learner(name, data, subset, folder=folder), CASES[name]()
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=cb)
    if cuda: torch.cuda.synchronize()
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fit(epochs - 1, 1e-3, cbs=CASES[name]())
    if cuda: torch.cuda.synchronize()
    return (epochs - 1) * len(learn.dls.train) * learn.dls.train.bs / (time.perf_counter() - t)

def main(out=None, cpu=False, data='fashion_mnist', subset=10_000):
    cuda = torch.cuda.is_available()
    if not cuda and not cpu: print('gpu_check: error: no CUDA device here; --cpu runs the grid on the CPU', file=sys.stderr); return 2
    if not cuda: data, subset = 'sample', 512
    res = dict(command=' '.join(['python', *sys.argv]), device=torch.cuda.get_device_name() if cuda else 'cpu',
               n_gpus=torch.cuda.device_count(), versions=versions(), data=data, subset=subset, fits={}, tta={}, throughput={})
    for name in CASES:
        for prec in ('fp32', 'bf16') + (('fp16',) if cuda else ()):
            r = fit_counting_syncs(learner(name, data, subset, prec), CASES[name](), cuda)
            res['fits'][f'{name} {prec}'] = r
            print(f"{name:20} {prec}: {r['sync_warnings']} sync warnings from the package, {r['step_syncs']} counted, finite={r['finite']}", flush=True)
    learn = learner('ProgressiveResize', data, subset)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    for tta, kw in {'fastai': {}, 'fastai one pass': dict(one_pass=True), 'corners': dict(use_corners=True),
                    'corners flip': dict(use_corners=True, flip=True), 'flip_shift': dict(flip_shift=1)}.items():
        t = time.perf_counter()
        with learn.no_bar(): p, y = learn.tta(**kw)
        res['tta'][tta] = dict(accuracy=(p.argmax(1) == y).float().mean().item(), seconds=time.perf_counter() - t)
    base = train_throughput('none', data, subset, cuda)
    base_folder = train_throughput('none', data, subset, cuda, folder=True)  # ProgressiveResize's baseline: the same loader
    for name in CASES:
        ips = base if name == 'none' else train_throughput(name, data, subset, cuda)
        if name == 'ProgressiveResize': base, keep = base_folder, base
        res['throughput'][name] = dict(images_per_s=ips, relative_to_no_mix=ips / base)
        print(f"{name:20} {ips:8.0f} img/s ({ips / base:.2f}× no mix)", flush=True)
        if name == 'ProgressiveResize': base = keep
    if torch.cuda.device_count() >= 2:
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '-m', 'fastai_sota.train',
               '--data', data, '--subset', str(subset), '--epochs', '2', '--ema', '0.9', '--loader', 'array', '--mix', 'cutmix',
               '--out', '/tmp/gpu_check_nccl.json']
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        res['nccl_2_process'] = dict(returncode=p.returncode, tail=p.stderr[-2000:],
                                     result=json.loads(Path('/tmp/gpu_check_nccl.json').read_text())['summary'] if p.returncode == 0 else None)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True); Path(out).write_text(json.dumps(res, indent=2))
    bad = [k for k, r in res['fits'].items() if r['sync_warnings'] or r['step_syncs'] or not r['finite']]
    print('gpu_check:', 'every fit clean' if not bad else f'syncs or non-finite losses in {bad}')
    return 1 if bad else 0

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=None); p.add_argument('--cpu', action='store_true')
    p.add_argument('--data', default='fashion_mnist'); p.add_argument('--subset', type=int, default=10_000)
    sys.exit(main(**vars(p.parse_args())))
