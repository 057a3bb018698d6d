"""MSELoss, CrossEntropyLoss (fused) and CrossEntropyFromProbs (composed)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_contract import as_matrix

from bplib.gradcheck import check_loss
from bplib.layers import Softmax
from bplib.layers.softmax import softmax
from bplib.losses import CrossEntropyFromProbs, CrossEntropyLoss, MSELoss

LOSSES = [MSELoss, CrossEntropyLoss, CrossEntropyFromProbs]


# --- MSE ------------------------------------------------------------------------------------
def test_mse_hand_computed():
    loss = MSELoss()
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.zeros((2, 2))
    assert loss.forward(pred, target) == 7.5  # (1 + 4 + 9 + 16) / 4 elements
    np.testing.assert_array_equal(loss.backward(), 2 * pred / 4)


def test_mse_relates_to_seed_001_half_squared_norm(rng):
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    half_sq = sum(0.5 * np.sum((pred[n] - target[n]) ** 2) for n in range(5))
    assert MSELoss().forward(pred, target) == pytest.approx(2 / 15 * half_sq, rel=1e-14)
    assert MSELoss(reduction="sum").forward(pred, target) == pytest.approx(2 * half_sq, rel=1e-14)
    summed = MSELoss(reduction="sum")
    summed.forward(pred, target)
    np.testing.assert_allclose(summed.backward(), 2 * (pred - target), rtol=1e-15)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    reduction=st.sampled_from(["mean", "sum"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_mse_gradcheck(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    report = check_loss(MSELoss(reduction=reduction), pred, target)
    assert report.ok, str(report)


def test_mse_never_broadcasts():
    with pytest.raises(ValueError, match="MSELoss.forward") as info:
        MSELoss().forward(np.ones((4, 1)), np.ones(4))
    assert "reshape" in str(info.value) and "(4, 1)" in str(info.value)
    with pytest.raises(ValueError, match="MSELoss.forward"):
        MSELoss().forward(np.ones((4, 2)), np.ones((4, 3)))


@pytest.mark.parametrize(
    ("pred", "target", "exc", "words"),
    [
        ([1.0, 2.0], np.ones(2), TypeError, "pred must be a numpy array"),
        (np.ones(2), [1.0, 2.0], TypeError, "target must be a numpy array"),
        (np.ones(2), np.array([1, 2]), TypeError, "floating-point"),
        (np.array([1, 2]), np.ones(2), TypeError, "pred must be a floating-point"),
        (np.ones(2), np.array([True, False]), TypeError, "got dtype bool"),
        (np.ones(2, dtype=np.float16), np.ones(2), TypeError, "got dtype float16"),
        (np.ones(2), np.ones(2, dtype=np.complex64), TypeError, "got dtype complex64"),
        (np.ma.masked_array([1.0, 100.0], mask=[0, 1]), np.ones(2), TypeError, "masked array"),
        (as_matrix(np.ones((2, 1))), np.ones((2, 1)), TypeError, "np.matrix"),
        (np.array(1.0), np.array(1.0), ValueError, "at least 1"),
        (np.ones((0, 2)), np.ones((0, 2)), ValueError, "empty batch"),
        (np.array([np.nan, 1.0]), np.ones(2), ValueError, "NaN"),
        (np.ones(2), np.array([np.inf, 1.0]), ValueError, "infinite"),
    ],
)
def test_mse_bad_input(pred, target, exc, words):
    with pytest.raises(exc, match="MSELoss.forward") as info:
        MSELoss().forward(pred, target)
    assert words in str(info.value)


# --- cross-entropy --------------------------------------------------------------------------
def test_ce_hand_computed():
    loss = CrossEntropyLoss()
    logits = np.array([[0.0, np.log(2.0)]])  # softmax = [1/3, 2/3]
    assert loss.forward(logits, np.array([1])) == pytest.approx(-np.log(2 / 3), rel=1e-15)
    np.testing.assert_allclose(loss.backward(), [[1 / 3, -1 / 3]], rtol=1e-15)


def test_ce_batch_mean_and_sum(rng):
    logits, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    per_example = [-np.log(softmax(logits[n])[y[n]]) for n in range(6)]
    assert CrossEntropyLoss().forward(logits, y) == pytest.approx(np.mean(per_example), rel=1e-14)
    summed = CrossEntropyLoss(reduction="sum")
    assert summed.forward(logits, y) == pytest.approx(np.sum(per_example), rel=1e-14)
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(summed.backward(), softmax(logits) - onehot, rtol=1e-13)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 5),
    k=st.integers(1, 6),
    reduction=st.sampled_from(["mean", "sum"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_ce_gradcheck(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    logits, y = 2 * rng.standard_normal((n, k)), rng.integers(0, k, n)
    report = check_loss(CrossEntropyLoss(reduction=reduction), logits, y)
    assert report.ok, str(report)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(2, 6), seed=st.integers(0, 2**31 - 1))
def test_ce_from_probs_gradcheck(n, k, seed):
    rng = np.random.default_rng(seed)
    probs = softmax(rng.standard_normal((n, k)))
    report = check_loss(CrossEntropyFromProbs(), probs, rng.integers(0, k, n))
    assert report.ok, str(report)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_fused_equals_composed(n, k, seed):
    rng = np.random.default_rng(seed)
    logits, y = 3 * rng.standard_normal((n, k)), rng.integers(0, k, n)
    fused = CrossEntropyLoss()
    value = fused.forward(logits, y)
    grad = fused.backward()
    sm, composed = Softmax(), CrossEntropyFromProbs()
    value2 = composed.forward(sm.forward(logits), y)
    grad2 = sm.backward(composed.backward())
    assert value2 == pytest.approx(value, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad2, grad, rtol=1e-10, atol=1e-14)


def test_ce_stable_at_plus_minus_1000():
    logits = np.array([[1000.0, -1000.0], [1000.0, -1000.0], [-1000.0, -1000.0]])
    y = np.array([0, 1, 1])
    loss = CrossEntropyLoss(reduction="sum")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss.forward(logits, y)
        grad = loss.backward()
    # row 0: right and sure, 0; row 1: wrong by 2000; row 2: a coin toss, log 2
    assert value == pytest.approx(2000.0 + np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(grad, [[0.0, 0.0], [1.0, -1.0], [0.5, -0.5]], atol=1e-15)


def test_composed_overflows_where_fused_does_not():
    logits, y = np.array([[1000.0, 0.0]]), np.array([1])
    assert CrossEntropyLoss().forward(logits, y) == 1000.0
    composed = CrossEntropyFromProbs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert composed.forward(Softmax().forward(logits), y) == np.inf
    with pytest.raises(ValueError, match="CrossEntropyFromProbs.backward.*CrossEntropyLoss"):
        composed.backward()


def test_float32_logits_give_float32_gradient(rng):
    loss = CrossEntropyLoss()
    loss.forward(rng.standard_normal((3, 4)).astype(np.float32), np.array([0, 1, 3]))
    assert loss.backward().dtype == np.float32


def test_one_hot_target_teaches_argmax():
    with pytest.raises(TypeError, match="CrossEntropyLoss.forward") as info:
        CrossEntropyLoss().forward(np.zeros((2, 3)), np.eye(3)[[0, 2]])
    assert "if these are one-hot rows pass target.argmax(axis=1)" in str(info.value)


@pytest.mark.parametrize("cls", [CrossEntropyLoss, CrossEntropyFromProbs])
@pytest.mark.parametrize(
    ("pred", "target", "exc", "words"),
    [
        (np.full((2, 3), 1 / 3), [0, 1], TypeError, "numpy array"),
        (np.full((2, 3), 1 / 3), np.array([0.0, 1.0]), TypeError, "astype(np.int64)"),
        (np.full((2, 3), 1 / 3), np.array([True, False]), TypeError, "integer"),
        (np.full((2, 3), 1 / 3), np.array([0, 3]), ValueError, "[0, 3)"),
        (np.full((2, 3), 1 / 3), np.array([-1, 0]), ValueError, "[0, 3)"),
        (np.full((2, 3), 1 / 3), np.array([[0], [1]]), ValueError, "ravel"),
        (np.full((2, 3), 1 / 3), np.array([0, 1, 2]), ValueError, "shape (2,)"),
        (np.full(3, 1 / 3), np.array([0]), ValueError, "(N, K)"),
        (np.full((2, 3, 1), 1 / 3), np.array([0, 1]), ValueError, "(N, K)"),
        (np.ones((0, 3)), np.array([], dtype=np.int64), ValueError, "empty batch"),
        (np.array([[np.nan, 0.5]]), np.array([0]), ValueError, "NaN"),
        ([[0.5, 0.5]], np.array([0]), TypeError, "pred must be a numpy array"),
        (np.full((2, 3), 1 / 3, dtype=np.float16), np.array([0, 1]), TypeError, "float16"),
        (np.full((2, 3), 1 / 3), np.ma.masked_array([0, 1], mask=[0, 1]), TypeError, "masked"),
    ],
)
def test_ce_bad_input(cls, pred, target, exc, words):
    with pytest.raises(exc, match=f"{cls.__name__}.forward") as info:
        cls().forward(pred, target)
    assert words in str(info.value)


def test_ce_from_probs_rejects_logits():
    with pytest.raises(ValueError, match="CrossEntropyFromProbs.forward.*CrossEntropyLoss"):
        CrossEntropyFromProbs().forward(np.array([[2.0, -1.0]]), np.array([0]))


# --- the contract ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MSELoss, CrossEntropyLoss, CrossEntropyFromProbs])
def test_editing_pred_or_target_in_place_does_not_change_the_gradient(cls, rng):
    """The cache shares no memory with pred or target: edits before backward change nothing."""
    if cls is MSELoss:
        pred, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    else:
        pred, target = rng.standard_normal((3, 4)), np.array([0, 3, 1])
        if cls is CrossEntropyFromProbs:
            pred = softmax(pred)
    reference = cls()
    reference.forward(pred.copy(), target.copy())
    expected = reference.backward()
    for edit in ("pred", "target"):
        loss, p, t = cls(), pred.copy(), target.copy()
        loss.forward(p, t)
        if edit == "pred":
            p *= 0.5
        else:
            t[...] = t[::-1] if cls is not MSELoss else t * -2
        np.testing.assert_array_equal(loss.backward(), expected, err_msg=edit)


@pytest.mark.parametrize("cls", LOSSES)
def test_backward_before_forward(cls):
    with pytest.raises(RuntimeError, match=f"{cls.__name__}.backward was called before"):
        cls().backward()


def test_call_is_forward(rng):
    logits, y = rng.standard_normal((3, 4)), np.array([0, 1, 2])
    loss = CrossEntropyLoss()
    assert loss(logits, y) == CrossEntropyLoss().forward(logits, y)
    assert loss.backward().shape == (3, 4)


@pytest.mark.parametrize("cls", LOSSES)
def test_bad_reduction(cls):
    with pytest.raises(ValueError, match=f"{cls.__name__}: reduction"):
        cls(reduction="none")


def test_repr():
    assert repr(MSELoss()) == "MSELoss()"
    assert repr(CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"
