"""The checks of chapter 4: the reference passes, a stub is "not written yet", each known
mistake gets its own hint, and an unrelated mistake gets the generic hint."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_contract import failure, stub

from bplib.exercises import ch04, check


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def onehot(labels, k):
    return np.eye(k)[labels]


# --- references, written independently of bplib --------------------------------------------
def softmax_backward(logits, dout):
    l = softmax(logits)
    return l * (dout - np.sum(dout * l, axis=1, keepdims=True))


def cross_entropy_grad(logits, labels):
    return (softmax(logits) - onehot(labels, logits.shape[1])) / logits.shape[0]


def logsumexp(a):
    m = a.max(axis=1)
    return m + np.log(np.sum(np.exp(a - m[:, None]), axis=1))


@pytest.mark.parametrize(
    ("check_fn", "reference"),
    [
        (check.softmax_backward, softmax_backward),
        (check.cross_entropy_grad, cross_entropy_grad),
        (check.logsumexp, logsumexp),
    ],
)
def test_reference_passes_and_stub_is_not_written(check_fn, reference, capsys):
    check_fn(reference)
    out = capsys.readouterr().out
    assert out.count("✓") == 1 and "24 random cases" in out
    assert "not written yet" in failure(check_fn, stub)


def test_checks_are_in_the_check_namespace():
    assert set(ch04.__all__) <= set(check.__all__)


def test_cases_are_many_and_seeded():
    for cases in (
        ch04._softmax_backward_cases(),
        ch04._cross_entropy_grad_cases(),
        ch04._logsumexp_cases(),
    ):
        assert len(cases) >= 20
    a, b = ch04._logsumexp_cases(), ch04._logsumexp_cases()
    assert all(np.array_equal(x["a"], y["a"]) for x, y in zip(a, b, strict=True))


# --- 4.1 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda logits, dout: dout * softmax(logits) * (1 - softmax(logits)), "only the diagonal"),
        (lambda logits, dout: -softmax_backward(logits, dout), "opposite sign"),
        (
            lambda logits, dout: logits * (dout - np.sum(dout * logits, axis=1, keepdims=True)),
            "apply the softmax to the logits first",
        ),
        (
            lambda logits, dout: softmax(logits) * (dout - np.sum(dout * softmax(logits))),
            "row by row",
        ),
        (lambda logits, dout: 2 * softmax_backward(logits, dout), "write the chain rule"),
    ],
)
def test_softmax_backward_mistakes_get_their_hint(wrong, words):
    text = failure(check.softmax_backward, wrong)
    assert "Exercise 4.1" in text and "expected:" in text and "got:" in text
    assert words in text


# --- 4.2 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda logits, labels: softmax(logits) - onehot(labels, logits.shape[1]), "mean"),
        (lambda logits, labels: softmax(logits) / logits.shape[0], "true class directly"),
        (
            lambda logits, labels: (logits - onehot(labels, logits.shape[1])) / logits.shape[0],
            "not the logits themselves",
        ),
        (lambda logits, labels: -cross_entropy_grad(logits, labels), "opposite sign"),
        (lambda logits, labels: 2 * cross_entropy_grad(logits, labels), "−a_d + log"),
    ],
)
def test_cross_entropy_grad_mistakes_get_their_hint(wrong, words):
    text = failure(check.cross_entropy_grad, wrong)
    assert "Exercise 4.2" in text and words in text


@pytest.mark.parametrize(
    ("hints", "cases", "reference"),
    [
        (ch04._SOFTMAX_BACKWARD_HINTS, ch04._softmax_backward_cases(), softmax_backward),
        (ch04._CROSS_ENTROPY_GRAD_HINTS, ch04._cross_entropy_grad_cases(), cross_entropy_grad),
        (ch04._LOGSUMEXP_HINTS, ch04._logsumexp_cases()[:12], logsumexp),
    ],
)
def test_every_known_mistake_differs_from_the_answer_on_the_first_case(hints, cases, reference):
    # a hint that coincided with the right answer would never fire (and mean a wrong check)
    for hint in hints:
        with np.errstate(all="ignore"):
            wrong = np.asarray(hint.wrong(**cases[0]), dtype=float)
        right = reference(**cases[0])
        assert wrong.shape != right.shape or not np.allclose(wrong, right)


# --- 4.3 ---------------------------------------------------------------------------------------
def naive_logsumexp(a):
    return np.log(np.sum(np.exp(a), axis=1))


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (naive_logsumexp, "overflows"),
        (
            lambda a: np.log(np.sum(np.exp(a - a.max(axis=1, keepdims=True)), axis=1)),
            "add back",
        ),
        (lambda a: a.max(axis=1), "lower bound"),
        (lambda a: logsumexp(a)[:, None], "shape (N,)"),
        (lambda a: logsumexp(a) + 1, "take the log of the sum"),
    ],
)
def test_logsumexp_mistakes_get_their_hint(wrong, words):
    with np.errstate(all="ignore"):
        text = failure(check.logsumexp, wrong)
    assert "Exercise 4.3" in text and words in text


def test_naive_logsumexp_passes_the_moderate_cases_and_fails_on_a_large_one():
    text = failure(check.logsumexp, naive_logsumexp)
    assert "case 13 of 24 is wrong" in text and "got:      inf at [" in text
    assert "Factor the largest term out of the sum" in text


# --- overflow: logits near ±1000 -------------------------------------------------------------
def naive_softmax(a):
    e = np.exp(a)  # inf for a > 709, 0 below -745
    return e / e.sum(axis=1, keepdims=True)


def test_a_softmax_without_the_shift_fails_4_1_with_the_overflow_hint():
    def softmax_backward_naive(logits, dout):
        l = naive_softmax(logits)
        return l * (dout - np.sum(dout * l, axis=1, keepdims=True))

    text = failure(check.softmax_backward, softmax_backward_naive)
    assert "case 19 of 24 is wrong" in text and "nan at [" in text
    assert "The softmax does not change when the same number is subtracted" in text


def test_a_softmax_without_the_shift_fails_4_2_with_the_overflow_hint():
    def cross_entropy_grad_naive(logits, labels):
        return (naive_softmax(logits) - onehot(labels, logits.shape[1])) / logits.shape[0]

    text = failure(check.cross_entropy_grad, cross_entropy_grad_naive)
    assert "case 19 of 24 is wrong" in text and "nan at [" in text
    assert "e^a overflows to inf in float64 once a > 709" in text


def test_the_overflow_cases_are_the_last_ones():
    for cases in (ch04._softmax_backward_cases(), ch04._cross_entropy_grad_cases()):
        assert all(np.max(np.abs(c["logits"])) < 20 for c in cases[:18])
        assert all(np.min(np.abs(c["logits"])) > 700 for c in cases[18:])


def test_float32_answers_pass(capsys):
    """The same formulas computed in float32 pass (float32's own tolerance); in float64 the
    check stays tight."""
    as32 = {"logits": np.float32, "dout": np.float32, "a": np.float32}

    def in_float32(fn):
        def wrapped(**case):  # inputs and answer in float32, as `x.astype(np.float32)` gives
            result = fn(**{k: v.astype(as32[k]) if k in as32 else v for k, v in case.items()})
            return result.astype(np.float32)

        return wrapped

    check.softmax_backward(in_float32(softmax_backward))
    check.cross_entropy_grad(in_float32(cross_entropy_grad))
    check.logsumexp(in_float32(logsumexp))
    assert capsys.readouterr().out.count("✓") == 3
    text = failure(
        check.softmax_backward, lambda logits, dout: softmax_backward(logits, dout) * (1 + 1e-5)
    )
    assert "case 1 of 24 is wrong" in text and "agree with the expected ones to about" in text
