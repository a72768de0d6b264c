"""Throughput (images per second) of bf16 autocast, channels-last and `torch.compile` against fp32 eager, on this machine's CPU.

For each model of the `cpu10` recipe's choice (resnet28, xresnet18) on 28-pixel one-channel batches: one training step
(forward, backward, Adam) and one inference forward, in every mode in turn (interleaved), median of `--reps`. bf16 runs
under `torch.autocast('cpu', torch.bfloat16)`, as `sota-train --precision bf16` does; a compiled model is compiled once
(warm-up, timed apart) and its recompilations counted. Run from the repo root:
`OMP_NUM_THREADS=2 python speed/precision.py [--reps 7] [--out results/speed_precision.json]`.
"""
import argparse, contextlib, time
import torch, torch.nn.functional as F
from fastai.vision.models.xresnet import xresnet18
from fastai_sota.models import resnet28
from common import interleaved, save

MODES = {  # name: (autocast bf16, channels-last, compiled)
    'fp32': (False, False, False), 'bf16': (True, False, False), 'channels_last': (False, True, False),
    'bf16 + channels_last': (True, True, False), 'compile': (False, False, True), 'compile + bf16': (True, False, True)}
MODELS = {'resnet28': lambda: resnet28(), 'xresnet18': lambda: xresnet18(n_out=10, c_in=1)}

def _ctx(bf16): return torch.autocast('cpu', dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

def make(name, mode, x, y):
    "The training step and inference forward of model `name` in `mode`, and the seconds its warm-up (compilation) took."
    bf16, cl, comp = MODES[mode]
    torch.manual_seed(0)
    model = MODELS[name]()
    if cl: model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    run = torch.compile(model) if comp else model
    opt = torch.optim.Adam(model.parameters())
    def train():
        model.train()
        with _ctx(bf16): loss = F.cross_entropy(run(x), y)
        loss.backward(); opt.step(); opt.zero_grad()
    def infer():
        model.eval()
        with torch.no_grad(), _ctx(bf16): run(x)
    t = time.perf_counter(); train(); infer(); train(); infer()
    return train, infer, time.perf_counter() - t

def _bf16_flags() -> list:
    "The CPU's bf16 instruction sets (`avx512_bf16`, `amx_bf16`), as /proc/cpuinfo names them."
    try: flags = open('/proc/cpuinfo').read().split()
    except OSError: return []
    return sorted({f for f in flags if 'bf16' in f})

def main(bs=256, reps=7, out=None, modes=None):
    import torch._dynamo.utils as dyn
    x, y = torch.randn(bs, 1, 28, 28), torch.randint(0, 10, (bs,))
    rows, fns = {}, {}
    for name in MODELS:
        for mode in modes or MODES:
            before = dyn.counters['stats']['unique_graphs']
            tr, inf, warm = make(name, mode, x, y)
            fns[f'{name} {mode} train'], fns[f'{name} {mode} infer'] = tr, inf
            rows[f'{name} {mode}'] = dict(model=name, mode=mode, warmup_s=warm, graphs=dyn.counters['stats']['unique_graphs'] - before)
    start = dyn.counters['stats']['unique_graphs']
    med = interleaved(fns, reps)
    recompiled = dyn.counters['stats']['unique_graphs'] - start  # graphs compiled while timing: recompilations
    for k, r in rows.items():
        r.update(train_s=med[f'{k} train'], infer_s=med[f'{k} infer'], train_images_per_s=bs / med[f'{k} train'],
                 infer_images_per_s=bs / med[f'{k} infer'])
    for k, r in rows.items():
        base = rows[f"{r['model']} fp32"]
        r.update(train_speedup=r['train_images_per_s'] / base['train_images_per_s'],
                 infer_speedup=r['infer_images_per_s'] / base['infer_images_per_s'])
        print(f"{k:32s} train {r['train_images_per_s']:7.0f} img/s ({r['train_speedup']:.2f}×)  infer {r['infer_images_per_s']:7.0f} "
              f"img/s ({r['infer_speedup']:.2f}×)  warm-up {r['warmup_s']:5.1f} s, {r['graphs']} graphs")
    print(f"recompilations while timing: {recompiled}")
    save(out, dict(bs=bs, reps=reps, threads=torch.get_num_threads(), size=28, recompilations_while_timing=recompiled,
                   cpu_flags=_bf16_flags()), rows)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bs', type=int, default=256); p.add_argument('--reps', type=int, default=7); p.add_argument('--out', default=None)
    p.add_argument('--modes', nargs='*', default=None, choices=list(MODES))
    main(**vars(p.parse_args()))
