"The house by idea: no module imports one above it, and a technique defined once is found by the commands, the bench and `all`."
import ast, pathlib, subprocess, sys
import pytest
import fastai_sota
from fastai_sota.all import _SOTA_MODULES
from fastai_sota.cli import parse_command
from fastai_sota.mix import MIXES, MixUp, mix_callback
from fastai_sota.learner import check_settings
from fastai_sota.train import sota_train, option_choices
from fastai_sota.bench import grid_rows

PKG = pathlib.Path(fastai_sota.__file__).parent

def imports_of(module:str) -> set:
    "The package modules `module` imports (absolute or relative)."
    tree, deps = ast.parse((PKG/f'{module}.py').read_text()), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module:
            if n.module.startswith('fastai_sota.'): deps.add(n.module.split('.')[1])
            elif n.level == 1: deps.add(n.module.split('.')[0])
        elif isinstance(n, ast.Import):
            deps |= {a.name.split('.')[1] for a in n.names if a.name.startswith('fastai_sota.')}
    return deps

def test_no_module_imports_one_above_it():
    order = list(_SOTA_MODULES) + ['all']  # bottom floor first, as `all` lists them
    assert sorted(order) == sorted(p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_'))
    up = {m: sorted(d for d in imports_of(m) if order.index(d) >= order.index(m)) for m in order}
    assert {m: d for m, d in up.items() if d} == {}
    assert imports_of('report') == set()  # reports read JSON: no training code

@pytest.fixture
def new_mix():
    "A mix defined in a test, as a user's would be in a module: one class with a `name`; removed from `MIXES` after."
    class HalfMix(MixUp, name='halfmix'):
        "MixUp at λ = 0.5 exactly (a toy variant)."
        def mix_x(self, x, perm):
            lam = x.new_full((len(x),), 0.5)
            return x.lerp(x[perm], 0.5), lam
    yield HalfMix
    del MIXES['halfmix']

def test_a_new_mix_is_found_everywhere(new_mix, make_learner):
    assert MIXES['halfmix'] is new_mix and type(mix_callback('halfmix', 0.3)) is new_mix
    assert mix_callback('halfmix', 0.3).alpha == 0.3  # its Beta parameter, checked by the base class
    check_settings(mix='halfmix', alpha=0.3)
    assert parse_command(sota_train, 'sota-train', ['--mix', 'halfmix'])['mix'] == 'halfmix'
    assert 'halfmix' in option_choices()['mix']
    for tier in ('smoke', 'cpu', 'crossover'): assert grid_rows(tier, ['halfmix'])['halfmix'] == dict(mix='halfmix')
    learn = make_learner(subset=64, bs=32, valid=32, mix='halfmix')
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    assert any(type(c) is new_mix for c in learn.cbs)
