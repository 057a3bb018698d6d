"""SGD: the update by hand, momentum, in-place updates, what it accepts, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.layers import Linear, ReLU
from bplib.losses import MSELoss
from bplib.network import Sequential
from bplib.optim import SGD


def layer_with_grad(rng, grad_w=None):
    layer = Linear(3, 2, rng=rng)
    layer.grads["W"] = np.ones((2, 3)) if grad_w is None else grad_w
    layer.grads["b"] = np.full(2, 2.0)
    return layer


def test_plain_step_by_hand(rng):
    layer = layer_with_grad(rng)
    W0, b0 = layer.params["W"].copy(), layer.params["b"].copy()
    SGD(layer, lr=0.1).step()
    np.testing.assert_allclose(layer.params["W"], W0 - 0.1, rtol=1e-15)
    np.testing.assert_allclose(layer.params["b"], b0 - 0.2, rtol=1e-15)


def test_momentum_pytorch_convention(rng):
    layer = layer_with_grad(rng)
    W0 = layer.params["W"].copy()
    opt = SGD(layer, lr=0.1, momentum=0.9)
    opt.step()  # v1 = g = 1, W1 = W0 − 0.1
    np.testing.assert_allclose(layer.params["W"], W0 - 0.1, rtol=1e-15)
    opt.step()  # v2 = 0.9·1 + 1 = 1.9, W2 = W1 − 0.19
    np.testing.assert_allclose(layer.params["W"], W0 - 0.1 - 0.19, rtol=1e-14)
    layer.grads["W"] = np.zeros((2, 3))
    opt.step()  # v3 = 0.9·1.9 = 1.71: momentum keeps moving without a gradient
    np.testing.assert_allclose(layer.params["W"], W0 - 0.1 - 0.19 - 0.171, rtol=1e-14)


def test_update_is_in_place(rng):
    layer = layer_with_grad(rng)
    held = layer.params["W"]
    before = held.copy()
    SGD(layer, lr=0.5, momentum=0.5).step()
    assert layer.params["W"] is held
    assert not np.array_equal(held, before)


def test_reads_the_latest_gradient(rng):
    """backward puts new arrays into grads: the optimizer must not keep the old ones."""
    layer = layer_with_grad(rng)
    opt = SGD(layer, lr=1.0)
    W0 = layer.params["W"].copy()
    layer.grads["W"] = np.full((2, 3), 3.0)  # a new array, as backward does
    opt.step()
    np.testing.assert_allclose(layer.params["W"], W0 - 3.0, rtol=1e-15)


@pytest.mark.parametrize("form", ["sequential", "layer", "list", "parameters"])
def test_accepted_models_give_the_same_step(form):
    def build():
        rng = np.random.default_rng(0)
        model = Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng))
        x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
        loss = MSELoss()
        loss.forward(model.forward(x), y)
        model.backward(loss.backward())
        return model

    ref = build()
    SGD(ref, lr=0.1, momentum=0.9).step()
    model = build()
    target = {
        "sequential": model,
        "layer": None,
        "list": model.layers,
        "parameters": model.parameters(),
    }[form]
    if form == "layer":
        SGD(model.layers[0], lr=0.1, momentum=0.9).step()
        SGD(model.layers[2], lr=0.1, momentum=0.9).step()
    else:
        opt = SGD(target, lr=0.1, momentum=0.9)
        assert len(opt.params) == 4
        opt.step()
    for (n1, a), (n2, b) in zip(ref.named_parameters(), model.named_parameters(), strict=True):
        assert n1 == n2
        np.testing.assert_array_equal(a, b)


def test_gradient_descent_fits_a_line():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 1))
    y = 3 * x - 1
    layer, loss = Linear(1, 1, rng=rng), MSELoss()
    opt = SGD(layer, lr=0.1, momentum=0.5)
    for _ in range(200):
        loss.forward(layer.forward(x), y)
        layer.backward(loss.backward())
        opt.step()
    np.testing.assert_allclose(layer.params["W"], [[3.0]], rtol=1e-6)
    np.testing.assert_allclose(layer.params["b"], [-1.0], rtol=1e-6)


def test_zero_grad(rng):
    layer = layer_with_grad(rng)
    SGD(layer, lr=0.1).zero_grad()
    assert not np.any(layer.grads["W"]) and not np.any(layer.grads["b"])


# --- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "exc", "words"),
    [
        ({"lr": 0.0}, ValueError, "lr must be a positive"),
        ({"lr": -0.1}, ValueError, "lr must be a positive"),
        ({"lr": float("nan")}, ValueError, "lr must be a positive"),
        ({"lr": "0.1"}, TypeError, "lr must be a number"),
        ({"lr": 0.1, "momentum": 1.0}, ValueError, "momentum must be in [0, 1)"),
        ({"lr": 0.1, "momentum": -0.1}, ValueError, "momentum must be in [0, 1)"),
    ],
)
def test_bad_hyperparameters(kwargs, exc, words):
    with pytest.raises(exc, match="SGD") as info:
        SGD(Linear(2, 2), **kwargs)
    assert words in str(info.value)


def test_step_before_backward():
    with pytest.raises(RuntimeError, match="SGD.step: Linear.W has no gradient yet"):
        SGD(Sequential(Linear(2, 2)), lr=0.1).step()


def test_no_parameters():
    with pytest.raises(ValueError, match="no parameters"):
        SGD(Sequential(ReLU()), lr=0.1)


def test_not_a_model():
    with pytest.raises(TypeError, match="SGD: model must be"):
        SGD(3.0, lr=0.1)
    with pytest.raises(TypeError, match="SGD: item 1 of model"):
        SGD([Linear(2, 2), "relu"], lr=0.1)


def test_diverged_gradient(rng):
    layer = layer_with_grad(rng, grad_w=np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="SGD.step: the gradient of Linear.W contains NaN"):
        SGD(layer, lr=0.1).step()


def test_gradient_of_wrong_shape(rng):
    layer = layer_with_grad(rng, grad_w=np.ones((3, 2)))
    with pytest.raises(ValueError, match="SGD.step: the gradient of Linear.W has shape"):
        SGD(layer, lr=0.1).step()


# --- a parameter given twice ----------------------------------------------------------------
def shared_grads(layer):
    layer.grads["W"] = np.ones_like(layer.params["W"])
    layer.grads["b"] = np.ones_like(layer.params["b"])
    return layer


@pytest.mark.parametrize(
    "form", ["the layer twice", "parameters twice", "two models sharing a layer", "tied array"]
)
def test_a_parameter_given_twice_is_refused(form, rng):
    """Issue 11: SGD stepped such a parameter twice per step (it moved by 2·lr·g)."""
    lin = shared_grads(Linear(2, 2, rng=rng))
    other = shared_grads(Linear(2, 2, rng=rng))
    model = {
        "the layer twice": [lin, lin],
        "parameters twice": list(lin.parameters()) * 2,
        "two models sharing a layer": [Sequential(lin, ReLU()), Sequential(lin, other)],
        "tied array": [lin, other],
    }[form]
    if form == "tied array":
        other.params["W"] = lin.params["W"]  # a weight tied by hand
    W0 = lin.params["W"].copy()
    with pytest.raises(ValueError, match=r"SGD: Linear.W \(parameter 0\) and Linear.W "
                                         r"\(parameter 2\) are the same") as info:
        SGD(model, lr=0.1)
    assert "step() would move it twice" in str(info.value)
    np.testing.assert_array_equal(lin.params["W"], W0)


def test_overlapping_views_are_refused(rng):
    lin, other = shared_grads(Linear(2, 2, rng=rng)), shared_grads(Linear(2, 2, rng=rng))
    storage = np.zeros((3, 2))
    lin.params["W"], other.params["W"] = storage[:2], storage[1:]  # row 1 is in both
    with pytest.raises(ValueError, match="are the same array"):
        SGD([lin, other], lr=0.1)


def test_a_parameter_tied_after_construction_is_refused_at_step(rng):
    lin, other = shared_grads(Linear(2, 2, rng=rng)), shared_grads(Linear(2, 2, rng=rng))
    opt = SGD([lin, other], lr=0.1)
    opt.step()
    other.params["W"] = lin.params["W"]
    with pytest.raises(ValueError, match="SGD.step: Linear.W .* are the same array"):
        opt.step()


def test_distinct_models_are_accepted_together(rng):
    a = shared_grads(Linear(2, 2, rng=rng))
    b = shared_grads(Linear(2, 2, rng=rng))
    W0 = a.params["W"].copy()
    SGD([Sequential(a), Sequential(b)], lr=0.1).step()
    np.testing.assert_allclose(a.params["W"], W0 - 0.1, rtol=1e-15)  # moved once
