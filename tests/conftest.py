"Shared fixtures: small learners on the embedded sample with a small validation set."
import pytest, torch
from fastai_sota.train import sota_learner

def small_learner(subset:int=96, bs:int=32, valid:int=32, seed:int=0, **kw):
    "A seeded `sota_learner` on `subset` sample images, validating on `valid` of them (`valid_subset`)."
    return sota_learner(seed=seed, subset=subset, bs=bs, valid_subset=valid, **kw)

@pytest.fixture
def make_learner():
    "The `small_learner` factory, as a fixture."
    return small_learner

def hooks(model:torch.nn.Module) -> int:
    "Number of forward (pre-)hooks left on `model`."
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
