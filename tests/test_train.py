"""The training loop: it learns the digits, prints one line per epoch, and is reproducible."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from bplib.data import load_digits
from bplib.layers import Linear, ReLU
from bplib.losses import CrossEntropyLoss, MSELoss
from bplib.network import Sequential
from bplib.optim import SGD
from bplib.train import History, accuracy, evaluate, forward_batched, predict, train

LINE = re.compile(
    r"^epoch +(\d+)/(\d+)  loss \d+\.\d{4}  train acc \d+\.\d%  val acc \d+\.\d%  \(\d+\.\d s\)$"
)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def run_mlp(digits, seed=0, epochs=8, verbose=True):
    X_train, y_train, X_test, y_test = digits
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(64, 64, rng=rng), ReLU(), Linear(64, 10, rng=rng))
    opt = SGD(model, lr=0.05, momentum=0.9)
    history = train(
        model, CrossEntropyLoss(), opt, X_train, y_train,
        epochs=epochs, batch_size=32, rng=rng, X_val=X_test, y_val=y_test, verbose=verbose,
    )  # fmt: skip
    return model, history


def test_mlp_learns_the_digits(digits, capsys):
    start = time.perf_counter()
    model, history = run_mlp(digits)
    elapsed = time.perf_counter() - start
    X_test, y_test = digits[2], digits[3]
    assert accuracy(model, X_test, y_test) > 0.90
    assert history.val_acc[-1] == pytest.approx(accuracy(model, X_test, y_test))
    assert history.loss[-1] < history.loss[0] / 3
    assert elapsed < 20  # about 0.3 s alone; generous for a shared machine
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8
    for i, line in enumerate(lines, start=1):
        match = LINE.match(line)
        assert match, line
        assert (int(match[1]), int(match[2])) == (i, 8)
    for key in ("loss", "train_acc", "val_loss", "val_acc", "seconds"):
        assert len(history[key]) == 8


def test_training_is_reproducible(digits):
    _, h1 = run_mlp(digits, seed=3, epochs=2, verbose=False)
    _, h2 = run_mlp(digits, seed=3, epochs=2, verbose=False)
    assert h1.loss == h2.loss and h1.val_acc == h2.val_acc


def test_quiet(digits, capsys):
    run_mlp(digits, epochs=1, verbose=False)
    assert capsys.readouterr().out == ""


def test_regression_with_mse(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    model = Sequential(Linear(3, 1, rng=rng))
    history = train(
        model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=5, batch_size=16, rng=rng,
        X_val=X, y_val=y,
    )  # fmt: skip
    assert history.train_acc == [] and history.val_acc == []
    assert len(history) == 5 and history.epochs == 5
    assert history.loss[-1] < history.loss[0] / 10
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and "acc" not in lines[0]
    assert re.match(r"^epoch 1/5  loss \d+\.\d{4}  val loss \d+\.\d{4}  \(\d+\.\d s\)$", lines[0])


def test_epoch_loss_is_the_mean_over_examples():
    """With lr tiny the weights barely move: the epoch loss is the full-data loss."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((10, 2)), rng.integers(0, 3, 10)
    model = Sequential(Linear(2, 3, rng=rng))
    full = CrossEntropyLoss().forward(model.forward(X), y)
    history = train(
        model, CrossEntropyLoss(), SGD(model, lr=1e-12), X, y, epochs=1, batch_size=4,
        rng=rng, verbose=False,
    )  # fmt: skip
    assert history.loss[0] == pytest.approx(full, rel=1e-9)


def test_predict_accuracy_evaluate():
    # a "model" whose scores are its inputs: the prediction is the argmax of each row
    model = Sequential(Linear(3, 3))
    model.params["0.W"][...] = np.eye(3)
    model.params["0.b"][...] = 0.0
    X = np.array([[3.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 5.0, 1.0], [1.0, 0.0, 0.0]])
    y = np.array([0, 2, 0, 0])
    np.testing.assert_array_equal(predict(model, X, batch_size=3), [0, 2, 1, 0])
    assert accuracy(model, X, y, batch_size=2) == 0.75
    np.testing.assert_array_equal(forward_batched(model, X, batch_size=3), X)
    ev = evaluate(model, CrossEntropyLoss(), X, y, batch_size=3)
    assert ev.accuracy == 0.75
    assert ev.loss == pytest.approx(CrossEntropyLoss().forward(X, y), rel=1e-14)


def test_history_is_dict_like():
    h = History(loss=[1.0, 0.5], seconds=[0.1, 0.1])
    assert h["loss"] == [1.0, 0.5] and len(h) == 2
    assert h.keys() == ["loss", "train_acc", "val_loss", "val_acc", "seconds"]
    assert dict(h.items())["seconds"] == [0.1, 0.1]
    with pytest.raises(KeyError, match="History has no 'acc'"):
        h["acc"]


@pytest.mark.parametrize(
    ("kwargs", "exc", "words"),
    [
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"X_val": np.zeros((2, 2))}, ValueError, "both X_val and y_val"),
        ({"X_val": np.zeros((2, 2)), "y_val": np.zeros(3, dtype=int)}, ValueError, "X_val"),
    ],
)
def test_train_bad_arguments(kwargs, exc, words):
    model = Sequential(Linear(2, 2))
    args = {"epochs": 1, "batch_size": 2, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(exc, match="train") as info:
        train(model, CrossEntropyLoss(), SGD(model, lr=0.1), np.zeros((4, 2)),
              np.zeros(4, dtype=int), **args)  # fmt: skip
    assert words in str(info.value)


def test_train_mismatched_data():
    model = Sequential(Linear(2, 2))
    with pytest.raises(ValueError, match="train: X_train and y_train"):
        train(model, CrossEntropyLoss(), SGD(model, lr=0.1), np.zeros((4, 2)),
              np.zeros(3, dtype=int), epochs=1, batch_size=2,
              rng=np.random.default_rng(0))  # fmt: skip
