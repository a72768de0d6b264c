"The `sota-train` command as a user runs it."
import json, os, subprocess, sys
from pathlib import Path

def run(*args, cwd=None):
    return subprocess.run([sys.executable, '-m', 'fastai_sota.train', *args], capture_output=True, text=True, cwd=cwd, timeout=600)

def test_sota_train_writes_results(tmp_path):
    out = tmp_path/'res'/'r.json'
    p = run('--epochs', '2', '--subset', '400', '--runs', '2', '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'final accuracy:' in p.stdout and 'train_loss' in p.stdout  # fastai's epoch table
    res = json.loads(out.read_text())
    assert res['settings']['subset'] == 400 and res['summary']['n_runs'] == 2 and res['summary']['seeds'] == [42, 43]
    accs = [r['final']['accuracy'] for r in res['runs']]
    assert all(0.2 < a <= 1 for a in accs), accs  # 10 classes: far above chance after 2 epochs
    assert abs(res['summary']['accuracy_mean'] - sum(accs) / 2) < 1e-12
    assert [e['epoch'] for e in res['runs'][0]['epochs']] == [0, 1]
    assert {'torch', 'fastai', 'fastai_sota'} <= set(res['versions']) and res['wall_time_s'] > 0

def test_sota_train_same_seed_same_result(tmp_path):
    r = [json.loads((run('--epochs', '1', '--subset', '200', '--out', str(tmp_path/f'{i}.json')) and tmp_path/f'{i}.json').read_text())
         for i in range(2)]
    assert r[0]['runs'][0]['final'] == r[1]['runs'][0]['final']

def test_sota_train_bad_input(tmp_path):
    p = run('--norm', 'imagenet', '--out', str(tmp_path/'x.json'))
    assert p.returncode != 0 and '`norm` must be one of' in p.stderr
    p = run('--data', 'cifar10', '--out', str(tmp_path/'x.json'))
    assert p.returncode != 0 and 'must be one of' in p.stderr

def test_sota_train_techniques_as_flags(tmp_path):
    out = tmp_path/'t.json'
    p = run('--epochs', '1', '--subset', '200', '--mix', 'cutmixup', '--alpha', '0.5', '--ls', '0.1', '--tta', 'corners_flip',
            '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res['settings']['mix'] == 'cutmixup' and res['settings']['ls'] == 0.1
    assert 0 <= res['runs'][0]['final']['accuracy_tta'] <= 1 and 'with corners_flip TTA' in p.stdout
    p = run('--mix', 'mixout', '--out', str(tmp_path/'x.json'))
    assert p.returncode != 0 and '`mix` must be one of' in p.stderr
    p = run('--tta', 'ten_crop', '--out', str(tmp_path/'x.json'))
    assert p.returncode != 0 and '`tta` must be one of' in p.stderr
