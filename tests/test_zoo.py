"""The model zoo: every callback of the package on the models fastai users bring, one short fit each on tiny data.

Each cell is 'ok' (a fit, or predictions, ran and left the learner clean) or a refusal before training. The only refusal
allowed is `ProgressiveResize` on a model with a fixed input size (the ViT). With `FASTAI_SOTA_ZOO_TABLE=path` the test
writes the table it measured to `path` (JSON), which the docs show: `FASTAI_SOTA_ZOO_TABLE=results/model_zoo.json pytest tests/test_zoo.py`.
"""
import json, os
from functools import partial
import pytest, torch
from torch import nn
from fastai.learner import Learner
from fastai.layers import ConvLayer
from fastai.losses import CrossEntropyLossFlat
from fastai.vision.learner import vision_learner
from fastai.vision.models.xresnet import xresnet18
import torchvision
from fastai_sota.loaders import image_folder_dls
from fastai_sota.fit import versions
from fastai_sota.data import sample_path, representative_subset
from fastai_sota.mix import MixUp, CutMix, CutMixUp, FMix, ResizeMix, ManifoldMixup, default_mix_modules
from fastai_sota.progressive import ProgressiveResize
from fastai_sota.losses import LabelSmoothingCrossEntropy
import fastai_sota.tta

SIZE = 64  # half size (32 px) is still large enough for every model's stem and stages

def plain_cnn(n_out=10, n_in=1):
    return nn.Sequential(ConvLayer(n_in, 16, stride=2), ConvLayer(16, 32, stride=2), ConvLayer(32, 64, stride=2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, n_out))

MODELS = {  # name: how a user builds the learner from `dls`
    'fastai xresnet18': lambda dls: vision_learner(dls, xresnet18, pretrained=False, n_in=1),
    'torchvision resnet18': lambda dls: vision_learner(dls, torchvision.models.resnet18, pretrained=False, n_in=1),
    'timm resnet18d': lambda dls: vision_learner(dls, 'resnet18d', pretrained=False, n_in=1),
    'timm convnext_atto': lambda dls: vision_learner(dls, 'convnext_atto', pretrained=False, n_in=1),
    'timm efficientnet_b0': lambda dls: vision_learner(dls, 'efficientnet_b0', pretrained=False, n_in=1),
    f'timm vit_tiny_patch16_224, img_size={SIZE}': lambda dls: vision_learner(dls, 'vit_tiny_patch16_224', pretrained=False, n_in=1, img_size=SIZE),
    'plain CNN of ConvLayers': lambda dls: Learner(dls, plain_cnn(), loss_func=CrossEntropyLossFlat()),
}
MIXES = {'MixUp': MixUp, 'CutMix': CutMix, 'CutMixUp': partial(CutMixUp, per_element=True), 'FMix': FMix, 'ResizeMix': ResizeMix,
         'ManifoldMixup': ManifoldMixup}
COLUMNS = [*MIXES, 'ProgressiveResize(start=0.5)', 'corner TTA', 'one-pass TTA', 'LabelSmoothingCrossEntropy']
REFUSALS = {(f'timm vit_tiny_patch16_224, img_size={SIZE}', 'ProgressiveResize(start=0.5)'): 'cannot be resized progressively'}
TABLE = {}

@pytest.fixture(scope='module')
def dls():
    d = image_folder_dls(sample_path(), size=SIZE, bs=16, subset=32, seed=0)
    d.loaders[1] = d.test_dl(representative_subset(d.valid_ds.items, n=16, seed=0), with_labels=True)
    return d

def run_cell(learn, col, count_hooks):
    "Run one cell; 'ok' or the refusal's message."
    if col in ('corner TTA', 'one-pass TTA'):
        p, t = learn.tta(use_corners=True, flip=True) if col == 'corner TTA' else learn.tta(one_pass=True)
        assert p.shape == (len(learn.dls.valid_ds), learn.dls.c) and torch.allclose(p.sum(1), torch.ones(len(p)), atol=1e-4)
        return 'ok'
    cbs = ([MIXES[col]()] if col in MIXES else [ProgressiveResize(start=0.5)] if col.startswith('Progressive') else [])
    if col == 'LabelSmoothingCrossEntropy': learn.loss_func = LabelSmoothingCrossEntropy(0.1)
    lf = learn.loss_func
    try:
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=cbs)
    except ValueError as e:
        assert learn.train_iter == 0, 'refused after training had begun'  # refused in `before_fit`, before any batch
        return f'refused: {e}'
    assert learn.loss_func is lf and count_hooks(learn.model) == 0 and torch.isfinite(torch.tensor(learn.recorder.losses)).all()
    if col == 'ManifoldMixup': return f'ok ({len(default_mix_modules(learn.model))} eligible modules + the input)'
    return 'ok'

@pytest.mark.parametrize('model', MODELS)
def test_model_zoo(dls, model, count_hooks):
    torch.manual_seed(0)
    learn = MODELS[model](dls)
    row = TABLE[model] = {}
    for col in COLUMNS:
        row[col] = run_cell(learn, col, count_hooks)
        expected = REFUSALS.get((model, col))
        if expected is None: assert row[col].startswith('ok'), (model, col, row[col])
        else: assert row[col].startswith('refused') and expected in row[col], (model, col, row[col])

SMALL = {  # at 32 px, half size is 16 px: what each model does with ProgressiveResize(start=0.5), said before the first batch
    'torchvision resnet18': (lambda dls: vision_learner(dls, torchvision.models.resnet18, pretrained=False, n_in=1), None),
    'timm convnext_atto': (lambda dls: vision_learner(dls, 'convnext_atto', pretrained=False, n_in=1),
                           'needs inputs of at least 32 px, its full training size'),
    'timm vit_tiny_patch16_224, img_size=32': (
        lambda dls: vision_learner(dls, 'vit_tiny_patch16_224', pretrained=False, n_in=1, img_size=32), 'cannot be resized progressively'),
}

@pytest.mark.parametrize('model', SMALL)
def test_progressive_refuses_before_training_at_32px(model):
    "`vision_learner` models (their heads hold a `BatchNorm1d`) at 32 px: trained, or refused in `before_fit` with the reason."
    d = image_folder_dls(sample_path(), size=32, bs=16, subset=32, seed=0)
    d.loaders[1] = d.test_dl(representative_subset(d.valid_ds.items, n=16, seed=0), with_labels=True)
    torch.manual_seed(0)
    build, refusal = SMALL[model]
    learn, cb = build(d), ProgressiveResize(start=0.5)
    learn.model.train()
    if refusal is None:
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=cb)
        assert [s for _, s in cb.sizes] == [16, 32]  # two batches: 16 px, then the full size from half of training
        return
    with pytest.raises(ValueError, match=refusal), learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=cb)
    assert learn.train_iter == 0 and learn.model.training  # refused before the first batch; the model's mode restored

def test_write_table():
    "Write the table measured above (all rows ran first: pytest keeps file order)."
    dest = os.environ.get('FASTAI_SOTA_ZOO_TABLE')
    if not dest: pytest.skip('set FASTAI_SOTA_ZOO_TABLE to write the table')
    assert set(TABLE) == set(MODELS)
    with open(dest, 'w') as f:
        json.dump(dict(command=f'FASTAI_SOTA_ZOO_TABLE={dest} pytest tests/test_zoo.py', size=SIZE, columns=COLUMNS,
                       table=TABLE, versions=versions() | {'timm': __import__('timm').__version__,
                                                            'torchvision': torchvision.__version__}), f, indent=2)
