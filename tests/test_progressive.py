"ProgressiveResize in real fits: cancel/exception restore, fine_tune, lr_find, resume, aug_transforms and a mix callback."
import pytest, torch
from fastai.callback.core import Callback, CancelFitException
from fastai.vision.augment import aug_transforms
import fastai.callback.schedule
from fastai_sota.progressive import ProgressiveResize
from fastai_sota.mix import MixUp

class Spy(Callback):
    order = ProgressiveResize.order + 5
    def before_fit(self): self.sizes = []
    def before_batch(self):
        if self.training: self.sizes.append((self.epoch, self.learn.xb[0].shape[-1]))

@pytest.fixture
def learner56(make_learner):
    "A factory of small learners at 56 px (saving under `tmp_path` if given)."
    return lambda tmp_path=None, **kw: make_learner(size=56, **({'path': tmp_path} if tmp_path else {}), **kw)

def test_restores_regularization_after_cancel_and_exception(learner56):
    l, mu = learner56(batch_tfms=aug_transforms(size=56, max_rotate=20, min_scale=0.5)), MixUp(alpha=0.4)
    rot = next(t for t in l.dls.train.after_batch.fs if hasattr(t, 'aff_fs')).aff_fs[1].keywords
    class Stop(Callback):
        order = 90
        def __init__(self, exc): self.exc, self.n = exc, 0
        def after_batch(self):
            self.n += 1
            if self.training and self.n == 2: raise self.exc
    with l.no_bar(), l.no_logging(): l.fit(2, 1e-3, cbs=[ProgressiveResize(scale_reg=True), mu, Stop(CancelFitException())])
    assert mu.alpha == 0.4
    pr = ProgressiveResize(scale_reg=True, scale_aug=True)
    with pytest.raises(RuntimeError):
        with l.no_bar(), l.no_logging(): l.fit(2, 1e-3, cbs=[pr, mu, Stop(RuntimeError('boom'))])
    # an exception skips fastai's after_fit; the next fit with the callback restores first
    assert rot['max_deg'] < 20  # left weakened by the exception...
    with l.no_bar(), l.no_logging(): l.fit(1, 1e-3, cbs=[pr, mu])
    assert mu.alpha == 0.4 and rot['max_deg'] == 20  # ...and restored by the next fit's callback

def test_scale_aug_links_augmentation_strength(learner56):
    l = learner56(batch_tfms=aug_transforms(size=56, max_rotate=20, max_lighting=0.4, min_scale=0.5))
    tfms = l.dls.train.after_batch.fs
    rot = next(t for t in tfms if hasattr(t, 'aff_fs')).aff_fs[1].keywords
    crop = next(t for t in tfms if hasattr(t, 'min_scale'))
    class KnobSpy(Spy):
        def before_batch(self):
            if self.training: self.sizes.append((self.learn.xb[0].shape[-1], rot['max_deg'], crop.min_scale))
    spy = KnobSpy()
    with l.no_bar(), l.no_logging(): l.fit(3, 1e-3, cbs=[ProgressiveResize(finish_pct=0.5, scale_aug=True, min_reg=0.25), spy])
    sizes, degs, scales = zip(*spy.sizes)
    assert sizes[0] == 28 and degs[0] == pytest.approx(5.) and scales[0] == pytest.approx(0.875)
    assert sizes[-1] == 56 and degs[-1] == pytest.approx(20.) and scales[-1] == pytest.approx(0.5)
    assert list(degs) == sorted(degs) and list(scales) == sorted(scales, reverse=True)
    assert rot['max_deg'] == 20 and crop.min_scale == 0.5  # restored after the fit

def test_fine_tune_runs_schedule_in_each_fit(learner56):
    l, spy = learner56(), Spy()
    with l.no_bar(), l.no_logging(): l.fine_tune(2, 1e-3, freeze_epochs=1, cbs=[ProgressiveResize(finish_pct=0.5), spy])
    assert spy.sizes[-1][1] == 56 and max(s for _, s in spy.sizes) == 56
    assert [s for e, s in spy.sizes if e == 1] == [56] * 3  # last epoch of the unfrozen fit at full size

def test_inactive_during_lr_find(tmp_path, learner56):
    l, spy = learner56(tmp_path), Spy()
    l.add_cbs([ProgressiveResize(), spy])
    l.lr_find(num_it=4, show_plot=False)
    assert {s for _, s in spy.sizes} == {56}

def test_resume_continues_schedule(tmp_path, learner56):
    l, spy = learner56(tmp_path), Spy()
    with l.no_bar(), l.no_logging(): l.fit_one_cycle(4, 1e-3, cbs=[ProgressiveResize(finish_pct=1.), spy])
    full = spy.sizes
    l2, spy2 = learner56(tmp_path), Spy()
    with l2.no_bar(), l2.no_logging(): l2.fit_one_cycle(4, 1e-3, start_epoch=2, cbs=[ProgressiveResize(finish_pct=1.), spy2])
    assert spy2.sizes == [o for o in full if o[0] >= 2]

def test_with_aug_transforms_and_mix(learner56):
    l = learner56(subset=64, batch_tfms=aug_transforms(size=56, min_scale=0.75))
    spy = Spy()
    with l.no_bar(), l.no_logging(): l.fit(2, 1e-3, cbs=[ProgressiveResize(finish_pct=0.5), MixUp(), spy])
    assert spy.sizes[0][1] == 28 and spy.sizes[-1][1] == 56
    assert torch.isfinite(torch.tensor(l.recorder.losses)).all()
