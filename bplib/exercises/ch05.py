"""Checks of chapter 5 (activations): ``check.sigmoid_backward``, ``check.relu_backward``,
``check.tanh_backward``.

Each exercise is the backward pass of an element-wise activation, ``dx = dout ⊙ g'(x)``
([001] Pierret: ∇_a E = ∇_h E ⊙ g'(a)); the reference is the bplib layer's own ``backward``.
"""

from __future__ import annotations

import numpy as np

from bplib.exercises._harness import Hint, check_function_cases
from bplib.layers.activations import ReLU, Sigmoid, Tanh
from bplib.layers.activations import sigmoid as _sigmoid

__all__ = ["sigmoid_backward", "relu_backward", "tanh_backward"]

_N_CASES = 24


def _layer_backward(layer_cls):
    def reference(x, dout):
        layer = layer_cls()
        layer.forward(x)
        return layer.backward(dout)

    return reference


def _cases(seed: int, *, zeros: bool = False, large: bool = False):
    """(x, dout) pairs of shapes (N,), (N, D) and (N, C, H, W): activations take any shape.

    With ``large``, the last cases hold inputs up to |x| = 1000 (a saturated unit), where a
    formula that computes e^x for a large positive x overflows.
    """
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (2, 3, 4), (6,), (2, 2, 3, 3)]
    cases = []
    for i in range(_N_CASES):
        shape = shapes[i % len(shapes)]
        x = 3.0 * rng.standard_normal(shape)
        if zeros and i % 3 == 0:
            x.reshape(-1)[::4] = 0.0  # exact zeros, where the convention matters
        if large and i >= _N_CASES - 6:  # the last cases, after the moderate ones
            x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.0, 1000.0, size=shape)
            x.reshape(-1)[:2] = (1000.0, -1000.0)
        cases.append({"x": x, "dout": rng.standard_normal(shape)})
    return cases


_SIGMOID_OVERFLOW_HINT = (
    "e^x overflows to inf in float64 once x > 709, and a formula like e^x / (1 + e^x) then "
    "gives inf/inf = nan. Write σ(x) so that the exponential only ever sees a number <= 0 "
    "where x is large (1 / (1 + e^{-x}) does, for x > 0), or use bplib's sigmoid "
    "(bplib.layers.activations.sigmoid)."
)

_SIGMOID_HINTS = [
    Hint(
        lambda x, dout: dout * x * (1 - x),
        "the identity σ' = σ(1 − σ) is written with the sigmoid's output, not with its input: "
        "apply the sigmoid to x first.",
    ),
    Hint(
        lambda x, dout: _sigmoid(x) * (1 - _sigmoid(x)),
        "this is the local derivative alone: the backward pass must also multiply it by the "
        "upstream gradient dout (chain rule: upstream × local).",
    ),
    Hint(
        lambda x, dout: dout * _sigmoid(x),
        "you multiplied dout by the sigmoid itself instead of by its derivative.",
    ),
]


def sigmoid_backward(user_fn) -> None:
    """Check ``sigmoid_backward(x, dout) -> dx`` (book: eq-sigmoid-grad): any shape."""
    check_function_cases(
        "Exercise 5.1: the sigmoid backward pass",
        user_fn,
        _cases(51, large=True),
        reference=_layer_backward(Sigmoid),
        hints=_SIGMOID_HINTS,
        generic_hint=(
            "differentiate σ(x) = 1 / (1 + e^{-x}), write the result with σ(x) itself, and "
            "multiply element-wise by dout."
        ),
        nonfinite_hint=_SIGMOID_OVERFLOW_HINT,
    )


_RELU_HINTS = [
    Hint(
        lambda x, dout: dout,
        "where x < 0, ReLU is constant (0): a small change of x changes nothing there, so no "
        "gradient may pass.",
    ),
    Hint(
        lambda x, dout: dout * (x < 0),
        "the gradient passes where the ReLU is the identity, not where it is flat: check "
        "which side of 0 that is.",
    ),
    Hint(
        lambda x, dout: dout * np.maximum(x, 0),
        "you multiplied dout by ReLU(x) instead of by its derivative, which is a 0/1 mask.",
    ),
    Hint(
        lambda x, dout: dout * (x >= 0),
        "at exactly x = 0 ReLU has no derivative; the book (like PyTorch) uses the convention "
        "0 there: let nothing pass at x = 0.",
    ),
]


def relu_backward(user_fn) -> None:
    """Check ``relu_backward(x, dout) -> dx`` (book: eq-relu-grad): any shape, and 0 at x = 0."""
    check_function_cases(
        "Exercise 5.2: the ReLU backward pass",
        user_fn,
        _cases(52, zeros=True),
        reference=_layer_backward(ReLU),
        hints=_RELU_HINTS,
        generic_hint=(
            "ReLU's derivative is 1 where ReLU is the identity and 0 where it is flat; "
            "multiply dout by it element-wise."
        ),
    )


_TANH_OVERFLOW_HINT = (
    "e^x overflows to inf in float64 once |x| > 709, and (e^x − e^{-x}) / (e^x + e^{-x}) "
    "then gives inf/inf = nan. numpy's np.tanh is computed without that overflow."
)

_TANH_HINTS = [
    Hint(
        lambda x, dout: dout * (1 - x**2),
        "the identity tanh' = 1 − tanh² is written with the output tanh(x), not with x: "
        "apply tanh first.",
    ),
    Hint(
        lambda x, dout: 1 - np.tanh(x) ** 2,
        "this is the local derivative alone: the backward pass must also multiply it by the "
        "upstream gradient dout (chain rule: upstream × local).",
    ),
    Hint(
        lambda x, dout: dout * (1 - np.tanh(x)),
        "check the power in the identity for tanh': differentiate sinh/cosh with the "
        "quotient rule again.",
    ),
    Hint(
        lambda x, dout: dout * np.tanh(x),
        "you multiplied dout by tanh itself instead of by its derivative: tanh is not its own "
        "derivative (that is e^x).",
    ),
    Hint(
        lambda x, dout: dout * np.tanh(x) * (1 - np.tanh(x)),
        "that is the sigmoid's identity, σ' = σ(1 − σ), applied to tanh. tanh has its own: "
        "differentiate sinh/cosh with the quotient rule and write the result with tanh.",
    ),
    Hint(
        lambda x, dout: dout * (1 - np.tanh(x**2)),
        "you squared x inside tanh: the identity squares the output, tanh(x)², not the input.",
    ),
    Hint(
        lambda x, dout: dout * (1 + np.tanh(x) ** 2),
        "check the sign in the identity: tanh is flat (its slope tends to 0) where |tanh| "
        "tends to 1.",
    ),
]


def tanh_backward(user_fn) -> None:
    """Check ``tanh_backward(x, dout) -> dx`` (book: eq-tanh-grad): any shape."""
    check_function_cases(
        "Exercise 5.3: the tanh backward pass",
        user_fn,
        _cases(53, large=True),
        reference=_layer_backward(Tanh),
        hints=_TANH_HINTS,
        generic_hint=(
            "differentiate tanh(x) = sinh(x) / cosh(x), write the result with tanh(x) itself, "
            "and multiply element-wise by dout."
        ),
        nonfinite_hint=_TANH_OVERFLOW_HINT,
    )
