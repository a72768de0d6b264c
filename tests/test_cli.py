"The `sota-train` command as a user runs it."
import json, subprocess, sys
from pathlib import Path
import pytest

def run(*args, cwd=None):
    "`sota-train ARGS` through the console script pip installed, as a shell runs it."
    return console('sota-train', *args, cwd=cwd)

def assert_fails(tmp_path, *args, msg):
    "`sota-train ARGS` exits with status 2 and one line on stderr that contains `msg`, no traceback."
    p = run(*args, '--out', str(tmp_path/'x.json'))
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert p.returncode == 2 and len(lines) == 1 and msg in lines[0] and lines[0].startswith('sota-train: error:'), (args, p.stderr[-800:])

BAD_FLAGS = [  # every flag of `sota-train` with a bad value, and what the one-line error says
    (('--data', 'cifar10'), '`data` must be one of'), (('--size', '0'), '`size` must be a whole number in [1, inf]'),
    (('--size', 'big'), "argument --size: invalid int value: 'big'"), (('--epochs', '0'), '`epochs` must be a whole number'),
    (('--bs', '-1'), '`bs` must be a whole number'), (('--lr', '0'), '`lr` must be a number in (0, inf]'),
    (('--lr', 'nan'), '`lr` must be a number'), (('--sched', 'cosine'), '`sched` must be one of'),
    (('--opt', 'adamw'), '`opt` must be one of'), (('--wd', '1.5'), '`wd` must be a number in [0, 1)'),
    (('--arch', 'resnet9000'), '`arch` must be one of'), (('--seed', '-3'), '`seed` must be a whole number in [0, inf]'),
    (('--runs', '0'), '`runs` must be a whole number'), (('--norm', 'imagenet'), '`norm` must be one of'),
    (('--subset', '0'), '`subset` must be a whole number'), (('--subset', '50'), 'smaller than the batch size'), (('--valid-subset', '0'), '`valid_subset` must be a whole number'), (('--holdout', '-5'), '`holdout` must be a whole number'),
    (('--aug', 'heavy'), '`aug` must be one of'), (('--mix', 'mixout'), '`mix` must be one of'),
    (('--mix', 'mixup', '--alpha', '0'), '`alpha` must be a number in (0, inf]'), (('--alpha', '1'), '`alpha` does not apply'),
    (('--ls', '1'), '`ls` must be a number in [0, 1)'), (('--progressive', '0'), '`start` must be'),
    (('--scale-reg',), 'give `progressive` too'), (('--tta', 'ten_crop'), '`tta` must be one of'),
    (('--precision', 'fp8'), '`precision` must be one of'), (('--precision', 'fp16'), 'needs a CUDA GPU'),
    (('--resume', 'yes'), 'unrecognized arguments: yes'), (('--channels-last', '1'), 'unrecognized arguments: 1'),
    (('--out',), 'expected one argument'), (('--loader', 'lmdb'), '`loader` must be one of'),
    (('--loader', 'array', '--progressive', '0.5'), "`loader='array'` decodes each image once"),
    (('--loader', 'array', '--norm', 'batch'), "normalizes with the exact statistics"), (('--ema', '1'), '`ema` must be a number in [0, 1)'),
    (('--valid-subset', '900'), '`valid_subset` must be a whole number in [1, 500], got 900'),
    (('--subset', '5000'), '`subset` must be a whole number in [1, 2000], got 5000'), (('--holdout', '2000'), '`holdout` must be a whole number in [1, 1999]'),
    (('--recipe', 'gpu5'), '`recipe` must be one of'), (('--progressive-finish', '0.5'), 'give `progressive` too'),
    (('--progressive', '0.5', '--progressive-finish', '1.5'), '`progressive_finish` must be a number in (0, 1]'), (('--recipe', 'cpu10', '--ema', '-0.5'), '`ema` must be a number'),
    (('--label-noise', '1'), '`label_noise` must be a number in [0, 1), got 1.0'), (('--label-noise', '0.2:flip'), "`label_noise kind` must be one of ('symmetric', 'pairwise')"),
    (('--label-noise', 'some'), "'RATE:KIND'"), (('--loss', 'mae'), "`loss` must be one of ('cross_entropy', 'gce')"),
    (('--loss', 'gce', '--ls', '0.1'), "`loss='gce'` is its own loss"),
    (('--alt-flip',), "`alt_flip` mirrors the training images held in memory: it needs loader='array'"),
    (('--alt-flip', '--loader', 'array', '--aug', 'flip_crop'), "`alt_flip` replaces the random flips"),
    (('--opt', 'lookahead2'), '`opt` must be one of'), (('--recipe', 'cpu10', '--holdout', '60000'), '`holdout` must be a whole number in [1, 59999]'),
]

@pytest.mark.parametrize('args, msg', BAD_FLAGS)
def test_every_flag_bad_value_one_line(args, msg, capsys, tmp_path):
    "In process (fast): each bad value ends in one line on stderr and exit status 2, before any data is read."
    from fastai_sota.train import main
    with pytest.raises(SystemExit) as e: main([*args] + ([] if args == ('--out',) else ['--out', str(tmp_path/'x.json')]))
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count('\n') == 1 and err.startswith('sota-train: error:') and msg in err, err
    assert not any(tmp_path.iterdir())  # nothing written

def test_bad_input_as_a_user_sees_it(tmp_path):
    "The same through a real process: one line, no traceback."
    assert_fails(tmp_path, '--norm', 'imagenet', msg='`norm` must be one of')
    assert_fails(tmp_path, '--data', str(tmp_path/'nowhere'), msg='`data` must be one of')

def test_sota_train_writes_results(tmp_path):
    out = tmp_path/'res'/'r.json'
    p = run('--epochs', '2', '--subset', '400', '--runs', '2', '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'final accuracy:' in p.stdout and 'train_loss' in p.stdout  # fastai's epoch table
    res = json.loads(out.read_text())
    assert res['settings']['subset'] == 400 and res['summary']['n'] == 2 and res['summary']['seeds'] == [42, 43]
    accs = [r['final']['accuracy'] for r in res['runs']]
    assert all(0.2 < a <= 1 for a in accs), accs  # 10 classes: far above chance after 2 epochs
    assert abs(res['summary']['accuracy'] - sum(accs) / 2) < 1e-12
    assert [e['epoch'] for e in res['runs'][0]['epochs']] == [0, 1]
    assert {'torch', 'fastai', 'fastai_sota'} <= set(res['versions']) and res['wall_time_s'] > 0

def test_sota_train_same_seed_same_result(tmp_path):
    "The same seed twice gives the same result; `--out DIR/` writes inside it; a finished run exits 0, prints no dict."
    p0 = run('--epochs', '1', '--subset', '200', '--out', str(tmp_path/'0.json'))
    p1 = run('--epochs', '1', '--subset', '200', '--out', f'{tmp_path/"d"}/')
    for p in (p0, p1):
        assert p.returncode == 0 and 'final accuracy:' in p.stdout, p.stderr[-2000:]
        assert "{'command'" not in p.stdout + p.stderr and 'Traceback' not in p.stderr and 'FutureWarning' not in p.stderr
    assert (tmp_path/'d'/'sota_train.json').exists() and (tmp_path/'d'/'sota_train_seed42.pkl').exists()
    r = [json.loads(f.read_text()) for f in (tmp_path/'0.json', tmp_path/'d'/'sota_train.json')]
    assert r[0]['runs'][0]['final'] == r[1]['runs'][0]['final']

def test_sota_train_techniques_as_flags(tmp_path):
    out = tmp_path/'t.json'
    p = run('--epochs', '1', '--subset', '200', '--mix', 'cutmixup', '--alpha', '0.5', '--ls', '0.1', '--tta', 'corners_flip',
            '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res['settings']['mix'] == 'cutmixup' and res['settings']['ls'] == 0.1
    assert 0 <= res['runs'][0]['final']['accuracy_tta'] <= 1 and 'with corners_flip TTA' in p.stdout

def test_sota_train_all_flags(tmp_path):
    out = tmp_path/'f.json'
    p = run('--epochs', '1', '--subset', '200', '--bs', '16', '--sched', 'flat_cos', '--opt', 'sgd', '--wd', '0.05', '--precision', 'bf16',
            '--channels-last', '--aug', 'flip_crop', '--progressive', '0.5', '--scale-reg', '--mix', 'mixup', '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(out.read_text())
    s = res['settings']
    assert (s['sched'], s['opt'], s['wd'], s['precision'], s['channels_last'], s['scale_reg']) == ('flat_cos', 'sgd', 0.05, 'bf16', True, True)
    r = res['runs'][0]
    assert r['sizes'][0][1] == 14 and r['sizes'][-1][1] == 28 and r['peak_rss_mb'] > 100
    run_file = json.loads((tmp_path/'f_seed42.json').read_text())
    assert run_file['run']['final'] == r['final'] and run_file['settings'] == s
    from fastai.learner import load_learner
    learn = load_learner(tmp_path/'f_seed42.pkl')
    assert {'ProgressiveResize', 'MixUp'} <= {type(c).__name__ for c in learn.cbs}  # (fastai's export drops MixedPrecision)

def test_sota_train_resume(tmp_path):
    from fastai.callback.core import Callback
    from fastai_sota.fit import fit_run, EpochLog
    class Stop(Callback):
        order = EpochLog.order + 1
        def after_epoch(self):
            if self.epoch == 0: raise KeyboardInterrupt
    try: fit_run(epochs=2, seed=42, subset=200, ckpt=tmp_path/'r_seed42_ckpt', cbs=[Stop()])  # the CLI's defaults and file names
    except KeyboardInterrupt: pass
    assert (tmp_path/'r_seed42_ckpt.pth').exists()
    p = run('--epochs', '2', '--subset', '200', '--resume', '--out', str(tmp_path/'r.json'))
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads((tmp_path/'r.json').read_text())['runs'][0]
    assert r['resumed_from'] == 1 and [e['epoch'] for e in r['epochs']] == [0, 1]
    assert (tmp_path/'r_seed42.pkl').exists() and not (tmp_path/'r_seed42_ckpt.pth').exists()
    p = run('--epochs', '2', '--subset', '200', '--resume', '--out', str(tmp_path/'r.json'))  # nothing left to do
    assert p.returncode == 0 and 'already complete' in p.stdout, p.stderr[-3000:]
    assert json.loads((tmp_path/'r.json').read_text())['runs'][0] == r

def console(name, *args, cwd=None):
    "The console script `name` that pip installed beside this Python, run as a shell runs it."
    script = Path(sys.executable).parent/name
    assert script.exists(), f'{script}: the package is not installed (pip install -e .)'
    return subprocess.run([str(script), *args], capture_output=True, text=True, cwd=cwd, timeout=600)

def test_console_script_exit_status_done_bad_failed(tmp_path):
    "`sota-train` as installed: 2 on bad input (one line), 1 when the run fails (0 after a run: every test that runs it)."
    p = console('sota-train', '--epochs', '0', cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.strip().splitlines() == ['sota-train: error: `epochs` must be a whole number in [1, inf], got 0']
    # a run that fails while running: resuming from a damaged checkpoint
    fail = tmp_path/'fail'; fail.mkdir()
    (fail/'sota_train_seed42_ckpt.pth').write_bytes(b'not a checkpoint')
    (fail/'sota_train_seed42_ckpt.json').write_text(json.dumps(dict(epochs=[dict(epoch=0, accuracy=0.5)])))
    p = console('sota-train', '--epochs', '2', '--subset', '100', '--resume', '--out', str(fail), cwd=tmp_path)
    assert p.returncode == 1 and 'Traceback' in p.stderr, p.stderr[-2000:]
    assert p.stderr.strip().splitlines()[-1].startswith('sota-train: failed: ')

def test_bench_console_script_exit_status(tmp_path):
    "`sota-bench` as installed: 0 after a grid (the table printed, no results dict), 1 when the run fails."
    p = console('sota-bench', '--tier', 'crossover_smoke', '--seeds', '1', '--only', 'no mix', '--epochs', '1', '--subset', '64',
                '--out', str(tmp_path), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert '| no mix' in p.stdout and "{'command'" not in p.stdout + p.stderr
    (tmp_path/'bench_smoke.json').write_text('{ half a file')
    p = console('sota-bench', '--tier', 'smoke', '--seeds', '1', '--out', str(tmp_path), cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.strip().splitlines()[-1].startswith('sota-bench: failed: JSONDecodeError'), p.stderr[-1500:]

def test_smoothmix_in_the_commands(capsys):
    "The worked example of the mix notebook, defined only in `mix.py`: listed by `sota-train --help`, refused with `--alpha`."
    from fastai_sota.mix import MIXES
    from fastai_sota.all import SmoothMix
    from fastai_sota.train import main
    with pytest.raises(SystemExit) as e: main(['--help'])
    out = ' '.join(capsys.readouterr().out.split())
    assert e.value.code == 0 and all(m in out for m in MIXES) and 'smoothmix' in out
    with pytest.raises(SystemExit) as e: main(['--mix', 'smoothmix', '--alpha', '0.5'])
    assert e.value.code == 2 and capsys.readouterr().err.strip() == "sota-train: error: `alpha` does not apply to mix='smoothmix'"
    assert MIXES['smoothmix'] is SmoothMix
