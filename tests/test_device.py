"Ready for GPUs, checked without one: no host-device syncs per step, tensors made on the batch's device, no recompilation per batch, bf16 autocast."
from functools import partial
import pytest, torch, torch.nn.functional as F
from fastai.callback.core import Callback
from fastai.callback.fp16 import MixedPrecision
from fastai.learner import load_learner
from fastai_sota.learner import sota_learner
from fastai_sota.mix import (MixUp, CutMix, CutMixUp, FMix, ResizeMix, ManifoldMixup, cutmix, fmix, resizemix, lerp_batch,
                             mix_targets)
from fastai_sota.augment import flip_shift, FlipShift
from fastai_sota.losses import smoothed_nll, LabelSmoothingCrossEntropy, LabelSmoothingCrossEntropyFlat
from fastai_sota.ema import ema_update, ema_update_, WeightEMA
from fastai_sota.models import resnet28
from fastai_sota.progressive import ProgressiveResize
from fastai_sota.sync import StepSyncs

MIXES = {'MixUp': MixUp, 'CutMix': CutMix, 'CutMix per element': partial(CutMix, per_element=True), 'CutMixUp': CutMixUp,
         'CutMixUp per element': partial(CutMixUp, per_element=True), 'FMix': FMix, 'FMix per batch': partial(FMix, per_element=False),
         'ResizeMix': ResizeMix, 'ResizeMix per element': partial(ResizeMix, per_element=True)}
CALLBACKS = MIXES | {'ManifoldMixup': ManifoldMixup, 'ProgressiveResize': partial(ProgressiveResize, start=0.5),
                     'WeightEMA': partial(WeightEMA, 0.9, start_pct=0.)}
tiny = partial(resnet28, widths=(8, 8, 8, 8))

def small(cb_name=None, **kw):
    "A seeded learner on 256 sample images: the in-memory loader with flip-and-shift (the folder loader for ProgressiveResize)."
    if cb_name != 'ProgressiveResize': kw = dict(loader='array', aug='flip_shift') | kw
    return sota_learner(seed=0, subset=256, bs=32, valid_subset=32, **kw)

# Each callback's training steps read nothing back: tested in `nbs/07a_sync.ipynb` (the table of its measured counts).

def test_step_syncs_counts_a_read_back():
    "The counter itself: a callback of the package's kind that reads a value back each batch is counted, once per batch."
    class Reads(Callback):
        def before_batch(self): self.learn.xb[0].sum().item()
    learn, counter = small(), StepSyncs(where=__file__)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=[counter, Reads()])
    assert counter.places[f'_local_scalar_dense at test_device.py:{Reads.before_batch.__code__.co_firstlineno}'] == len(learn.dls.train)

META = torch.device('meta')
x, perm, lam = torch.rand(8, 3, 16, 16, device=META), torch.randperm(8, device=META), torch.rand(8, device=META)
y = torch.randint(0, 10, (8,), device=META)
PURE = {  # the per-batch maths on a batch that lives on the meta device, where any value read back fails
    'cutmix per element': lambda: cutmix(x, perm, lam, per_element=True), 'cutmix per batch': lambda: cutmix(x, perm, torch.tensor([0.6])),
    'fmix': lambda: fmix(x, perm, lam), 'fmix per batch': lambda: fmix(x, perm, lam[:1], per_element=False),
    'resizemix': lambda: resizemix(x, perm), 'resizemix per element': lambda: resizemix(x, perm, per_element=True),
    'lerp_batch': lambda: lerp_batch(x, perm, lam), 'mix_targets': lambda: mix_targets(y, perm, lam, 10),
    'flip_shift': lambda: flip_shift(x, 2, torch.rand(8, device=META) < 0.5, torch.randint(-2, 3, (8, 2), device=META)),
    'smoothed_nll': lambda: smoothed_nll(F.log_softmax(torch.randn(8, 10, device=META), 1), y, 0.1),
    'LabelSmoothingCrossEntropy': lambda: LabelSmoothingCrossEntropy(0.1)(torch.randn(8, 10, device=META), y),
    'ema_update_': lambda: ema_update_([torch.zeros(3, device=META)], [torch.ones(3, device=META)], 5),
}

@pytest.mark.parametrize('name', PURE)
def test_pure_functions_on_the_meta_device(name):
    out = PURE[name]()
    for t in (out if isinstance(out, tuple) else (out,)):
        if isinstance(t, torch.Tensor): assert t.device == META, name

@pytest.mark.parametrize('name', MIXES)
def test_mixes_draw_on_the_batch_device(name):
    "With `meta` as the default device, a mix of a CPU batch works only if every tensor it makes names the batch's device."
    xc, pc = torch.rand(8, 3, 16, 16), torch.randperm(8)
    with META: out, l = MIXES[name]().mix_x(xc.clone(), pc)
    assert out.device.type == l.device.type == 'cpu' and out.shape == xc.shape and l.shape == (8,)

def test_flip_shift_draws_on_the_batch_device_and_keeps_strides():
    fs, xc = FlipShift(), torch.rand(8, 3, 16, 16)
    with META: fs.before_call((xc,), 0)
    assert fs.flips.device.type == fs.shifts.device.type == 'cpu'
    out = flip_shift(xc, 2, fs.flips, fs.shifts)
    assert out.is_contiguous() and out.stride() == xc.stride()  # an ordinary (B, C, H, W) batch, not channels-last

def test_ema_foreach_update_equals_the_pure_one():
    torch.manual_seed(0)
    avg, new = [torch.randn(5), torch.randn(2, 3), torch.tensor([3])], [torch.randn(5), torch.randn(2, 3), torch.tensor([7])]
    expected = [ema_update(a, b, 4, 0.9) for a, b in zip(avg, new)]
    ema_update_(avg, new, 4, 0.9)
    for a, e in zip(avg, expected): assert torch.equal(a, e)

@pytest.mark.parametrize('name', ['ProgressiveResize', 'WeightEMA', 'ManifoldMixup', 'FMix'])
def test_bf16_autocast_fits(name):
    "bf16 autocast on the CPU (fastai's `MixedPrecision`, mended by `compat`) with each callback, the label-smoothing loss and every TTA."
    learn = small(name, arch=tiny, loss_func=LabelSmoothingCrossEntropy(0.1))  # tiny: on a CPU that emulates bf16 a step is slow
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=[CALLBACKS[name](), MixedPrecision(amp_mode='bf16')])
    assert torch.isfinite(torch.tensor(learn.recorder.losses)).all()
    learn.add_cb(MixedPrecision(amp_mode='bf16'))
    with learn.no_bar():
        tta = [learn.tta(flip_shift=1)] + ([] if name != 'ProgressiveResize' else [learn.tta(use_corners=True), learn.tta(one_pass=True)])
    for p, t in tta: assert torch.allclose(p.float().sum(1), torch.ones(len(p)), atol=1e-2) and len(p) == len(t)

@pytest.mark.parametrize('native', [True, False])
def test_bf16_on_a_cpu_without_bf16_instructions_warns(monkeypatch, native):
    "`precision='bf16'` where training runs on a CPU that emulates bf16: one warning before any work, naming the way out."
    import warnings, fastai_sota.learner as L
    from fastai_sota.learner import check_settings
    monkeypatch.setattr(L, 'cpu_has_bf16', lambda: native); monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        check_settings(precision='bf16'); check_settings(precision='fp32')
    said = [str(x.message) for x in w]
    assert len(said) == (0 if native else 1), said
    if not native: assert 'without bf16 instructions' in said[0] and "precision='fp32'" in said[0]

def test_distributed_loader_transforms_follow_the_model():
    "fastai's `DistributedTrainer._wrap_dl` (patched): the loader's `Normalize` statistics go where the model is (here `meta`)."
    from types import SimpleNamespace
    from fastai.distributed import DistributedTrainer, DistributedDL
    from fastai.data.transforms import Normalize
    learn = small()
    learn.model.to(META)
    norm = next(t for t in learn.dls.train.after_batch.fs if isinstance(t, Normalize))
    assert norm.mean.device.type == 'cpu'
    dl = DistributedTrainer._wrap_dl(SimpleNamespace(learn=learn), learn.dls.train)
    assert isinstance(dl, DistributedDL) and dl.device == META and norm.mean.device == norm.std.device == META

def test_array_loader_keeps_the_images_on_the_device():
    "On a device other than the CPU the in-memory images live there: a batch is one indexing on the device, no copy (here `meta`)."
    from fastai_sota.loaders import array_dls
    from fastai_sota.data import sample_path
    dls = array_dls(sample_path(), bs=16, subset=64, seed=0, device=META)
    assert dls.train.dataset.x.device == META and dls.train.dataset.x.dtype == torch.uint8
    xb, yb = dls.train.one_batch()
    assert xb.device == yb.device == META and xb.shape == (16, 1, 28, 28) and xb.dtype == torch.float32
    assert array_dls(sample_path(), bs=16, subset=64, seed=0, device=META, on_device=False).train.dataset.x.device.type == 'cpu'
