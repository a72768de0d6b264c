"""`before_batch` cost of each mix callback vs fastai's MixUp/CutMix on the same batch, and per-element vs per-batch.

One process, interleaved repetitions, median times. Batch `--bs`×3×`--px`×`--px` float32 on the CPU (default 128×3×128×128),
class-index targets with `CrossEntropyLossFlat` (fastai stacks the losses; so do we).
Run from the repo root: `python speed/mix.py [--bs 128] [--px 128] [--reps 20] [--out FILE]`.
"""
import argparse, statistics, time, random
from types import SimpleNamespace
import torch
import fastai.callback.mixup as fm
from fastai.losses import CrossEntropyLossFlat
from fastai_sota.mix import MixUp, CutMix, CutMixUp, FMix, ResizeMix
from common import save

def fake_learn(x, y):
    return SimpleNamespace(xb=(x,), yb=(y,), x=x, y=y, loss_func=CrossEntropyLossFlat(), dls=SimpleNamespace(c=10), training=True)

def timer(cb, x, y, reps):
    ts = []
    for i in range(reps + 3):
        cb.learn = fake_learn(x.clone(), y)
        t = time.perf_counter(); cb.before_batch(); t = time.perf_counter() - t
        if i >= 3: ts.append(t)
    return ts

def main(bs=128, px=128, reps=20, out=None):
    torch.manual_seed(0); random.seed(0)
    x, y = torch.rand(bs, 3, px, px), torch.randint(0, 10, (bs,))
    fa_mix, fa_cut = fm.MixUp(0.4), fm.CutMix(1.)
    for c in (fa_mix, fa_cut): c.stack_y = True
    cbs = {
        'fastai MixUp': fa_mix, 'fastai CutMix': fa_cut,
        'MixUp (per element)': MixUp(per_element=True), 'MixUp (per batch)': MixUp(per_element=False),
        'CutMix (per batch)': CutMix(per_element=False), 'CutMix (per element)': CutMix(per_element=True),
        'CutMixUp (per batch)': CutMixUp(per_element=False), 'CutMixUp (per element)': CutMixUp(per_element=True),
        'FMix (per batch)': FMix(per_element=False), 'FMix (per element)': FMix(per_element=True),
        'ResizeMix (per batch)': ResizeMix(per_element=False), 'ResizeMix (per element)': ResizeMix(per_element=True),
    }
    times = {k: [] for k in cbs}
    for _ in range(reps):  # interleave: every callback sees the same machine load
        for k, cb in cbs.items(): times[k] += timer(cb, x, y, 1)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    save(out, dict(bs=bs, px=px, reps=reps, threads=torch.get_num_threads(), unit='ms per before_batch'), med)
    print(f"batch {bs}x3x{px}x{px} float32, {torch.get_num_threads()} threads, median of {reps} (ms)")
    ref = {'MixUp': med['fastai MixUp'], 'CutMix': med['fastai CutMix']}
    print(f"{'callback':<26}{'ms':>8}{'vs fastai':>11}{'elem/batch':>12}")
    for k, v in med.items():
        base = k.split(' ')[0]
        vs = f"{v / ref[base]:.2f}" if base in ref and not k.startswith('fastai') else ''
        pair = k.replace('per element', 'per batch')
        eb = f"{v / med[pair]:.2f}" if 'per element' in k and pair in med else ''
        print(f"{k:<26}{v:>8.2f}{vs:>11}{eb:>12}")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k, v in dict(bs=128, px=128, reps=20).items(): p.add_argument(f'--{k}', type=int, default=v)
    p.add_argument('--out', default=None)
    main(**vars(p.parse_args()))
