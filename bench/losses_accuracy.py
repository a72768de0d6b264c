"""Did label smoothing help? Accuracy and expected calibration error with ε = 0 and ε = 0.1 on Fashion-MNIST.

For each seed and ε: an xresnet18 trained from scratch (settings in `bench/common.py`) with `LabelSmoothingCrossEntropy(ε)`,
evaluated on the official 10k test set: accuracy, ECE (15 bins) and mean confidence. Writes `results/losses.json`.
Run from the repo root: `PYTHONPATH=bench python bench/losses_accuracy.py [--seeds 0 1 2] [--subset 10000] [--epochs 5]`.
"""
from fastai_sota.losses import LabelSmoothingCrossEntropy, expected_calibration_error
from common import fmnist_learner, save_results, cli

def main(seeds=(0, 1, 2), subset=10000, epochs=5, out='results/losses.json'):
    runs, keys = {}, [f'eps={e}' for e in (0.0, 0.1)]
    for s in seeds:
        runs[s] = {}
        for eps, k in zip((0.0, 0.1), keys):
            learn = fmnist_learner(s, subset, epochs, loss_func=LabelSmoothingCrossEntropy(eps))
            with learn.no_bar(): p, y = learn.get_preds()
            runs[s][k] = dict(accuracy=(p.argmax(1) == y).float().mean().item(), ece=expected_calibration_error(p, y),
                              confidence=p.max(1)[0].mean().item())
            print(f"seed {s} {k}: {runs[s][k]}", flush=True)
    summary = save_results(out, dict(subset=subset, epochs=epochs, seeds=list(seeds)), runs, keys)
    print(f"\n{'loss':<10}{'accuracy':>18}{'ECE':>18}{'confidence':>12}")
    for k, v in summary.items():
        print(f"{k:<10}{v['accuracy']:>10.4f} ± {v['accuracy_std']:.4f}{v['ece']:>10.4f} ± {v['ece_std']:.4f}{v['confidence']:>12.4f}")

if __name__ == '__main__': main(**cli(__doc__, subset=10000, epochs=5))
