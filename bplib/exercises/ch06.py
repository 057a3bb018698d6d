"""Exercise checks of chapter 6, "Gradient descent, SGD, mini-batches and epochs"
([001] Pierret, [003] Calcul).

    check.minibatch_gradient(minibatch_gradient)   Exercise 6.1  the gradient of a mini-batch
    check.sgd_momentum_step(sgd_momentum_step)     Exercise 6.2  one step of SGD with momentum
    check.epoch_batches(epoch_batches)             Exercise 6.3  the mini-batches of one epoch

The momentum reference is bplib's own optimizer (:class:`bplib.optim.SGD`); the mini-batch
gradient is the mean that bplib's losses produce (``reduction='mean'``); an epoch is checked
for what [001] Pierret says it is: every example exactly once, in batches taken in a random order
(book: eq-minibatch-grad, eq-sgd-momentum, eq-gd-step). The known wrong answers include the
slips of [001] Pierret's slides (dividing by the gradient, the lost minus sign, the sum).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from bplib.exercises._harness import (
    ExerciseFailed,
    Hint,
    call_student,
    check_function_cases,
    report_pass,
    require_callable,
    student_output,
)
from bplib.exercises._harness import tolerant as _safe

__all__ = ["minibatch_gradient", "sgd_momentum_step", "epoch_batches"]

EX61 = "Exercise 6.1: the gradient of a mini-batch"
EX62 = "Exercise 6.2: one step of SGD with momentum"
EX63 = "Exercise 6.3: the mini-batches of one epoch"

N_CASES = 24


# --- Exercise 6.1 -------------------------------------------------------------------------------


def _minibatch_reference(per_example_grads):
    """g = (1/|B|) Σ_{x∈B} ∇ℓ(W, x): the gradient of bplib's batch-mean loss (eq-minibatch-grad).

    ``tests/test_exercises_ch06.py`` checks that this is what bplib's backward gives for a
    batch, computed from the per-example gradients of the same layer.
    """
    return np.mean(np.asarray(per_example_grads, dtype=np.float64), axis=0)


def _summed(per_example_grads):
    return np.sum(per_example_grads, axis=0)


def _first_only(per_example_grads):
    return per_example_grads[0]


def _mean_of_everything(per_example_grads):
    return np.mean(per_example_grads)


def _mean_last_axis(per_example_grads):
    return np.mean(per_example_grads, axis=-1)


def _divided_by_all_entries(per_example_grads):
    return np.sum(per_example_grads, axis=0) / per_example_grads.size


HINTS_61 = [
    Hint(
        _summed,
        "your gradient is |B| times too large: you added the examples' gradients up, as seed "
        "001's slide does. The loss of a batch here is the average of the examples' losses, "
        "and its gradient combines them the same way; with a sum, a batch twice as large "
        "would take a step twice as long for the same γ.",
    ),
    Hint(
        _first_only,
        "you returned the gradient of one example: every example of the batch contributes "
        "to the batch's gradient.",
    ),
    Hint(
        _safe(_mean_of_everything),
        "you returned one number: the gradient of a parameter has the parameter's shape. "
        "Only the examples are combined, not the entries of one gradient.",
    ),
    Hint(
        _safe(_mean_last_axis),
        "you combined along the wrong axis: the first axis of per_example_grads indexes the "
        "examples of the batch, the other axes are the parameter's own shape.",
    ),
    Hint(
        _divided_by_all_entries,
        "you divided by the wrong count: the batch has as many examples as the length of the "
        "first axis, whatever the parameter's shape.",
    ),
]


def _cases_61():
    rng = np.random.default_rng(601)
    cases = []
    for i in range(N_CASES):
        n = int(rng.integers(2, 7))  # the batch size |B| >= 2, so a sum is never the mean
        kind = i % 3
        if kind == 0:  # a weight matrix W (out, in)
            shape = (int(rng.integers(2, 4)), int(rng.integers(2, 5)))
        elif kind == 1:  # a bias b (out,)
            shape = (int(rng.integers(2, 6)),)
        else:  # a weight of a layer with one input and several outputs (out, 1)
            shape = (int(rng.integers(2, 5)), 1)
        cases.append({"per_example_grads": rng.normal(size=(n, *shape))})
    return cases


def minibatch_gradient(user_fn) -> None:
    """Check ``user_fn(per_example_grads) -> g`` (book: eq-minibatch-grad).

    ``per_example_grads`` has shape (|B|, *param_shape): entry i is ∇ℓ(W, x_i) for the i-th
    example of the batch. The answer has the parameter's shape ``param_shape``.
    """
    check_function_cases(
        EX61,
        user_fn,
        _cases_61(),
        reference=_minibatch_reference,
        hints=HINTS_61,
        generic_hint=(
            "for this case, compute by hand the gradient of the batch's mean loss with respect "
            "to one entry of the parameter, from the examples' gradients of that entry, and "
            "compare it with the same entry of your result."
        ),
    )


# --- Exercise 6.2 -------------------------------------------------------------------------------


def _momentum_reference(w, v, g, lr, momentum):
    """One step of bplib's ``SGD(lr, momentum)`` from velocity v: (w_new, v_new).

    (book: eq-sgd-momentum)
    """
    from bplib.optim import SGD

    holder = SimpleNamespace(
        params={"w": np.array(w, dtype=np.float64)}, grads={"w": np.array(g, dtype=np.float64)}
    )
    optimizer = SGD(holder, lr=lr, momentum=momentum)
    optimizer.velocity[0] = np.array(v, dtype=np.float64)  # the velocity after earlier steps
    optimizer.step()
    return holder.params["w"], optimizer.velocity[0]


def _velocity(v, g, momentum):
    return momentum * v + g


def _divided(w, v, g, lr, momentum):
    v_new = _velocity(v, g, momentum)
    return w - lr / v_new, v_new


def _added(w, v, g, lr, momentum):
    v_new = _velocity(v, g, momentum)
    return w + lr * v_new, v_new


def _old_velocity(w, v, g, lr, momentum):
    return w - lr * v, _velocity(v, g, momentum)


def _no_momentum(w, v, g, lr, momentum):
    return w - lr * g, g


def _decay_on_gradient(w, v, g, lr, momentum):
    v_new = v + momentum * g
    return w - lr * v_new, v_new


def _other_convention(w, v, g, lr, momentum):
    v_new = momentum * v - lr * g
    return w + v_new, v_new


HINTS_62 = [
    Hint(
        _divided,
        "you divided by the velocity, the slip of one slide of [001] Pierret (« W ← W − γ/g »): a "
        "step must get smaller when the gradient gets smaller, near a minimum, not larger.",
    ),
    Hint(
        _added,
        "your weights move uphill: a step goes against the gradient, so that the loss "
        "decreases (the transcription of [001] Pierret lost this sign on several slides).",
    ),
    Hint(
        _old_velocity,
        "you moved w with the velocity of the previous step: update the velocity first, then "
        "move w with the new one (otherwise the very first step, from v = 0, would not move).",
    ),
    Hint(
        _no_momentum,
        "your step ignores the velocity v it was given: with momentum, the gradients of the "
        "earlier steps keep pushing, with a weight that decays by the factor momentum at "
        "each step.",
    ),
    Hint(
        _decay_on_gradient,
        "the decay factor belongs to the old velocity (the memory of earlier gradients), "
        "not to the new gradient, which enters at full weight.",
    ),
    Hint(
        _other_convention,
        "you used the other convention, where the velocity already contains the step size "
        "and a minus sign. It is a valid algorithm, but here v is PyTorch's and bplib's: a "
        "decaying sum of gradients, without γ; the check gives v, and expects it back, that "
        "way.",
    ),
]


def _cases_62():
    rng = np.random.default_rng(602)
    cases = []
    for i in range(N_CASES):
        if i % 2:
            shape = (int(rng.integers(2, 6)),)
        else:
            shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
        cases.append(
            {
                "w": rng.normal(size=shape),
                "v": rng.normal(size=shape),
                "g": rng.normal(size=shape),
                "lr": float(rng.uniform(0.01, 0.5)),
                "momentum": float(rng.uniform(0.5, 0.99)),
            }
        )
    return cases


def sgd_momentum_step(user_fn) -> None:
    """Check ``user_fn(w, v, g, lr, momentum) -> (w_new, v_new)`` (book: eq-sgd-momentum).

    w, v, g: arrays of one shape (the weights, the velocity of the previous step, the new
    gradient); lr = γ > 0 and momentum = μ in [0, 1) are floats. PyTorch's convention:
    v_new = μ v + g and w_new = w − γ v_new.
    """
    check_function_cases(
        EX62,
        user_fn,
        _cases_62(),
        reference=_momentum_reference,
        hints=HINTS_62,
        generic_hint=(
            "do the two updates of the step one after the other on a scalar case (w = 1, v = 0, "
            "g = 2, lr = 0.1, momentum = 0.9) by hand, then on this case, and compare each of "
            "w_new and v_new with your result."
        ),
        may_modify=("w", "v"),  # an optimizer may update its state in place, as bplib's does
    )


# --- Exercise 6.3 -------------------------------------------------------------------------------

HINT_REPEAT = (
    "some examples appear twice in your epoch (and so others never do): drawing an example at "
    "random for each place repeats some. An epoch visits every example exactly once: draw a "
    "random *order* of all the examples, then cut it."
)
HINT_DROPPED = (
    "the last, smaller batch is missing: when batch_size does not divide n, the examples left "
    "over after the full batches still belong to the epoch, as one last, shorter batch."
)
HINT_SIZES = (
    "every example is there once, but the batch sizes are not the ones asked for: every batch "
    "has batch_size examples, except the last one, which holds what is left."
)
HINT_ORDER = (
    "your batches follow the order of the data set: [001] Pierret takes them « dans un ordre "
    "aléatoire », so that consecutive steps do not always see the same examples together. "
    "Shuffle with the rng you are given."
)
HINT_RNG = (
    "two calls with generators seeded alike gave different epochs: take the randomness from "
    "the rng argument (not from np.random's global functions or a generator of your own), so "
    "that a seeded training run can be reproduced."
)
HINT_FIXED = (
    "two different generators gave the same epoch: your order does not come from the rng "
    "argument (a generator of your own with a fixed seed?), so every epoch would repeat the "
    "same batches."
)
GENERIC_63 = (
    "print the batches of a small case (n = 7, batch_size = 3) and check them by eye: every "
    "index 0..n-1 exactly once, sizes 3, 3, 1, in a shuffled order."
)


def _cases_63():
    rng = np.random.default_rng(603)
    cases = []
    for i in range(N_CASES):
        n = int(rng.integers(10, 120))
        if i % 4 == 0:  # batch sizes that divide n, and some that do not
            batch_size = int(rng.choice([d for d in range(1, n + 1) if n % d == 0 and d < n]))
        else:
            batch_size = int(rng.integers(1, n + 5))
        cases.append({"n": n, "batch_size": batch_size, "seed": int(rng.integers(0, 2**31))})
    return cases


def _expected_sizes(n: int, batch_size: int) -> list[int]:
    return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


def _call_63(user_fn, n, batch_size, seed, *, index, total):
    shown = {"n": n, "batch_size": batch_size, "rng": _SeededRng(seed)}
    result, _ = call_student(
        EX63,
        user_fn,
        {"n": n, "batch_size": batch_size, "rng": np.random.default_rng(seed)},
        index=index,
        total=total,
        shown=shown,
    )
    if result is None:
        hint = "did you forget `return`? Return the list of the epoch's batches."
        raise ExerciseFailed(
            f"{EX63}: case {index} of {total}: your function returned None.\n"
            f"  input:    n={n}, batch_size={batch_size}, rng=np.random.default_rng({seed})\n"
            f"  hint:     {hint}",
            exercise=EX63,
            hint=hint,
        )
    try:
        parts = [np.asarray(part) for part in result]
    except TypeError:
        parts = None
    if parts is None or not all(
        p.ndim == 1 and (np.issubdtype(p.dtype, np.integer) or p.size == 0) for p in parts
    ):
        hint = "return a list of 1-D integer arrays: the indices of each batch, in order."
        raise ExerciseFailed(
            f"{EX63}: case {index} of {total}: expected a list of 1-D integer arrays (the "
            f"indices of each batch), got {type(result).__name__}"
            + (f" of {[(p.dtype.name, p.shape) for p in parts[:3]]}..." if parts else "")
            + f".\n  hint:     {hint}",
            exercise=EX63,
            hint=hint,
        )
    return parts


class _SeededRng:
    """How a case's generator is shown in a message."""

    def __init__(self, seed):
        self.seed = seed

    def __repr__(self):
        return f"np.random.default_rng({self.seed})"


def _fail_63(index, total, n, batch_size, seed, got, hint):
    shown = ", ".join(np.array2string(p, threshold=8, edgeitems=3) for p in got[:2])
    if len(got) > 2:
        shown += ", …"
    sizes = _expected_sizes(n, batch_size)
    sizes_text = str(sizes) if len(sizes) <= 8 else f"{sizes[:3]}… ({len(sizes)} batches)"
    got_sizes = [len(p) for p in got]
    got_text = str(got_sizes) if len(got_sizes) <= 8 else f"{got_sizes[:3]}… ({len(got)})"
    raise ExerciseFailed(
        "\n".join(
            [
                f"{EX63}: case {index} of {total} is wrong.",
                f"  input:    n={n}, batch_size={batch_size}, rng=np.random.default_rng({seed})",
                f"  expected: the {n} indices 0..{n - 1}, each exactly once, in a random order, "
                f"in batches of sizes {sizes_text}",
                f"  got:      sizes {got_text}: {shown}",
                f"  hint:     {hint}",
            ]
        ),
        exercise=EX63,
        hint=hint,
    )


def epoch_batches(user_fn) -> None:
    """Check ``user_fn(n, batch_size, rng) -> list of index arrays`` (book: eq-minibatch-grad).

    One epoch of [001] Pierret's algorithm over a data set of n examples: the indices 0..n-1, each
    exactly once, in a random order drawn from ``rng`` (a ``numpy.random.Generator``), cut into
    consecutive batches of ``batch_size`` indices, the last one shorter when batch_size does
    not divide n. Any random order is accepted, as long as it comes from ``rng``.
    """
    require_callable(EX63, user_fn)
    cases = _cases_63()
    total = len(cases)
    with student_output():
        _epoch_cases(user_fn, cases, total)
    report_pass(EX63, total)


def _epoch_cases(user_fn, cases, total) -> None:
    for index, case in enumerate(cases, start=1):
        n, batch_size, seed = case["n"], case["batch_size"], case["seed"]
        parts = _call_63(user_fn, n, batch_size, seed, index=index, total=total)
        seen = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        def fail(hint, parts=parts, n=n, batch_size=batch_size, seed=seed, index=index):
            _fail_63(index, total, n, batch_size, seed, parts, hint)

        if seen.size and (seen.min() < 0 or seen.max() >= n):
            fail(f"some indices are outside 0..{n - 1}: they must index the n examples.")
        counts = np.bincount(seen.astype(np.int64), minlength=n) if seen.size else np.zeros(n)
        if np.any(counts > 1):
            fail(HINT_REPEAT)
        if np.any(counts == 0):
            missing = int(np.sum(counts == 0))
            sizes_without_last = _expected_sizes(n, batch_size)[: n // batch_size]
            dropped = missing == n % batch_size and [len(p) for p in parts] == sizes_without_last
            fail(HINT_DROPPED if dropped else GENERIC_63)
        if [len(p) for p in parts] != _expected_sizes(n, batch_size):
            fail(HINT_SIZES)
        if np.array_equal(seen, np.arange(n)):
            fail(HINT_ORDER)
        again = _call_63(user_fn, n, batch_size, seed, index=index, total=total)
        if len(again) != len(parts) or not all(
            np.array_equal(a, p) for a, p in zip(again, parts, strict=True)
        ):
            fail(HINT_RNG)
        other = _call_63(user_fn, n, batch_size, seed + 1, index=index, total=total)
        if np.array_equal(np.concatenate(other), seen):
            fail(HINT_FIXED)
