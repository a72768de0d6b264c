"""Did corner-crop TTA help? Accuracy and wall time of plain predictions, fastai's TTA and corner TTA on Fashion-MNIST.

For each seed: an xresnet18 trained from scratch (settings in `bench/common.py`: 28 px, flips and random-resized crops with
min_scale 0.75), then evaluated on the full official 10k test set by `get_preds`, fastai `tta()` (n=4, beta=0.25),
`tta(use_corners=True)` and `tta(use_corners=True, flip=True)`, and corner TTA with beta 0 and 0.5 (to choose the default).
Writes `results/tta.json`. Run from the repo root: `PYTHONPATH=bench python bench/tta_accuracy.py [--seeds 0 1 2]`.
"""
import time
import torch
import fastai_sota.tta  # patches Learner.tta
from common import fmnist_learner, save_results, cli

METHODS = {
    'get_preds': lambda l: l.get_preds(),
    'fastai tta (n=4)': lambda l: l.tta(),
    'corners': lambda l: l.tta(use_corners=True),
    'corners + flip': lambda l: l.tta(use_corners=True, flip=True),
    'corners beta=0': lambda l: l.tta(use_corners=True, beta=0.),
    'corners beta=0.5': lambda l: l.tta(use_corners=True, beta=0.5),
    'corners + flip beta=0': lambda l: l.tta(use_corners=True, flip=True, beta=0.),
}

def main(seeds=(0, 1, 2), subset=10000, epochs=5, out='results/tta.json'):
    runs = {}
    for s in seeds:
        learn, runs[s] = fmnist_learner(s, subset, epochs), {}
        with learn.no_bar():
            for k, f in METHODS.items():
                torch.manual_seed(s)
                t = time.perf_counter(); p, y = f(learn); t = time.perf_counter() - t
                runs[s][k] = dict(accuracy=(p.argmax(1) == y).float().mean().item(), time_s=t)
                print(f"seed {s} {k:<24} acc {runs[s][k]['accuracy']:.4f}  {t:6.1f}s", flush=True)
    summary = save_results(out, dict(subset=subset, epochs=epochs, seeds=list(seeds)), runs, METHODS)
    print(f"\n{'method':<24}{'accuracy (mean ± std)':>24}{'time (s)':>10}")
    for k, v in summary.items(): print(f"{k:<24}{v['accuracy']:>15.4f} ± {v['accuracy_std']:.4f}{v['time_s']:>10.1f}")

if __name__ == '__main__': main(**cli(__doc__, subset=10000, epochs=5))
