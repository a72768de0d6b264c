"Shared set-up of the accuracy experiments in `bench/`: one seeded Fashion-MNIST run, and result files."
import argparse, json, statistics
from pathlib import Path
from fastai.vision.augment import aug_transforms
import fastai.callback.schedule
from fastai_sota.train import sota_learner, versions

AUG = dict(size=28, min_scale=0.75, max_rotate=0, max_warp=0, max_lighting=0, max_zoom=1)
SETTINGS = dict(data='fashion_mnist', arch='xresnet18', size=28, bs=128, lr=3e-3, sched='fit_one_cycle',
                valid='official 10k test set', augmentation='flip + RandomResizedCrop(min_scale=0.75)')

def fmnist_learner(seed, subset, epochs, lr=3e-3, bs=128, cbs=None, valid_subset=None, **kwargs):
    """An xresnet18 trained from scratch for `epochs` on a representative subset of Fashion-MNIST (quietly).
    With `valid_subset`, per-epoch validation uses that many test images; `learn.full_valid` keeps the whole test set."""
    kwargs.setdefault('batch_tfms', aug_transforms(**AUG))
    learn = sota_learner('fashion_mnist', seed=seed, subset=subset, bs=bs, **kwargs)
    learn.full_valid = learn.dls.valid
    if valid_subset:
        from fastai_sota.data import representative_subset
        items = representative_subset(learn.dls.valid_ds.items, n=valid_subset, seed=0)
        learn.dls.loaders[1] = learn.dls.test_dl(items, with_labels=True)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr, cbs=cbs)
    return learn

def save_results(out, settings, runs, keys):
    "Write settings, versions, per-seed runs and mean ± std of each metric of each key to `out`; return the summary."
    summary = {}
    for k in keys:
        vals = {m: [r[k][m] for r in runs.values()] for m in next(iter(runs.values()))[k]}
        summary[k] = {m: statistics.fmean(v) for m, v in vals.items()} | {f'{m}_std': statistics.stdev(v) for m, v in vals.items()}
    Path(out).parent.mkdir(exist_ok=True, parents=True)
    Path(out).write_text(json.dumps(dict(settings=SETTINGS | settings, versions=versions(), runs=runs, summary=summary), indent=2))
    return summary

def cli(doc, subset, epochs, multi_epochs=False, **extra):
    "Parse `--seeds`, `--subset` and `--epochs` (several with `multi_epochs`), plus `extra` options (name → argparse kwargs)."
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--subset', type=int, default=subset)
    p.add_argument('--epochs', type=int, nargs='+' if multi_epochs else None, default=epochs)
    for k, kw in extra.items(): p.add_argument(f'--{k}', **kw)
    return vars(p.parse_args())
