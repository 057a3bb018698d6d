"""bplib.tensor_nn: the layers rebuilt from Tensor operations give the hand-derived layers'
gradients (bplib.layers) to 1e-12; the same seed gives the same weights, and the digits CNN
trained both ways for an epoch ends with the same weights (1e-10); clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import layers as L
from bplib import tensor_nn as tnn
from bplib.data import batches, load_digits
from bplib.losses import CrossEntropyLoss
from bplib.network import Sequential
from bplib.optim import SGD
from bplib.tensor import Tensor

SETTINGS = settings(max_examples=15, deadline=None)
EQUAL = 1e-12  # max |difference| between the engine's gradients and the hand-derived ones


def compare_with_layer(layer, tensor_fn, x, rng):
    """Forward and backward through the bplib layer and through the Tensor version; return the
    largest difference of the output, dx and every parameter gradient."""
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    xt = Tensor(x, requires_grad=True)
    leaves = {k: Tensor(v, requires_grad=True) for k, v in layer.params.items()}
    out_t = tensor_fn(xt, **leaves)
    out_t.backward(dout)
    diffs = [np.abs(out_t.data - out).max(), np.abs(xt.grad - dx).max()]
    diffs += [np.abs(leaves[k].grad - layer.grads[k]).max() for k in leaves]
    return max(diffs)


@SETTINGS
@given(n=st.integers(1, 5), d=st.integers(1, 6), m=st.integers(1, 6), seed=st.integers(0, 999))
def test_linear_and_relu_equal_the_hand_derived_layers(n, d, m, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    assert compare_with_layer(L.Linear(d, m, rng=rng), tnn.linear, x, rng) <= EQUAL
    assert compare_with_layer(L.ReLU(), lambda t: tnn.relu(t), x, rng) <= EQUAL


@SETTINGS
@given(
    n=st.integers(1, 3), c=st.integers(1, 3), f=st.integers(1, 3), h=st.integers(3, 8),
    w=st.integers(3, 8), k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 2),
    seed=st.integers(0, 999),
)
def test_conv2d_equals_the_hand_derived_layer(n, c, f, h, w, k, s, p, seed):
    rng = np.random.default_rng(seed)
    layer = L.Conv2d(c, f, k, stride=s, padding=p, rng=rng)
    x = rng.standard_normal((n, c, h, w))
    diff = compare_with_layer(layer, lambda t, W, b: tnn.conv2d(t, W, b, s, p), x, rng)
    assert diff <= EQUAL


@SETTINGS
@given(
    n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(3, 8), w=st.integers(3, 8),
    k=st.integers(1, 3), s=st.sampled_from([None, 1, 2, 3]), seed=st.integers(0, 999),
)
def test_pooling_equals_the_hand_derived_layers(n, c, h, w, k, s, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    x[0, 0, :2, :2] = 1.5  # a tie: both send the gradient to the first maximum
    diff_max = compare_with_layer(L.MaxPool2d(k, s), lambda t: tnn.max_pool2d(t, k, s), x, rng)
    diff_avg = compare_with_layer(L.AvgPool2d(k, s), lambda t: tnn.avg_pool2d(t, k, s), x, rng)
    assert diff_max <= EQUAL and diff_avg <= EQUAL


@SETTINGS
@given(n=st.integers(1, 6), k=st.integers(1, 6), scale=st.sampled_from([1.0, 10.0, 300.0]),
       seed=st.integers(0, 999))
def test_cross_entropy_equals_the_fused_loss(n, k, scale, seed):
    rng = np.random.default_rng(seed)
    logits, labels = scale * rng.standard_normal((n, k)), rng.integers(0, k, size=n)
    loss = CrossEntropyLoss()
    value = loss.forward(logits, labels)
    t = Tensor(logits, requires_grad=True)
    out = tnn.cross_entropy(t, labels)
    out.backward()
    assert abs(out.item() - value) <= EQUAL * max(1.0, abs(value))
    assert np.abs(t.grad - loss.backward()).max() <= EQUAL


def test_mlp_steps_give_the_layers_gradients_at_every_named_step(rng):
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 4, size=6)
    l1, l2 = L.Linear(5, 7, rng=rng), L.Linear(7, 4, rng=rng)
    model, loss = Sequential(l1, L.ReLU(), l2), CrossEntropyLoss()
    value = loss.forward(model.forward(x), y)
    dlogits = loss.backward()
    dx = model.backward(dlogits)
    steps = tnn.mlp_steps(x, y, l1.params["W"], l1.params["b"], l2.params["W"], l2.params["b"])
    steps["loss"].backward()
    assert len(steps) >= 15
    assert abs(steps["loss"].item() - value) < EQUAL
    for name, expected in [("logits", dlogits), ("x", dx), ("W1", l1.grads["W"]),
                           ("b1", l1.grads["b"]), ("W2", l2.grads["W"]), ("b2", l2.grads["b"])]:
        assert np.abs(steps[name].grad - expected).max() <= EQUAL, name
    assert np.abs(steps["row_max"].grad).max() < 1e-15  # softmax ignores the shift


# --- the modules ----------------------------------------------------------------------------------


def make_cnn(module, rng):
    """Chapter 10's CNN at a small width, from either module."""
    return [
        module.Conv2d(1, 4, 3, padding=1, rng=rng), module.ReLU(), module.MaxPool2d(2),
        module.Conv2d(4, 6, 3, padding=1, rng=rng), module.ReLU(), module.MaxPool2d(2),
        module.Flatten(), module.Linear(24, 16, rng=rng), module.ReLU(),
        module.Linear(16, 10, rng=rng),
    ]


def test_the_same_seed_gives_the_same_weights():
    ours = tnn.Sequential(*make_cnn(tnn, np.random.default_rng(3)))
    theirs = Sequential(*make_cnn(L, np.random.default_rng(3)))
    mine, ref = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(ref)
    for key in ref:
        np.testing.assert_array_equal(mine[key], ref[key])


def test_the_digits_cnn_trained_both_ways_ends_with_the_same_weights():
    """One epoch on 320 digits, batches of 32, SGD with momentum, from the same seed: the
    engine's gradients drive the same 10 steps as the hand-derived layers' (1e-10)."""
    X, y, _, _ = load_digits(as_images=True, seed=0)
    X, y = X[:320], y[:320]
    ours = tnn.Sequential(*make_cnn(tnn, np.random.default_rng(9)))
    theirs = Sequential(*make_cnn(L, np.random.default_rng(9)))
    opt_ours = SGD(ours, lr=0.05, momentum=0.9)  # bplib's optimizer, unchanged
    opt_theirs = SGD(theirs, lr=0.05, momentum=0.9)
    loss_fn = CrossEntropyLoss()
    for xb, yb in batches(X, y, 32, rng=np.random.default_rng(9)):
        ours.zero_grad()  # the engine accumulates, like PyTorch
        tnn.cross_entropy(ours(xb), yb).backward()
        opt_ours.step()
        loss_fn.forward(theirs.forward(xb), yb)
        theirs.backward(loss_fn.backward())
        opt_theirs.step()
    assert opt_ours.steps == opt_theirs.steps == 10
    start = tnn.Sequential(*make_cnn(tnn, np.random.default_rng(9))).state_dict()
    for key, value in theirs.state_dict().items():
        assert np.abs(ours.state_dict()[key] - value).max() <= 1e-10, key
        assert np.abs(value - start[key]).max() > 1e-3  # and the weights did move


def test_grads_mapping_reads_and_writes_the_leaf_gradients():
    layer = tnn.Linear(3, 2, rng=np.random.default_rng(0))
    assert layer.grads.get("W") is None and len(layer.grads) == 0
    opt = SGD(layer, lr=0.1)
    with pytest.raises(RuntimeError, match="has no gradient yet"):
        opt.step()
    x = np.ones((4, 3))
    layer(x).sum().backward()
    np.testing.assert_array_equal(layer.grads["b"], [4.0, 4.0])
    layer(x).sum().backward()  # accumulates
    np.testing.assert_array_equal(layer.grads["b"], [8.0, 8.0])
    opt.zero_grad()  # bplib's SGD.zero_grad writes zeros through the mapping
    np.testing.assert_array_equal(layer.grads["b"], [0.0, 0.0])
    before = layer.params["W"].copy()
    layer(x).sum().backward()
    opt.step()  # in place, seen by the leaf Tensor
    np.testing.assert_allclose(layer.params["W"], before - 0.1 * 4.0)
    assert layer._leaf("W").data is layer.params["W"]
    layer.params["W"] = np.zeros((2, 3))  # replaced, not updated: a new leaf
    assert layer._leaf("W").data is layer.params["W"]


@pytest.mark.parametrize(
    ("make", "exc", "message"),
    [
        (lambda: tnn.Linear(3, 2)(np.ones((4, 5))), ValueError, "Linear.forward: input has 5"),
        (lambda: tnn.Linear(3, 2)(np.ones(3)), ValueError, "Linear.forward: input must have 2"),
        (lambda: tnn.Linear(3, 2)([1.0, 2.0]), TypeError, "Linear.forward: expected a Tensor"),
        (lambda: tnn.Conv2d(2, 3, 3)(np.ones((1, 1, 5, 5))), ValueError,
         "conv2d: input has C=1 channels"),
        (lambda: tnn.Conv2d(1, 3, 3)(np.ones((5, 5))), ValueError, "conv2d: input must have 4"),
        (lambda: tnn.MaxPool2d(2)(np.ones((2, 5, 5))), ValueError, "max_pool2d: input must"),
        (lambda: tnn.AvgPool2d(9)(np.ones((1, 1, 5, 5))), ValueError, "Tensor.windows"),
        (lambda: tnn.cross_entropy(np.ones((3, 4)), np.array([0.0, 1.0, 2.0])), TypeError,
         "cross_entropy: labels must hold integer"),
        (lambda: tnn.cross_entropy(np.ones((3, 4)), np.array([0, 1, 4])), ValueError,
         "cross_entropy"),
        (lambda: tnn.Sequential(L.ReLU()), TypeError, "Sequential: layer 0 is a ReLU"),
        (lambda: tnn.Conv2d(1, 2, 0), ValueError, "Conv2d: kernel_size"),
        (lambda: tnn.Linear(0, 2), ValueError, "Linear: in_features"),
    ],
)
def test_bad_input_gets_a_clear_error(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_cnn_steps_name_every_layer():
    rng = np.random.default_rng(1)
    params = {"W1": rng.standard_normal((2, 1, 3, 3)), "b1": rng.standard_normal(2),
              "W2": rng.standard_normal((3, 2, 3, 3)), "b2": rng.standard_normal(3),
              "W3": rng.standard_normal((5, 12)), "b3": rng.standard_normal(5),
              "W4": rng.standard_normal((10, 5)), "b4": rng.standard_normal(10)}
    steps = tnn.cnn_steps(rng.random((2, 1, 8, 8)), np.array([3, 7]), params)
    assert list(steps)[-1] == "loss" and len(steps) >= 15
    assert steps["pool1"].shape == (2, 2, 4, 4) and steps["flat"].shape == (2, 12)
    steps["loss"].backward()
    assert all(t.grad is not None and t.grad.shape == t.shape for t in steps.values())
