"""Exercise checks of chapter 3, "Backprop in matrix form" ([001] Pierret and [004] Pappens).

    check.linear_backward(linear_backward)   Exercise 3.1  dx, dW, db of a batched Linear
    check.delta_recursion(delta_recursion)   Exercise 3.2  one step of the δ recursion

References are computed by bplib's own layers (``Linear.backward``, ``Sigmoid.backward``);
the known wrong answers are the usual slips of the matrix form (book: eq-batched-linear,
eq-delta, eq-grad-h).
"""

from __future__ import annotations

import numpy as np

from bplib.exercises._harness import ExerciseFailed, Hint, check_function_cases
from bplib.exercises._harness import tolerant as _safe
from bplib.layers.activations import sigmoid as _sigmoid

__all__ = ["linear_backward", "delta_recursion"]

EX31 = "Exercise 3.1: the backward pass of a batched linear layer"
EX32 = "Exercise 3.2: one step of the δ recursion"

N_CASES = 24


# --- Exercise 3.1 -------------------------------------------------------------------------------


def _linear_reference(x, W, b, dout):
    """(dx, dW, db) of out = x @ W.T + b for the upstream gradient dout, by bplib's Linear."""
    from bplib.layers import Linear

    layer = Linear(W.shape[1], W.shape[0], rng=np.random.default_rng(0))
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.grads["W"], layer.grads["b"]


def _cases_31():
    rng = np.random.default_rng(301)
    cases = []
    for i in range(N_CASES):
        # the first cases are square (D == M), so that a transposed W still gives a number
        # (and a hint) instead of a shape error
        n = int(rng.integers(2, 6))
        d = int(rng.integers(2, 5))
        m = d if i < 6 else int(rng.integers(2, 5))
        cases.append(
            {
                "x": rng.normal(size=(n, d)),
                "W": rng.normal(size=(m, d)),
                "b": rng.normal(size=m),
                "dout": rng.normal(size=(n, m)),
            }
        )
    return cases


def _component(user_fn, index: int, name: str):
    """The reader's function seen through one of its three outputs."""

    def part(**case):
        result = user_fn(**case)
        if result is None or (isinstance(result, (tuple, list)) and len(result) == 3):
            return None if result is None else result[index]  # None: the harness explains
        if isinstance(result, (tuple, list)):
            what = f"{len(result)} values"
        elif isinstance(result, np.ndarray):
            what = f"one array of shape {result.shape}"
        else:
            what = f"a {type(result).__name__}"
        hint = "return the three gradients together, in this order: `return dx, dW, db`."
        raise ExerciseFailed(
            f"{EX31}: your function returned {what}; it must return the tuple (dx, dW, db)."
            f"\n  hint:     {hint}",
            exercise=EX31,
            hint=hint,
        )

    part.__name__ = f"{getattr(user_fn, '__name__', 'linear_backward')}[{name}]"
    return part


HINTS_31 = {
    "dx": [
        Hint(
            _safe(lambda x, W, b, dout: dout @ W.T),
            "dx uses W the wrong way round: you carried [001] Pierret's transpose over literally, "
            "but in bplib's layout (one example per row) the forward pass already multiplies by "
            "W.T. "
            "Let the shapes guide you: dout is (N, M), W is (M, D), dx must be (N, D).",
        ),
        Hint(
            _safe(lambda x, W, b, dout: dout @ W / x.shape[0]),
            "dx is divided by the batch size: each example's input gradient depends on that "
            "example only, nothing is shared across the batch.",
        ),
    ],
    "dW": [
        Hint(
            lambda x, W, b, dout: x.T @ dout,
            "dW is transposed: a parameter's gradient has the parameter's shape, here W's "
            "(out_features, in_features), with one row per output.",
        ),
        Hint(
            lambda x, W, b, dout: dout.T @ x / x.shape[0],
            "dW is divided by the batch size: the layer's gradient is the sum of the examples' "
            "contributions (any averaging is the loss's business, and it is already in dout).",
        ),
        Hint(
            lambda x, W, b, dout: np.outer(dout[0], x[0]),
            "dW only uses the first example: every row of the batch uses the same W, so every "
            "row contributes to dW, and the contributions add.",
        ),
    ],
    "db": [
        Hint(
            lambda x, W, b, dout: dout,
            "db must have b's shape (out_features,): the same bias is added to every row of "
            "the batch, so its gradient collects one contribution per row.",
        ),
        Hint(
            lambda x, W, b, dout: dout.mean(axis=0),
            "db is averaged over the batch: the layer's gradient is the sum of the examples' "
            "contributions (any averaging is the loss's business, and it is already in dout).",
        ),
        Hint(
            lambda x, W, b, dout: dout[0],
            "db only uses the first example: the bias is added to every row of the batch, so "
            "every row contributes.",
        ),
    ],
}

GENERIC_31 = (
    "write out[n, j] = Σ_i x[n, i] W[j, i] + b[j] for one entry, differentiate L = Σ out ⊙ dout "
    "by that entry's inputs, and check the shapes: dX always has X's shape."
)


def linear_backward(user_fn) -> None:
    """Check ``user_fn(x, W, b, dout) -> (dx, dW, db)`` (book: eq-batched-linear).

    x (N, D), W (M, D), b (M,), dout (N, M) for the layer ``out = x @ W.T + b``; the answer
    is the tuple of arrays of shapes (N, D), (M, D), (M,). Each of the three is checked on
    every case against bplib's ``Linear.backward``.
    """
    cases = _cases_31()
    for index, name in enumerate(("dx", "dW", "db")):
        check_function_cases(
            f"{EX31} ({name})",
            _component(user_fn, index, name),
            cases,
            reference=lambda index=index, **case: _linear_reference(**case)[index],
            hints=HINTS_31[name],
            generic_hint=GENERIC_31,
        )


# --- Exercise 3.2 -------------------------------------------------------------------------------


def _delta_reference(delta_next, W_next, a):
    """δ_k for h_k = σ(a_k), a_{k+1} = W_{k+1} h_k + b_{k+1}, by bplib's Linear and Sigmoid.

    bplib's ``Linear.backward`` gives ∇_{h_k}E from δ_{k+1}, and ``Sigmoid.backward`` turns it
    into ∇_{a_k}E = δ_k (one example, as a batch of one row).
    """
    from bplib.layers import Linear, Sigmoid

    lin = Linear(W_next.shape[1], W_next.shape[0], rng=np.random.default_rng(0))
    lin.params["W"][...] = W_next
    act = Sigmoid()
    lin.forward(act.forward(a[None, :]))
    return act.backward(lin.backward(delta_next[None, :]))[0]


def _slope(a):
    s = _sigmoid(a)
    return s * (1 - s)


HINTS_32 = [
    Hint(
        _safe(lambda delta_next, W_next, a: W_next.T @ delta_next),
        "you stopped at ∇_{h_k}E: between h_k and a_k sits the activation g_k, and its slope "
        "must multiply in, neuron by neuron.",
    ),
    Hint(
        _safe(lambda delta_next, W_next, a: (W_next.T @ delta_next) @ _slope(a)),
        "your answer is a single number: ⊙ (the Hadamard product) multiplies entry by entry "
        "and keeps a vector, it is not a dot product.",
    ),
    Hint(
        _safe(lambda delta_next, W_next, a: (W_next.T @ delta_next) * _slope(_sigmoid(a))),
        "you took the slope of σ at h_k = σ(a_k), its output; g'_k is evaluated where g_k is "
        "applied, at the pre-activation a_k.",
    ),
    Hint(
        _safe(lambda delta_next, W_next, a: (W_next.T @ delta_next) * _sigmoid(a)),
        "you multiplied by σ(a_k), the activation itself, instead of its slope σ'(a_k).",
    ),
    Hint(
        _safe(lambda delta_next, W_next, a: (W_next @ delta_next) * _slope(a)),
        "you multiplied by W_{k+1} itself: going backward the gradient follows the connections "
        "in reverse, which transposes the matrix (the shapes tell you: δ_k has layer k's size).",
    ),
]


def _cases_32():
    rng = np.random.default_rng(302)
    cases = []
    for i in range(N_CASES):
        # the first cases are square (n_k == n_{k+1}), so that an untransposed W still gives
        # a number (and a hint) instead of a shape error
        n_k = int(rng.integers(2, 6))
        n_next = n_k if i < 6 else int(rng.integers(1, 6))
        cases.append(
            {
                "delta_next": rng.normal(size=n_next),
                "W_next": rng.normal(size=(n_next, n_k)),
                "a": rng.normal(0.0, 1.5, size=n_k),
            }
        )
    return cases


def delta_recursion(user_fn) -> None:
    """Check ``user_fn(delta_next, W_next, a) -> delta`` (book: eq-delta, eq-grad-h).

    Column convention of [001] Pierret, one example, sigmoid activation h_k = σ(a_k):
    delta_next = δ_{k+1} (n_{k+1},), W_next = W_{k+1} (n_{k+1}, n_k), a = a_k (n_k,);
    the answer is δ_k (n_k,).
    """
    check_function_cases(
        EX32,
        user_fn,
        _cases_32(),
        reference=_delta_reference,
        hints=HINTS_32,
        generic_hint=(
            "do it in two steps, as [001] Pierret's backward loop does: first the gradient with "
            "respect to h_k, then through the activation; check each step's shape."
        ),
    )
