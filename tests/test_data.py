"Cross-module and system tests of `fastai_sota.data`: the real Fashion-MNIST build, Imagenette over a loopback server."
import functools, http.server, io, shutil, tarfile, threading

import numpy as np, pytest
from PIL import Image
from fastai.data.external import URLs
from fastai.data.transforms import get_image_files, parent_label
from fastai_sota.data import (fashion_mnist, read_fashion_mnist, _debian_fmnist_dir, imagenette, FMNIST_CLASSES,
                              FMNIST_FILES, representative_subset, _DONE)

DEB = _debian_fmnist_dir()
needs_deb = pytest.mark.skipif(DEB is None, reason="Debian package dataset-fashion-mnist not installed")

@needs_deb
def test_fashion_mnist_full_build_matches_idx(tmp_path):
    path = fashion_mnist(tmp_path/'fm')
    train, valid = get_image_files(path/'train'), get_image_files(path/'valid')
    assert (len(train), len(valid)) == (60_000, 10_000)
    raw = read_fashion_mnist(DEB)
    # Pixels and labels survive the PNG round trip exactly.
    for split, (x, y) in raw.items():
        for i in (0, 1234, len(x) - 1):
            f = path/split/FMNIST_CLASSES[y[i]]/f'{i:05d}.png'
            np.testing.assert_array_equal(np.array(Image.open(f)), x[i])
    assert np.bincount(raw['train'][1]).tolist() == [6000] * 10
    # A second call returns the cached folder without rebuilding it.
    stamp = (path/_DONE).stat().st_mtime_ns
    assert fashion_mnist(tmp_path/'fm') == path and (path/_DONE).stat().st_mtime_ns == stamp

@needs_deb
def test_fashion_mnist_env_var_and_corrupt_source(tmp_path, monkeypatch):
    src = tmp_path/'src'; src.mkdir()
    for fs in FMNIST_FILES.values():
        for f in fs: shutil.copy(DEB/f, src/f)
    (src/FMNIST_FILES['valid'][0]).write_bytes((DEB/FMNIST_FILES['valid'][0]).read_bytes()[:5000])  # truncated
    monkeypatch.setenv('FASHION_MNIST', str(src))
    with pytest.raises(ValueError, match='apt-get install dataset-fashion-mnist'): fashion_mnist(tmp_path/'out')
    assert not (tmp_path/'out').exists() and not list(tmp_path.glob('out.partial-*'))

def test_half_written_cache_is_rebuilt(tmp_path):
    from fastai_sota.data import write_idx
    src = tmp_path/'idx'; src.mkdir()
    for split, n in (('train', 20), ('valid', 10)):
        write_idx(np.full((n, 28, 28), 7), src/FMNIST_FILES[split][0]); write_idx(np.arange(n) % 10, src/FMNIST_FILES[split][1])
    dest = tmp_path/'fm'
    (dest/'train'/'bag').mkdir(parents=True)  # an interrupted build: folders, no completion marker
    path = fashion_mnist(dest, src=src)
    assert (path/_DONE).is_file() and len(get_image_files(path)) == 30

def test_representative_subset_is_stratified_on_real_files():
    from fastai_sota.data import sample_path
    items = get_image_files(sample_path()/'train')
    for n in (10, 37, 999, 2000):
        sub = representative_subset(items, n=n, seed=n)
        counts = np.bincount([FMNIST_CLASSES.index(parent_label(o)) for o in sub], minlength=10)
        assert counts.sum() == n and np.all(np.abs(counts - n / 10) < 1)
        assert len(set(sub)) == n

def test_subset_within_one_of_exact_share_random_cases():
    rng = np.random.default_rng(0)
    for _ in range(300):
        sizes = rng.integers(1, 60, rng.integers(2, 8))
        items = [f'{c}/{i}' for c, k in enumerate(sizes) for i in range(k)]
        n = int(rng.integers(1, len(items) + 1))
        sub = representative_subset(items, n=n, seed=int(rng.integers(1000)))
        counts = np.bincount([int(o.split('/')[0]) for o in sub], minlength=len(sizes))
        exact = sizes * n / sizes.sum()
        assert counts.sum() == n and len(set(sub)) == n and np.all(counts <= sizes)
        if n >= len(sizes): assert counts.min() >= 1, (sizes, n, counts)
        if n < len(sizes) or exact.min() >= 1 or (exact < 1).sum() <= np.sum(np.ceil(exact) > exact):
            # presence is free or can be paid by classes rounded up: every class within one item of its share
            assert np.all(np.abs(counts - exact) < 1 + 1e-9), (sizes, n, counts)

@pytest.fixture
def imagenette_server(tmp_path):
    "A loopback HTTP server holding a small archive in Imagenette's layout."
    root = tmp_path/'www'; root.mkdir()
    with tarfile.open(root/'imagenette2-160.tgz', 'w:gz') as tar:
        for split in ('train', 'val'):
            for cls in ('n01440764', 'n02102040'):
                for i in range(2):
                    b = io.BytesIO(); Image.new('RGB', (213, 160), (i * 50, 0, 0)).save(b, 'JPEG')
                    info = tarfile.TarInfo(f'imagenette2-160/{split}/{cls}/{i}.JPEG'); info.size = len(b.getvalue())
                    tar.addfile(info, io.BytesIO(b.getvalue()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/imagenette2-160.tgz'
    srv.shutdown()

def test_imagenette_downloads_and_extracts_via_untar_data(imagenette_server, tmp_path, monkeypatch):
    monkeypatch.setattr(URLs, 'IMAGENETTE_160', imagenette_server)  # the address only: download and extraction are real
    path = imagenette(160, base=tmp_path/'fastai')
    assert path.name == 'imagenette2-160' and (tmp_path/'fastai'/'archive'/'imagenette2-160.tgz').is_file()
    assert len(get_image_files(path/'train')) == 4 and len(get_image_files(path/'val')) == 4
    assert imagenette(160, base=tmp_path/'fastai') == path  # cached
    from fastai_sota.loaders import image_folder_dls
    dls = image_folder_dls(path, size=64, bs=2)
    assert dls.one_batch()[0].shape == (2, 3, 64, 64) and dls.c == 2
