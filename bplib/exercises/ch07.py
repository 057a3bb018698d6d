"""Exercise checks of chapter 7, "Initialisation and the scale of gradients" ([001] Pierret).

    check.he_std(he_std)                            Exercise 7.1  He's standard deviation
    check.variance_after_layer(variance_after_layer) Exercise 7.2  the variance after one layer
    check.killing_layer(killing_layer)              Exercise 7.3  which layer kills the gradient

The references are bplib's own: the fans of :func:`bplib.init.calculate_fan_in_and_fan_out`
and He's σ² = 2 / fan_in (book: eq-fans, eq-he); the variance of eq-var-forward with the
second moment of a ReLU's output, eq-relu-second-moment; and the ratio of consecutive entries
of a gradient profile. The known wrong answers are the usual slips: fan_out for fan_in, the
factor 2 forgotten, a variance given for a standard deviation, the variance of the input where
its second moment belongs, the smallest gradient taken for the layer that shrinks it.
"""

from __future__ import annotations

import math

import numpy as np

from bplib.exercises._harness import Hint, check_function_cases
from bplib.init import calculate_fan_in_and_fan_out

__all__ = ["he_std", "variance_after_layer", "killing_layer"]

EX71 = "Exercise 7.1: He's standard deviation for a layer"
EX72 = "Exercise 7.2: the variance after one layer"
EX73 = "Exercise 7.3: which layer kills the gradient"

N_CASES = 24


def _fans(shape):
    return calculate_fan_in_and_fan_out(np.empty(shape))


# --- Exercise 7.1 -------------------------------------------------------------------------------


def _he_std_reference(shape):
    """σ = √(2 / fan_in), fan_in = shape[1] · Π shape[2:] (book: eq-he, eq-fans)."""
    fan_in, _ = _fans(shape)
    return math.sqrt(2.0 / fan_in)


HINTS_71 = [
    Hint(
        lambda shape: math.sqrt(2.0 / _fans(shape)[1]),
        "you divided by fan_out, the number of outputs each input feeds: He's 'fan_in' mode "
        "keeps the forward signal, whose variance is a sum over the inputs of one output "
        "unit. Which axis of W indexes the inputs?",
    ),
    Hint(
        lambda shape: math.sqrt(1.0 / _fans(shape)[0]),
        "your σ² keeps the variance through a linear layer, not through a ReLU one: a ReLU "
        "zeroes half of its inputs, which halves the second moment, and He makes up for it.",
    ),
    Hint(
        lambda shape: 2.0 / _fans(shape)[0],
        "this is the variance σ²; the question asks for the standard deviation σ (what "
        "normal_(W, std=...) takes).",
    ),
    Hint(
        lambda shape: math.sqrt(2.0 / shape[1]),
        "for a convolution, one output sums over C·KH·KW inputs, not over the C channels "
        "alone: the kernel's window is part of the fan-in.",
    ),
    Hint(
        lambda shape: math.sqrt(2.0 / shape[-1]),
        "you took the last axis as the inputs: for a Linear W (out, in) it is, but a Conv2d's "
        "W is (F, C, KH, KW), whose last axis is the kernel's width.",
    ),
    Hint(
        lambda shape: math.sqrt(2.0 / sum(_fans(shape))),
        "this is Xavier's standard deviation, made for tanh and linear layers, with both "
        "fans; He's is for ReLU, with one fan.",
    ),
]


def _cases_71():
    rng = np.random.default_rng(701)
    cases = []
    for i in range(N_CASES):
        if i % 2 == 0:  # a Linear W (out, in), out != in so that the fans differ
            n_in = int(rng.integers(3, 600))
            n_out = int(rng.integers(3, 600))
            n_out += n_out == n_in
            shape = (n_out, n_in)
        else:  # a Conv2d W (F, C, KH, KW), F != C
            c = int(rng.integers(1, 64))
            f = int(rng.integers(2, 128))
            f += f == c
            kh, kw = (int(k) for k in rng.choice([1, 3, 5, 7], size=2))
            if c * kh * kw < 3:  # fan_in = 2 would make 2/fan_in = √(2/fan_in)
                kh = kw = 3
            shape = (f, c, kh, kw)
        cases.append({"shape": shape})
    return cases


def he_std(user_fn) -> None:
    """Check ``he_std(shape) -> σ``: He's standard deviation for ReLU layers, mode 'fan_in'
    (book: eq-he), for the W of a Linear (out, in) or of a Conv2d (F, C, KH, KW)."""
    check_function_cases(
        EX71,
        user_fn,
        _cases_71(),
        reference=_he_std_reference,
        hints=HINTS_71,
        generic_hint=(
            "count by hand the inputs of one output unit for this shape (fan_in), then "
            "write the variance that keeps E[h²] through a ReLU layer and take its square root."
        ),
    )


# --- Exercise 7.2 -------------------------------------------------------------------------------

_RELU_SECOND_MOMENT = 0.5  # E[ReLU(z)²] / q for z ~ N(0, q) (book: eq-relu-second-moment)
_RELU_VARIANCE = 0.5 - 1 / (2 * math.pi)  # Var(ReLU(z)) / q: ReLU(z) has mean √(q / 2π)


def _variance_reference(n_in, sigma, q, activation):
    """Var(a_j) = n_in σ² E[x²] (book: eq-var-forward), E[x²] = q or q/2 for ReLU."""
    second_moment = q if activation == "linear" else _RELU_SECOND_MOMENT * q
    return n_in * sigma**2 * second_moment


def _no_half(n_in, sigma, q, activation):
    return n_in * sigma**2 * q


def _half_always(n_in, sigma, q, activation):
    return 0.5 * n_in * sigma**2 * q


def _variance_of_input(n_in, sigma, q, activation):
    if activation == "linear":
        return n_in * sigma**2 * q
    return n_in * sigma**2 * _RELU_VARIANCE * q


def _sigma_not_squared(n_in, sigma, q, activation):
    return _variance_reference(n_in, math.sqrt(sigma), q, activation)  # n σ E[x²]


HINTS_72 = [
    Hint(
        _variance_of_input,
        "for the ReLU case you used the variance of x; the sum Σ_i W_ji x_i has variance "
        "Σ_i σ² E[x_i²], with the second moment E[x²], and a ReLU's outputs are not centred "
        "(their mean is positive), so the two differ.",
    ),
    Hint(
        _no_half,
        "for the ReLU case: ReLU sets the negative half of z to zero, and z is symmetric "
        "about 0. What does that do to E[x²] = E[ReLU(z)²]?",
    ),
    Hint(
        _half_always,
        "the factor for ReLU does not apply to a linear input: there x = z and E[x²] = q.",
    ),
    Hint(
        _sigma_not_squared,
        "sigma is the standard deviation of the weights; the variance of W_ji x_i involves "
        "its square.",
    ),
    Hint(
        lambda n_in, sigma, q, activation: math.sqrt(_variance_reference(n_in, sigma, q,
                                                                         activation)),
        "this is the standard deviation of a_j; the question asks for its variance.",
    ),
    Hint(
        lambda n_in, sigma, q, activation: _variance_reference(1, sigma, q, activation),
        "a_j sums n_in terms W_ji x_i, independent with mean 0: their variances add up.",
    ),
]


def _cases_72():
    rng = np.random.default_rng(702)
    cases = []
    for i in range(N_CASES):
        sigma = float(rng.uniform(0.02, 0.9))
        cases.append(
            {
                "n_in": int(rng.integers(2, 1000)),
                "sigma": sigma,
                "q": float(rng.uniform(0.2, 4.0)),
                "activation": "relu" if i % 3 != 2 else "linear",
            }
        )
    return cases


def variance_after_layer(user_fn) -> None:
    """Check ``variance_after_layer(n_in, sigma, q, activation) -> Var(a_j)`` for a = W x,
    x = z ('linear') or ReLU(z) ('relu'), z with independent N(0, q) entries, W independent of
    z with independent zero-mean entries of standard deviation sigma (book: eq-var-forward,
    eq-relu-second-moment)."""
    check_function_cases(
        EX72,
        user_fn,
        _cases_72(),
        reference=_variance_reference,
        hints=HINTS_72,
        generic_hint=(
            "write a_j = Σ_i W_ji x_i, expand E[a_j²], keep only the terms whose expectation "
            "is not zero, then compute E[x_i²] for the activation of this case."
        ),
    )


# --- Exercise 7.3 -------------------------------------------------------------------------------


def _killing_reference(grad_std):
    """The layer k (1..L) with the smallest ratio grad_std[k-1] / grad_std[k]."""
    g = np.asarray(grad_std, dtype=np.float64)
    return int(np.argmin(g[:-1] / g[1:])) + 1


def _argmin_profile(grad_std):
    return int(np.argmin(grad_std))


def _zero_based(grad_std):
    return _killing_reference(grad_std) - 1


def _one_above(grad_std):
    return _killing_reference(grad_std) + 1


def _largest_difference(grad_std):
    g = np.asarray(grad_std, dtype=np.float64)
    return int(np.argmax(g[1:] - g[:-1])) + 1


def _largest_increase(grad_std):
    g = np.asarray(grad_std, dtype=np.float64)
    return int(np.argmax(g[:-1] / g[1:])) + 1


HINTS_73 = [
    Hint(
        _argmin_profile,
        "the smallest gradient is not where it is killed: every layer below the culprit "
        "inherits the small gradient (and may shrink it a little more). Look for the layer "
        "whose backward pass divides it the most.",
    ),
    Hint(
        _largest_difference,
        "a drop from 100 to 50 is a larger difference than a drop from 1e-3 to 1e-7, but a "
        "far smaller factor: compare ratios of consecutive entries (what a log-scale plot "
        "shows), not differences.",
    ),
    Hint(
        _largest_increase,
        "that layer's backward pass multiplies the gradient the most: you found the layer "
        "that amplifies it, not the one that shrinks it.",
    ),
    Hint(
        _zero_based,
        "you found the drop but named the layer below it: grad_std[k] is at the output of "
        "layer k, and layer k's backward pass goes from grad_std[k] to grad_std[k - 1]. "
        "(Also: layers are numbered from 1.)",
    ),
    Hint(
        _one_above,
        "you found the drop but named the layer above it: layer k's backward pass goes from "
        "grad_std[k] (its output) to grad_std[k - 1] (its input).",
    ),
]


def _profile(rng, n_layers, culprit, *, big_top, amplifier):
    """grad_std[0..L]: a random walk going down (index L is the top), one culprit's drop."""
    g = np.empty(n_layers + 1)
    g[n_layers] = 1e3 if big_top else float(rng.uniform(0.5, 2.0))
    for k in range(n_layers, 0, -1):  # the backward pass of layer k: g[k] -> g[k - 1]
        factor = float(rng.uniform(0.75, 1.2))
        if k == culprit:
            factor = 10.0 ** -float(rng.uniform(2.0, 6.0))
        elif big_top and k == n_layers and culprit != n_layers:
            factor = 0.5  # a large difference, a small factor
        elif k == amplifier:
            factor = float(rng.uniform(20.0, 60.0))
        elif k < culprit:
            factor = float(rng.uniform(0.6, 0.95))  # below the culprit it keeps shrinking
        g[k - 1] = g[k] * factor
    return g


def _cases_73():
    rng = np.random.default_rng(703)
    cases = []
    for i in range(N_CASES):
        n_layers = int(rng.integers(6, 40))
        culprit = int(rng.integers(2, n_layers))  # 2..L-1: the layers next to it exist
        amplifier = 0
        if i % 3 == 1:
            others = [k for k in range(1, n_layers) if abs(k - culprit) > 1]
            amplifier = int(rng.choice(others))
        g = _profile(rng, n_layers, culprit, big_top=i % 2 == 0, amplifier=amplifier)
        cases.append({"grad_std": g})
    return cases


def killing_layer(user_fn) -> None:
    """Check ``killing_layer(grad_std) -> k``: ``grad_std`` (L + 1,) holds the standard
    deviation of ∂E/∂h_k for k = 0..L (h_0 the network's input, h_L its output); return the
    layer k in 1..L whose backward pass, from grad_std[k] to grad_std[k - 1], shrinks the
    gradient by the largest factor."""
    check_function_cases(
        EX73,
        user_fn,
        _cases_73(),
        reference=_killing_reference,
        hints=HINTS_73,
        generic_hint=(
            "plot grad_std on a log scale against k for this case; the culprit is the "
            "steepest step down when you walk from k = L to k = 0."
        ),
    )
