"Mix callbacks in real training: every loss kind, batch sizes, validation untouched, restore after lr_find/exception."
import random
import pytest, torch, torch.nn.functional as F
from torch import nn
from fastai.callback.core import Callback
from fastai.losses import CrossEntropyLossFlat, BCEWithLogitsLossFlat
import fastai.callback.schedule
from fastai_sota.losses import LabelSmoothingCrossEntropy
from fastai_sota.mix import MixUp, CutMix, CutMixUp, FMix, ResizeMix, ManifoldMixup
from fastai_sota.learner import sota_learner
import fastai_sota.tta  # patches Learner.tta

ALL = [lambda: MixUp(), lambda: CutMix(per_element=True), lambda: CutMixUp(per_element=True), lambda: FMix(),
       lambda: ResizeMix(per_element=True), lambda: ManifoldMixup()]

@pytest.fixture(scope='module')
def learn(make_learner): return make_learner(subset=60, bs=20, valid=40)

class Spy(Callback):
    "Record the batch and loss each training step sees (after the mix callback)."
    order = 50
    def before_fit(self): self.seen = []
    def after_loss(self):
        if self.training: self.seen.append((self.learn.xb[0].detach().clone(), self.learn.yb[0].clone(), self.learn.loss.item()))

def one_step(learn, cb, x, y, mode):
    "The mix callback's part of one training step, run by hand with fixed seeds: (mixed x, target, loss)."
    torch.manual_seed(0); random.seed(0)
    cb.loss_mode, cb.learn = mode, learn
    learn.xb, learn.yb, learn.training = (x,), (y,), True
    learn.model.train()
    try:
        if isinstance(cb, ManifoldMixup): cb.before_fit()
        cb.before_batch()
        learn.pred = learn.model(*learn.xb)
        if isinstance(cb, ManifoldMixup): cb.after_pred()
        learn.loss_grad = learn.loss_func(learn.pred, *learn.yb); learn.loss = learn.loss_grad.clone()
        cb.after_loss()
        return learn.xb[0].detach(), learn.yb[0], learn.loss.item()
    finally: learn.training = False

@pytest.mark.parametrize('make', ALL)
def test_soft_and_stack_give_the_same_loss(learn, make):
    "For cross-entropy, stacking two losses and training on mixed soft targets give the same number."
    x, y = (o.as_subclass(torch.Tensor) for o in learn.dls.train.one_batch())  # as fastai's `CastToTensor` does
    learn.loss_func = nn.CrossEntropyLoss()
    xa, ya, la = one_step(learn, make(), x, y, 'stack')
    xb, yb, lb = one_step(learn, make(), x, y, 'soft')
    torch.testing.assert_close(xa, xb)
    assert ya.ndim == 1 and yb.shape == (len(y), 10)
    torch.testing.assert_close(yb.sum(1), torch.ones(len(yb)))
    assert abs(la - lb) < 1e-4, (la, lb)
    # and the unmixed loss differs: the mix did something
    learn.model.train(); assert abs(F.cross_entropy(learn.model(x), y).item() - la) > 1e-3

def test_multilabel_targets_interpolated(learn):
    spy = Spy()
    y_before = []
    class OneHot(Callback):
        order = 0
        def before_batch(self):
            self.learn.yb = (F.one_hot(self.learn.yb[0], 10).float(),); y_before.append(self.learn.yb[0])
    learn.loss_func, metrics = BCEWithLogitsLossFlat(), learn.metrics
    learn.metrics = []  # accuracy does not apply to one-hot targets
    try: learn.fit(1, 1e-3, cbs=[OneHot(), CutMix(), spy])
    finally: learn.metrics = metrics
    for (x, y, l), y0 in zip(spy.seen, y_before):
        assert y.shape == y0.shape and y.is_floating_point()
        torch.testing.assert_close(y.sum(1), torch.ones(len(y)))
        assert not torch.equal(y, y0)  # mixed

@pytest.mark.parametrize('bs', [1, 7])
@pytest.mark.parametrize('make', ALL)
def test_batch_size_one_and_odd(make, bs, make_learner):
    l = make_learner(subset=10 if bs == 1 else 14, bs=bs, valid=10, size=64)  # 64 px: BatchNorm's last stage still has 4 values at bs=1
    l.fit(1, 1e-3, cbs=make())
    assert torch.isfinite(torch.tensor(l.recorder.losses)).all()

@pytest.mark.parametrize('make', ALL)
def test_validation_and_preds_untouched(learn, make):
    learn.loss_func = CrossEntropyLossFlat()
    ref_p, _ = learn.get_preds()
    ref_loss = learn.validate()[0]
    cb = make()
    learn.add_cb(cb)
    try:
        p, _ = learn.get_preds()
        torch.testing.assert_close(p, ref_p)
        assert abs(learn.validate()[0] - ref_loss) < 1e-6
        tp, _ = learn.tta(use_corners=True)  # no mixing inside TTA either
        learn.remove_cb(cb); tp2, _ = learn.tta(use_corners=True); learn.add_cb(cb)
        torch.testing.assert_close(tp, tp2)
    finally: learn.remove_cb(cb)

@pytest.mark.parametrize('make', ALL)
def test_lr_find_restores(make, tmp_path, count_hooks):
    l = sota_learner(seed=0, subset=60, bs=20, path=tmp_path)
    lf = l.loss_func
    state = {k: v.clone() for k, v in l.model.state_dict().items()}
    l.add_cb(make())
    l.lr_find(num_it=5, show_plot=False)
    assert l.loss_func is lf and count_hooks(l.model) == 0
    for k, v in l.model.state_dict().items(): torch.testing.assert_close(v, state[k])

class Boom(Callback):
    order = 60
    def __init__(self, at): self.at, self.n = at, 0
    def after_pred(self):
        if self.training:
            self.n += 1
            if self.n == self.at: raise RuntimeError('boom')

@pytest.mark.parametrize('make', ALL)
def test_exception_in_batch_leaves_learner_clean(learn, make, count_hooks):
    learn.loss_func = lf = CrossEntropyLossFlat()
    with pytest.raises(RuntimeError, match='boom'): learn.fit(1, 1e-3, cbs=[make(), Boom(2)])
    assert learn.loss_func is lf and count_hooks(learn.model) == 0
    learn.model.train()
    x, _ = learn.dls.valid.one_batch()
    with torch.no_grad():  # no leftover mixing: two forward passes of the same batch agree in eval mode
        learn.model.eval(); a = learn.model(x); b = learn.model(x)
    torch.testing.assert_close(a, b)
    learn.fit(1, 1e-3)  # and the learner still trains

def test_manifold_hook_stale_after_exception_in_forward(count_hooks):
    "An exception inside the forward pass, before the mixed layer: the armed hook must never mix a later pass."
    import copy
    l = sota_learner(seed=0, subset=20, bs=10)
    stage1, last = l.model[4], l.model[7]
    def explode(m, inp): raise RuntimeError('fail inside the forward pass')
    h = stage1.register_forward_pre_hook(explode)
    cb = ManifoldMixup(modules=[last], include_input=False)
    with pytest.raises(RuntimeError, match='inside the forward'): l.fit(1, 1e-3, cbs=cb)
    h.remove()
    clean = copy.deepcopy(l.model)
    for m in clean.modules(): m._forward_hooks.clear(); m._forward_pre_hooks.clear()
    x, _ = l.dls.valid.one_batch()
    l.model.train(); clean.train()
    torch.testing.assert_close(l.model(x), clean(x))  # a training-mode forward with gradients: not mixed
    assert count_hooks(l.model) == 0  # and the stale hooks removed themselves
    l.fit(1, 1e-3, cbs=ManifoldMixup())
    assert count_hooks(l.model) == 0

@pytest.mark.parametrize('make', ALL)
def test_autocast_bf16_and_channels_last(learn, make):
    from fastai.callback.fp16 import MixedPrecision
    from fastai.callback.channelslast import ChannelsLast
    learn.loss_func = LabelSmoothingCrossEntropy(0.1)
    learn.fit(1, 1e-3, cbs=[make(), MixedPrecision(amp_mode='bf16'), ChannelsLast()])
    assert torch.isfinite(torch.tensor(learn.recorder.losses)).all()
    learn.model.to(memory_format=torch.contiguous_format)

def test_non_image_input_rejected():
    x = torch.rand(6, 10)
    for cb in (CutMix(), FMix(), ResizeMix(), CutMixUp()):
        with pytest.raises(ValueError, match=r'\(B, C, H, W\)'): cb.mix_x(x, torch.arange(6))

def test_manifold_modules_under_ddp_names(tmp_path, make_learner, count_hooks):
    "Under DistributedDataParallel, names gain a `module.` prefix: the default rule and named modules still find the same layers."
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from fastai_sota.mix import default_mix_modules
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg', rank=0, world_size=1)
    try:
        l = make_learner(subset=40, bs=20, valid=20)
        model = l.model
        ddp = DistributedDataParallel(model)
        assert default_mix_modules(ddp) == default_mix_modules(model) == [model[4], model[5], model[6]]
        for names in (['4', '6'], ['module.4', 'module.6']):
            cb = ManifoldMixup(modules=names, include_input=False)
            l.model = ddp; cb.learn = l
            cb.before_fit()
            assert cb._mods == [model[4], model[6]], names
        l.model = model
        l.fit(1, 1e-3, cbs=ManifoldMixup(modules=['module.5']))  # a DDP-style name on a plain model trains too
        assert count_hooks(l.model) == 0
    finally: dist.destroy_process_group()
