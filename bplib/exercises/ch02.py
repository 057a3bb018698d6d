"""Exercise checks of chapter 2, "One neuron, one example" ([003] Calcul).

    check.neuron_grads(neuron_grads)       Exercise 2.1  dC0/dw and dC0/db of one neuron
    check.neuron_da_prev(neuron_da_prev)   Exercise 2.2  dC0/da_k^(L-1) with several neurons j
    check.batch_dw(batch_dw)               Exercise 2.3  dC/dw averaged over a batch

Every reference is computed by bplib's layers (a ``Linear`` followed by a ``Sigmoid`` and an
``MSELoss``), not by the formula the reader is asked for; the known wrong answers are the
mistakes [003] Calcul's derivation invites (book: eq-neuron-dw, eq-neuron-db, eq-neuron-sum-k,
eq-neuron-batch).
"""

from __future__ import annotations

import numpy as np

from bplib.exercises._harness import Hint, check_function_cases
from bplib.exercises._harness import tolerant as _safe
from bplib.layers.activations import sigmoid as _sigmoid

__all__ = ["neuron_grads", "neuron_da_prev", "batch_dw"]

EX21 = "Exercise 2.1: the three links for one neuron"
EX22 = "Exercise 2.2: the sensitivity to a neuron of layer L-1"
EX23 = "Exercise 2.3: the gradient over a batch"

N_CASES = 24


def _bplib_neuron(a_prev, W, b, y, *, reduction):
    """Run bplib's Linear + Sigmoid + MSELoss on a batch and return (layer, dx)."""
    from bplib.layers import Linear, Sigmoid
    from bplib.losses import MSELoss

    a_prev = np.asarray(a_prev, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    lin = Linear(W.shape[1], W.shape[0], rng=np.random.default_rng(0))
    lin.params["W"][...] = W
    lin.params["b"][...] = b
    act = Sigmoid()
    loss = MSELoss(reduction=reduction)
    loss.forward(act.forward(lin.forward(a_prev)), np.asarray(y, dtype=np.float64))
    dx = lin.backward(act.backward(loss.backward()))
    return lin, dx


# --- Exercise 2.1 -------------------------------------------------------------------------------


def _neuron_grads_reference(a_prev, w, b, y):
    """(dC0/dw, dC0/db) for z = w a_prev + b, a = σ(z), C0 = (a − y)², by bplib."""
    lin, _ = _bplib_neuron(
        np.array([[a_prev]]), np.array([[w]]), np.array([b]), np.array([[y]]), reduction="sum"
    )
    return float(lin.grads["W"][0, 0]), float(lin.grads["b"][0])


def _links(a_prev, w, b, y):
    z = w * a_prev + b
    a = _sigmoid(z)
    return z, a


def _no_factor_two(a_prev, w, b, y):
    z, a = _links(a_prev, w, b, y)
    g = _sigmoid(z) * (1 - _sigmoid(z)) * (a - y)
    return a_prev * g, g


def _sigma_instead_of_slope(a_prev, w, b, y):
    z, a = _links(a_prev, w, b, y)
    g = _sigmoid(z) * 2 * (a - y)
    return a_prev * g, g


def _slope_at_a(a_prev, w, b, y):
    z, a = _links(a_prev, w, b, y)
    g = _sigmoid(a) * (1 - _sigmoid(a)) * 2 * (a - y)
    return a_prev * g, g


def _bias_like_weight(a_prev, w, b, y):
    z, a = _links(a_prev, w, b, y)
    g = _sigmoid(z) * (1 - _sigmoid(z)) * 2 * (a - y)
    return a_prev * g, a_prev * g


def _wrong_sign(a_prev, w, b, y):
    dw, db = _neuron_grads_reference(a_prev, w, b, y)
    return -dw, -db


HINTS_21 = [
    Hint(
        _no_factor_two,
        "your two numbers are exactly half of the right ones: look again at the third link, "
        "the derivative of the square (a − y)² with respect to a.",
    ),
    Hint(
        _sigma_instead_of_slope,
        "the middle link ∂a/∂z is the slope of σ at z, not the value σ(z): for the sigmoid "
        "that slope can be written with σ(z) itself, but it is not σ(z).",
    ),
    Hint(
        _slope_at_a,
        "you took the slope of σ at a = σ(z); the middle link is the slope where σ is applied, "
        "at its input z.",
    ),
    Hint(
        _bias_like_weight,
        "dC0/dw is right but dC0/db is not: the first link changes for the bias, since z "
        "depends on b with a coefficient that is not a^(L-1).",
    ),
    Hint(
        _wrong_sign,
        "the sign is wrong: C0 grows when a moves away from y, so differentiate (a − y)² with "
        "respect to a (not to y).",
    ),
]


def _cases_21():
    rng = np.random.default_rng(201)
    return [
        {
            "a_prev": float(rng.uniform(0.1, 1.0)),
            "w": float(rng.uniform(-2.0, 2.0)),
            "b": float(rng.uniform(-1.0, 1.0)),
            "y": float(rng.choice([0.0, 1.0]) if i % 2 else rng.uniform(0.0, 1.0)),
        }
        for i in range(N_CASES)
    ]


def neuron_grads(user_fn) -> None:
    """Check ``user_fn(a_prev, w, b, y) -> (dC0_dw, dC0_db)`` (book: eq-neuron-dw, eq-neuron-db).

    All arguments are floats; z = w·a_prev + b, a = σ(z), C0 = (a − y)².
    """
    check_function_cases(
        EX21,
        user_fn,
        _cases_21(),
        reference=_neuron_grads_reference,
        hints=HINTS_21,
        generic_hint=(
            "compute the three links one by one (∂z/∂w, ∂a/∂z, ∂C0/∂a) for this case, print "
            "them, and compare their product with a finite difference of C0 in w."
        ),
    )


# --- Exercise 2.2 -------------------------------------------------------------------------------


def _da_prev_reference(a_prev, W, b, y):
    """dC0/da_prev (K,) for z = W a_prev + b, a = σ(z), C0 = Σ_j (a_j − y_j)², by bplib."""
    _, dx = _bplib_neuron(a_prev[None, :], W, b, y[None, :], reduction="sum")
    return dx[0]


def _upstream(a_prev, W, b, y):
    """σ'(z_j) · 2(a_j − y_j), one number per neuron j of layer L."""
    z = W @ a_prev + b
    a = _sigmoid(z)
    return a * (1 - a) * 2 * (a - y), a, z


def _one_j_only(a_prev, W, b, y):
    g, _, _ = _upstream(a_prev, W, b, y)
    return W[0, :] * g[0]


def _no_activation_slope(a_prev, W, b, y):
    _, a, _ = _upstream(a_prev, W, b, y)
    return W.T @ (2 * (a - y))


def _no_factor_two_22(a_prev, W, b, y):
    g, _, _ = _upstream(a_prev, W, b, y)
    return W.T @ (g / 2)


def _sum_over_k(a_prev, W, b, y):
    g, _, _ = _upstream(a_prev, W, b, y)
    return W @ g  # only computable when J == K


def _forgot_weights(a_prev, W, b, y):
    g, _, _ = _upstream(a_prev, W, b, y)
    return np.full(W.shape[1], g.sum())


HINTS_22 = [
    Hint(
        _safe(_one_j_only),
        "you kept only one neuron j of layer L (the first): neuron k of layer L-1 feeds "
        "every neuron of layer L, and the influences it has through each of them add up.",
    ),
    Hint(
        _safe(_sum_over_k),
        "you summed over the wrong index: for a fixed k, the sum runs over the neurons j "
        "that a_k feeds, through the weights that leave neuron k (a column of W, not a row).",
    ),
    Hint(
        _safe(_no_activation_slope),
        "each path from a_k to C0 goes through a sigmoid: the slope σ'(z_j) of every neuron j "
        "belongs in its term.",
    ),
    Hint(
        _safe(_no_factor_two_22),
        "your answer is exactly half of the right one: look again at the derivative of the "
        "square (a_j − y_j)².",
    ),
    Hint(
        _safe(_forgot_weights),
        "every term of the sum must say how strongly a_k feeds neuron j: the weight w_jk "
        "is the first link of that path.",
    ),
]


def _cases_22():
    rng = np.random.default_rng(202)
    cases = []
    for i in range(N_CASES):
        # the first cases are square (J == K) so that index mix-ups give a number, not a crash
        k = int(rng.integers(2, 5))
        j = k if i < 6 else int(rng.integers(2, 5))
        cases.append(
            {
                "a_prev": rng.uniform(0.0, 1.0, size=k),
                "W": rng.normal(0.0, 1.0, size=(j, k)),
                "b": rng.normal(0.0, 0.5, size=j),
                "y": rng.uniform(0.0, 1.0, size=j),
            }
        )
    return cases


def neuron_da_prev(user_fn) -> None:
    """Check ``user_fn(a_prev, W, b, y) -> dC0/da_prev`` (book: eq-neuron-sum-k).

    a_prev (K,), W (J, K) with ``W[j, k] = w_jk``, b (J,), y (J,);
    z = W a_prev + b, a = σ(z), C0 = Σ_j (a_j − y_j)². The answer has shape (K,).
    """
    check_function_cases(
        EX22,
        user_fn,
        _cases_22(),
        reference=_da_prev_reference,
        hints=HINTS_22,
        generic_hint=(
            "for one k, list every path a_k → z_j → a_j → C0, multiply the three links along "
            "each path, and compare the total with a finite difference of C0 in a_k."
        ),
    )


# --- Exercise 2.3 -------------------------------------------------------------------------------


def _batch_dw_reference(a_prev, w, b, y):
    """dC/dw for C = (1/n) Σ_k (σ(w a_k + b) − y_k)² over a batch of n examples, by bplib."""
    lin, _ = _bplib_neuron(
        a_prev[:, None], np.array([[w]]), np.array([b]), y[:, None], reduction="mean"
    )
    return float(lin.grads["W"][0, 0])


def _per_example_dw(a_prev, w, b, y):
    a = _sigmoid(w * a_prev + b)
    return a_prev * a * (1 - a) * 2 * (a - y)


def _summed(a_prev, w, b, y):
    return float(np.sum(_per_example_dw(a_prev, w, b, y)))


def _first_only(a_prev, w, b, y):
    return float(_per_example_dw(a_prev, w, b, y)[0])


def _mean_inputs_first(a_prev, w, b, y):
    return float(_per_example_dw(np.array([a_prev.mean()]), w, b, np.array([y.mean()]))[0])


HINTS_23 = [
    Hint(
        _summed,
        "you added the examples' gradients: C is the average of the C_k, and differentiating "
        "an average gives the average of the derivatives.",
    ),
    Hint(
        _first_only,
        "you used one example: every example of the batch contributes to dC/dw.",
    ),
    Hint(
        _mean_inputs_first,
        "you averaged the inputs and targets first and then differentiated once: σ is not "
        "linear, so the gradient must be computed example by example, then averaged.",
    ),
]


def _cases_23():
    rng = np.random.default_rng(203)
    cases = []
    for _ in range(N_CASES):
        n = int(rng.integers(2, 7))
        cases.append(
            {
                "a_prev": rng.uniform(0.0, 1.0, size=n),
                "w": float(rng.uniform(-2.0, 2.0)),
                "b": float(rng.uniform(-1.0, 1.0)),
                "y": rng.uniform(0.0, 1.0, size=n),
            }
        )
    return cases


def batch_dw(user_fn) -> None:
    """Check ``user_fn(a_prev, w, b, y) -> dC/dw`` over a batch (book: eq-neuron-batch).

    a_prev (n,) and y (n,) hold the n examples; w and b are floats;
    C = (1/n) Σ_k C_k with C_k = (σ(w a_prev[k] + b) − y[k])². The answer is a float.
    """
    check_function_cases(
        EX23,
        user_fn,
        _cases_23(),
        reference=_batch_dw_reference,
        hints=HINTS_23,
        generic_hint=(
            "compute dC_k/dw for each example with the three links of Exercise 2.1, then "
            "combine them the way C combines the C_k."
        ),
    )
