"`sota-bench --data FOLDER` and `did_it_help` on a user's folder, as a user runs them."
import json, shutil
from pathlib import Path
import numpy as np, pytest
from PIL import Image
from test_cli import console

def user_folder(root, n=10, seed=0):
    "One folder per class (no train/valid), images of several sizes and modes, one truncated file, a class name with a space."
    rng = np.random.default_rng(seed)
    for c, colour in (('ankle boot', (200, 60, 30)), ('bag', (30, 60, 200)), ('coat', (40, 180, 40))):
        d = root/c; d.mkdir(parents=True)
        for i in range(n):
            w, h = (int(v) for v in rng.integers(20, 60, 2))
            im = Image.fromarray((rng.random((h, w, 3)) * 60 + colour).clip(0, 255).astype(np.uint8))
            im.convert('L' if i % 3 == 0 else 'RGB').save(d/f'{i}.{"png" if i % 2 else "jpg"}')
    (root/'bag'/'cut.jpg').write_bytes((root/'bag'/'0.jpg').read_bytes()[:150])  # a download that stopped
    return root

def test_data_tier_end_to_end_on_a_user_folder(tmp_path):
    "The command on a folder made here: exit 0, the truncated file listed and left out, paired verdicts, an HTML page with its images."
    data, out = user_folder(tmp_path/'my photos'), tmp_path/'out'
    p = console('sota-bench', '--data', str(data), '--seeds', '2', '--epochs', '1', '--size', '24', '--only', 'label smoothing 0.1',
                '--baseline', '--bs 8 --lr 1e-2', '--workers', '2', '--out', str(out), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'cut.jpg' in p.stderr  # said once, before training
    res = json.loads((out/'bench_data.json').read_text())
    d = res['data_summary']
    assert d['classes'] == ['ankle boot', 'bag', 'coat'] and [Path(f).name for f, _ in d['bad']] == ['cut.jpg'] and d['n_sizes'] > 5
    assert d['n_train'] + d['n_valid'] == 30 and d['valid_counts'] == {'ankle boot': 2, 'bag': 2, 'coat': 2}
    assert res['settings']['bs'] == 8 and res['settings']['lr'] == 1e-2 and res['failed'] == []
    v = res['summary']['label smoothing 0.1']['verdict']
    acc = lambda k: [res['runs'][k][s]['accuracy'] for s in ('0', '1')]
    assert v['n'] == 2 and np.isclose(v['mean'], 100 * np.mean(np.subtract(acc('label smoothing 0.1'), acc('baseline'))))
    assert len(list((out/'bench_data.runs').glob('*.json'))) == 4  # each run its own record
    assert 'label smoothing 0.1' in p.stdout and ('helped' in p.stdout or 'not distinguishable' in p.stdout or 'hurt' in p.stdout)
    if shutil.which('chromium') or shutil.which('chromium-browser'):
        from scripts.check_site import serve, probe
        srv, base = serve(out)
        try: seen = probe(base + 'bench_data.html')
        finally: srv.shutdown()
        assert len(seen['images']) == 3 and all(i['ok'] for i in seen['images']) and not srv.failed, seen['images']

def one_class(root):
    user_folder(root, n=3)
    for c in ('bag', 'coat'): shutil.rmtree(root/c)
    return root

BAD = [  # what the command says, in one line with status 2, before any training
    (lambda t: ['--data', str(t/'nowhere')], '`data` must be one of'),
    (lambda t: ['--data', str((t/'empty').mkdir() or t/'empty')], 'holds no images'),
    (lambda t: ['--data', str(one_class(t/'one'))], '1 class (ankle boot)'),
    (lambda t: ['--data', str(user_folder(t/'u')), '--subset', '2', '--baseline', '--bs 1'], 'smaller than the number of classes (3)'),
    (lambda t: ['--data', 'sample', '--epochs', '5,0'], '`epochs` must be a whole number in [1, inf], got 0'),
    (lambda t: ['--data', 'sample', '--epochs', '2.5'], '`epochs` must be whole numbers'),
    (lambda t: ['--data', 'sample', '--baseline', '--mixx cutmix'], 'unrecognized arguments: --mixx cutmix'),
    (lambda t: ['--data', 'sample', '--baseline', '--seed 3'], '`--baseline` sets how a model is trained'),
    (lambda t: ['--data', 'sample', '--baseline', '--ls 2'], '`ls` must be a number in [0, 1)'),
    (lambda t: ['--data', 'sample', '--baseline', 'gpu9'], 'unrecognized arguments: gpu9'),
    (lambda t: ['--data', 'sample', '--tier', 'cpu'], '`--data` runs the data tier'),
    (lambda t: ['--baseline', '--ls 0.1'], 'give `--data PATH` too'),
    (lambda t: ['--data', 'sample', '--arch', 'torchvision:resnet19'], 'not a torchvision classification model'),
    (lambda t: ['--data', 'sample', '--workers', '0'], '`workers` must be a whole number'),
    (lambda t: ['--data', 'sample', '--valid-pct', '1'], '`valid_pct` must be a number in (0, 1)'),
    (lambda t: ['--data', 'sample', '--valid-pct', '0.3'], '`--valid-pct` splits a folder of class folders'),
    (lambda t: ['--tier', 'noise', '--label-noise', '0.2'], 'the noise tier trains every row under each of its own noise levels'),
    (lambda t: ['--data', 'sample', '--label-noise', '0.2:twins'], '`label_noise kind` must be one of'),
    (lambda t: ['--tier', 'noise_smoke', '--only', 'dropout'], "unknown rows ['dropout'] for tier 'noise_smoke'"),
]

@pytest.mark.parametrize('i', range(len(BAD)))
def test_bad_input_one_line(i, tmp_path, capsys):
    "In process (fast): each bad input is one line on stderr and status 2, and nothing is trained or written."
    from fastai_sota.bench import main
    args, msg = BAD[i]
    with pytest.raises(SystemExit) as e: main(args(tmp_path) + ['--out', str(tmp_path/'out')])
    err = capsys.readouterr().err
    *warned, said = err.splitlines()  # a warning on the way (the test folder's corrupt image) is one line too
    assert e.value.code == 2 and said.startswith('sota-bench: error:') and msg in said, err
    assert all(w.startswith('sota-bench: warning: ') for w in warned), err
    assert not (tmp_path/'out').exists()

def test_bad_folder_as_a_user_sees_it(tmp_path):
    p = console('sota-bench', '--data', str(tmp_path/'nowhere'), cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [
        "sota-bench: error: `data` must be one of ('sample', 'fashion_mnist', 'imagenette', 'imagewoof', 'an existing folder'), "
        f"got '{tmp_path/'nowhere'}'"], p.stderr

def test_a_failed_run_is_reported_and_the_grid_resumes(tmp_path, monkeypatch):
    "One run fails: the others are recorded, the grid fails with the count; the same call again trains only the missing run."
    import fastai_sota.bench as bench
    real, calls = bench.fit_run, []
    def flaky(**kw):
        calls.append((kw.get('ls'), kw['seed']))
        if kw.get('ls') and kw['seed'] == 1: raise RuntimeError('out of memory (simulated)')
        return real(**kw)
    monkeypatch.setattr(bench, 'fit_run', flaky)
    kw = dict(seeds=2, epochs=1, subset=100, only='label smoothing 0.1', baseline='--bs 25 --holdout 100', out=str(tmp_path))
    with pytest.raises(RuntimeError, match='1 runs failed'): bench.did_it_help('sample', **kw)
    assert len(calls) == 4 and len(list((tmp_path/'bench_data.runs').glob('*.json'))) == 3
    calls.clear()
    monkeypatch.setattr(bench, 'fit_run', lambda **k: calls.append((k.get('ls'), k['seed'])) or real(**k))
    v = bench.did_it_help('sample', **kw)
    assert calls == [(0.1, 1)] and v['label smoothing 0.1']['n'] == 2

@pytest.mark.skipif(not __import__('importlib').util.find_spec('ray'), reason='Ray is not installed (pip install "fastai_sota[ray]")')
def test_ray_engine_on_a_local_instance(tmp_path):
    "The same grid through a local Ray instance of this machine's cores: each run its record, the same results table."
    import ray
    from fastai_sota.bench import did_it_help
    try:
        v = did_it_help('sample', seeds=2, epochs=1, subset=100, only='cutmix', baseline='--bs 25 --holdout 100', engine='ray', workers=2,
                        out=str(tmp_path))
    finally: ray.shutdown()
    assert v['cutmix']['n'] == 2 and len(list((tmp_path/'bench_data.runs').glob('*.json'))) == 4
