"""The checks of chapter 7's exercises: a right answer passes, the stub is "not written yet",
each known mistake gets its own hint, an unrelated mistake gets the generic hint, and the
references agree with measurements and with bplib.init."""

from __future__ import annotations

import math

import numpy as np
import pytest
from exercise_contract import contract_tests, failure

import bplib.init
from bplib.exercises import ch07, check

# --- right answers, written as a reader would (independently of bplib) ------------------------


def he_std(shape):
    fan_in = shape[1] * math.prod(shape[2:])  # inputs of one output unit
    return math.sqrt(2 / fan_in)


def variance_after_layer(n_in, sigma, q, activation):
    second_moment = q / 2 if activation == "relu" else q
    return n_in * sigma**2 * second_moment


def killing_layer(grad_std):
    drops = [grad_std[k - 1] / grad_std[k] for k in range(1, len(grad_std))]
    return 1 + min(range(len(drops)), key=drops.__getitem__)


CHECKS = {
    "he_std": (ch07.he_std, he_std, ch07.HINTS_71),
    "variance_after_layer": (ch07.variance_after_layer, variance_after_layer, ch07.HINTS_72),
    "killing_layer": (ch07.killing_layer, killing_layer, ch07.HINTS_73),
}

test_right_answer_passes, test_stub_is_not_written_yet, test_each_known_mistake_gets_its_hint = (
    contract_tests(CHECKS)
)


def test_listed_in_all_and_gathered_by_check():
    assert ch07.__all__ == ["he_std", "variance_after_layer", "killing_layer"]
    for name in ch07.__all__:
        assert getattr(check, name) is getattr(ch07, name)


@pytest.mark.parametrize(
    ("check_fn", "wrong", "words"),
    [
        (ch07.he_std, lambda shape: 0.1, "count by hand the inputs of one output unit"),
        (
            ch07.variance_after_layer,
            lambda n_in, sigma, q, activation: n_in * sigma * q,
            "expand E[a_j²]",
        ),
        (ch07.killing_layer, lambda grad_std: 1, "plot grad_std on a log scale"),
    ],
)
def test_unrelated_mistake_gets_the_generic_hint(check_fn, wrong, words):
    assert words in failure(check_fn, wrong)


def test_he_reference_is_bplib_kaiming_normal():
    """The reference σ is the standard deviation kaiming_normal_ draws with, on every case."""
    for case in ch07._cases_71():
        W = np.empty(case["shape"])
        W = bplib.init.kaiming_normal_(W, nonlinearity="relu", rng=np.random.default_rng(0))
        expected = np.random.default_rng(0).normal(0, ch07._he_std_reference(**case), W.shape)
        np.testing.assert_allclose(W, expected, rtol=1e-13)


def test_he_cases_cover_linear_and_conv_with_distinct_fans():
    shapes = [c["shape"] for c in ch07._cases_71()]
    assert {len(s) for s in shapes} == {2, 4}
    for s in shapes:
        fan_in, fan_out = bplib.init.calculate_fan_in_and_fan_out(np.empty(s))
        assert fan_in != fan_out and fan_in >= 3


def test_variance_reference_against_a_measurement():
    """Var(a) measured on 4·10^5 outputs of a real layer, within 3 % of the reference."""
    rng = np.random.default_rng(7)
    n_in, sigma, q = 400, 0.07, 2.5
    W = rng.normal(0, sigma, size=(400, n_in))
    z = rng.normal(0, math.sqrt(q), size=(1000, n_in))
    for activation, x in (("linear", z), ("relu", np.maximum(z, 0))):
        measured = (x @ W.T).var()
        expected = ch07._variance_reference(n_in, sigma, q, activation)
        assert abs(measured / expected - 1) < 0.03
    # and the variance of a ReLU's output, which the hint names, is its second moment
    # minus its squared mean √(q/2π)²
    relu = np.maximum(rng.normal(0, math.sqrt(q), 10**6), 0)
    assert abs(relu.var() / (ch07._RELU_VARIANCE * q) - 1) < 0.01


def test_variance_cases_have_both_activations():
    kinds = [c["activation"] for c in ch07._cases_72()]
    assert kinds[0] == "relu" and "linear" in kinds


def test_killing_cases_are_unambiguous():
    """The culprit's factor is the smallest by far, and the mistakes give other answers."""
    for case in ch07._cases_73():
        g = case["grad_std"]
        ratios = np.sort(g[:-1] / g[1:])
        assert ratios[0] < 0.05 * ratios[1]
        k = ch07._killing_reference(g)
        assert ch07._argmin_profile(g) != k
        assert 2 <= k <= len(g) - 2


def test_killing_finds_the_layer_of_a_real_network():
    """A 12-layer ReLU network with He init, layer 7 given the variance as its std."""
    from bplib.layers import Linear, ReLU

    rng = np.random.default_rng(3)
    n = 128
    layers = []
    for k in range(1, 13):
        std = 2 / n if k == 7 else math.sqrt(2 / n)  # the slip of Exercise 7.1's hint
        layers.append((Linear(n, n, init=lambda W, rng, s=std: bplib.init.normal_(W, std=s,
                                                                                rng=rng)),
                       ReLU()))  # fmt: skip
    h = rng.standard_normal((256, n))
    for linear, relu in layers:
        h = relu.forward(linear.forward(h))
    g = rng.standard_normal(h.shape)
    stds = [g.std()]
    for linear, relu in reversed(layers):
        g = linear.backward(relu.backward(g))
        stds.append(g.std())
    assert ch07._killing_reference(np.array(stds[::-1])) == 7
