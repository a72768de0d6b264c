"""Regenerate the embedded Fashion-MNIST sample shipped in `fastai_sota/sample/fashion_mnist`.

Draws a stratified subset with `representative_subset` (seed 42): 2,000 images from the official training set and 500 from
the official test set, copied as PNG files in the fastai image-folder layout. Run: `python scripts/make_sample.py`.
"""
import json, shutil
from pathlib import Path
from fastai.data.transforms import get_image_files
from fastai_sota.data import fashion_mnist, representative_subset, _DONE, FMNIST_CLASSES

SEED, N = 42, {'train': 2000, 'valid': 500}

def main(dest=Path(__file__).resolve().parents[1]/'fastai_sota'/'sample'/'fashion_mnist'):
    src = fashion_mnist()
    if dest.exists(): shutil.rmtree(dest)
    for split, n in N.items():
        for i, f in enumerate(representative_subset(sorted(get_image_files(src/split)), n=n, seed=SEED)):
            out = dest/split/f.parent.name/f.name
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, out)
    (dest/_DONE).write_text(json.dumps({'counts': N, 'classes': list(FMNIST_CLASSES), 'seed': SEED,
        'source': 'Fashion-MNIST (Xiao et al. 2017, MIT licence): train from the official train set, valid from the test set'}))
    print(f"wrote {sum(N.values())} images to {dest}")

if __name__ == '__main__': main()
