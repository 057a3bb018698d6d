"""Softmax: hand values, Jacobian, Jacobian-vector product, stability, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_contract import assert_cache_is_private

from bplib.gradcheck import check_layer, numerical_gradient
from bplib.layers import Softmax
from bplib.layers.softmax import log_softmax, softmax, softmax_jacobian


def test_hand_computed():
    # e^0 : e^{ln 2} = 1 : 2
    out = Softmax().forward(np.array([[0.0, np.log(2.0)]]))
    np.testing.assert_allclose(out, [[1 / 3, 2 / 3]], rtol=1e-15)


def test_rows_sum_to_one_and_shift_invariance(rng):
    x = rng.standard_normal((5, 7)) * 3
    s = softmax(x)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(softmax(x + 123.0), s, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_gradcheck(n, k, seed):
    rng = np.random.default_rng(seed)
    report = check_layer(Softmax(), 2 * rng.standard_normal((n, k)), rng=rng)
    assert report.ok, str(report)


def test_jacobian_matches_finite_differences(rng):
    a = rng.standard_normal(4)
    J = softmax_jacobian(softmax(a))
    for i in range(4):
        num = numerical_gradient(lambda v, i=i: softmax(v)[i], a.copy())
        np.testing.assert_allclose(J[i], num, rtol=1e-7, atol=1e-10)


def test_jacobian_hand_formula_and_batch():
    l = np.array([0.2, 0.3, 0.5])
    expected = np.array([[0.16, -0.06, -0.10], [-0.06, 0.21, -0.15], [-0.10, -0.15, 0.25]])
    np.testing.assert_allclose(softmax_jacobian(l), expected, atol=1e-15)
    batch = softmax_jacobian(np.stack([l, l[::-1]]))
    assert batch.shape == (2, 3, 3)
    np.testing.assert_allclose(batch[0], expected, atol=1e-15)


def test_vjp_equals_jacobian_transpose_times_dout(rng):
    x = rng.standard_normal((3, 5))
    dout = rng.standard_normal((3, 5))
    layer = Softmax()
    s = layer.forward(x)
    dx = layer.backward(dout)
    for n in range(3):
        np.testing.assert_allclose(dx[n], softmax_jacobian(s[n]).T @ dout[n], rtol=1e-12)


def test_diagonal_only_jacobian_is_wrong(rng):
    """[002] Explication's l_i(1 − l_i) alone (erratum) fails against the full Jacobian."""
    x = rng.standard_normal((1, 4))
    dout = rng.standard_normal((1, 4))
    layer = Softmax()
    s = layer.forward(x)
    wrong = dout * s * (1 - s)
    assert not np.allclose(layer.backward(dout), wrong, rtol=1e-3)


def test_stable_at_plus_minus_1000():
    x = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    layer = Softmax()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = layer.forward(x)
        dx = layer.backward(np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]]))
        logs = log_softmax(x)
    np.testing.assert_array_equal(s[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(s[1], [1 / 3] * 3, rtol=1e-15)
    assert np.all(np.isfinite(dx))
    np.testing.assert_array_equal(logs[0], [0.0, -1000.0, -2000.0])


def test_log_softmax_equals_log_of_softmax(rng):
    x = rng.standard_normal((4, 6)) * 5
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)), rtol=1e-13, atol=1e-14)


def test_float32_kept(rng):
    layer = Softmax()
    out = layer.forward(rng.standard_normal((2, 3)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    ("x", "exc", "words"),
    [
        ([[1.0, 2.0]], TypeError, "numpy array"),
        (np.ones(3), ValueError, "(N, K)"),
        (np.ones((2, 3, 4)), ValueError, "(N, K)"),
        (np.ones((0, 3)), ValueError, "empty batch"),
        (np.ones((2, 0)), ValueError, "K = 0"),
        (np.array([[np.nan, 1.0]]), ValueError, "NaN"),
        (np.array([[1, 2]]), TypeError, "floating-point"),
        (np.array([[1, 2]], dtype=np.float16), TypeError, "float32 or float64, got dtype float16"),
        (np.array([[1, 2]], dtype=object), TypeError, "got dtype object"),
    ],
)
def test_bad_input(x, exc, words):
    with pytest.raises(exc, match="Softmax.forward") as info:
        Softmax().forward(x)
    assert words in str(info.value)


def test_editing_x_or_out_in_place_does_not_change_the_gradient(rng):
    """Issue 11: Softmax caches its output; editing it in place gave dx wrong by 0.94."""
    assert_cache_is_private(Softmax, rng.standard_normal((3, 4)), rng)


def test_backward_errors():
    layer = Softmax()
    with pytest.raises(RuntimeError, match="Softmax.backward was called before"):
        layer.backward(np.ones((1, 2)))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Softmax.backward: dout must have shape"):
        layer.backward(np.ones((2, 2)))
