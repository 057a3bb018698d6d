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
        (lambda x, dout: dout * np.tanh(x), "sinh(x) / cosh(x)"),
    ],
)
def test_tanh_backward_mistakes_get_their_hint(wrong, words):
    text = failure(check.tanh_backward, wrong)
    assert "Exercise 5.3" in text and words in text
