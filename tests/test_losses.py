"Losses inside a real Learner: training, export and load_learner."
import torch
from fastai.learner import load_learner
import fastai.callback.schedule
from fastai_sota.losses import LabelSmoothingCrossEntropy, LabelSmoothingCrossEntropyFlat
from fastai_sota.learner import sota_learner

def test_export_load_learner_with_label_smoothing(tmp_path):
    w = torch.linspace(0.5, 1.5, 10)
    learn = sota_learner(seed=0, subset=200, bs=32, loss_func=LabelSmoothingCrossEntropy(0.1, weight=w), path=tmp_path)
    learn.fit(1, 1e-3)
    preds, targs = learn.get_preds()
    torch.testing.assert_close(preds.sum(1), torch.ones(len(preds)))  # the loss's softmax activation was applied
    learn.export('lsce.pkl')
    learn2 = load_learner(tmp_path/'lsce.pkl')
    assert isinstance(learn2.loss_func, LabelSmoothingCrossEntropy) and learn2.loss_func.eps == 0.1
    torch.testing.assert_close(learn2.loss_func.weight, w)
    item = learn.dls.valid_ds.items[0]
    learn.model.eval()
    _, _, p1 = learn.predict(item)
    _, _, p2 = learn2.predict(item)
    torch.testing.assert_close(p1, p2)

def test_flat_loss_trains_and_decodes(tmp_path):
    learn = sota_learner(seed=0, subset=200, bs=32, loss_func=LabelSmoothingCrossEntropyFlat(eps=0.1))
    learn.fit(1, 1e-3)
    cls, idx, probs = learn.predict(learn.dls.valid_ds.items[0])
    assert probs.shape == (10,) and int(idx) == int(probs.argmax()) and abs(float(probs.sum()) - 1) < 1e-5
