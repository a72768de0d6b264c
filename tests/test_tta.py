"Corner-crop TTA in a real Learner: decode count, fastai equivalence, test dl, load_learner."
import torch
from fastai.learner import load_learner
from fastai.data.transforms import get_image_files
from fastai.torch_core import set_seed
from fastai.vision.core import PILImageBW
import fastai.callback.schedule
from fastai_sota.train import sota_learner
from fastai_sota.data import sample_path
from fastai_sota.tta import _fastai_tta
import pytest

@pytest.fixture(scope='module')
def learn(tmp_path_factory):
    l = sota_learner(seed=0, subset=200, bs=50, path=tmp_path_factory.mktemp('tta'))
    l.fit(1, 1e-3)
    return l

class Counting:
    "Count calls of fastai's `load_image`: every image read and decoded by `PILImage.create`."
    def __init__(self, monkeypatch):
        import fastai.vision.core as fvc
        self.n, orig = 0, fvc.load_image
        def load_image(*args, **kw):
            self.n += 1
            return orig(*args, **kw)
        monkeypatch.setattr(fvc, 'load_image', load_image)

def test_each_item_decoded_once(learn, monkeypatch):
    n = len(learn.dls.valid_ds)
    c = Counting(monkeypatch)
    learn.tta(use_corners=True, flip=True)
    assert c.n == n
    c.n = 0
    learn.tta(n=4)
    assert c.n == 5 * n  # fastai: n augmented passes + the plain one

def test_fastai_path_unchanged(learn):
    set_seed(1); ours = learn.tta()
    set_seed(1); theirs = _fastai_tta(learn)
    torch.testing.assert_close(ours[0], theirs[0]); torch.testing.assert_close(ours[1], theirs[1])
    set_seed(2); ours = learn.tta(n=2, beta=None)
    set_seed(2); theirs = _fastai_tta(learn, n=2, beta=None)
    torch.testing.assert_close(ours[0][0], theirs[0][0])

def test_corner_views_equal_manual_average(learn):
    from fastai_sota.tta import multi_views
    xb, yb = learn.dls.valid.one_batch()
    learn.model.eval()
    with torch.no_grad():
        views = multi_views(xb, 0.8, flip=True)
        expect = torch.stack([learn.model(v).softmax(1) for v in views]).mean(0)
        expect = torch.lerp(expect, learn.model(xb).softmax(1), 0.3)
    preds, targs = learn.tta(use_corners=True, crop_pct=0.8, flip=True, beta=0.3)
    torch.testing.assert_close(preds[:len(xb)], expect, atol=1e-5, rtol=1e-4)
    assert (targs[:len(yb)] == yb).all()

def test_ds_idx_and_use_max(learn):
    p, t = learn.tta(ds_idx=0, use_corners=True, use_max=True)
    assert len(p) == len(learn.dls.train_ds) and len(t) == len(p)
    assert (p.max(1)[0] >= learn.get_preds(ds_idx=0)[0].max(1)[0] - 1e-5).all()  # the max never lowers the top probability

def test_load_learner_round_trip(learn):
    learn.export('tta.pkl')
    l2 = load_learner(learn.path/'tta.pkl')
    items = learn.dls.valid_ds.items[:20]
    p1, t1 = learn.tta(dl=learn.dls.test_dl(items), use_corners=True)
    p2, t2 = l2.tta(dl=l2.dls.test_dl(items), use_corners=True)
    assert t1 is None and t2 is None
    torch.testing.assert_close(p1, p2)

def test_extra_batch_tfms_are_added_not_replacing(learn):
    from fastai.vision.augment import Flip
    p_ref, _ = learn.tta(use_corners=True)
    # a flip with p=0 changes nothing: the normalized pipeline must stay in place
    p, _ = learn.tta(use_corners=True, batch_tfms=[Flip(p=0.)])
    torch.testing.assert_close(p, p_ref)
