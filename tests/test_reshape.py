"""Flatten: shapes, row-major order, backward is the inverse reshape, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_contract import assert_cache_is_private

from bplib.gradcheck import check_layer
from bplib.layers import Flatten


def test_shapes_and_order():
    x = np.arange(2 * 3 * 2 * 2, dtype=np.float64).reshape(2, 3, 2, 2)
    layer = Flatten()
    out = layer.forward(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out[1], np.arange(12, 24))  # (c, h, w) in row-major order
    dx = layer.backward(out * 10)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dx, x * 10)


def test_two_dimensional_input_is_unchanged():
    x = np.ones((4, 5))
    assert Flatten().forward(x).shape == (4, 5)


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple),
    seed=st.integers(0, 2**31 - 1),
)
def test_gradcheck(shape, seed):
    rng = np.random.default_rng(seed)
    report = check_layer(Flatten(), rng.standard_normal(shape), rng=rng)
    assert report.ok, str(report)


@pytest.mark.parametrize(
    ("x", "exc"),
    [
        (np.ones(3), ValueError),
        (np.ones((0, 2, 2)), ValueError),
        ([[1.0]], TypeError),
        (np.array([[np.inf]]), ValueError),
    ],
)
def test_bad_input(x, exc):
    with pytest.raises(exc, match="Flatten.forward"):
        Flatten().forward(x)


def test_editing_x_or_out_in_place_does_not_change_the_gradient(rng):
    # out is a view of x (like PyTorch's flatten); the cache holds only x's shape
    assert_cache_is_private(Flatten, rng.standard_normal((2, 3, 2)), rng)


def test_backward_errors():
    layer = Flatten()
    with pytest.raises(RuntimeError, match="Flatten.backward was called before"):
        layer.backward(np.ones((1, 2)))
    layer.forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="Flatten.backward"):
        layer.backward(np.ones((2, 3, 4)))  # dout must have the output's shape (2, 12)
