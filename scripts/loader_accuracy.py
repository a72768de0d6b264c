"""Does decoding once change what a model learns? The same training on the JPEG folder of `speed/folder_cache.py` through
fastai's pipeline and through the in-memory loader, with matching transforms (each image squished to `--size` px: fixed,
so both see the same pixels up to the JPEG draft read; flips and random-resized crops on the batch), over `--seeds`.
Validated on the folder's `valid/` (1,000 images). Each run is written to `--out` as it ends; a rerun skips those done.

    OMP_NUM_THREADS=2 python scripts/loader_accuracy.py --out results/loader_accuracy.json
"""
import argparse, json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'speed'))
import torch
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai.torch_core import set_seed
from fastai.vision.augment import Resize
from fastai.vision.models.xresnet import xresnet18
import fastai.callback.schedule
from folder_cache import jpeg_folder
from fastai_sota.augment import aug_tfms
from fastai_sota.loaders import image_folder_dls, array_dls
from fastai_sota.fit import versions
from fastai_sota.cli import write_json

def run(make_dls, seed:int, epochs:int, lr:float) -> dict:
    "Seeded data, model and fit (as `sota_learner` seeds them); the validation accuracy and the wall time."
    t = time.perf_counter()
    set_seed(seed); dls = make_dls(seed)
    model = xresnet18(n_out=dls.c, c_in=3)
    set_seed(seed)
    learn = Learner(dls, model, metrics=accuracy, path='.')
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
    return dict(accuracy=accuracy(*learn.get_preds()).item(), wall_s=time.perf_counter() - t)

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=10_000); p.add_argument('--size', type=int, default=64)
    p.add_argument('--subset', type=int, default=5000); p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--seeds', type=int, default=3); p.add_argument('--work', default='/tmp/fastai_sota_speed')
    p.add_argument('--out', default='results/loader_accuracy.json')
    a = p.parse_args()
    root, out = jpeg_folder(Path(a.work), a.n), Path(a.out)
    settings = dict(data='fmnist_jpeg (speed/folder_cache.py)', n=a.n, size=a.size, method='squish', subset=a.subset,
                    epochs=a.epochs, bs=128, lr=3e-3, arch='xresnet18', aug='flip_crop')
    res = json.loads(out.read_text()) if out.exists() else {}
    if res.get('settings') != settings: res = {}
    res.update(command=' '.join([f'OMP_NUM_THREADS={torch.get_num_threads()}', 'python', *sys.argv]), settings=settings,
               versions=versions())
    runs, sz, tf = res.setdefault('runs', {}), a.size, lambda: aug_tfms('flip_crop', a.size)
    loaders = {
        'fastai pipeline': lambda seed: image_folder_dls(root, size=sz, bs=128, subset=a.subset, seed=seed,
                                                         item_tfms=[Resize(sz, method='squish')], aug='flip_crop'),
        'in-memory loader': lambda seed: array_dls(root, bs=128, subset=a.subset, seed=seed, size=sz, method='squish',
                                                   batch_tfms=tf(), cache_dir=Path(a.work)/'cache')}
    for seed in range(a.seeds):
        for name, make in loaders.items():
            if str(seed) in runs.get(name, {}): continue
            r = runs.setdefault(name, {})[str(seed)] = run(make, seed, a.epochs, 3e-3)
            print(f"{name} seed {seed}: {r['accuracy']:.4f} ({r['wall_s']:.0f} s)", flush=True)
            write_json(out, res)
    res['summary'] = {k: dict(n=len(v), accuracy=statistics.fmean(r['accuracy'] for r in v.values()),
                              accuracy_std=statistics.stdev(r['accuracy'] for r in v.values()) if len(v) > 1 else 0.,
                              wall_s=statistics.fmean(r['wall_s'] for r in v.values())) for k, v in runs.items()}
    write_json(out, res)
    print(json.dumps(res['summary'], indent=1))

if __name__ == '__main__': main()
