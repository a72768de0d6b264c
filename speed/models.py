"""Training throughput (images per second) of the models the `cpu10` recipe chose between, on 28-pixel one-channel images.

One optimizer step (forward, backward, Adam) on a random batch, each model in turn (interleaved), median of `--reps`.
Run from the repo root: `python speed/models.py [--reps 5] [--out results/speed_models.json]`.
"""
import argparse
import torch, torch.nn.functional as F
from fastai.vision.models.xresnet import xresnet18
from fastai_sota.models import resnet28
from common import interleaved, save

WIDTHS = ((16, 32, 64, 128), (16, 32, 96, 192), (16, 48, 96, 192), (24, 48, 96, 192))

def step(model, x, y):
    opt = torch.optim.Adam(model.parameters())
    def f():
        F.cross_entropy(model(x), y).backward(); opt.step(); opt.zero_grad()
    return f

def main(bs=256, reps=5, out=None):
    torch.manual_seed(0)
    x, y = torch.randn(bs, 1, 28, 28), torch.randint(0, 10, (bs,))
    models = {'xresnet18': xresnet18(n_out=10, c_in=1), **{f'resnet28{w}': resnet28(widths=w) for w in WIDTHS}}
    fns = {k: step(m, x, y) for k, m in models.items()}
    for f in fns.values(): f()  # warm-up
    med = interleaved(fns, reps)
    rows = {k: dict(step_s=v, images_per_s=bs / v, params=sum(p.numel() for p in models[k].parameters())) for k, v in med.items()}
    for k, r in rows.items(): print(f"{k:26s} {r['images_per_s']:7.0f} img/s  {r['params']:>9,} parameters")
    save(out, dict(bs=bs, reps=reps, threads=torch.get_num_threads()), rows)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bs', type=int, default=256); p.add_argument('--reps', type=int, default=5); p.add_argument('--out', default=None)
    main(**vars(p.parse_args()))
