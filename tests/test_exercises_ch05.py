"""The checks of chapter 5: the reference passes, a stub is "not written yet", each known
mistake gets its own hint, and an unrelated mistake gets the generic hint."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_contract import failure, stub

from bplib.exercises import ch05, check


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# --- references, written independently of bplib --------------------------------------------
def sigmoid_backward(x, dout):
    s = sigmoid(x)
    return dout * s * (1 - s)


def relu_backward(x, dout):
    return dout * (x > 0)


def tanh_backward(x, dout):
    return dout * (1 - np.tanh(x) ** 2)


@pytest.mark.parametrize(
    ("check_fn", "reference"),
    [
        (check.sigmoid_backward, sigmoid_backward),
        (check.relu_backward, relu_backward),
        (check.tanh_backward, tanh_backward),
    ],
)
def test_reference_passes_and_stub_is_not_written(check_fn, reference, capsys):
    check_fn(reference)
    out = capsys.readouterr().out
    assert out.count("✓") == 1 and "24 random cases" in out
    assert "not written yet" in failure(check_fn, stub)


def test_checks_are_in_the_check_namespace():
    assert set(ch05.__all__) <= set(check.__all__)


def test_relu_cases_contain_exact_zeros():
    assert any(np.any(c["x"] == 0) for c in ch05._cases(52, zeros=True))


@pytest.mark.parametrize(
    ("hints", "cases", "reference"),
    [
        (ch05._SIGMOID_HINTS, ch05._cases(51), sigmoid_backward),
        (ch05._RELU_HINTS, ch05._cases(52, zeros=True), relu_backward),
        (ch05._TANH_HINTS, ch05._cases(53), tanh_backward),
    ],
)
def test_every_known_mistake_differs_from_the_answer_on_the_first_case(hints, cases, reference):
    # a hint that coincided with the right answer would never fire (and mean a wrong check)
    for hint in hints:
        assert not np.allclose(hint.wrong(**cases[0]), reference(**cases[0]))


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda x, dout: dout * x * (1 - x), "apply the sigmoid to x first"),
        (lambda x, dout: sigmoid(x) * (1 - sigmoid(x)), "upstream gradient dout"),
        (lambda x, dout: dout * sigmoid(x), "instead of by its derivative"),
        (lambda x, dout: 2 * sigmoid_backward(x, dout), "write the result with σ(x)"),
    ],
)
def test_sigmoid_backward_mistakes_get_their_hint(wrong, words):
    text = failure(check.sigmoid_backward, wrong)
    assert "Exercise 5.1" in text and "expected:" in text and words in text


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda x, dout: dout, "no gradient may pass"),
        (lambda x, dout: dout * (x < 0), "which side of 0"),
        (lambda x, dout: dout * np.maximum(x, 0), "0/1 mask"),
        (lambda x, dout: dout * (x >= 0), "convention"),
        (lambda x, dout: dout * (x > 1), "1 where ReLU is the identity"),
    ],
)
def test_relu_backward_mistakes_get_their_hint(wrong, words):
    text = failure(check.relu_backward, wrong)
    assert "Exercise 5.2" in text and words in text


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda x, dout: dout * (1 - x**2), "apply tanh first"),
        (lambda x, dout: 1 - np.tanh(x) ** 2, "upstream gradient dout"),
        (lambda x, dout: dout * (1 - np.tanh(x)), "check the power"),
        (lambda x, dout: dout * np.tanh(x), "by tanh itself instead of by its derivative"),
        (lambda x, dout: dout * np.tanh(x) * (1 - np.tanh(x)), "the sigmoid's identity"),
        (lambda x, dout: dout * (1 - np.tanh(x**2)), "not the input"),
        (lambda x, dout: dout * (1 + np.tanh(x) ** 2), "check the sign"),
        (lambda x, dout: dout * np.cosh(x), "sinh(x) / cosh(x)"),
    ],
)
def test_tanh_backward_mistakes_get_their_hint(wrong, words):
    text = failure(check.tanh_backward, wrong)
    assert "Exercise 5.3" in text and words in text


# --- saturated units: |x| up to 1000 ------------------------------------------------------------


def sigmoid_overflowing(x):
    return np.exp(x) / (1 + np.exp(x))  # nan once e^x is inf (x > 709)


def test_a_sigmoid_written_with_exp_x_fails_with_the_overflow_hint():
    def sigmoid_backward(x, dout):
        s = sigmoid_overflowing(x)
        return dout * s * (1 - s)

    text = failure(check.sigmoid_backward, sigmoid_backward)
    assert "case 19 of 24 is wrong" in text  # right on every moderate case first
    assert "got:      nan at [" in text and "there x = 1000" in text
    assert "e^x / (1 + e^x) then gives inf/inf = nan" in text


def test_a_sigmoid_that_only_overflows_to_zero_passes(capsys):
    """1 / (1 + e^{-x}) overflows to 1/inf = 0 for x < -709: the right limit, so it passes
    (numpy's overflow warning is not shown to the student)."""
    check.sigmoid_backward(sigmoid_backward)
    assert "✓ Exercise 5.1" in capsys.readouterr().out


def test_a_tanh_written_with_exponentials_fails_with_the_overflow_hint():
    def tanh_backward(x, dout):
        t = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
        return dout * (1 - t * t)

    text = failure(check.tanh_backward, tanh_backward)
    assert "nan at" in text and "np.tanh is computed without that overflow" in text


def test_the_large_cases_come_last_and_reach_1000():
    for seed in (51, 53):
        cases = ch05._cases(seed, large=True)
        assert all(np.max(np.abs(c["x"])) < 30 for c in cases[:18])
        assert all(np.max(c["x"]) == 1000 and np.min(c["x"]) == -1000 for c in cases[18:])


def test_float32_answers_pass(capsys):
    check.sigmoid_backward(lambda x, dout: sigmoid_backward(x, dout).astype(np.float32))
    check.tanh_backward(
        lambda x, dout: tanh_backward(x.astype(np.float32), dout.astype(np.float32))
    )
    assert capsys.readouterr().out.count("✓") == 2
