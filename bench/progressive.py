"""Did progressive resizing help? Fixed final size vs progressive resizing, same epochs, on Fashion-MNIST upscaled to 64 px.

For each seed: an xresnet18 trained from scratch on a representative subset (settings in `bench/common.py`, but 64 px),
once at the fixed final size and once with `ProgressiveResize(start=0.5, finish_pct=0.75)` (with and without size-linked
regularization of a MixUp callback), then evaluated on the official 10k test set at 64 px. Prints the wall-time ratio and
the accuracy difference; writes `results/progressive.json`.
With `--budget E1 E2 ...` it answers the equal-accuracy question instead: fixed size for `--epochs` against progressive
resizing for each budget of E epochs, writing `results/progressive_budget.json` and printing, per budget, the accuracy
difference and the wall-time ratio.
`--methods NAME ...` runs only some of `METHODS` (with `--out` for their file).
Run from the repo root: `PYTHONPATH=bench python bench/progressive.py [--seeds 0 1 2] [--subset 4000] [--epochs 5] [--budget 6 7 8]`.
"""
import time
from fastai.vision.augment import aug_transforms
from fastai_sota.progressive import ProgressiveResize
from fastai_sota.mix import MixUp
from common import fmnist_learner, save_results, cli, AUG

SIZE = 64
METHODS = {
    'fixed 64 px': lambda: [],
    'progressive 32→64 px': lambda: [ProgressiveResize(start=0.5, finish_pct=0.75)],
    'fixed 64 px + MixUp': lambda: [MixUp()],
    'progressive + MixUp, size-linked α': lambda: [ProgressiveResize(start=0.5, finish_pct=0.75, scale_reg=True), MixUp()],
    'progressive, size-linked augmentation': lambda: [ProgressiveResize(start=0.5, finish_pct=0.75, scale_aug=True)],
    'progressive + MixUp, size-linked α and augmentation':
        lambda: [ProgressiveResize(start=0.5, finish_pct=0.75, scale_reg=True, scale_aug=True), MixUp()],
}

def run(seed, subset, epochs, cbs):
    "Train one seeded 64 px learner with `cbs`; its test accuracy and training wall time."
    t = time.perf_counter()
    learn = fmnist_learner(seed, subset, epochs, cbs=cbs, valid_subset=500, size=SIZE,
                           batch_tfms=aug_transforms(**(AUG | {'size': SIZE})))
    train_s = time.perf_counter() - t
    with learn.no_bar(): p, y = learn.get_preds(dl=learn.full_valid)
    return dict(accuracy=(p.argmax(1) == y).float().mean().item(), train_time_s=train_s)

def report(summary, base):
    print(f"\n{'method':<38}{'accuracy':>18}{'train (s)':>11}{'time ratio':>11}{'Δ acc (pt)':>11}")
    for k, v in summary.items():
        print(f"{k:<38}{v['accuracy']:>10.4f} ± {v['accuracy_std']:.4f}{v['train_time_s']:>11.1f}"
              f"{base['train_time_s'] / v['train_time_s']:>10.2f}x{100 * (v['accuracy'] - base['accuracy']):>+11.2f}")

def budget(seeds, subset, epochs, budgets, out='results/progressive_budget.json'):
    "Fixed size for `epochs` vs progressive resizing for each of `budgets` epochs."
    keys = [f'fixed 64 px, {epochs} epochs'] + [f'progressive 32→64 px, {e} epochs' for e in budgets]
    runs = {s: {} for s in seeds}
    for s in seeds:
        for k, e, cbs in zip(keys, [epochs, *budgets], [[]] + [[ProgressiveResize(start=0.5, finish_pct=0.75)] for _ in budgets]):
            runs[s][k] = run(s, subset, e, cbs)
            print(f"seed {s} {k}: {runs[s][k]}", flush=True)
    summary = save_results(out, dict(size=SIZE, subset=subset, epochs=epochs, budgets=list(budgets), seeds=list(seeds)), runs, keys)
    report(summary, summary[keys[0]])

def main(seeds=(0, 1, 2), subset=4000, epochs=5, budget_epochs=None, methods=None, out='results/progressive.json'):
    if budget_epochs: return budget(seeds, subset, epochs, budget_epochs)
    methods = {k: v for k, v in METHODS.items() if methods is None or k in methods}
    runs = {s: {} for s in seeds}
    for s in seeds:
        for k, make in methods.items():
            runs[s][k] = run(s, subset, epochs, make())
            print(f"seed {s} {k}: {runs[s][k]}", flush=True)
    summary = save_results(out, dict(size=SIZE, subset=subset, epochs=epochs, seeds=list(seeds)), runs, methods)
    report(summary, next(iter(summary.values())))

if __name__ == '__main__':
    main(**cli(__doc__, subset=4000, epochs=5, budget=dict(type=int, nargs='+', dest='budget_epochs', default=None),
               methods=dict(nargs='+', default=None, help='run only these METHODS'), out=dict(default='results/progressive.json')))
