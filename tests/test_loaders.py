"The in-memory loader on any folder: a stale cache is rebuilt, every TTA runs on its batches, and `sota-train` takes it."
import warnings
import numpy as np, pytest, torch
from PIL import Image
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai_sota.loaders import array_dls, cached_images, split_items
from fastai_sota.tta import TTAS, tta_preds
from test_cli import console

def folder(root, classes=('a', 'b'), n=6):
    "`train/` and `valid/` of `n` RGB JPEGs per class, of sizes 30 to 70 px."
    rng = np.random.default_rng(len(classes))
    for split in ('train', 'valid'):
        for k, c in enumerate(classes):
            (root/split/c).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                h, w = (int(v) for v in rng.integers(30, 70, 2))
                Image.fromarray(np.full((h, w, 3), 60 * k + 10 * i, np.uint8)).save(root/split/c/f'{i}.jpg')
    return root

def test_stale_cache_is_rebuilt(tmp_path):
    root, cache = folder(tmp_path/'data'), tmp_path/'cache'
    d1 = array_dls(root, bs=4, size=24, cache_dir=cache, norm='none')
    assert len(list(cache.glob('*.npy'))) == 1 and d1.c == 2
    folder(root, classes=('a', 'b', 'c'))  # a class added
    d2 = array_dls(root, bs=4, size=24, cache_dir=cache, norm='none')
    assert len(list(cache.glob('*.npy'))) == 2 and d2.c == 3 and len(d2.train_ds) == 18
    (root/'train'/'c'/'0.jpg').unlink()  # a file removed
    assert len(array_dls(root, bs=4, size=24, cache_dir=cache, norm='none').train_ds) == 17
    assert len(list(cache.glob('*.npy'))) == 3

def test_every_tta_on_decoded_batches(tmp_path):
    dls = array_dls(folder(tmp_path), bs=4, size=(24, 32), cache_dir=tmp_path/'cache')
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    learn = Learner(dls, net, metrics=accuracy)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-2)
    for name in TTAS:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # fastai's TTA on a training loader with no augmentation
            p, y = tta_preds(learn, name)
        assert p.shape == (12, 2) and torch.allclose(p.sum(1), torch.ones(12), atol=1e-4), name
        assert (y == learn.dls.valid_ds.y).all(), name

def test_sota_train_array_loader_on_a_folder(tmp_path):
    root, cache = folder(tmp_path/'data', n=10), tmp_path/'cache'
    p = console('sota-train', '--data', str(root), '--loader', 'array', '--size', '32', '--epochs', '1', '--bs', '8',
                '--arch', 'resnet28', '--cache-dir', str(cache), '--tta', 'corners', '--out', str(tmp_path/'r.json'),
                cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert len(list(cache.glob('*.npy'))) == 1 and (tmp_path/'r_seed42.pkl').exists()

def test_corner_views_enlarge_decoded_batches(tmp_path):
    "Without item transforms to enlarge, the corner TTA resizes the batch by 1/crop_pct, then cuts the views at the model's size."
    from fastai_sota.tta import CornerViews
    dls = array_dls(folder(tmp_path), bs=4, size=28, cache_dir=False, norm='none')
    dl = CornerViews(crop_pct=0.875).loader(dls.valid)
    assert dl.one_batch()[0].shape[-2:] == (32, 32)
    x, kept, _ = cached_images(split_items(tmp_path)[1], 28, cache_dir=False)
    assert x.shape == (12, 3, 28, 28) and len(kept) == 12

def test_presize_crops_each_batch_on_the_device(tmp_path):
    "fastai's presizing with the decoding done once: cached at 40 px, random-resized crops to 32 in training, centred in validation."
    dls = array_dls(folder(tmp_path), bs=4, size=32, presize=40, cache_dir=False, norm='none')
    assert dls.train_ds.x.shape[-2:] == (40, 40)
    xt, xv = dls.train.one_batch()[0], dls.valid.one_batch()[0]
    assert xt.shape[-2:] == (32, 32) and xv.shape[-2:] == (32, 32)
    with pytest.raises(ValueError, match='give `size`'): array_dls(tmp_path, presize=40, cache_dir=False)

def test_new_files_of_another_size_for_images_at_their_own_size(tmp_path):
    "A loader of images at their own size (the sample's 28 px) decodes new files of any size to that size."
    from fastai_sota.data import sample_path
    dls = array_dls(sample_path(), bs=32, subset=64, seed=0, cache_dir=tmp_path/'cache')
    f = split_items(sample_path())[1][0]
    Image.open(f).resize((40, 33)).save(tmp_path/'big.png')
    x, = dls.test_dl([tmp_path/'big.png', f]).one_batch()
    assert x.shape == (2, 1, 28, 28)
    same, = dls.test_dl([f]).new(after_batch=[]).one_batch()
    assert (same[0] == dls.valid_ds.x[0]).all()  # a file of the training size is decoded as it was
