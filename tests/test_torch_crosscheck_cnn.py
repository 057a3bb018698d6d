"""Chapter 10's CNN against PyTorch, end to end, in float64 to 1e-10.

The layers are cross-checked one by one elsewhere; this checks that they compose, and that the
PyTorch code chapter 10 shows (``tests/torch_models.py``, included in the page) is right: the
network ``bplib.models.digits_cnn`` and its twin ``digits_cnn_torch`` with the same weights
give the same logits, loss, input gradient and every parameter gradient; a few steps of SGD
with momentum leave both with the same weights; ``train_torch`` takes the steps of
``bplib.train.train`` (same batches, same step drop); ``predict_torch`` predicts the same digits.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_models import (  # noqa: E402
    digits_cnn_torch,
    load_bplib_weights,
    predict_torch,
    train_torch,
)

from bplib.losses import CrossEntropyLoss  # noqa: E402
from bplib.models import digits_cnn  # noqa: E402
from bplib.optim import SGD  # noqa: E402
from bplib.train import predict, train  # noqa: E402

TOL = {"rtol": 1e-10, "atol": 1e-12}
NARROW = (3, 4, 8)  # c1, c2, hidden: every layer of the chapter's network, small
CHAPTER = (16, 32, 128)  # the widths chapter 10 trains


def build_pair(rng, widths=NARROW):
    """bplib's network and its PyTorch twin, holding the same (bplib's) weights."""
    ours = digits_cnn(*widths, rng=rng)
    theirs = load_bplib_weights(digits_cnn_torch(*widths), ours.state_dict())
    return ours, theirs


def torch_state(theirs):
    """PyTorch's weights under bplib's names ("0.weight" -> "0.W")."""
    return {
        k.replace(".weight", ".W").replace(".bias", ".b"): v.detach().numpy()
        for k, v in theirs.state_dict().items()
    }


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_the_twins_have_the_same_layers_and_weights(rng):
    ours, theirs = build_pair(rng, CHAPTER)
    kinds = [type(layer).__name__ for layer in ours]
    assert kinds == [type(module).__name__ for module in theirs]
    state = torch_state(theirs)
    names = ["0.W", "0.b", "3.W", "3.b", "7.W", "7.b", "9.W", "9.b"]
    assert list(state) == list(ours.state_dict()) == names
    for name, value in ours.state_dict().items():
        assert state[name].dtype == np.float64
        np.testing.assert_array_equal(state[name], value)


def test_load_bplib_weights_refuses_a_mismatched_network(rng):
    ours = digits_cnn(*NARROW, rng=rng)
    with pytest.raises(RuntimeError):  # PyTorch's own error for a wrong shape
        load_bplib_weights(digits_cnn_torch(5, 4, 8), ours.state_dict())


@pytest.mark.parametrize("widths", [NARROW, CHAPTER], ids=["narrow", "chapter"])
def test_forward_loss_and_every_gradient_match_pytorch(rng, widths):
    ours, theirs = build_pair(rng, widths)
    x, y = rng.standard_normal((5, 1, 8, 8)), rng.integers(0, 10, 5)
    loss = CrossEntropyLoss()
    logits = ours.forward(x)
    value = loss.forward(logits, y)
    dx = ours.backward(loss.backward())

    xt = torch.tensor(x, requires_grad=True)
    logits_t = theirs(xt)
    value_t = torch.nn.functional.cross_entropy(logits_t, torch.from_numpy(y))
    value_t.backward()

    np.testing.assert_allclose(logits, logits_t.detach().numpy(), **TOL)
    assert value == pytest.approx(value_t.item(), rel=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL)
    torch_params = dict(theirs.named_parameters())
    assert len(ours.grads) == len(torch_params) == 8
    for name, grad in ours.grads.items():
        torch_name = name.replace(".W", ".weight").replace(".b", ".bias")
        np.testing.assert_allclose(grad, torch_params[torch_name].grad.numpy(), **TOL)


def test_sgd_momentum_steps_match_pytorch(rng):
    ours, theirs = build_pair(rng)
    opt, opt_t = (
        SGD(ours, lr=0.05, momentum=0.9),
        torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9),
    )
    loss = CrossEntropyLoss()
    for _ in range(3):
        x, y = rng.standard_normal((4, 1, 8, 8)), rng.integers(0, 10, 4)
        loss.forward(ours.forward(x), y)
        ours.backward(loss.backward())
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(
            theirs(torch.from_numpy(x)), torch.from_numpy(y)
        ).backward()
        opt_t.step()
    state = torch_state(theirs)
    for name, value in ours.named_parameters():
        np.testing.assert_allclose(value, state[name], **TOL)


def test_train_torch_takes_the_steps_of_bplib_train(rng, monkeypatch):
    """The chapter's recipe on both sides (momentum 0.9, batches of 32), the step divided by 10
    after two of three epochs.

    bplib's ``train`` draws each epoch's order with ``rng.permutation``; ``torch.randperm`` is
    replaced by a generator seeded alike, so both loops see the same batches (the last one
    shorter: 80 = 32 + 32 + 16).
    """
    ours, theirs = build_pair(rng)
    start = ours.state_dict()
    X, y = rng.random((80, 1, 8, 8)), rng.integers(0, 10, 80)
    shuffle = np.random.default_rng(7)
    optimizer = SGD(ours, lr=0.05, momentum=0.9)
    loss = CrossEntropyLoss()
    train(ours, loss, optimizer, X, y, epochs=2, batch_size=32, rng=shuffle, verbose=False)
    optimizer.lr = 0.005  # the chapter's drop, the velocity kept
    train(ours, loss, optimizer, X, y, epochs=1, batch_size=32, rng=shuffle, verbose=False)

    replay = np.random.default_rng(7)
    monkeypatch.setattr(torch, "randperm", lambda n: torch.from_numpy(replay.permutation(n)))
    train_torch(theirs, torch.from_numpy(X), torch.from_numpy(y), epochs=3, lr=0.05, drop_at=2)
    state = torch_state(theirs)
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, state[name], **TOL)
    # the weights moved: this compares two trained networks, not two idle ones
    assert max(np.abs(ours.state_dict()[k] - start[k]).max() for k in start) > 1e-3


def test_predict_torch_predicts_the_digits_bplib_predicts(rng):
    ours, theirs = build_pair(rng, CHAPTER)
    X = rng.random((64, 1, 8, 8))
    predicted = predict_torch(theirs, torch.from_numpy(X)).numpy()
    np.testing.assert_array_equal(predicted, predict(ours, X))
    assert len(np.unique(predicted)) > 1  # not a constant answer
