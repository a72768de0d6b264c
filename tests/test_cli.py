"The `sota-train` command as a user runs it."
import json, os, subprocess, sys
from pathlib import Path

def run(*args, cwd=None):
    return subprocess.run([sys.executable, '-m', 'fastai_sota.train', *args], capture_output=True, text=True, cwd=cwd, timeout=600)

def assert_fails(tmp_path, *args, msg):
    "`sota-train ARGS` exits with an error whose message contains `msg`."
    p = run(*args, '--out', str(tmp_path/'x.json'))
    assert p.returncode != 0 and msg in p.stderr, (args, p.stderr[-500:])

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
    r = [json.loads((run('--epochs', '1', '--subset', '200', '--out', str(tmp_path/f'{i}.json')) and tmp_path/f'{i}.json').read_text())
         for i in range(2)]
    assert r[0]['runs'][0]['final'] == r[1]['runs'][0]['final']

def test_sota_train_bad_input(tmp_path):
    assert_fails(tmp_path, '--norm', 'imagenet', msg='`norm` must be one of')
    assert_fails(tmp_path, '--data', 'cifar10', msg='must be one of')

def test_sota_train_techniques_as_flags(tmp_path):
    out = tmp_path/'t.json'
    p = run('--epochs', '1', '--subset', '200', '--mix', 'cutmixup', '--alpha', '0.5', '--ls', '0.1', '--tta', 'corners_flip',
            '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res['settings']['mix'] == 'cutmixup' and res['settings']['ls'] == 0.1
    assert 0 <= res['runs'][0]['final']['accuracy_tta'] <= 1 and 'with corners_flip TTA' in p.stdout
    assert_fails(tmp_path, '--mix', 'mixout', msg='`mix` must be one of')
    assert_fails(tmp_path, '--tta', 'ten_crop', msg='`tta` must be one of')

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
    for args, msg in ((('--precision', 'fp16'), 'needs a CUDA GPU'), (('--sched', 'cosine'), '`sched` must be one of'),
                      (('--opt', 'adamw'), '`opt` must be one of'), (('--scale-reg',), 'give `progressive` too'),
                      (('--progressive', '0'), '`start` must be')):
        assert_fails(tmp_path, *args, msg=msg)

def test_sota_train_resume(tmp_path):
    from fastai.callback.core import Callback
    from fastai_sota.train import fit_run, EpochLog
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
