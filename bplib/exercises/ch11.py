"""Exercise checks of chapter 11, "From Value to Tensor": backprop by hand, the whole network.

    check.unbroadcast(unbroadcast)                 Exercise 11.1   the backward of a broadcast
    check.backprop_loss(backprop_loss)             Exercise 11.2   loss -> picked, logp
    check.backprop_normalise(backprop_normalise)   Exercise 11.3   logp -> probs, inv, total, e
    check.backprop_shift(backprop_shift)           Exercise 11.4   e -> shifted, row_max, logits
    check.backprop_softmax(backprop_softmax)       Exercise 11.5   probs -> logits in one step
    check.backprop_linear(backprop_linear)         Exercise 11.6   a linear layer
    check.backprop_relu(backprop_relu)             Exercise 11.7   a ReLU
    check.mlp_by_hand(mlp_by_hand)                 Exercise 11.8   the whole MLP
    check.backprop_maxpool_windows(...)            Exercise 11.9   max over each window
    check.backprop_windows(backprop_windows)       Exercise 11.10  the windows themselves
    check.backprop_conv_rows(backprop_conv_rows)   Exercise 11.11  the product of a convolution
    check.cnn_by_hand(cnn_by_hand)                 Exercise 11.12  the whole CNN

Every reference is the gradient that :mod:`bplib.tensor` computes for the same intermediate of
the same forward pass (:func:`bplib.tensor_nn.mlp_steps`, :func:`bplib.tensor_nn.cnn_steps`),
never a formula written here: the reader's backward pass is compared, intermediate by
intermediate, with the engine's ``.grad``. The upstream gradients a function receives are the
engine's too, so a mistake upstream does not spoil the checks below it. A check prints a
table, one row per intermediate: its shape, ``exact`` (bit for bit the engine's), ``close``
(within rounding) or ``wrong``, and the largest difference; on a wrong row it says which case,
and gives the hint of the usual mistake (book: eq-broadcast-grad, eq-max-grad, eq-window-grad,
eq-matmul-grad, eq-softmax-jacobian).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bplib.exercises._harness import (
    ExerciseFailed,
    Hint,
    _tolerance,
    call_student,
    check_function_cases,
    report_pass,
    require_callable,
    student_output,
)
from bplib.exercises._harness import tolerant as _safe
from bplib.tensor import Tensor
from bplib.tensor import unbroadcast as _unbroadcast
from bplib.tensor_nn import cnn_steps, mlp_steps

__all__ = [
    "unbroadcast",
    "backprop_loss",
    "backprop_normalise",
    "backprop_shift",
    "backprop_softmax",
    "backprop_linear",
    "backprop_relu",
    "mlp_by_hand",
    "backprop_maxpool_windows",
    "backprop_windows",
    "backprop_conv_rows",
    "cnn_by_hand",
]

EX1 = "Exercise 11.1: the backward of a broadcast"
EX2 = "Exercise 11.2: from the loss to the log-probabilities"
EX3 = "Exercise 11.3: through the log and the normalisation"
EX4 = "Exercise 11.4: through exp, the shift and the row maximum"
EX5 = "Exercise 11.5: the softmax in one step"
EX6 = "Exercise 11.6: a linear layer"
EX7 = "Exercise 11.7: a ReLU"
EX8 = "Exercise 11.8: the whole MLP by hand"
EX9 = "Exercise 11.9: the maximum of each window"
EX10 = "Exercise 11.10: the windows"
EX11 = "Exercise 11.11: the matrix product of a convolution"
EX12 = "Exercise 11.12: the whole CNN by hand"

RTOL, ATOL = 1e-7, 1e-10  # "close": within the rounding of a different summation order

# --- the table ------------------------------------------------------------------------------------


def _status(got, expected) -> tuple[str, float]:
    """``("exact" | "close" | "wrong", max |difference|)`` of one gradient."""
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return "wrong", np.inf
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape or not np.all(np.isfinite(g)):
        return "wrong", np.inf
    diff = float(np.max(np.abs(g - e), initial=0.0))
    if diff == 0.0:
        return "exact", 0.0
    # a float32 answer is compared with float32's precision, as every check does
    scale = float(np.max(np.abs(e), initial=1.0))
    rtol, atol = _tolerance(np.asarray(got).dtype, RTOL, ATOL, scale)
    if np.allclose(g, e, rtol=rtol, atol=atol):
        return "close", diff
    return "wrong", diff


def _fmt_diff(diff: float) -> str:
    # rounded so that a different CPU prints the same line: rounding errors are all "< 1e-12"
    if diff == 0.0:
        return "0"
    if diff < 1e-12:
        return "< 1e-12"
    return "-" if not np.isfinite(diff) else f"{diff:.1e}"


def _shape(value) -> str:
    try:
        return str(np.shape(value))
    except (TypeError, ValueError):
        return type(value).__name__


def gradient_table(rows: Sequence[tuple[str, tuple, str, float]]) -> str:
    """The table of a check: one line per intermediate, ``(name, shape, status, max diff)``,
    at most 78 characters wide."""
    lines = [f"{'intermediate':<13}{'shape':<20}{'by hand':<9}max |difference|"]
    for name, shape, status, diff in rows:
        lines.append(f"{name:<13}{str(shape):<20}{status:<9}{_fmt_diff(diff)}")
    return "\n".join(lines)


def _shape_hint(got, expected) -> str | None:
    """A hint from the shapes alone: the usual ways a gradient gets the wrong shape."""
    gs, es = np.shape(got), np.shape(expected)
    if gs == es:
        return None
    if len(gs) == len(es) + 1 and gs[1:] == es:
        return ("it has one axis too many, in front: that operand was broadcast over the "
                "batch, used once per example, so its gradient is the sum over the batch axis "
                "(eq-broadcast-grad).")
    if len(gs) == len(es) and gs == es[::-1]:
        return ("it has the transposed shape: a gradient always has the shape of its "
                "variable; for a product A @ B, dA = G Bᵀ and dB = Aᵀ G (eq-matmul-grad).")
    if len(gs) + 1 == len(es) and 1 in es and tuple(n for n in es if n != 1) == gs:
        return ("an axis of length 1 is missing: the variable was broadcast along it, sum "
                "over it but keep it (keepdims=True), so the gradient keeps the variable's "
                "shape.")
    if len(gs) == len(es) and sum(a != b for a, b in zip(gs, es, strict=True)) == 1 \
            and 1 in es:
        return ("this variable has an axis of length 1 that was stretched by broadcasting: "
                "sum the gradient over that axis, keeping it (keepdims=True).")
    if np.prod(gs, dtype=np.int64) == np.prod(es, dtype=np.int64):
        return (f"the right number of entries in the wrong shape: reshape it to {es}, and "
                f"check that the entries are in the right order.")
    return None


def _run_user(exercise: str, user_fn, kwargs: dict, index: int, n_cases: int):
    """The reader's answer on one case (copies of the inputs), with the harness's time limit
    and its short messages for a function not written yet or one that raised."""
    copies = {k: (v.copy() if isinstance(v, np.ndarray) else
                  {kk: vv.copy() if isinstance(vv, np.ndarray) else vv for kk, vv in v.items()}
                  if isinstance(v, dict) else v) for k, v in kwargs.items()}
    shown = {k: (f"the forward values of {len(v)} tensors" if isinstance(v, dict) else v)
             for k, v in kwargs.items()}
    got, _ = call_student(exercise, user_fn, copies, index=index, total=n_cases, shown=shown)
    return got


def _as_named(exercise: str, got, names: Sequence[str]) -> dict:
    """The reader's answer as ``{name: array}``: a dict as it is, a tuple in ``names``' order,
    a single array for a single name."""
    if isinstance(got, dict):
        return got
    if len(names) == 1:
        return {names[0]: got}
    if not isinstance(got, tuple | list) or len(got) != len(names):
        raise ExerciseFailed(
            f"{exercise}: return the {len(names)} gradients ({', '.join('d' + n for n in names)})"
            f" as a tuple, in that order; got {type(got).__name__}"
            f"{f' of length {len(got)}' if isinstance(got, tuple | list) else ''}."
        )
    return dict(zip(names, got, strict=True))


def _matches(got: dict, answer, wrong: Sequence[str], names: Sequence[str]) -> bool:
    """Whether a known wrong ``answer`` agrees with the reader's on every wrong gradient."""
    try:
        other = _as_named("", answer, names)
    except ExerciseFailed:  # the known mistake could not even be computed on this case
        return False
    return all(n in got and n in other and _status(got[n], other[n])[0] != "wrong"
               for n in wrong)


def _check_steps(
    exercise: str,
    user_fn: Callable,
    cases: Sequence[tuple[dict, dict]],
    *,
    hints: Sequence[Hint] = (),
    generic_hint: str,
    show: bool = True,
) -> None:
    """Compare each gradient the reader returns with the engine's, case after case.

    ``cases``: pairs ``(kwargs, expected)``, ``expected`` a dict ``{name: engine's .grad}`` in
    the order the table lists them. On success prints the table of the first case's shapes
    with the worst status and difference over all cases, then the passing line.
    """
    require_callable(exercise, user_fn)
    with student_output():
        _compare_cases(exercise, user_fn, cases, hints, generic_hint, show)


def _compare_cases(exercise, user_fn, cases, hints, generic_hint, show) -> None:
    names = list(cases[0][1])
    worst = {name: ("exact", 0.0) for name in names}
    rank = {"exact": 0, "close": 1, "wrong": 2}
    for index, (kwargs, expected) in enumerate(cases, start=1):
        got = _as_named(exercise, _run_user(exercise, user_fn, kwargs, index, len(cases)), names)
        rows, wrong = [], []
        for name in names:
            if name not in got:
                rows.append((name, np.shape(expected[name]), "missing", np.inf))
                wrong.append(name)
                continue
            status, diff = _status(got[name], expected[name])
            rows.append((name, _shape(got[name]), status, diff))
            if status == "wrong":
                wrong.append(name)
            worst[name] = (max(status, worst[name][0], key=rank.get), max(diff, worst[name][1]))
        if not wrong:
            continue
        first = wrong[0]
        hint = None
        for h in hints:
            if _matches(got, _safe(h.wrong)(**kwargs), wrong, names):
                hint = h.message
                break
        if hint is None and first in got:
            shape_hint = _shape_hint(got[first], expected[first])
            hint = f"d{first}: {shape_hint}" if shape_hint else None
        hint = hint or generic_hint
        lines = [f"{exercise}: case {index} of {len(cases)} is wrong "
                 f"(d{first}, expected shape {np.shape(expected[first])}).",
                 gradient_table(rows),
                 f"hint: {hint}"]
        raise ExerciseFailed("\n".join(lines), exercise=exercise, hint=hint, kind="wrong")
    if show:
        print(gradient_table([(name, np.shape(cases[0][1][name]), *worst[name])
                              for name in names]))
    report_pass(exercise, len(cases))


# --- Exercise 11.1: unbroadcast ------------------------------------------------------------------


def _cases_1():
    rng = np.random.default_rng(1101)
    pairs = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 1)), ((2, 4, 3), (3,)),
             ((4, 3), (1, 3)), ((5,), ()), ((2, 3), (2, 3)), ((3, 2, 4), (1, 2, 1)),
             ((6, 2), (1,)), ((2, 3, 4), (1, 1, 4))]
    cases = []
    for result, shape in pairs:
        cases.append({"grad": rng.standard_normal(result), "shape": shape})
    for _ in range(14):
        shape = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(1, 3)))
        result = (*[int(n) for n in rng.integers(1, 4, size=rng.integers(0, 2))],
                  *[int(rng.integers(2, 4)) if n == 1 and rng.random() < 0.7 else n
                    for n in shape])
        cases.append({"grad": rng.standard_normal(result), "shape": shape})
    return cases


def _ub_no_sum(grad, shape):
    return grad


def _ub_first_axis_only(grad, shape):
    return grad.sum(axis=0)


def _ub_no_keepdims(grad, shape):
    added = grad.ndim - len(shape)
    g = grad.sum(axis=tuple(range(added)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched)


def _ub_mean(grad, shape):
    added = grad.ndim - len(shape)
    g = grad.mean(axis=tuple(range(added)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.mean(axis=stretched, keepdims=True) if stretched else g


HINTS_1 = [
    Hint(_ub_no_sum, "this is the gradient of the broadcast result, not of the operand: the "
                     "operand was copied along the broadcast axes, each copy is a path, and "
                     "the paths add (eq-chain-multiple): sum over those axes."),
    Hint(_ub_mean, "the paths add up: a copy used N times gets the SUM of the N gradients, "
                   "not their mean (eq-chain-multiple)."),
    Hint(_ub_no_keepdims, "the axes of length 1 that were stretched must stay, with length 1: "
                          "sum them with keepdims=True so the result has the operand's shape."),
    Hint(_safe(_ub_first_axis_only), "only one axis summed: broadcasting can add several axes "
                                     "on the left and stretch every axis of length 1."),
]


def unbroadcast(user_fn) -> None:
    """Check ``user_fn(grad, shape) -> array of shape`` (book: eq-broadcast-grad)."""
    check_function_cases(
        EX1, user_fn, _cases_1(), reference=lambda grad, shape: _unbroadcast(grad, shape),
        hints=HINTS_1,
        generic_hint=("compare the shape of your result with `shape` first, then sum a small "
                      "grad by hand along each axis that broadcasting added or stretched."),
        rtol=1e-12, atol=1e-12,
    )


# --- the MLP, intermediate by intermediate ------------------------------------------------------


def _mlp_case(rng, n, d, h, k):
    bound1, bound2 = 1 / np.sqrt(d), 1 / np.sqrt(h)
    x = rng.standard_normal((n, d))
    y = rng.integers(0, k, size=n)
    W1, b1 = rng.uniform(-bound1, bound1, (h, d)), rng.uniform(-bound1, bound1, h)
    W2, b2 = rng.uniform(-bound2, bound2, (k, h)), rng.uniform(-bound2, bound2, k)
    steps = mlp_steps(x, y, W1, b1, W2, b2)
    steps["loss"].backward()
    values = {name: t.data for name, t in steps.items()}
    values["y"] = y
    grads = {name: t.grad for name, t in steps.items()}
    return values, grads


def _mlp_cases(n_random=5, seed=1108):
    """The first case has the chapter's sizes (a batch of 16 digits, 64 → 32 → 10)."""
    rng = np.random.default_rng(seed)
    cases = [_mlp_case(rng, 16, 64, 32, 10)]
    for _ in range(n_random):
        n, d = int(rng.integers(1, 7)), int(rng.integers(2, 6))
        h, k = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        if h == k:
            k += 1  # a transposed gradient then has a shape of its own
        cases.append(_mlp_case(rng, n, d, h, k))
    return cases


def _pick(values, names):
    return {name: values[name] for name in names}


def _grads(grads, names):
    return {name: grads[name] for name in names}


# Exercise 11.2


def _loss_ref(logp, y):  # the engine's answer, for the hints only
    n = len(y)
    dlogp = np.zeros_like(logp)
    dlogp[np.arange(n), y] = -1.0 / n
    return np.full(n, -1.0 / n), dlogp


HINTS_2 = [
    Hint(lambda logp, y: tuple(len(y) * g for g in _loss_ref(logp, y)),
         "N times too large: the loss is the MEAN of the picked log-probabilities, so each "
         "one enters it with weight 1/N."),
    Hint(lambda logp, y: tuple(-g for g in _loss_ref(logp, y)),
         "the sign: the loss is MINUS the mean of the picked log-probabilities."),
    Hint(lambda logp, y: (_loss_ref(logp, y)[0], np.full_like(logp, -1.0 / len(y))),
         "dlogp: only the picked entries logp[n, y_n] enter the loss; the others get 0 "
         "(indexing's rule: the gradient goes back where the value was read, eq-index-grad)."),
    Hint(lambda logp, y: (_loss_ref(logp, y)[0],
                          np.full_like(logp, -1.0 / len(y) / logp.shape[1])),
         "dlogp: only the picked entries logp[n, y_n] enter the loss; the others get 0."),
]


def backprop_loss(user_fn) -> None:
    """Check ``user_fn(logp, y) -> (dpicked, dlogp)`` against the engine's gradients."""
    cases = [(dict(logp=v["logp"], y=v["y"]), _grads(g, ["picked", "logp"]))
             for v, g in _mlp_cases()]
    _check_steps(EX2, user_fn, cases, hints=HINTS_2, generic_hint=(
        "write the loss as −(1/N) Σ_n picked[n] and picked[n] = logp[n, y_n]; each line has "
        "a local rule."))


# Exercise 11.3


def _norm_parts(probs, e, total, inv, dlogp):
    dprobs = dlogp / probs
    dinv = (dprobs * e).sum(axis=1, keepdims=True)
    dtotal = dinv * -(total**-2)
    de = dprobs * inv + dtotal
    return dprobs, dinv, dtotal, de


HINTS_3 = [
    Hint(lambda probs, e, total, inv, dlogp: (
        dlogp * probs, *_norm_parts(probs, e, total, inv, dlogp)[1:]),
        "dprobs: the local rule of log is 1/probs (the derivative of log p is 1/p)."),
    Hint(lambda probs, e, total, inv, dlogp: (
        dlogp / probs, (dlogp / probs) * e, *_norm_parts(probs, e, total, inv, dlogp)[2:]),
        "dinv: inv (N, 1) was broadcast over the K columns of e, so it was used K times per "
        "row: sum over the broadcast axis (keepdims=True), eq-broadcast-grad."),
    Hint(lambda probs, e, total, inv, dlogp: (
        *_norm_parts(probs, e, total, inv, dlogp)[:3], (dlogp / probs) * inv),
        "de: e reaches the loss along two paths, through probs = e · inv and through "
        "total = Σ e; the paths add (eq-chain-multiple)."),
    Hint(lambda probs, e, total, inv, dlogp: (
        *_norm_parts(probs, e, total, inv, dlogp)[:2],
        -_norm_parts(probs, e, total, inv, dlogp)[2],
        _norm_parts(probs, e, total, inv, dlogp)[0] * inv
        - _norm_parts(probs, e, total, inv, dlogp)[2]),
        "dtotal: the derivative of total⁻¹ is −total⁻², with a minus sign."),
]


def backprop_normalise(user_fn) -> None:
    """Check ``user_fn(probs, e, total, inv, dlogp) -> (dprobs, dinv, dtotal, de)``."""
    cases = [(dict(probs=v["probs"], e=v["e"], total=v["total"], inv=v["inv"],
                   dlogp=g["logp"]), _grads(g, ["probs", "inv", "total", "e"]))
             for v, g in _mlp_cases()]
    _check_steps(EX3, user_fn, cases, hints=HINTS_3, generic_hint=(
        "go up one line at a time: logp = log probs, probs = e · inv, inv = total⁻¹, "
        "total = Σ_k e; e is used twice."))


# Exercise 11.4


def _shift_from(logits, dshifted, *, keepdims=True):
    """(dshifted, drow_max, dlogits) from a given dshifted (right or wrong), the rest right."""
    drow_max = -dshifted.sum(axis=1, keepdims=True) if keepdims else -dshifted
    first = np.zeros_like(logits)
    first[np.arange(len(logits)), logits.argmax(axis=1)] = 1.0
    return dshifted, drow_max, dshifted + first * drow_max


HINTS_4 = [
    Hint(lambda logits, e, de: _shift_from(logits, de),
         "dshifted: the local rule of exp is exp itself, e = exp(shifted): multiply by e."),
    Hint(lambda logits, e, de: _shift_from(logits, de * np.log(e)),
         "dshifted: the derivative of exp(s) is exp(s) = e, not s."),
    Hint(lambda logits, e, de: _shift_from(logits, de * e, keepdims=False),
         "drow_max: row_max (N, 1) was broadcast over the K columns: sum over them "
         "(keepdims=True), eq-broadcast-grad."),
]


def backprop_shift(user_fn) -> None:
    """Check ``user_fn(logits, e, de) -> (dshifted, drow_max, dlogits)``."""
    cases = [(dict(logits=v["logits"], e=v["e"], de=g["e"]),
              _grads(g, ["shifted", "row_max", "logits"])) for v, g in _mlp_cases()]
    _check_steps(EX4, user_fn, cases, hints=HINTS_4, generic_hint=(
        "e = exp(shifted), shifted = logits − row_max (broadcast), row_max = max over each "
        "row: logits reaches shifted directly and through row_max."))


# Exercise 11.5


HINTS_5 = [
    Hint(lambda probs, dprobs: probs * (1 - probs) * dprobs,
         "that is the softmax Jacobian cut to its diagonal, ∂l_i/∂a_i = l_i(1 − l_i): every "
         "probability depends on every logit, ∂l_i/∂a_j = l_i(δ_ij − l_j) (chapter 4, "
         "eq-softmax-jacobian), so the off-diagonal terms add −l_i Σ_j l_j g_j."),
    Hint(lambda probs, dprobs: probs * (dprobs - (dprobs * probs).sum(axis=0, keepdims=True)),
         "the sum runs over the classes of each example (axis 1), not over the batch."),
    Hint(lambda probs, dprobs: probs * (dprobs - dprobs.sum(axis=1, keepdims=True)),
         "the sum Σ_j l_j g_j weighs each upstream gradient g_j by its probability l_j."),
]


def backprop_softmax(user_fn) -> None:
    """Check ``user_fn(probs, dprobs) -> dlogits`` (book: eq-softmax-jacobian)."""
    cases = [(dict(probs=v["probs"], dprobs=g["probs"]), _grads(g, ["logits"]))
             for v, g in _mlp_cases()]
    _check_steps(EX5, user_fn, cases, hints=HINTS_5, generic_hint=(
        "dlogits[n, j] = Σ_i dprobs[n, i] ∂probs[n, i]/∂logits[n, j], with the full "
        "Jacobian of chapter 4."))


# Exercise 11.6


def _lin(h, W, dout):
    return dout @ W, dout.T @ h, dout.sum(axis=0)


HINTS_6 = [
    Hint(lambda h, W, dout: (dout @ W, dout.T @ h, dout),
         "db: the bias (M,) was broadcast over the N examples, used once per example: its "
         "gradient is the sum over the batch axis (eq-broadcast-grad)."),
    Hint(lambda h, W, dout: (dout @ W, dout.T @ h, dout.mean(axis=0)),
         "db: the paths add, sum over the batch; the loss already divided by N."),
    Hint(lambda h, W, dout: (dout @ W, h.T @ dout, dout.sum(axis=0)),
         "dW: a transpose. W is (M, D) and out = h @ Wᵀ, so dW = doutᵀ h, of W's shape "
         "(eq-matmul-grad)."),
]


def backprop_linear(user_fn) -> None:
    """Check ``user_fn(h, W, dout) -> (dh, dW, db)`` for out = h @ W.T + b, on both layers."""
    cases = []
    for v, g in _mlp_cases():
        cases.append((dict(h=v["h1"], W=v["W2"], dout=g["logits"]),
                      {"h": g["h1"], "W": g["W2"], "b": g["b2"]}))
        cases.append((dict(h=v["x"], W=v["W1"], dout=g["a1"]),
                      {"h": g["x"], "W": g["W1"], "b": g["b1"]}))
    _check_steps(EX6, user_fn, cases, hints=HINTS_6, generic_hint=(
        "two operations: z = h @ W.T (eq-matmul-grad, with W.T's gradient transposed back) "
        "and out = z + b (b broadcast)."))


# Exercise 11.7


HINTS_7 = [
    Hint(lambda a, dh: dh * a, "the local rule of ReLU is 1 where a > 0 and 0 elsewhere (its "
                               "slope), not a itself (eq-relu-grad)."),
    Hint(lambda a, dh: dh * np.maximum(a, 0), "the local rule of ReLU is its slope, 1 where "
                                              "a > 0, not its value max(a, 0)."),
    Hint(lambda a, dh: dh * (a < 0), "the mask is reversed: the gradient passes where a > 0."),
]


def backprop_relu(user_fn) -> None:
    """Check ``user_fn(a, dh) -> da`` for h = relu(a) (book: eq-relu-grad)."""
    cases = [(dict(a=v["a1"], dh=g["h1"]), _grads(g, ["a1"])) for v, g in _mlp_cases()]
    _check_steps(EX7, user_fn, cases, hints=HINTS_7, generic_hint=(
        "an element-wise operation: da = dh ⊙ relu'(a)."))


# Exercise 11.8


MLP_ORDER = ["loss", "picked", "logp", "probs", "inv", "total", "e", "shifted", "row_max",
             "logits", "b2", "z2", "W2", "h1", "a1", "b1", "z1", "W1", "x"]


def mlp_by_hand(user_fn) -> None:
    """Check ``user_fn(v) -> {name: gradient}`` for every intermediate of the MLP, where ``v``
    holds the forward values of :func:`bplib.tensor_nn.mlp_steps` (and the labels ``y``)."""
    cases = [({"v": v}, {name: g[name] for name in MLP_ORDER})
             for v, g in _mlp_cases(n_random=3, seed=1188)]
    _check_steps(EX8, user_fn, cases, generic_hint=(
        "look at the first wrong row of the table: the rows follow the backward pass, from "
        "the loss down, and each gradient uses the ones above it."))


# --- the CNN --------------------------------------------------------------------------------------


def _windows(a, k, s):
    every = np.lib.stride_tricks.sliding_window_view(a, (k, k), axis=(-2, -1))
    return every[..., ::s, ::s, :, :]


def _relu_like(rng, shape):
    """Random values of which about half are 0, as after a ReLU: windows with ties."""
    return np.maximum(rng.standard_normal(shape), 0.0)


# Exercise 11.9


def _maxpool_cases():
    rng = np.random.default_rng(1109)
    cases = []
    for i in range(12):
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        k = 2 if i < 6 else int(rng.integers(1, 4))
        oh, ow = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        win = _relu_like(rng, (n, c, oh, ow, k, k))
        if i == 0:
            win[0, 0, 0, 0] = 0.0  # a window of zeros: a tie everywhere
        t = Tensor(win, requires_grad=True)
        out = t.max(axis=(4, 5))
        dout = rng.standard_normal(out.shape)
        out.backward(dout)
        cases.append((dict(windows=win, dout=dout), {"windows": t.grad}))
    return cases


def _to_every_max(windows, dout):
    top = windows.max(axis=(4, 5), keepdims=True)
    return (windows == top) * dout[..., None, None]


HINTS_9 = [
    Hint(lambda windows, dout: np.broadcast_to(dout[..., None, None], windows.shape),
         "you sent each window's gradient to every cell of the window: the maximum, locally, "
         "is one cell, the others can move a little without changing it (eq-max-grad)."),
    Hint(lambda windows, dout: np.broadcast_to(dout[..., None, None], windows.shape)
         / (windows.shape[-1] * windows.shape[-2]),
         "that is average pooling's gradient: a maximum depends on one cell of its window."),
    Hint(_to_every_max, "a tie: after a ReLU whole windows are 0, and several cells hold the "
                        "maximum. The gradient goes to ONE of them, the first in row-major "
                        "order, as the engine and PyTorch do (np.argmax finds it)."),
]


def backprop_maxpool_windows(user_fn) -> None:
    """Check ``user_fn(windows, dout) -> dwindows`` for out = windows.max over the last two
    axes: windows (N, C, OH, OW, K, K), dout (N, C, OH, OW) (book: eq-max-grad)."""
    _check_steps(EX9, user_fn, _maxpool_cases(), hints=HINTS_9, generic_hint=(
        "for each window, find the position of its first maximum (np.argmax of the window "
        "flattened) and put dout there."))


# Exercise 11.10


def _fold_cases():
    rng = np.random.default_rng(1110)
    cases = []
    for i in range(12):
        k = int(rng.integers(1, 4))
        s = [1, 2, k][i % 3] if i < 9 else int(rng.integers(1, 4))
        h, w = int(rng.integers(k, 8)), int(rng.integers(k, 8))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), h, w)
        t = Tensor(rng.standard_normal(shape), requires_grad=True)
        win = t.windows(k, s)
        g = rng.standard_normal(win.shape)
        win.backward(g)
        cases.append((dict(dwindows=g, x_shape=shape, stride=s), {"x": t.grad}))
    return cases


def _fold(dwindows, x_shape, stride, *, add=True):
    dx = np.zeros(x_shape)
    oh, ow, kh, kw = dwindows.shape[-4:]
    for p in range(oh):
        for q in range(ow):
            rows = slice(p * stride, p * stride + kh)
            cols = slice(q * stride, q * stride + kw)
            if add:
                dx[..., rows, cols] += dwindows[..., p, q, :, :]
            else:
                dx[..., rows, cols] = dwindows[..., p, q, :, :]
    return dx


HINTS_10 = [
    Hint(lambda dwindows, x_shape, stride: _fold(dwindows, x_shape, stride, add=False),
         "where windows overlap (stride < kernel) a pixel is read by several windows: its "
         "gradient is the SUM of theirs (+=, not =), eq-chain-multiple."),
    Hint(lambda dwindows, x_shape, stride: _fold(dwindows, x_shape, 1),
         "window (p, q) starts at row p·S and column q·S: use the stride."),
]


def backprop_windows(user_fn) -> None:
    """Check ``user_fn(dwindows, x_shape, stride) -> dx``: the gradient of the input of
    ``windows`` (N, C, H, W) -> (N, C, OH, OW, K, K) (book: eq-window-grad)."""
    _check_steps(EX10, user_fn, _fold_cases(), hints=HINTS_10, generic_hint=(
        "start from zeros of x_shape and add the gradient of window (p, q) onto the K×K "
        "pixels it was read from; pixels in no window keep 0."))


# Exercise 11.11


def _rows_case(rng, n, c, f, k, oh, ow):
    rows = rng.standard_normal((n * oh * ow, c * k * k))
    W, b = rng.standard_normal((f, c, k, k)), rng.standard_normal(f)
    rows_t, W_t, b_t = (Tensor(a, requires_grad=True) for a in (rows, W, b))
    out = (rows_t @ W_t.reshape(f, -1).T + b_t).reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
    dout = rng.standard_normal(out.shape)
    out.backward(dout)
    return dict(rows=rows, W=W, dout=dout), {"rows": rows_t.grad, "W": W_t.grad, "b": b_t.grad}


def _rows_cases():
    rng = np.random.default_rng(1111)
    cases = [_rows_case(rng, 2, 3, 4, 3, 2, 3)]
    for _ in range(9):
        n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
        k, oh, ow = (int(v) for v in rng.integers(1, 4, size=3))
        cases.append(_rows_case(rng, n, c, f, k, oh, ow))
    return cases


def _rows_parts(rows, W, dout, *, transpose=True):
    f = W.shape[0]
    d = dout.transpose(0, 2, 3, 1).reshape(-1, f) if transpose else dout.reshape(-1, f)
    return d @ W.reshape(f, -1), (d.T @ rows).reshape(W.shape), d.sum(axis=0)


HINTS_11 = [
    Hint(lambda rows, W, dout: _rows_parts(rows, W, dout, transpose=False),
         "a transpose: the forward pass turned (N·OH·OW, F) into (N, OH, OW, F) and then "
         "moved F to axis 1. Backwards, move F back to the last axis first "
         "(dout.transpose(0, 2, 3, 1)), then reshape to (N·OH·OW, F)."),
    Hint(lambda rows, W, dout: (*_rows_parts(rows, W, dout)[:2], dout.sum(axis=(0, 2, 3)) /
                                (dout.shape[2] * dout.shape[3])),
         "db: the bias of a channel is added at every position of every example; the paths "
         "add: a sum, not a mean."),
    Hint(lambda rows, W, dout: (*_rows_parts(rows, W, dout)[:2], dout.sum(axis=0)),
         "db: one bias per output channel, broadcast over the examples AND the positions: "
         "sum over all three axes (eq-broadcast-grad, chapter 9's eq-conv-grad-b)."),
    Hint(lambda rows, W, dout: (_rows_parts(rows, W, dout)[0],
                                _rows_parts(rows, W, dout)[1].reshape(W.shape[0], -1),
                                _rows_parts(rows, W, dout)[2]),
         "dW must have W's shape (F, C, KH, KW): reshape the (F, C·KH·KW) product back."),
]


def backprop_conv_rows(user_fn) -> None:
    """Check ``user_fn(rows, W, dout) -> (drows, dW, db)`` for the product of a convolution,
    out = (rows @ W.reshape(F, -1).T + b) reshaped to (N, OH, OW, F), transposed to NCHW."""
    _check_steps(EX11, user_fn, _rows_cases(), hints=HINTS_11, generic_hint=(
        "undo the last two steps first (transpose, reshape) to get the gradient of the "
        "(N·OH·OW, F) product, then it is a linear layer (Exercise 11.6)."))


# Exercise 11.12


CNN_ORDER = ["loss", "logits", "W4", "b4", "relu3", "fc1", "W3", "b3", "flat", "pool2",
             "relu2", "conv2", "W2", "b2", "pool1", "relu1", "conv1", "W1", "b1", "x"]


def _cnn_case(rng, n, c1, c2, hidden):
    def uniform(shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=shape)

    params = {"W1": uniform((c1, 1, 3, 3), 9), "b1": uniform(c1, 9),
              "W2": uniform((c2, c1, 3, 3), 9 * c1), "b2": uniform(c2, 9 * c1),
              "W3": uniform((hidden, 4 * c2), 4 * c2), "b3": uniform(hidden, 4 * c2),
              "W4": uniform((10, hidden), hidden), "b4": uniform(10, hidden)}
    x = rng.random((n, 1, 8, 8))
    x[:, :, :, :2] = 0.0  # a blank margin, as in the digits: ties in the first pooling
    y = rng.integers(0, 10, size=n)
    steps = cnn_steps(x, y, params)
    steps["loss"].backward()
    values = {name: t.data for name, t in steps.items()}
    values["y"] = y
    return {"v": values}, {name: steps[name].grad for name in CNN_ORDER}


def cnn_by_hand(user_fn) -> None:
    """Check ``user_fn(v) -> {name: gradient}`` for every named tensor of the CNN, where ``v``
    holds the forward values of :func:`bplib.tensor_nn.cnn_steps` (and the labels ``y``)."""
    rng = np.random.default_rng(1112)
    cases = [_cnn_case(rng, 4, 4, 6, 16), _cnn_case(rng, 2, 2, 3, 5), _cnn_case(rng, 1, 3, 2, 4)]
    _check_steps(EX12, user_fn, cases, generic_hint=(
        "look at the first wrong row of the table: the rows follow the backward pass, from "
        "the loss down, and each gradient uses the ones above it."))
