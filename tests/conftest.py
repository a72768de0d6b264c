"Shared fixtures: small learners on the embedded sample with a small validation set, and a count of hooks left behind."
import os
import pytest, torch
from fastai_sota.learner import sota_learner

def _share_cores():
    "Under pytest-xdist, each worker takes its share of the cores, for itself and the processes it starts (unless `OMP_NUM_THREADS` is set)."
    n = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', 1))
    if n < 2 or 'OMP_NUM_THREADS' in os.environ: return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    threads = max(1, cores // n)
    os.environ['OMP_NUM_THREADS'] = str(threads); torch.set_num_threads(threads)
_share_cores()  # workers that each take every core oversubscribe them

def _small_learner(subset:int=96, bs:int=32, valid:int=32, seed:int=0, **kw):
    "A seeded `sota_learner` on `subset` sample images, validating on `valid` of them (`valid_subset`)."
    return sota_learner(seed=seed, subset=subset, bs=bs, valid_subset=valid, **kw)

def _hooks(model:torch.nn.Module) -> int:
    "Number of forward (pre-)hooks left on `model`."
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())

@pytest.fixture(scope='session')
def make_learner():
    "The factory of small seeded learners: `make_learner(subset=96, bs=32, valid=32, seed=0, **sota_learner_kwargs)`."
    return _small_learner

@pytest.fixture(scope='session')
def count_hooks():
    "The number of forward (pre-)hooks left on a model: `count_hooks(model)`."
    return _hooks
