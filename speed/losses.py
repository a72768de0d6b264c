"""Forward+backward time of `LabelSmoothingCrossEntropy` against PyTorch's `F.cross_entropy(label_smoothing=)` and fastai's.

Same logits and targets, one process, interleaved, median over `--rounds` rounds of `--reps` blocks of `--block` calls (one call is ~0.1 ms: a block
keeps the timer's and the allocator's noise out). On the CPU unless `--device cuda`.
Run from the repo root: `python speed/losses.py [--rounds 5] [--out results/speed_losses.json]`.
"""
import argparse, statistics
import torch, torch.nn.functional as F, fastai.losses
from fastai_sota.losses import LabelSmoothingCrossEntropy
from common import interleaved, save

def fwd_bwd(loss, x, y):
    def f():
        xi = x.detach().requires_grad_()
        loss(xi, y).backward()
        if x.is_cuda: torch.cuda.synchronize()
    return f

def main(bs=256, classes=(10, 1000), eps=0.1, reps=100, block=10, rounds=5, device='cpu', out=None):
    torch.manual_seed(0)
    print(f"batch {bs}, eps {eps}, torch {torch.__version__}, {device}, {torch.get_num_threads()} threads, "
          f"median of {rounds} rounds of {reps} interleaved blocks of {block} calls")
    print(f"{'classes':>8} {'PyTorch (µs)':>13} {'fastai (µs)':>12} {'ours (µs)':>10} {'ours/PyTorch':>13} {'ours/fastai':>12}  (per round)")
    rows = {}
    for c in classes:
        x, y = torch.randn(bs, c, device=device), torch.randint(0, c, (bs,), device=device)
        fns = {'pytorch': fwd_bwd(lambda a, b: F.cross_entropy(a, b, label_smoothing=eps), x, y),
               'fastai': fwd_bwd(fastai.losses.LabelSmoothingCrossEntropy(eps), x, y),
               'ours': fwd_bwd(LabelSmoothingCrossEntropy(eps).to(device), x, y)}
        per_round = [interleaved(fns, reps, block) for _ in range(rounds)]  # at 1000 classes the allocator's state moves them
        med = {k: statistics.median(r[k] for r in per_round) for k in fns}
        ratios = {f'ours_over_{k}': statistics.median(r['ours'] / r[k] for r in per_round) for k in ('pytorch', 'fastai')}
        rows[f'{c} classes'] = med | ratios | {'rounds': per_round}
        spread = ' '.join(f"{r['ours'] / r['fastai']:.2f}" for r in per_round)
        print(f"{c:>8} {med['pytorch'] * 1e6:>13.1f} {med['fastai'] * 1e6:>12.1f} {med['ours'] * 1e6:>10.1f} "
              f"{ratios['ours_over_pytorch']:>13.2f} {ratios['ours_over_fastai']:>12.2f}  ours/fastai: {spread}")
    save(out, dict(bs=bs, eps=eps, reps=reps, block=block, rounds=rounds, device=device, threads=torch.get_num_threads()), rows)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bs', type=int, default=256); p.add_argument('--reps', type=int, default=100)
    p.add_argument('--block', type=int, default=10); p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--device', default='cpu'); p.add_argument('--out', default=None)
    main(**vars(p.parse_args()))
