"The wheel is what users get: build it, install it (not the checkout) beside fastai, run a user's script from elsewhere."
import subprocess, sys, sysconfig, textwrap, venv, zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

USER_SCRIPT = textwrap.dedent('''
    import json, sys, fastai_sota
    from fastai_sota.all import *
    from fastai_sota.data import sample_path
    assert sample_path().is_dir()
    learn = sota_learner(data=sample_path(), subset=64, bs=32, valid_subset=32, seed=0, cbs=CutMixUp())
    learn.fit(1, 1e-3)
    preds, targs = learn.tta(use_corners=True)
    print(json.dumps(dict(file=fastai_sota.__file__, n=len(preds), sums=float(preds.sum()))))
''')

def test_wheel_installs_and_runs_outside_the_repo(tmp_path):
    wheels = tmp_path/'wheels'
    p = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(wheels), str(REPO)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    whl, = wheels.glob('fastai_sota-*.whl')
    names = zipfile.ZipFile(whl).namelist()
    assert 'fastai_sota/all.py' in names and any(n.startswith('fastai_sota/sample/fashion_mnist/train/') for n in names)
    assert not any(n.startswith(('tests/', 'nbs/', 'speed/', 'results/')) for n in names)
    # a fresh environment that already has fastai (this one's packages, without the editable checkout) and the wheel
    env = tmp_path/'env'
    venv.create(env, with_pip=False)
    site = Path(subprocess.check_output([str(env/'bin'/'python'), '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], text=True).strip())
    (site/'deps.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')  # fastai & co. (a path line: its .pth files, the editable hook among them, are not run)
    p = subprocess.run([sys.executable, '-m', 'pip', '--python', str(env/'bin'/'python'), 'install', '--no-deps', '-q', str(whl)],
                       capture_output=True, text=True, timeout=600)  # into the new environment: its console scripts too
    assert p.returncode == 0, p.stderr[-3000:]
    work = tmp_path/'user'; work.mkdir()
    (work/'script.py').write_text(USER_SCRIPT)
    user_env = {'PATH': f"{env/'bin'}:/usr/bin:/bin", 'HOME': str(tmp_path), 'OMP_NUM_THREADS': '1'}
    p = subprocess.run([str(env/'bin'/'python'), 'script.py'], capture_output=True, text=True, cwd=work, timeout=600, env=user_env)
    assert p.returncode == 0, p.stderr[-3000:]
    res = __import__('json').loads(p.stdout.strip().splitlines()[-1])
    assert Path(res['file']).is_relative_to(site) and not Path(res['file']).is_relative_to(REPO)  # the wheel's copy ran
    assert res['n'] == 32 and abs(res['sums'] - 32) < 1e-3
    # the console scripts pip wrote, as a shell runs them: exit status 0 after a run, 2 on a bad flag, and no results dict
    cmd = lambda *a: subprocess.run(list(a), capture_output=True, text=True, cwd=work, timeout=600, env=user_env)
    p = cmd('sota-train', '--epochs', '1', '--subset', '64', '--bs', '32', '--valid-subset', '32')
    assert p.returncode == 0 and 'final accuracy:' in p.stdout and "{'command'" not in p.stderr + p.stdout, p.stderr[-2000:]
    assert (work/'sota_train.json').exists()
    for c in ('sota-train', 'sota-bench'):
        p = cmd(c, '--seeds' if c == 'sota-bench' else '--epochs', '0')
        assert p.returncode == 2 and p.stderr.strip().count('\n') == 0 and p.stderr.startswith(f'{c}: error:'), (c, p.stderr)
