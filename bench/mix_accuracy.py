"""Did Mixup and its variants help? Accuracy with no mix and with each variant, at a short and a longer budget.

For each seed, budget and method: an xresnet18 trained from scratch (settings in `bench/common.py`, a representative subset
of `--subset` training images, validation during training on 500 images only to save time), then evaluated on the
official 10k test set. Writes `results/mix.json`.
Run from the repo root: `PYTHONPATH=bench python bench/mix_accuracy.py [--seeds 0 1 2] [--epochs 5 12] [--subset 4000]`.
"""
import time
from fastai_sota.mix import MixUp, CutMix, CutMixUp, ManifoldMixup, FMix, ResizeMix
from common import fmnist_learner, save_results, cli

METHODS = {'none': lambda: None, 'MixUp': MixUp, 'CutMix': CutMix, 'CutMixUp': CutMixUp, 'ManifoldMixup': ManifoldMixup,
           'FMix': FMix, 'ResizeMix': ResizeMix}

def main(seeds=(0, 1, 2), epochs=(5, 12), subset=4000, out='results/mix.json'):
    runs, keys = {s: {} for s in seeds}, [f'{m} {e}ep' for e in epochs for m in METHODS]
    for e in epochs:
        for s in seeds:
            for m, make in METHODS.items():
                t = time.perf_counter()
                learn = fmnist_learner(s, subset, e, cbs=make(), valid_subset=500)
                with learn.no_bar(): p, y = learn.get_preds(dl=learn.full_valid)
                runs[s][f'{m} {e}ep'] = dict(accuracy=(p.argmax(1) == y).float().mean().item(), time_s=time.perf_counter() - t)
                print(f"seed {s} {m} {e}ep: {runs[s][f'{m} {e}ep']}", flush=True)
    summary = save_results(out, dict(subset=subset, epochs=list(epochs), seeds=list(seeds),
                                     callbacks='defaults: MixUp(0.4), CutMix(1.0), CutMixUp(0.4, 1.0, 0.5), ManifoldMixup(2.0), FMix(1.0, 3.0), ResizeMix((0.1, 0.8))'),
                           runs, keys)
    print(f"\n{'method':<22}{'accuracy':>20}{'time (s)':>10}")
    for k, v in summary.items(): print(f"{k:<22}{v['accuracy']:>12.4f} ± {v['accuracy_std']:.4f}{v['time_s']:>10.1f}")

if __name__ == '__main__': main(**cli(__doc__, subset=4000, epochs=[5, 12], multi_epochs=True))
