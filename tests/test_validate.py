"""The shared input checks: they pass good input through and explain bad input."""

from __future__ import annotations

import numpy as np
import pytest
from layer_contract import as_matrix

from bplib._validate import (
    check_batch,
    check_float_array,
    check_labels,
    check_min_ndim,
    check_ndim,
    check_plain_array,
    check_positive_int,
    check_rng,
    check_same_shape,
    check_state_dict,
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


@pytest.mark.parametrize(
    ("dtype", "hint"),
    [
        (np.float16, "float16 keeps about 3 significant digits"),
        (np.complex64, "x.real"),
        (np.complex128, "x.real"),
        (np.int32, "does not convert integers or booleans"),
        (np.uint8, "does not convert integers or booleans"),
        (np.bool_, "does not convert integers or booleans"),
        (object, "astype(np.float64)"),
        (np.str_, "astype(np.float64)"),
    ],
)
def test_only_float32_and_float64_are_accepted(dtype, hint):
    """Issue 11: float16 and longdouble were accepted although the message said otherwise."""
    x = np.ones(3).astype(dtype)
    with pytest.raises(TypeError) as info:
        check_float_array(x, where=W)
    message = str(info.value)
    assert message.startswith(f"{W}: input must be a floating-point array of dtype float32 or "
                              f"float64, got dtype {x.dtype}")
    assert hint in message


@pytest.mark.skipif(np.dtype(np.longdouble) == np.float64, reason="longdouble is float64 here")
def test_longdouble_is_refused():
    with pytest.raises(TypeError, match=r"got dtype float\d+ \(float\d+ has no BLAS kernel"):
        check_float_array(np.ones(3, dtype=np.longdouble), where=W)


def test_matrix_masked_and_other_array_types(tmp_path):
    with pytest.raises(TypeError, match=rf"{W}: x is an np.matrix of shape \(2, 2\).*"
                                        r"np.asarray\(x\)"):
        check_plain_array(as_matrix(np.eye(2)), where=W, name="x")
    with pytest.raises(TypeError, match=rf"{W}: x is a masked array.*x.filled"):
        check_float_array(np.ma.masked_array(np.ones(2), mask=[1, 0]), where=W, name="x")
    with pytest.raises(TypeError, match="must be a numpy array, got tuple"):
        check_plain_array((1.0, 2.0), where=W)
    mapped = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.float64,
                                       shape=(2,))
    assert check_float_array(mapped, where=W) is mapped  # other subclasses pass through

    class Counted(np.ndarray):  # like chapter 3's array that counts its operations
        pass

    counted = np.ones(2).view(Counted)
    assert check_float_array(counted, where=W) is counted


def test_check_state_dict_names_every_bad_entry():
    own = {"W": np.zeros((2, 3)), "b": np.zeros(2)}
    good = {"W": np.ones((2, 3)), "b": np.ones(2, dtype=np.float32)}
    checked = check_state_dict(good, own, where=W)
    assert list(checked) == ["W", "b"] and checked["W"] is good["W"]
    assert not np.any(own["W"])  # checking writes nothing
    with pytest.raises(ValueError) as info:
        check_state_dict({"W": np.ones((3, 2)), "b": np.array([np.inf, 0.0])}, own, where=W)
    assert str(info.value) == (
        f"{W}: nothing was loaded, 2 entries are refused: 'W': expected shape (2, 3), got "
        "(3, 2); 'b': expected finite values, got 1 NaN or infinite."
    )
    with pytest.raises(TypeError, match="'b': expected a float32 or float64 array of shape "
                                        r"\(2,\), got array of shape \(2,\) and dtype int64"):
        check_state_dict({"W": good["W"], "b": np.ones(2, dtype=np.int64)}, own, where=W)
    with pytest.raises(TypeError, match="got MaskedArray of shape"):
        check_state_dict({"W": np.ma.masked_array(good["W"]), "b": good["b"]}, own, where=W)
    with pytest.raises(KeyError, match=r"missing keys \['b'\], unexpected keys \['B'\]"):
        check_state_dict({"W": good["W"], "B": good["b"]}, own, where=W)
    with pytest.raises(TypeError, match="state must be a dict"):
        check_state_dict(None, own, where=W)


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
