"""The shared input checks: they pass good input through and explain bad input."""

from __future__ import annotations

import numpy as np
import pytest

from bplib._validate import (
    check_batch,
    check_float_array,
    check_labels,
    check_min_ndim,
    check_ndim,
    check_positive_int,
    check_rng,
    check_same_shape,
    pair,
)

W = "Layer.forward"


def test_check_float_array():
    x = np.ones(3)
    assert check_float_array(x, where=W) is x
    assert check_float_array(np.ones(3, dtype=np.float32), where=W).dtype == np.float32
    assert check_float_array(np.ones(0), where=W).size == 0
    with pytest.raises(TypeError, match=f"{W}: input must be a numpy array, got list"):
        check_float_array([1.0], where=W)
    with pytest.raises(TypeError, match="dtype int64"):
        check_float_array(np.ones(3, dtype=np.int64), where=W)
    with pytest.raises(ValueError, match="2 NaN or infinite"):
        check_float_array(np.array([np.nan, np.inf, 1.0]), where=W, name="x")


def test_ndim_checks():
    check_ndim(np.ones((2, 3)), 2, where=W)
    with pytest.raises(ValueError, match=r"must have 2 dimensions \(N, D\), got 1"):
        check_ndim(np.ones(3), 2, where=W, layout="(N, D)")
    check_min_ndim(np.ones((2, 3, 4)), 2, where=W)
    with pytest.raises(ValueError, match=f"{W}: input must have at least 2"):
        check_min_ndim(np.ones(3), 2, where=W)


def test_check_batch_and_same_shape():
    check_batch(np.ones((1, 2)), where=W)
    with pytest.raises(ValueError, match="empty batch"):
        check_batch(np.ones((0, 2)), where=W)
    check_same_shape(np.ones((2, 3)), (2, 3), where=W, name="dout")
    with pytest.raises(ValueError, match="never broadcasts"):
        check_same_shape(np.ones((2, 1)), (2, 3), where=W, name="dout")


def test_check_positive_int():
    assert check_positive_int(np.int64(3), where=W, name="k") == 3
    for bad, exc in [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)]:
        with pytest.raises(exc, match=f"{W}: k must be a positive integer"):
            check_positive_int(bad, where=W, name="k")


def test_check_rng():
    g = np.random.default_rng(0)
    assert check_rng(g, where=W) is g
    assert isinstance(check_rng(None, where=W), np.random.Generator)
    with pytest.raises(TypeError, match="default_rng"):
        check_rng(0, where=W)
    with pytest.raises(TypeError, match="default_rng"):
        check_rng(np.random.RandomState(0), where=W)


def test_check_labels():
    y = np.array([0, 2, 1])
    assert check_labels(y, n=3, k=3, where=W) is y
    cases = [
        ([0, 1, 2], TypeError, "np.asarray"),
        (np.eye(3), TypeError, "target.argmax(axis=1)"),
        (np.array([0.0, 1.0, 2.0]), TypeError, "astype(np.int64)"),
        (np.array([0, 1]), ValueError, "shape (3,)"),
        (np.array([[0], [1], [2]]), ValueError, "target.ravel()"),
        (np.eye(3, dtype=np.int64), ValueError, "one-hot"),
        (np.array([0, 1, 3]), ValueError, "e.g. 3"),
        (np.array([0, -1, 1]), ValueError, "e.g. -1"),
    ]
    for bad, exc, words in cases:
        with pytest.raises(exc, match=W) as info:
            check_labels(bad, n=3, k=3, where=W)
        assert words in str(info.value), (bad, str(info.value))


def test_pair():
    assert pair(3, where=W, name="k") == (3, 3)
    assert pair((2, 1), where=W, name="k") == (2, 1)
    assert pair(0, where=W, name="p", allow_zero=True) == (0, 0)
    with pytest.raises(ValueError, match=">= 1"):
        pair(0, where=W, name="k")
    with pytest.raises(TypeError, match="integers"):
        pair((1.5, 2), where=W, name="k")
    with pytest.raises(ValueError, match="pair"):
        pair((1, 2, 3), where=W, name="k")
