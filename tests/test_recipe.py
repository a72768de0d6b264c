"The `cpu10` recipe: its expansion, its parts wired into `sota_learner`/`fit_run`/`sota-train`, and a smoke run on the embedded sample."
import json
import pytest, torch
from fastai_sota.recipes import RECIPES, apply_recipe, recipe_flags
from fastai_sota.learner import sota_learner
from fastai_sota.fit import fit_run
from fastai_sota.train import sota_train, main
from fastai_sota.cli import given_options
from fastai_sota.tta import tta_preds
from fastai_sota.loaders import ArrayDL
from fastai_sota.ema import WeightEMA
from fastai_sota.augment import FlipShift
from fastai_sota.speedup import cpu_has_bf16
from fastai.metrics import accuracy
from test_cli import console

SMOKE = dict(data='sample', subset=512, valid_subset=100, epochs=3, bs=64)  # the recipe, shrunk to the embedded sample

def test_apply_recipe_fills_only_unset():
    s = apply_recipe(sota_learner, 'cpu10', dict(bs=32, ls=0.))
    assert s['bs'] == 32 and s['loader'] == 'array' and s['arch'] == 'resnet28' and s['ema'] == RECIPES['cpu10']['ema']
    assert s['ls'] == RECIPES['cpu10']['ls']  # at its default: the recipe's (in Python; the command line can say --ls 0)
    assert 'epochs' not in s and 'tta' not in s  # not arguments of `sota_learner`
    assert apply_recipe(sota_learner, 'cpu10', dict(ls=0.), given={'ls'})['ls'] == 0.
    with pytest.raises(ValueError, match='`recipe` must be one of'): apply_recipe(sota_learner, 'gpu5', {})

def test_given_options():
    assert given_options(['--recipe', 'cpu10', '--ls=0', '--valid-subset', '5']) == {'recipe', 'ls', 'valid_subset'}

def test_learner_from_recipe():
    learn = sota_learner(recipe='cpu10', data='sample', subset=128, valid_subset=50, bs=64)
    assert isinstance(learn.dls.train, ArrayDL) and any(isinstance(c, WeightEMA) for c in learn.cbs)
    assert any(isinstance(t, FlipShift) for t in learn.dls.train.after_batch.fs)
    assert type(learn.loss_func).__name__ == 'LabelSmoothingCrossEntropy' and learn.loss_func.eps == RECIPES['cpu10']['ls']
    assert type(learn.model[1][1]).__name__ == 'MaxPool2d'  # resnet28
    assert [len(dl.dataset) for dl in learn.dls.loaders] == [128, 50, 500]

def test_fit_run_recipe_smoke():
    "The recipe's whole path on the sample: array loader, EMA, label smoothing, flip-and-shift TTA, the raw-weights ablation."
    learn, rec = fit_run(recipe='cpu10', seed=0, **SMOKE)
    f = rec['final']
    assert rec['train_iters'] == 3 * (512 // 64)
    for k in ('accuracy', 'accuracy_tta', 'accuracy_raw_weights', 'accuracy_tta_raw_weights', 'ece'): assert 0 <= f[k] <= 1, (k, f)
    assert f['accuracy'] > 0.4 and f['accuracy_raw_weights'] > 0.4, f  # 10 classes: it learned in 24 steps
    p, y = tta_preds(learn, 'flip_shift', learn.dls[2])
    assert abs(accuracy(p, y).item() - f['accuracy_tta']) < 1e-6  # the model still holds the average after the ablation
    learn2, rec2 = fit_run(recipe='cpu10', seed=0, **SMOKE)
    assert rec2['final']['accuracy'] == f['accuracy']  # seeded: the same run again

def test_sota_train_recipe_records_flags(tmp_path, capsys):
    main(['--recipe', 'cpu10', '--data', 'sample', '--subset', '128', '--valid-subset', '50', '--epochs', '1', '--bs', '64',
          '--ls', '0', '--out', str(tmp_path)])
    out = capsys.readouterr().out
    assert f"recipe cpu10: {recipe_flags('cpu10')}" in out
    res = json.loads((tmp_path/'sota_train.json').read_text())
    assert res['recipe'] == dict(name='cpu10', flags=recipe_flags('cpu10'))
    s = res['settings']
    assert (s['ls'], s['loader'], s['arch'], s['data'], s['epochs']) == (0., 'array', 'resnet28', 'sample', 1)  # --ls 0 given: kept
    assert '--recipe cpu10' in res['command'] and '--ls 0.0' in res['command'] and '--arch' not in res['command'] and res['startup_s'] > 0
    assert {'accuracy_tta', 'accuracy_raw_weights'} <= set(res['runs'][0]['final'])

def test_recipe_on_the_sample_fits_its_validation_subset(tmp_path, capsys):
    "The recipe's 1,000-image validation subset on the sample's 500 validation images: all of them, said in one line."
    learn = sota_learner(recipe='cpu10', data='sample', subset=512)
    assert [len(dl.dataset) for dl in learn.dls.loaders] == [512, 500, 500]
    assert sota_learner(recipe='cpu10', data='sample', subset=512, holdout=300).dls.loaders[1].n == 300  # the holdout's size
    main(['--recipe', 'cpu10', '--data', 'sample', '--subset', '512', '--epochs', '1', '--out', str(tmp_path)])
    assert '--valid-subset 500: all the validation images of sample' in capsys.readouterr().out
    res = json.loads((tmp_path/'sota_train.json').read_text())
    assert res['settings']['valid_subset'] == 500 and res['runs'][0]['final']['accuracy'] > 0
    with pytest.raises(SystemExit) as e: main(['--recipe', 'cpu10', '--data', 'sample', '--valid-subset', '501', '--out', str(tmp_path)])
    assert e.value.code == 2 and '`valid_subset` must be a whole number in [1, 500], got 501' in capsys.readouterr().err

def test_cpu10_bf16_smoke_repeats_exactly():
    "The new recipe's whole path on the sample (bf16 autocast, channels-last, patch whitening, EMA, TTA): seeded, the same run twice."
    from fastai.callback.fp16 import MixedPrecision
    from fastai.callback.channelslast import ChannelsLast
    learn, rec = fit_run(recipe='cpu10_bf16', seed=0, **SMOKE)
    assert any(isinstance(c, MixedPrecision) for c in learn.cbs) and any(isinstance(c, ChannelsLast) for c in learn.cbs)
    assert any(isinstance(c, WeightEMA) for c in learn.cbs) and learn.loss_func.eps == RECIPES['cpu10_bf16']['ls']
    f = rec['final']
    assert rec['train_iters'] == 3 * (512 // 64) and f['accuracy'] > 0.4 and 0 <= f['accuracy_tta'] <= 1, f
    _, rec2 = fit_run(recipe='cpu10_bf16', seed=0, **SMOKE)
    assert (rec2['final']['accuracy'], rec2['final']['accuracy_tta']) == (f['accuracy'], f['accuracy_tta'])
    _, rec3 = fit_run(recipe='cpu10_bf16', seed=1, **SMOKE)
    assert rec3['final'] != f  # another seed, another run: the equality above is not a constant

def test_cpu10_bf16_as_a_user_runs_it(tmp_path):
    "`sota-train --recipe cpu10_bf16` as installed, shrunk to the sample: exit 0, the flags it stands for, the settings recorded."
    p = console('sota-train', '--recipe', 'cpu10_bf16', '--data', 'sample', '--subset', '256', '--valid-subset', '100',
                '--epochs', '1', '--bs', '64', '--out', str(tmp_path), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert f"recipe cpu10_bf16: {recipe_flags('cpu10_bf16')}" in p.stdout
    emulated = not torch.cuda.is_available() and not cpu_has_bf16()  # this machine's CPU: bf16 slower than fp32, said once
    assert p.stderr.count("sota-train: warning: precision='bf16' on a CPU without bf16 instructions") == int(emulated), p.stderr[-2000:]
    assert p.stderr.count('without bf16 instructions') == int(emulated)  # one line, not the line of code under it
    res = json.loads((tmp_path/'sota_train.json').read_text())
    s = res['settings']
    assert (s['precision'], s['channels_last'], s['whiten'], s['arch'], s['epochs']) == ('bf16', True, True, 'resnet28', 1)
    assert 0 <= res['runs'][0]['final']['accuracy_tta'] <= 1
