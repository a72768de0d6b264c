"TTA in a real Learner: crop geometry on known images, decode counts, one pass vs fastai's passes, fallbacks, test dl, load_learner."
import importlib
import numpy as np, pytest, torch
from torch import nn
from PIL import Image
from fastai.learner import Learner, load_learner
from fastai.losses import CrossEntropyLossFlat
from fastai.torch_core import set_seed
from fastai.vision.core import PILImage
from fastai.vision.augment import Resize, RandomResizedCrop, FlipItem, aug_transforms
from fasttransform.transform import Transform
from fastai.vision.core import TensorImage
import fastai.callback.schedule
import fastai_sota.tta
from fastai_sota.learner import sota_learner
from fastai_sota.loaders import image_folder_dls
from fastai_sota.tta import _fastai_tta

@pytest.fixture(scope='module')
def learn(tmp_path_factory):
    l = sota_learner(seed=0, subset=200, bs=50, aug='flip_crop', path=tmp_path_factory.mktemp('tta'))
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
    learn.tta(one_pass=True)
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

def test_patch_safe_to_rerun(learn):
    from fastai.learner import Learner
    importlib.reload(fastai_sota.tta)  # as re-running the notebook cell does
    assert Learner.tta.fastai_tta.__module__ == 'fastai.learner'
    set_seed(1); ours = learn.tta(n=1)
    set_seed(1); theirs = Learner.tta.fastai_tta(learn, n=1)
    torch.testing.assert_close(ours[0], theirs[0])

class Probe(nn.Module):
    "Records every input batch; logits from the channel means."
    def __init__(self, c_in=3, n_out=2):
        super().__init__(); self.lin, self.seen = nn.Linear(c_in, n_out), []
    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.lin(x.mean((2, 3)))

def image_folder(path, size=(64, 64), n=4, seed=0):
    "A folder of random RGB PNGs (lossless) of `size` (w, h), two classes."
    rng = np.random.default_rng(seed)
    for split in ('train', 'valid'):
        for i in range(n):
            f = path/split/('a' if i % 2 else 'b')/f'{i}.png'
            f.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(f)
    return path

def probe_learner(path, item_tfms, batch_tfms=None, bs=4):
    dls = image_folder_dls(path, bs=bs, item_tfms=item_tfms, batch_tfms=batch_tfms, norm='none')
    return Learner(dls, Probe(), loss_func=CrossEntropyLossFlat())

@pytest.mark.parametrize('item', [Resize(48), RandomResizedCrop(48, min_scale=0.5)])
def test_corner_views_are_windows_of_the_larger_decode(tmp_path, item):
    learn = probe_learner(image_folder(tmp_path), [item])
    learn.model.seen = []
    preds, _ = learn.tta(use_corners=True, flip=True, beta=0.25, crop_pct=0.875)
    plain, *views = learn.model.seen  # one batch of 4: the plain view, then the 10 views
    assert len(views) == 10 and all(v.shape == (4, 3, 48, 48) for v in [plain, *views])
    items = learn.dls.valid_ds.items
    big = torch.stack([torch.tensor(np.array(Resize(55, method='squish')(PILImage.create(f)))).permute(2, 0, 1) for f in items]) / 255
    for v, (t, l) in zip(views, [(3, 3), (0, 0), (0, 7), (7, 0), (7, 7)]):  # 48-px windows of the 55-px image
        torch.testing.assert_close(v, big[..., t:t + 48, l:l + 48])
    for v, f in zip(views[5:], views[:5]): torch.testing.assert_close(v, f.flip(-1))
    # the combination is fastai's: lerp(mean of view probabilities, plain probability, beta)
    with torch.no_grad():
        probs = [learn.model(x).softmax(1) for x in [plain, *views]]
    torch.testing.assert_close(preds, torch.lerp(torch.stack(probs[1:]).mean(0), probs[0], 0.25))

def test_corners_non_square_and_batch_aug(tmp_path):
    learn = probe_learner(image_folder(tmp_path, size=(80, 64)), [Resize((48, 40))], aug_transforms(size=(48, 40), min_scale=0.75))
    learn.model.seen = []
    p, t = learn.tta(use_corners=True)
    assert all(v.shape[-2:] == (48, 40) for v in learn.model.seen) and len(learn.model.seen) == 6
    assert p.shape == (4, 2) and len(t) == 4

class TrainOnlyFlip(Transform):
    "A deterministic transform of training mode only."
    split_idx, order = 0, 30
    def encodes(self, x:TensorImage): return x.flip(-1)

def test_one_pass_equals_fastai_for_deterministic_transforms(tmp_path):
    learn = probe_learner(image_folder(tmp_path), [Resize(32)], [TrainOnlyFlip()])
    theirs = _fastai_tta(learn, n=3, beta=0.4)
    ours = learn.tta(n=3, beta=0.4, one_pass=True)
    torch.testing.assert_close(ours[0], theirs[0]); torch.testing.assert_close(ours[1], theirs[1])
    learn = probe_learner(tmp_path, [Resize(32), FlipItem(p=1.)])  # an item flip becomes a batch flip
    theirs, ours = _fastai_tta(learn, n=2, use_max=True), learn.tta(n=2, use_max=True, one_pass=True)
    torch.testing.assert_close(ours[0], theirs[0], atol=1e-5, rtol=1e-4)

def test_one_pass_falls_back_for_item_random_crops(tmp_path):
    learn = probe_learner(image_folder(tmp_path), [RandomResizedCrop(32)])
    with pytest.warns(UserWarning, match='no batch equivalent'):
        set_seed(3); ours = learn.tta(one_pass=True)
    set_seed(3); theirs = _fastai_tta(learn)
    torch.testing.assert_close(ours[0], theirs[0])

def test_ds_idx_and_use_max(learn):
    p, t = learn.tta(ds_idx=0, use_corners=True, use_max=True)
    assert len(p) == len(learn.dls.train_ds) and len(t) == len(p)
    assert (p.max(1)[0] >= learn.get_preds(ds_idx=0)[0].max(1)[0] - 0.5).all()

def test_load_learner_and_test_dl(learn):
    learn.export('tta.pkl')
    l2 = load_learner(learn.path/'tta.pkl')
    items = learn.dls.valid_ds.items[:20]
    for kw in (dict(use_corners=True), dict(one_pass=True)):
        set_seed(0); p1, t1 = learn.tta(dl=learn.dls.test_dl(items), **kw)
        set_seed(0); p2, t2 = l2.tta(dl=l2.dls.test_dl(items), **kw)
        assert t1 is None and t2 is None
        torch.testing.assert_close(p1, p2)

def test_extra_batch_tfms_are_added_not_replacing(learn):
    from fastai.vision.augment import Flip
    p_ref, _ = learn.tta(use_corners=True)
    p, _ = learn.tta(use_corners=True, batch_tfms=[Flip(p=0.)])  # a flip with p=0 changes nothing
    torch.testing.assert_close(p, p_ref)

@pytest.mark.parametrize('kw, msg', [(dict(use_corners=True, n=8), '`n` counts'), (dict(flip=True), 'use_corners=True'),
                                     (dict(use_corners=True, one_pass=True), 'choose one'), (dict(use_corners=True, crop_pct=1.2), '`crop_pct`'),
                                     (dict(one_pass=True, n=0), '`n`'), (dict(beta=-0.1, use_corners=True), '`beta`')])
def test_bad_arguments(learn, monkeypatch, kw, msg):
    c = Counting(monkeypatch)
    with pytest.raises((ValueError, TypeError), match=msg.replace('(', r'\(')): learn.tta(**kw)
    assert c.n == 0  # refused before any work
