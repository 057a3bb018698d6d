"""Exercise checks of chapter 1, "The chain rule and computational graphs" ([001] Pierret,
[000] Maaoui).

    check.grad_log_xy(grad_log_xy)         Exercise 1.1  ∂z/∂x and ∂z/∂y of z = log(xy)
    check.mul_backward(mul_backward)       Exercise 1.2  a multiply node's downstream gradients
    check.grad_two_paths(grad_two_paths)   Exercise 1.3  dz/dt when t reaches z along two paths

Every reference is computed by :mod:`bplib.autodiff` (a graph of ``Value`` nodes and one
``backward()``), not by the formula the reader is asked for. The known wrong answers are the
mistakes the sources invite: [001] Pierret's "= 1/r" (read as 1/y, the derivatives swapped), a
local gradient dropped, an upstream gradient forgotten, and [000] Maaoui's single-dependence
sentence applied to a multiple dependence (one path kept) (book: eq-logxy, eq-upstream-local,
eq-chain-multiple).
"""

from __future__ import annotations

import math

import numpy as np

from bplib.autodiff import Value
from bplib.exercises._harness import Hint, check_function_cases

__all__ = ["grad_log_xy", "mul_backward", "grad_two_paths"]

EX11 = "Exercise 1.1: log(xy), step by step"
EX12 = "Exercise 1.2: the backward pass of a multiply node"
EX13 = "Exercise 1.3: two paths that add"

N_CASES = 24


# --- Exercise 1.1 -------------------------------------------------------------------------------


def _grad_log_xy_reference(x, y):
    """(∂z/∂x, ∂z/∂y) of z = log(xy), by bplib's engine (book: eq-logxy)."""
    xv, yv = Value(x), Value(y)
    (xv * yv).log().backward()
    return xv.grad, yv.grad


def _log_xy_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for _ in range(N_CASES):
        sign = 1.0 if rng.random() < 0.75 else -1.0  # xy > 0 also when both are negative
        x, y = sign * rng.uniform(0.2, 5.0, size=2)
        cases.append({"x": float(x), "y": float(y)})
    return cases


LOG_XY_HINTS = (
    Hint(
        lambda x, y: (1.0 / y, 1.0 / x),
        "your two derivatives are swapped: the trap of the source's last line, '= 1/r'. After "
        "multiplying the local gradients, put back what v stands for before simplifying, and "
        "ask which variable is left.",
    ),
    Hint(
        lambda x, y: (y, x),
        "you kept the multiply node's local gradient but lost the log node's: every node on "
        "the path from z down to x contributes one factor.",
    ),
    Hint(
        lambda x, y: (1.0 / (x * y), 1.0 / (x * y)),
        "that is the gradient with respect to v, the product: one more node, the product "
        "itself, lies between v and x (and between v and y).",
    ),
    Hint(
        lambda x, y: (-1.0 / x, -1.0 / y),
        "check the sign: where x and y are positive, increasing x increases xy and so log(xy).",
    ),
)


def grad_log_xy(user_fn) -> None:
    """Check ``grad_log_xy(x, y) -> (dz_dx, dz_dy)`` for z = log(xy), xy > 0."""
    check_function_cases(
        EX11,
        user_fn,
        _log_xy_cases(np.random.default_rng(101)),
        reference=_grad_log_xy_reference,
        hints=LOG_XY_HINTS,
        generic_hint=(
            "write z as the chain v = xy, w = log v, z = w, and multiply the local gradients "
            "along the path from z to each input; bplib.autodiff.Value gives the same numbers."
        ),
    )


# --- Exercise 1.2 -------------------------------------------------------------------------------


def _mul_backward_reference(x, y, upstream):
    """Downstream gradients of z = x·y when ∂L/∂z = upstream, by bplib's engine: the rest of the
    graph is stood in for by L = upstream · z, whose ∂L/∂z is upstream."""
    xv, yv = Value(x), Value(y)
    ((xv * yv) * upstream).backward()
    return xv.grad, yv.grad


def _mul_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for _ in range(N_CASES):
        x, y = rng.uniform(0.3, 3.0, size=2) * rng.choice([-1.0, 1.0], size=2)
        upstream = rng.uniform(0.2, 2.5) * rng.choice([-1.0, 1.0])
        cases.append({"x": float(x), "y": float(y), "upstream": float(upstream)})
    return cases


MUL_HINTS = (
    Hint(
        lambda x, y, upstream: (y, x),
        "those are the local gradients alone. The gradient a node sends down must also carry "
        "how the final output depends on the node: combine them with the upstream gradient.",
    ),
    Hint(
        lambda x, y, upstream: (upstream * x, upstream * y),
        "the local gradients are swapped: ask how much the product moves when x moves a "
        "little while y stays fixed.",
    ),
    Hint(
        lambda x, y, upstream: (upstream, upstream),
        "that is what an add node does (its local gradients are 1); a multiply node's local "
        "gradients are not 1.",
    ),
    Hint(
        lambda x, y, upstream: (upstream + y, upstream + x),
        "upstream and local gradients are not added: along a path the chain rule multiplies.",
    ),
)


def mul_backward(user_fn) -> None:
    """Check ``mul_backward(x, y, upstream) -> (dx, dy)`` for a node z = x·y."""
    check_function_cases(
        EX12,
        user_fn,
        _mul_cases(np.random.default_rng(102)),
        reference=_mul_backward_reference,
        hints=MUL_HINTS,
        generic_hint=(
            "downstream = upstream × local, once for each input of the node; the local gradient "
            "with respect to an input is the product's derivative with respect to that input."
        ),
    )


# --- Exercise 1.3 -------------------------------------------------------------------------------


def _two_paths_reference(t):
    """dz/dt for z = a1·a2, a1 = t³, a2 = exp(−t), by bplib's engine (book: eq-chain-multiple)."""
    tv = Value(t)
    (tv**3 * (-tv).exp()).backward()
    return tv.grad


def _two_paths_cases(rng: np.random.Generator) -> list[dict]:
    # away from 0 (where both paths vanish) and from 3 (where they cancel)
    t = np.concatenate([rng.uniform(0.3, 2.6, N_CASES - 6), rng.uniform(-2.0, -0.3, 6)])
    return [{"t": float(v)} for v in rng.permutation(t)]


def _path1(t):  # through a1: ∂z/∂a1 · da1/dt
    return math.exp(-t) * 3.0 * t**2


def _path2(t):  # through a2: ∂z/∂a2 · da2/dt
    return t**3 * -math.exp(-t)


TWO_PATHS_HINTS = (
    Hint(
        _path1,
        "you followed only the path through a1, as if z depended on t through a1 alone (the "
        "single-dependence case that [000] Maaoui's sentence repeats). t also reaches z through "
        "a2: every path from t to z contributes.",
    ),
    Hint(
        _path2,
        "you followed only the path through a2. t also reaches z through a1: every path from "
        "t to z contributes.",
    ),
    Hint(
        lambda t: _path1(t) * _path2(t),
        "you multiplied the two paths' contributions. Along one path the local gradients "
        "multiply, but a small change of t travels along both paths at once and z feels both "
        "changes.",
    ),
    Hint(
        lambda t: 3.0 * t**2 - math.exp(-t),
        "each path is missing the product node's local gradient (∂z/∂a1 on one path, ∂z/∂a2 on "
        "the other): z is a1·a2, not a1 + a2.",
    ),
    Hint(
        lambda t: _path1(t) - _path2(t),
        "check the sign of the path through a2: exp(−t) decreases when t increases.",
    ),
)


def grad_two_paths(user_fn) -> None:
    """Check ``grad_two_paths(t) -> dz_dt`` for z = a1·a2 with a1 = t³ and a2 = exp(−t)."""
    check_function_cases(
        EX13,
        user_fn,
        _two_paths_cases(np.random.default_rng(103)),
        reference=_two_paths_reference,
        hints=TWO_PATHS_HINTS,
        generic_hint=(
            "list the paths from t to z, multiply the local gradients along each one, and "
            "combine the paths; bplib.autodiff.Value gives the same number."
        ),
    )
