"""`torch.compile` with the package's callbacks: no recompilation per batch, Manifold Mixup's hook inside a compiled model.

In a file of its own that runs last: after a model has run compiled in a process, a bf16-autocast fit with progressive
resizing on the CPU gave NaN losses from its third batch in the same process (PyTorch 2.14; not in a fresh process, and
not without the resizing), so these tests stay out of the way of the bf16 fits of the other files.
"""
from functools import partial
import pytest, torch
from torch._dynamo.testing import CompileCounter
from fastai.callback.core import Callback
from fastai_sota.learner import sota_learner
from fastai_sota.mix import ManifoldMixup, lerp_batch
from fastai_sota.ema import WeightEMA
from fastai_sota.models import resnet28
from fastai_sota.sync import StepSyncs
from test_device import CALLBACKS, tiny, small
from fastai.learner import load_learner

class Frames(Callback):
    "The compiled frames after each training batch."
    order = 99
    def __init__(self, cnt): self.cnt, self.log = cnt, []
    def after_batch(self):
        if self.training: self.log.append(self.cnt.frame_count)

@pytest.mark.parametrize('name', ['MixUp', 'CutMix per element', 'ManifoldMixup', 'WeightEMA', 'ProgressiveResize'])
def test_compiled_model_no_recompilation_per_batch(name):
    "`torch.compile` (counting backend, eager kernels): the mixes and the average compile once; progressive resizing once per size."
    torch._dynamo.reset()
    learn = sota_learner(seed=0, subset=256, bs=32, valid_subset=32, arch=tiny)
    cnt = CompileCounter(); learn.model = torch.compile(learn.model, backend=cnt)
    frames, cb = Frames(cnt), CALLBACKS[name]()
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=[cb, frames])
    assert len(frames.log) == 8
    if name == 'ProgressiveResize': assert frames.log[-1] <= len({s for _, s in cb.sizes}) + 2  # + the probe's own size, once
    else: assert len(set(frames.log)) == 1, frames.log  # nothing compiled after the first batch

def test_manifold_mixup_mixes_inside_a_compiled_model():
    "The hook of a compiled model mixes the chosen module's output exactly as in eager mode."
    torch._dynamo.reset()
    learn = sota_learner(seed=0, subset=64, bs=32, arch=tiny)
    plain = learn.model
    target = plain[2]  # the first residual block
    cb = ManifoldMixup(modules=[target], include_input=False)
    learn.model = torch.compile(plain, backend='eager')
    cb.learn = learn; cb.before_fit()
    xb = learn.dls.one_batch()[0].as_subclass(torch.Tensor)
    p = torch.randperm(len(xb))
    learn.model.train()
    _, l = cb.mix_x(xb, p); cb._armed.x = xb
    got = learn.model(xb)
    cb._remove()
    h = target.register_forward_hook(lambda m, i, o: lerp_batch(o, p, l))
    expected = plain(xb); h.remove()
    torch.testing.assert_close(got, expected)
    assert not torch.allclose(expected, plain(xb))  # the mix changed the output

def test_ema_on_a_compiled_model_and_export(tmp_path):
    "The average copies the module that holds the weights (not a compile or DDP wrapper) and stays out of `export`."
    torch._dynamo.reset()
    learn = small(path=tmp_path, arch=tiny)
    learn.model = torch.compile(learn.model, backend='eager')
    ema = WeightEMA(0.9, start_pct=0.)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=ema)
    assert type(ema.ema).__name__ == 'Sequential' and ema.n_updates == len(learn.dls.train)
    assert set(ema.ema.state_dict()) == set(learn.model._orig_mod.state_dict())
    for k, v in ema.ema.state_dict().items(): torch.testing.assert_close(v, learn.model._orig_mod.state_dict()[k])  # it holds the average
    learn.model = learn.model._orig_mod
    learn.add_cb(ema); learn.export(tmp_path/'l.pkl')
    back = load_learner(tmp_path/'l.pkl')
    e2 = next(c for c in back.cbs if isinstance(c, WeightEMA))
    assert e2.ema is None and e2.raw_state is None and e2.decay == 0.9  # the callback, not two more copies of the weights


def test_fit_run_compiled_records_graphs(tmp_path):
    "A compiled `fit_run` (checkpointed each epoch): its graphs recorded, the plain model after, eager's training."
    from fastai_sota.fit import fit_run
    from fastai_sota.speedup import CompileModel
    torch._dynamo.reset()
    kw = dict(seed=0, subset=64, bs=32, valid_subset=32, arch=tiny, loader='array', ckpt=str(tmp_path/'run'))
    # `compile=True` adds CompileModel() (inductor, ~1 min to compile on 2 cores); the eager backend checks the same wiring
    learn, rec = fit_run(epochs=1, cbs=[CompileModel(backend='eager')], **kw)
    assert rec['compiled_graphs'] >= 1 and not hasattr(learn.model, '_orig_mod')  # the plain model after the fit
    eager, rec0 = fit_run(epochs=1, **kw)
    assert rec0['compiled_graphs'] is None
    assert abs(rec['final']['valid_loss'] - rec0['final']['valid_loss']) < 1e-3  # compiled kernels, the same training
