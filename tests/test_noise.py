"Label noise as users run it: `sota-train --label-noise` and the noise tier of `sota-bench`, through the console scripts."
import json
from pathlib import Path
from fastai_sota.data import noise_pairs, FMNIST_CLASSES, split_items, sample_path
from test_cli import console

def test_sota_train_records_the_flipped_labels(tmp_path):
    "40 % pairwise noise on 100 sample images: 40 flips, each a training file relabelled as its partner class; exit 0."
    p = console('sota-train', '--label-noise', '0.4:pairwise', '--epochs', '1', '--subset', '100', '--bs', '32', '--seed', '3',
                '--out', str(tmp_path/'r.json'), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    run = json.loads((tmp_path/'r_seed3.json').read_text())['run']
    noise, partner = run['label_noise'], noise_pairs(FMNIST_CLASSES)
    assert (noise['rate'], noise['kind'], noise['seed'], noise['n_train'], noise['n_flipped']) == (0.4, 'pairwise', 3, 100, 40)
    train, valid = map(lambda items: {str(o) for o in items}, split_items(sample_path()))
    for f, true, noisy in noise['flipped']:
        assert f in train and f not in valid and Path(f).parent.name == true and noisy == partner[true]
    assert 0 <= run['final']['memorized'] <= 1 and 0 <= run['final']['fits_true'] <= 1

def test_noise_tier_compares_under_the_same_noise(tmp_path):
    "The noise tier on the sample: each row against no regularization under the same noise, the flips kept once per seed."
    row = 'label smoothing 0.1 | 40 % pairwise'
    p = console('sota-bench', '--tier', 'noise_smoke', '--seeds', '2', '--only', row, '--epochs', '1', '--subset', '100',
                '--out', str(tmp_path), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert '| technique | 40 % pairwise |' in p.stdout and 'memorized' in p.stdout
    res = json.loads((tmp_path/'bench_noise_smoke.json').read_text())
    ref = 'no regularization | 40 % pairwise'
    assert sorted(res['runs']) == sorted([ref, row])
    v = res['summary'][row]['verdict']
    diffs = [100 * (res['runs'][row][s]['accuracy'] - res['runs'][ref][s]['accuracy']) for s in ('0', '1')]
    assert abs(v['mean'] - sum(diffs) / 2) < 1e-9 and v['n'] == 2
    for s in ('0', '1'):
        assert len(res['runs'][ref][s]['label_noise']['flipped']) == 40  # kept on the reference of each condition
        assert 'flipped' not in res['runs'][row][s]['label_noise'] and res['runs'][row][s]['label_noise']['n_flipped'] == 40
    assert res['runs'][ref]['0']['label_noise']['flipped'] != res['runs'][ref]['1']['label_noise']['flipped']  # seeded per run
    assert (tmp_path/'bench_noise_smoke.html').exists() and (tmp_path/'bench_noise_smoke.png').exists()
