"""Exercise checks of chapter 2: the reference passes, a stub is "not written yet", each
known mistake gets its own hint, and an unrelated mistake gets the generic hint."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.exercises import ExerciseFailed, ch02


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- what a reader might write ------------------------------------------------------------------


def grads_right(a_prev, w, b, y):
    z = w * a_prev + b
    a = sigmoid(z)
    dC0_da = 2 * (a - y)
    da_dz = sigmoid(z) * (1 - sigmoid(z))
    return a_prev * da_dz * dC0_da, 1.0 * da_dz * dC0_da


def grads_no_two(a_prev, w, b, y):
    a = sigmoid(w * a_prev + b)
    return a_prev * a * (1 - a) * (a - y), a * (1 - a) * (a - y)


def grads_sigma_not_slope(a_prev, w, b, y):
    z = w * a_prev + b
    a = sigmoid(z)
    return a_prev * sigmoid(z) * 2 * (a - y), sigmoid(z) * 2 * (a - y)


def grads_slope_at_a(a_prev, w, b, y):
    a = sigmoid(w * a_prev + b)
    s = sigmoid(a)
    return a_prev * s * (1 - s) * 2 * (a - y), s * (1 - s) * 2 * (a - y)


def grads_bias_like_weight(a_prev, w, b, y):
    dw, _ = grads_right(a_prev, w, b, y)
    return dw, dw


def grads_wrong_sign(a_prev, w, b, y):
    a = sigmoid(w * a_prev + b)
    return a_prev * a * (1 - a) * 2 * (y - a), a * (1 - a) * 2 * (y - a)


def da_right(a_prev, W, b, y):
    z = W @ a_prev + b
    a = sigmoid(z)
    return sum(W[j, :] * a[j] * (1 - a[j]) * 2 * (a[j] - y[j]) for j in range(len(y)))


def da_one_j(a_prev, W, b, y):
    a = sigmoid(W @ a_prev + b)
    return W[0, :] * a[0] * (1 - a[0]) * 2 * (a[0] - y[0])


def da_rows(a_prev, W, b, y):
    a = sigmoid(W @ a_prev + b)
    return W @ (a * (1 - a) * 2 * (a - y))


def da_no_slope(a_prev, W, b, y):
    a = sigmoid(W @ a_prev + b)
    return W.T @ (2 * (a - y))


def da_no_two(a_prev, W, b, y):
    a = sigmoid(W @ a_prev + b)
    return W.T @ (a * (1 - a) * (a - y))


def da_no_weights(a_prev, W, b, y):
    a = sigmoid(W @ a_prev + b)
    return np.ones(W.shape[1]) * np.sum(a * (1 - a) * 2 * (a - y))


def batch_right(a_prev, w, b, y):
    return float(np.mean([grads_right(ak, w, b, yk)[0] for ak, yk in zip(a_prev, y, strict=True)]))


def batch_sum(a_prev, w, b, y):
    return float(np.sum([grads_right(ak, w, b, yk)[0] for ak, yk in zip(a_prev, y, strict=True)]))


def batch_first(a_prev, w, b, y):
    return float(grads_right(a_prev[0], w, b, y[0])[0])


def batch_mean_first(a_prev, w, b, y):
    return float(grads_right(a_prev.mean(), w, b, y.mean())[0])


# --- the tests ----------------------------------------------------------------------------------

CHECKS = {
    "neuron_grads": (ch02.neuron_grads, grads_right, lambda a_prev, w, b, y: (w, b)),
    "neuron_da_prev": (ch02.neuron_da_prev, da_right, lambda a_prev, W, b, y: 3 * a_prev),
    "batch_dw": (ch02.batch_dw, batch_right, lambda a_prev, w, b, y: w * b),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_reference_passes(name, capsys):
    check, right, _ = CHECKS[name]
    check(right)
    assert "✓ Exercise 2." in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_stub_is_not_written_yet(name):
    check, _, _ = CHECKS[name]

    def stub(**kwargs):
        raise NotImplementedError("Exercise 2.x")

    with pytest.raises(ExerciseFailed, match="not written yet"):
        check(stub)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_unrelated_mistake_gets_the_generic_hint(name):
    check, _, unrelated = CHECKS[name]
    with pytest.raises(ExerciseFailed) as info:
        check(unrelated)
    text = str(info.value)
    assert "case 1 of 24 is wrong" in text
    generic = {
        "neuron_grads": "three links one by one",
        "neuron_da_prev": "list every path",
        "batch_dw": "for each example",
    }[name]
    assert generic in text


@pytest.mark.parametrize(
    ("check", "wrong", "hint"),
    [
        (ch02.neuron_grads, grads_no_two, "derivative of the square"),
        (ch02.neuron_grads, grads_sigma_not_slope, "not the value σ(z)"),
        (ch02.neuron_grads, grads_slope_at_a, "at its input z"),
        (ch02.neuron_grads, grads_bias_like_weight, "dC0/dw is right but dC0/db is not"),
        (ch02.neuron_grads, grads_wrong_sign, "the sign is wrong"),
        (ch02.neuron_da_prev, da_one_j, "influences it has through each of them add up"),
        (ch02.neuron_da_prev, da_rows, "summed over the wrong index"),
        (ch02.neuron_da_prev, da_no_slope, "goes through a sigmoid"),
        (ch02.neuron_da_prev, da_no_two, "exactly half"),
        (ch02.neuron_da_prev, da_no_weights, "how strongly a_k feeds neuron j"),
        (ch02.batch_dw, batch_sum, "you added the examples' gradients"),
        (ch02.batch_dw, batch_first, "you used one example"),
        (ch02.batch_dw, batch_mean_first, "σ is not linear"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[:30],
)
def test_known_mistake_gets_its_hint(check, wrong, hint):
    with pytest.raises(ExerciseFailed) as info:
        check(wrong)
    text = str(info.value)
    assert "expected:" in text and "got:" in text
    assert hint in text


def test_every_check_is_exported():
    assert sorted(ch02.__all__) == sorted(CHECKS)


def test_cases_are_reproducible():
    first = ch02._cases_22()
    second = ch02._cases_22()
    assert len(first) == 24
    assert all(np.array_equal(a["W"], b["W"]) for a, b in zip(first, second, strict=True))
