"""ReLU, Sigmoid, Tanh, Sign: derivatives by hand and by finite differences, stability, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_contract import as_matrix, assert_cache_is_private

from bplib.gradcheck import check_layer
from bplib.layers import ReLU, Sigmoid, Sign, Tanh

ALL = [ReLU, Sigmoid, Tanh, Sign]


def away_from_zero(rng, shape):
    """Values with |x| >= 0.1: ReLU and sign have a kink at 0 that finite differences cross."""
    x = rng.standard_normal(shape)
    return np.sign(x + (x == 0)) * (0.1 + np.abs(x))


@settings(max_examples=25, deadline=None)
@given(
    cls=st.sampled_from(ALL),
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    seed=st.integers(0, 2**31 - 1),
)
def test_gradcheck(cls, shape, seed):
    rng = np.random.default_rng(seed)
    report = check_layer(cls(), away_from_zero(rng, shape), rng=rng)
    assert report.ok, str(report)


def test_relu_by_hand_and_zero_convention():
    layer = ReLU()
    np.testing.assert_array_equal(layer.forward(np.array([[-1.0, 0.0, 2.0]])), [[0.0, 0.0, 2.0]])
    # ReLU'(0) = 0, like PyTorch: the gradient is blocked at exactly 0
    np.testing.assert_array_equal(layer.backward(np.array([[5.0, 5.0, 5.0]])), [[0.0, 0.0, 5.0]])


def test_sigmoid_by_hand():
    layer = Sigmoid()
    x = np.array([[0.0, np.log(3.0)]])
    np.testing.assert_allclose(layer.forward(x), [[0.5, 0.75]], rtol=1e-15)
    # σ' = σ(1 − σ): 0.25 and 0.75 · 0.25
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), [[0.25, 0.1875]], rtol=1e-15)


def test_sigmoid_matches_the_textbook_formula(rng):
    x = rng.uniform(-30, 30, size=(50,))
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)), rtol=1e-14)


def test_tanh_by_hand():
    layer = Tanh()
    x = np.array([[0.0, np.log(2.0)]])  # tanh(ln 2) = (2 − 1/2) / (2 + 1/2) = 0.6
    np.testing.assert_allclose(layer.forward(x), [[0.0, 0.6]], atol=1e-15)
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), [[1.0, 0.64]], rtol=1e-14)


def test_sign_has_zero_gradient():
    layer = Sign()
    np.testing.assert_array_equal(layer.forward(np.array([[-2.0, 0.0, 3.0]])), [[-1.0, 0.0, 1.0]])
    dx = layer.backward(np.array([[1.0, -4.0, 2.5]]))
    # the chapter 5 point: nothing flows back through sign
    np.testing.assert_array_equal(dx, np.zeros((1, 3)))
    assert "almost everywhere" in Sign.__doc__ or "wherever it exists" in Sign.__doc__


@pytest.mark.parametrize("cls", [Sigmoid, Tanh])
def test_stable_at_plus_minus_1000(cls):
    x = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])
    layer = cls()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        out = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
    low = 0.0 if cls is Sigmoid else -1.0
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))
    assert out[0, 0] == low and out[0, -1] == 1.0
    assert dx[0, 0] == 0.0 and dx[0, -1] == 0.0


def test_sigmoid_keeps_tiny_values_far_out():
    x = np.array([-700.0, -30.0])
    s = Sigmoid().forward(x)
    # σ(−x) = e^{−x}/(1 + e^{−x}): no premature underflow to 0, full relative precision
    np.testing.assert_allclose(s, np.exp(x) / (1 + np.exp(x)), rtol=1e-14)
    assert s[0] > 0


@pytest.mark.parametrize("cls", ALL)
def test_dtype_is_kept(cls, rng):
    x = away_from_zero(rng, (3, 4)).astype(np.float32)
    layer = cls()
    out = layer.forward(x)
    dx = layer.backward(np.ones((3, 4), dtype=np.float32))
    assert out.dtype == np.float32 and dx.dtype == np.float32


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize(
    ("x", "exc"),
    [
        ([1.0, 2.0], TypeError),
        (np.array([1, 2]), TypeError),
        (np.array([True, False]), TypeError),
        (np.ones(2, dtype=np.float16), TypeError),
        (as_matrix(np.ones((2, 2))), TypeError),
        (np.ma.masked_array(np.ones(2), mask=[0, 1]), TypeError),
        (np.array(1.0), ValueError),
        (np.ones((0, 3)), ValueError),
        (np.array([1.0, np.nan]), ValueError),
    ],
)
def test_bad_input(cls, x, exc):
    with pytest.raises(exc, match=f"{cls.__name__}.forward"):
        cls().forward(x)


@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh])
def test_editing_x_or_out_in_place_does_not_change_the_gradient(cls, rng):
    """Issue 11: ReLU caches x, Sigmoid and Tanh their output; an in-place edit of either
    before backward gave dx wrong by a relative error of 0.7 to 1."""
    assert_cache_is_private(cls, away_from_zero(rng, (4, 5)), rng)


def test_relu_on_an_np_matrix_is_refused_not_a_silent_matrix_product():
    """np.matrix's * is a matrix product: ReLU.backward's dout * mask gave a wrong dx."""
    layer = ReLU()
    with pytest.raises(TypeError, match=r"ReLU.forward: input is an np.matrix.*np.asarray"):
        layer.forward(as_matrix(np.ones((3, 3))))
    layer.forward(np.ones((3, 3)))
    with pytest.raises(TypeError, match="ReLU.backward: dout is an np.matrix"):
        layer.backward(as_matrix(np.ones((3, 3))))


@pytest.mark.parametrize("cls", ALL)
def test_backward_before_forward_and_wrong_dout(cls):
    layer = cls()
    with pytest.raises(RuntimeError, match=f"{cls.__name__}.backward was called before"):
        layer.backward(np.ones((2, 3)))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{cls.__name__}.backward: dout must have shape"):
        layer.backward(np.ones((3, 2)))
