"""Time of one epoch of data loading (no model) with fastai's image-folder pipeline against the in-memory `ArrayDL`.

The cpu10 recipe's training loader on the full Fashion-MNIST (60,000 images, batch 256, flip-and-shift augmentation,
exact normalization), built the way `sota_learner` builds it with `loader='folder'` and `loader='array'`; each pass reads
every batch once. Building the loaders (decoding the PNGs into one tensor for `ArrayDL`) is timed apart.
Run from the repo root: `python speed/loaders.py [--reps 2] [--out results/speed_loaders.json]`.
"""
import argparse, time
import torch
from fastai_sota.data import resolve_data
from fastai_sota.loaders import image_folder_dls, array_dls
from fastai_sota.augment import FlipShift
from common import interleaved, save

def epoch(dl):
    def f():
        for _ in dl: pass
    return f

def main(bs=256, reps=2, out=None):
    path = resolve_data('fashion_mnist')
    t = time.perf_counter(); folder = image_folder_dls(path, bs=bs, aug='flip_shift'); t_folder = time.perf_counter() - t
    t = time.perf_counter(); arrays = array_dls(path, bs=bs, batch_tfms=[FlipShift()]); t_array = time.perf_counter() - t
    med = interleaved({'folder': epoch(folder.train), 'array': epoch(arrays.train)}, reps)
    rows = {'folder': dict(build_s=t_folder, epoch_s=med['folder']), 'array': dict(build_s=t_array, epoch_s=med['array'])}
    for k, r in rows.items(): print(f"{k:7s} build {r['build_s']:6.1f} s, one epoch of loading {r['epoch_s']:6.1f} s")
    save(out, dict(bs=bs, reps=reps, images=len(folder.train_ds), threads=torch.get_num_threads()), rows)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bs', type=int, default=256); p.add_argument('--reps', type=int, default=2); p.add_argument('--out', default=None)
    main(**vars(p.parse_args()))
