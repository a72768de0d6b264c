"""Forward+backward time of `LabelSmoothingCrossEntropy` against PyTorch's `F.cross_entropy(label_smoothing=)` and fastai's.

Same logits and targets, one process, interleaved, median of `--reps`. On the CPU unless `--device cuda`.
Run from the repo root: `python speed/losses.py [--reps 1500] [--out results/speed_losses.json]`.
"""
import argparse
import torch, torch.nn.functional as F, fastai.losses
from fastai_sota.losses import LabelSmoothingCrossEntropy
from common import interleaved, save

def fwd_bwd(loss, x, y):
    def f():
        xi = x.detach().requires_grad_()
        loss(xi, y).backward()
        if x.is_cuda: torch.cuda.synchronize()
    return f

def main(bs=256, classes=(1000, 10), eps=0.1, reps=300, device='cpu', out=None):
    torch.manual_seed(0)
    print(f"batch {bs}, eps {eps}, torch {torch.__version__}, {device}, {torch.get_num_threads()} threads, median of {reps}")
    print(f"{'classes':>8} {'PyTorch (µs)':>13} {'fastai (µs)':>12} {'ours (µs)':>10} {'ours/PyTorch':>13}")
    rows = {}
    for c in classes:
        x, y = torch.randn(bs, c, device=device), torch.randint(0, c, (bs,), device=device)
        ours = LabelSmoothingCrossEntropy(eps).to(device)
        med = interleaved({'pytorch': fwd_bwd(lambda a, b: F.cross_entropy(a, b, label_smoothing=eps), x, y),
                           'fastai': fwd_bwd(fastai.losses.LabelSmoothingCrossEntropy(eps), x, y), 'ours': fwd_bwd(ours, x, y)}, reps)
        rows[f'{c} classes'] = med | {'ours_over_pytorch': med['ours'] / med['pytorch']}
        print(f"{c:>8} {med['pytorch'] * 1e6:>13.1f} {med['fastai'] * 1e6:>12.1f} {med['ours'] * 1e6:>10.1f} {med['ours'] / med['pytorch']:>13.2f}")
    save(out, dict(bs=bs, eps=eps, reps=reps, device=device, threads=torch.get_num_threads()), rows)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bs', type=int, default=256); p.add_argument('--reps', type=int, default=300)
    p.add_argument('--device', default='cpu'); p.add_argument('--out', default=None)
    main(**vars(p.parse_args()))
