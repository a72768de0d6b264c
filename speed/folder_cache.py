"""The in-memory loader on a decode-heavy folder (#23): build the cache, then an epoch's loading from it, against fastai's
pipeline on the same files; and resident memory when the cache is larger than the memory budget.

The folder: Fashion-MNIST test images (`--n` of them, all 10,000 by default) written once as JPEGs (quality 90) at random
sizes between 100 and 400 px, RGB, in `train/` (all) and `valid/` (a tenth), made under `--work`. Loading only (decode,
resize, collate, uint8 to float; no model), batch 128, at `--size` px, one process, `OMP_NUM_THREADS` threads.

    OMP_NUM_THREADS=2 python speed/folder_cache.py --out results/speed_folder_cache.json
"""
import argparse, json, os, shutil, subprocess, sys, time
from pathlib import Path
import numpy as np
from PIL import Image
from common import save
import torch
from fastai.data.transforms import IntToFloatTensor
from fastai_sota.data import fashion_mnist, representative_subset
from fastai_sota.loaders import image_folder_dls, array_dls, cached_images, split_items

def jpeg_folder(work:Path, n:int, seed:int=0) -> Path:
    "Fashion-MNIST test images as RGB JPEGs of random sizes in 100-400 px (made once; `done` marks it complete)."
    root = work/f'fmnist_jpeg_{n}'
    if (root/'done').exists(): return root
    shutil.rmtree(root, ignore_errors=True)
    src = sorted((fashion_mnist()/'valid').glob('*/*.png'))
    rng = np.random.default_rng(seed)
    items = representative_subset(src, n=n, seed=seed) if n < len(src) else src
    for i, f in enumerate(items):
        w, h = (int(v) for v in rng.integers(100, 401, 2))
        for split in ('train',) + (('valid',) if i % 10 == 0 else ()):
            d = root/split/f.parent.name; d.mkdir(parents=True, exist_ok=True)
            Image.open(f).convert('RGB').resize((w, h), Image.BILINEAR).save(d/f'{f.stem}.jpg', quality=90)
    (root/'done').touch()
    return root

def epoch_seconds(dl) -> float:
    "Seconds to draw every batch of `dl` once (its transforms included)."
    t = time.perf_counter()
    for b in dl: pass
    return time.perf_counter() - t

def rss_mb() -> float: return int(Path('/proc/self/statm').read_text().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20

def rss_epoch(root, cache, a):
    "One epoch of the loader over a cache larger than its memory budget; the resident memory before and at its peak."
    dd = array_dls(root, size=a.size, bs=a.bs, norm='none', cache_dir=cache, mem_budget=a.rss_epoch)
    before = peak = rss_mb()
    t = time.perf_counter()
    for b in dd.train: peak = max(peak, rss_mb())
    print(json.dumps(dict(seconds=time.perf_counter() - t, rss_before_mb=before, rss_peak_mb=peak,
                          rss_growth_mb=peak - before, x_type=type(dd.train_ds.x).__name__)))

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=10_000); p.add_argument('--size', type=int, default=64)
    p.add_argument('--bs', type=int, default=128); p.add_argument('--work', default='/tmp/fastai_sota_speed')
    p.add_argument('--out', default='results/speed_folder_cache.json')
    p.add_argument('--rss-epoch', type=int, default=None, help='(internal) one epoch from the cache with this memory budget')
    a = p.parse_args()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    root, cache = jpeg_folder(work, a.n), work/'cache'
    if a.rss_epoch is not None: return rss_epoch(root, cache, a)
    shutil.rmtree(cache, ignore_errors=True)
    res = dict(rows={})
    # fastai's pipeline: Resize on every item, every epoch (two epochs now, a third between the builds below)
    fa = image_folder_dls(root, size=a.size, bs=a.bs, norm='none', item_tfms=None)
    fa_train = fa.train.new(shuffle=True, drop_last=True)
    t_fa = [epoch_seconds(fa_train) for _ in range(2)]
    res['rows']['fastai pipeline epoch'] = dict(seconds=t_fa, images=len(fa.train_ds))
    # the cache: built once (decode + resize in worker processes), then read
    builds = []  # twice, each from nothing (the second into another folder), fastai's epoch between: the machine's noise shared
    for i in range(2):
        shutil.rmtree(cache, ignore_errors=True)
        t = time.perf_counter(); x, kept, failed = cached_images(sum(split_items(root), []), a.size, cache_dir=cache)
        builds.append(time.perf_counter() - t)
        if i == 0: t_fa.append(epoch_seconds(fa_train))
    t_build = min(builds)
    t = time.perf_counter(); cached_images(sum(split_items(root), []), a.size, cache_dir=cache); t_hit = time.perf_counter() - t
    res['rows']['cache build'] = dict(seconds=t_build, all_seconds=builds, files=len(kept), failed=len(failed), mb=x.numel() / 2**20)
    res['rows']['cache hit (start of a later run)'] = dict(seconds=t_hit)
    ad = array_dls(root, size=a.size, bs=a.bs, norm='none', cache_dir=cache)
    t_arr = [epoch_seconds(ad.train) for _ in range(2)]
    res['rows']['cached epoch'] = dict(seconds=t_arr, images=len(ad.train_ds))
    # the cache twice the memory budget, in a fresh process (its resident memory is the measure): read a batch at a time
    budget = int(x.numel() // 2)
    del x, ad
    def child(b):
        out = subprocess.run([sys.executable, __file__, '--rss-epoch', str(b), '--work', a.work, '--n', str(a.n),
                              '--size', str(a.size), '--bs', str(a.bs)], capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    res['rows']['over budget: epoch from disk'] = child(budget) | dict(
        budget_mb=budget / 2**20, batch_mb=a.bs * 3 * a.size * a.size * 5 / 2**20)  # a batch: uint8 and float32
    res['rows']['within budget: epoch from memory (the same measure)'] = child(2**40)
    fa_epoch = min(t_fa)
    res['rows']['ratios'] = dict(build_vs_fastai_epoch=t_build / fa_epoch, cached_epoch_vs_fastai_epoch=min(t_arr) / fa_epoch)
    save(a.out, dict(n=a.n, size=a.size, bs=a.bs, cpus=os.cpu_count()), res['rows'])
    print(json.dumps(res['rows'], indent=1))

if __name__ == '__main__': main()
