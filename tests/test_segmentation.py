"Segmentation as users run it: the segmentation tier of `sota-bench` through the console script, and `learn.tta` on a U-Net."
import json
import torch
from test_cli import console
from fastai_sota.segment import seg_learner
from fastai_sota.tta import FlipViews

def test_segmentation_tier_pairs_mIoU(tmp_path):
    "The smoke tier on the sample's canvases: CutMix against no mix on mIoU, paired per seed; TTA rows on the reference."
    p = console('sota-bench', '--tier', 'segmentation_smoke', '--seeds', '2', '--only', 'CutMix', '--out', str(tmp_path),
                cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert '| recipe | mIoU (mean ± std) |' in p.stdout
    res = json.loads((tmp_path/'bench_segmentation_smoke.json').read_text())
    assert res['metric'] == 'miou'
    assert sorted(res['runs']) == sorted(['no mix', 'no mix + TTA flip', 'no mix + TTA corners', 'CutMix'])
    v = res['summary']['CutMix']['verdict']
    diffs = [100 * (res['runs']['CutMix'][s]['miou'] - res['runs']['no mix'][s]['miou']) for s in ('0', '1')]
    assert abs(v['mean'] - sum(diffs) / 2) < 1e-9 and v['n'] == 2
    r = res['runs']['no mix']['0']
    assert 0 <= r['miou'] <= r['dice'] <= 1 and 0 <= r['pixel_accuracy'] <= 1 and r['fastai_tta_time_s'] > 0
    assert (tmp_path/'bench_segmentation_smoke.html').exists() and (tmp_path/'bench_segmentation_smoke.png').exists()

def test_segmentation_tier_refuses_classification_flags(tmp_path):
    "Flags of the classification tiers are refused in one line, exit 2, before any training."
    for flags, msg in ((['--arch', 'resnet28'], '--arch'), (['--size', '20'], '`size`'), (['--only', 'Cutmix'], 'unknown rows')):
        p = console('sota-bench', '--tier', 'segmentation_smoke', *flags, '--out', str(tmp_path), cwd=tmp_path)
        assert p.returncode == 2 and msg in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert not list(tmp_path.glob('*.json'))

def test_unet_flip_tta_merges_back():
    "On fastai's U-Net, flip TTA merged back is per-pixel probabilities of the masks' size; mapped back, not averaged raw."
    learn = seg_learner(n_train=16, n_valid=8, bs=8)
    (p_flip, p_plain), y = learn.tta(views=FlipViews(), beta=None)
    assert p_flip.shape == p_plain.shape == (8, 11, 64, 64) and y.shape == (8, 64, 64)
    assert torch.allclose(p_flip.sum(1), torch.ones(8, 64, 64), atol=1e-4)
    with torch.no_grad():
        learn.model.eval()
        x = learn.dls.valid.one_batch()[0]
        ref = torch.softmax(learn.model(x.flip(-1)), 1).flip(-1)   # the mirrored view's prediction, mirrored back
    assert torch.allclose(p_flip, ref, atol=1e-5)
