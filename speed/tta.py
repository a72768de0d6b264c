"""Corner-crop TTA vs fastai's TTA on a decode-heavy image folder, in one process.

Makes `--n` JPEG images of `--px` pixels (Fashion-MNIST sample images upscaled, RGB) in a temporary folder, trains nothing
(timing only needs a model), and times `learn.tta(n=4)` (fastai: 4 augmented passes + 1 plain pass, 5 forward passes per
item) against `learn.tta(one_pass=True)` (the same 5 forward passes, each image decoded once) and
`learn.tta(use_corners=True)` (plain + 5 views = 6 forward passes per item, each image decoded once), counting decodes.
Run from the repo root: `python speed/tta.py [--n 300] [--px 512] [--size 64] [--reps 3] [--out FILE]`.
"""
import argparse, tempfile, time, statistics
from pathlib import Path
import torch
from PIL import Image
import fastai.vision.core as fvc
from fastai.data.transforms import get_image_files
from fastai.vision.augment import Resize
from fastai.learner import Learner
from fastai.losses import CrossEntropyLossFlat
from fastai.vision.models.xresnet import xresnet18
from fastai_sota.data import sample_path
from fastai_sota.loaders import image_folder_dls
import fastai_sota.tta  # patches Learner.tta
from common import save

def make_folder(dest, n, px):
    src = get_image_files(sample_path()/'valid')[:n]
    for split in ('train', 'valid'):
        for f in src:
            out = Path(dest)/split/f.parent.name/(f.stem + '.jpg')
            out.parent.mkdir(parents=True, exist_ok=True)
            Image.open(f).convert('RGB').resize((px, px), Image.BICUBIC).save(out, quality=95)
    return Path(dest)

class DecodeCounter:
    def __init__(self): self.n, self.orig = 0, fvc.load_image
    def __enter__(self):
        def load_image(*a, **k):
            self.n += 1
            return self.orig(*a, **k)
        fvc.load_image = load_image
        return self
    def __exit__(self, *a): fvc.load_image = self.orig

def main(n=300, px=512, size=64, reps=3, bs=64, out=None):
    torch.manual_seed(0)
    path = make_folder(tempfile.mkdtemp(), n, px)
    dls = image_folder_dls(path, size=size, bs=bs, item_tfms=[Resize(size)], norm='batch')
    learn = Learner(dls, xresnet18(n_out=dls.c, c_in=3, widen=0.25), loss_func=CrossEntropyLossFlat())
    runs = {'fastai tta(n=4)': lambda: learn.tta(n=4), 'tta(n=4, one_pass=True)': lambda: learn.tta(n=4, one_pass=True),
            'tta(use_corners=True)': lambda: learn.tta(use_corners=True),
            'tta(use_corners=True, flip=True)': lambda: learn.tta(use_corners=True, flip=True)}
    times, decodes = {k: [] for k in runs}, {}
    with learn.no_bar():
        for _ in range(reps):
            for k, f in runs.items():  # interleaved, so both see the same machine load
                with DecodeCounter() as c:
                    t = time.perf_counter(); f(); times[k].append(time.perf_counter() - t)
                decodes[k] = c.n
    print(f"{n} JPEG images of {px}x{px} px, model input {size} px, xresnet18(widen=0.25), bs {bs}, "
          f"{torch.get_num_threads()} threads, median of {reps}")
    print(f"{'method':<34}{'decodes':>9}{'per item':>10}{'time (s)':>10}{'ratio':>7}")
    base, rows = statistics.median(times['fastai tta(n=4)']), {}
    for k in runs:
        t = statistics.median(times[k])
        rows[k] = dict(decodes=decodes[k], decodes_per_item=decodes[k] / n, time_s=t, ratio_to_fastai=t / base)
        print(f"{k:<34}{decodes[k]:>9}{decodes[k] / n:>10.1f}{t:>10.2f}{t / base:>7.2f}")
    save(out, dict(n=n, px=px, size=size, reps=reps, bs=bs, threads=torch.get_num_threads()), rows)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k, v in dict(n=300, px=512, size=64, reps=3, bs=64).items(): p.add_argument(f'--{k}', type=int, default=v)
    p.add_argument('--out', default=None)
    main(**vars(p.parse_args()))
