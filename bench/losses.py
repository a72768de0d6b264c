"""Forward+backward time of `fastai_sota.losses.LabelSmoothingCrossEntropy` vs fastai's, on the same logits, one process.

Run: `python bench/losses.py`. Prints a table with the median time of each and the ratio (ours / fastai's).
"""
import time, statistics
import torch, fastai.losses
from fastai_sota.losses import LabelSmoothingCrossEntropy

def bench(loss, x, y, reps=200, warmup=20):
    ts = []
    for i in range(reps + warmup):
        xi = x.detach().requires_grad_()
        t = time.perf_counter(); loss(xi, y).backward(); t = time.perf_counter() - t
        if i >= warmup: ts.append(t)
    return statistics.median(ts)

def main(bs=256, classes=(1000, 10), eps=0.1, seed=0):
    torch.manual_seed(seed)
    print(f"batch {bs}, eps {eps}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'classes':>8} {'weighted':>8} {'fastai (µs)':>12} {'ours (µs)':>10} {'ratio':>6}")
    for c in classes:
        x, y = torch.randn(bs, c), torch.randint(0, c, (bs,))
        for w in (None, torch.rand(c) + 0.5):
            ours, theirs = LabelSmoothingCrossEntropy(eps, weight=w), fastai.losses.LabelSmoothingCrossEntropy(eps, weight=w)
            # alternate the two to share the machine's noise
            t_f, t_o = [], []
            for _ in range(5): t_f.append(bench(theirs, x, y)); t_o.append(bench(ours, x, y))
            tf, to = statistics.median(t_f), statistics.median(t_o)
            print(f"{c:>8} {w is not None!s:>8} {tf * 1e6:>12.1f} {to * 1e6:>10.1f} {to / tf:>6.2f}")

if __name__ == '__main__': main()
