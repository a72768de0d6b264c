"""Did corner-crop TTA help? Accuracy and wall time of plain predictions, fastai's TTA and corner TTA on Fashion-MNIST.

For each seed: an xresnet18 trained from scratch for `--epochs` on a representative subset of `--subset` training images
(28 px, flips and random-resized crops with min_scale 0.75 as training augmentation), then evaluated on the full official
10k test set by `get_preds`, fastai `tta()` (n=4, beta=0.25), `tta(use_corners=True)` and `tta(use_corners=True, flip=True)`,
and corner TTA with beta 0 and 0.5 (to choose the default). Writes `results/tta.json` and prints mean ± std.
Run: `python bench/tta_accuracy.py [--seeds 0 1 2] [--subset 10000] [--epochs 5]`.
"""
import argparse, json, statistics, time
from pathlib import Path
import torch
from fastai.vision.augment import aug_transforms
from fastai.learner import Learner
import fastai.callback.schedule
from fastai_sota.train import sota_learner, versions
import fastai_sota.tta

METHODS = {
    'get_preds': lambda l: l.get_preds(),
    'fastai tta (n=4)': lambda l: l.tta(),
    'corners': lambda l: l.tta(use_corners=True),
    'corners + flip': lambda l: l.tta(use_corners=True, flip=True),
    'corners beta=0': lambda l: l.tta(use_corners=True, beta=0.),
    'corners beta=0.5': lambda l: l.tta(use_corners=True, beta=0.5),
    'corners + flip beta=0': lambda l: l.tta(use_corners=True, flip=True, beta=0.),
}

def run(seed, subset, epochs, bs=128, lr=3e-3):
    learn = sota_learner('fashion_mnist', seed=seed, subset=subset, bs=bs,
                         batch_tfms=aug_transforms(size=28, min_scale=0.75, max_rotate=0, max_warp=0, max_lighting=0, max_zoom=1))
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
    res = {}
    with learn.no_bar():
        for k, f in METHODS.items():
            torch.manual_seed(seed)
            t = time.perf_counter(); p, y = f(learn); t = time.perf_counter() - t
            res[k] = dict(accuracy=(p.argmax(1) == y).float().mean().item(), time_s=t)
            print(f"seed {seed} {k:<24} acc {res[k]['accuracy']:.4f}  {t:6.1f}s", flush=True)
    return res

def main(seeds=(0, 1, 2), subset=10000, epochs=5, out='results/tta.json'):
    runs = {s: run(s, subset, epochs) for s in seeds}
    summary = {k: {m: statistics.fmean(r[k][m] for r in runs.values()) for m in ('accuracy', 'time_s')} |
                  {'accuracy_std': statistics.stdev([r[k]['accuracy'] for r in runs.values()])} for k in METHODS}
    settings = dict(data='fashion_mnist', subset=subset, epochs=epochs, bs=128, lr=3e-3, arch='xresnet18', size=28,
                    valid='official 10k test set', seeds=list(seeds))
    Path(out).parent.mkdir(exist_ok=True, parents=True)
    Path(out).write_text(json.dumps(dict(settings=settings, versions=versions(), runs=runs, summary=summary), indent=2))
    print(f"\n{'method':<24}{'accuracy (mean ± std)':>24}{'time (s)':>10}")
    for k, v in summary.items(): print(f"{k:<24}{v['accuracy']:>15.4f} ± {v['accuracy_std']:.4f}{v['time_s']:>10.1f}")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--subset', type=int, default=10000)
    p.add_argument('--epochs', type=int, default=5)
    a = p.parse_args()
    main(a.seeds, a.subset, a.epochs)
