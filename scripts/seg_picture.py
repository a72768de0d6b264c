"""The segmentation picture of the docs: one validation canvas, its mask, a CutMix pair (image and mask mixed alike), and the
prediction of the segmentation tier's reference model (no mix, seed 0, the longer budget) without TTA, with flip TTA and with
corner TTA, each merged back per pixel. Writes `results/seg_example.png` and `results/seg_example.json` (the command, the
settings, and the mIoU of the shown canvas and of the whole validation set for each prediction).

    OMP_NUM_THREADS=2 python scripts/seg_picture.py
"""
import argparse, json
from pathlib import Path
import torch
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt
from fastai.torch_core import set_seed
from fastai_sota.bench import TIERS
from fastai_sota.cli import write_json
from fastai_sota.data import SEG_CODES
from fastai_sota.fit import versions
from fastai_sota.mix import CutMix
from fastai_sota.segment import fit_seg_run, seg_metrics
from fastai_sota.tta import tta_preds

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--index', type=int, default=3, help='the validation canvas shown')
    ap.add_argument('--out', default='results')
    a = ap.parse_args()
    s = {k: v for k, v in TIERS['segmentation']['settings'].items() if k != 'task'}
    s['epochs'] = max(s['epochs'])
    learn, rec = fit_seg_run(seed=0, **s)
    with learn.no_bar(): preds = {'no TTA': learn.get_preds()} | {f'{t} TTA': tta_preds(learn, t) for t in ('flip', 'corners')}
    x, y = learn.dls.valid.one_batch()  # in order: the first validation canvases
    set_seed(0)
    xt, yt = learn.dls.train.one_batch()
    xm, _, ym = CutMix().mix_xy(xt.clone(), yt, torch.roll(torch.arange(len(xt)), 1))
    i = a.index
    show = lambda t: learn.dls.valid.decode((t[None],))[0][0, 0].cpu()
    panels = [('canvas', show(x[i]), 'gray'), ('mask', y[i], 'seg'), ('CutMix image', show(xm[0]), 'gray'), ('CutMix mask', ym[0], 'seg')]
    panels += [(name, p[i].argmax(0), 'seg') for name, (p, _) in preds.items()]
    fig, axs = plt.subplots(1, len(panels), figsize=(1.45 * len(panels), 1.9), dpi=80)
    for ax, (t, im, kind) in zip(axs, panels):
        ax.imshow(im, cmap='gray' if kind == 'gray' else 'tab20', **({} if kind == 'gray' else dict(vmin=0, vmax=19, interpolation='nearest')))
        ax.set_title(t, fontsize=7); ax.axis('off')
    fig.tight_layout()
    out = Path(a.out); fig.savefig(out/'seg_example.png', bbox_inches='tight')
    write_json(out/'seg_example.json', dict(command=f'OMP_NUM_THREADS={torch.get_num_threads()} python scripts/seg_picture.py --index {i}',
               settings=s | dict(seed=0), versions=versions(), codes=list(SEG_CODES),
               shown={k: seg_metrics(p[i:i + 1], t[i:i + 1])['miou'] for k, (p, t) in preds.items()},
               valid={k: seg_metrics(p, t) for k, (p, t) in preds.items()}))

if __name__ == '__main__': main()
