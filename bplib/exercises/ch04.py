"""Checks of chapter 4 (losses and softmax): ``check.softmax_backward``,
``check.cross_entropy_grad``, ``check.logsumexp``.

Each check draws seeded random cases, compares the reader's function with bplib
(:class:`bplib.layers.Softmax`, :class:`bplib.losses.CrossEntropyLoss`,
:func:`bplib.layers.softmax.log_softmax`), and names the typical mistake when the answer
matches it. [002] Explication's errata (book, chapter 4) are among those mistakes.
"""

from __future__ import annotations

import numpy as np

from bplib.data import one_hot
from bplib.exercises._harness import (
    Hint,
    check_function_cases,
)
from bplib.layers.softmax import Softmax, log_softmax, softmax

__all__ = ["softmax_backward", "cross_entropy_grad", "logsumexp"]

_N_CASES = 24


# --- Exercise 4.1: the softmax Jacobian-vector product ---------------------------------------
def _softmax_backward_reference(logits, dout):
    layer = Softmax()
    layer.forward(logits)
    return layer.backward(dout)


def _shifted(rng, n, k):
    """Logits of a confident network, far from 0: each row is a standard normal spread
    around a shift of about ±1000, so e^a overflows (or underflows) whatever the row."""
    shift = rng.choice([-1.0, 1.0], size=(n, 1)) * rng.uniform(750.0, 1000.0, size=(n, 1))
    return shift + 3.0 * rng.standard_normal((n, k))


def _softmax_backward_cases():
    rng = np.random.default_rng(401)
    cases = []
    for i in range(_N_CASES):
        n, k = int(rng.integers(1, 6)), int(rng.integers(2, 7))
        scale = 3.0 if i % 3 == 2 else 1.0  # some peaked softmaxes too
        logits = scale * rng.standard_normal((n, k))
        if i >= _N_CASES - 6:  # the last cases: logits near ±1000 (moderate ones come first,
            logits = _shifted(rng, n, k)  # so that a known mistake is named before overflow)
        cases.append({"logits": logits, "dout": rng.standard_normal((n, k))})
    return cases


_EXP_OVERFLOW_HINT = (
    "e^a overflows to inf in float64 once a > 709 (and underflows to 0 below about -745), so "
    "e^a / Σ e^a becomes inf/inf or 0/0 = nan on these logits near ±1000. The softmax does "
    "not change when the same number is subtracted from every logit of a row: choose that "
    "number so that no exponent is positive."
)


_SOFTMAX_BACKWARD_HINTS = [
    Hint(
        lambda logits, dout: dout * softmax(logits) * (1 - softmax(logits)),
        "you kept only the diagonal of the softmax Jacobian ([002] Explication's mistake). "
        "Every output l_i depends on every input a_j, because all of them share the "
        "denominator: the "
        "gradient reaching a_j collects a term from every output, not only from l_j.",
    ),
    Hint(
        lambda logits, dout: -_softmax_backward_reference(logits, dout),
        "your result has the opposite sign. Differentiate e^{a_i} / Σ_k e^{a_k} again with "
        "the quotient rule and look at which term carries the minus sign.",
    ),
    Hint(
        lambda logits, dout: logits * (dout - np.sum(dout * logits, axis=1, keepdims=True)),
        "the Jacobian is written with the probabilities l = softmax(a), not with the scores a "
        "themselves: apply the softmax to the logits first.",
    ),
    Hint(
        lambda logits, dout: softmax(logits) * (dout - np.sum(dout * softmax(logits))),
        "the inner sum must be taken row by row (one example at a time): summing over the "
        "whole batch mixes examples that do not influence each other.",
    ),
]


def softmax_backward(user_fn) -> None:
    """Check ``softmax_backward(logits, dout) -> dlogits`` (book: eq-softmax-vjp).

    ``logits`` and ``dout`` are (N, K); the answer is ∂L/∂logits, (N, K), for a loss L with
    ∂L/∂softmax(logits) = dout.
    """
    check_function_cases(
        "Exercise 4.1: the softmax Jacobian-vector product",
        user_fn,
        _softmax_backward_cases(),
        reference=_softmax_backward_reference,
        hints=_SOFTMAX_BACKWARD_HINTS,
        generic_hint=(
            "write the chain rule for one example, dL/da_j = Σ_i dL/dl_i · dl_i/da_j, with the "
            "full Jacobian dl_i/da_j, then simplify the sum before vectorising it."
        ),
        nonfinite_hint=_EXP_OVERFLOW_HINT,
    )


# --- Exercise 4.2: the gradient of softmax cross-entropy -------------------------------------
def _cross_entropy_grad_reference(logits, labels):
    from bplib.losses import CrossEntropyLoss

    loss = CrossEntropyLoss()
    loss.forward(logits, labels)
    return loss.backward()


def _cross_entropy_grad_cases():
    rng = np.random.default_rng(402)
    cases = []
    for i in range(_N_CASES):
        n, k = int(rng.integers(2, 7)), int(rng.integers(2, 7))  # N >= 2: the 1/N matters
        scale = 4.0 if i % 4 == 3 else 1.0
        logits = scale * rng.standard_normal((n, k))
        if i >= _N_CASES - 6:  # the last cases: logits near ±1000
            logits = _shifted(rng, n, k)
        cases.append({"logits": logits, "labels": rng.integers(0, k, size=n).astype(np.int64)})
    return cases


_CROSS_ENTROPY_GRAD_HINTS = [
    Hint(
        lambda logits, labels: softmax(logits) - one_hot(labels, logits.shape[1]),
        "the loss is the mean over the batch, so every example's gradient carries the factor "
        "of that mean.",
    ),
    Hint(
        lambda logits, labels: softmax(logits) / logits.shape[0],
        "the loss also depends on the logit of the true class directly (the −a_d term), not "
        "only through the log-sum-exp: its derivative is missing.",
    ),
    Hint(
        lambda logits, labels: (logits - one_hot(labels, logits.shape[1])) / logits.shape[0],
        "the derivative of log Σ_k e^{a_k} is not the logits themselves: differentiate it "
        "and look at what the ratio you get is called.",
    ),
    Hint(
        lambda logits, labels: (
            (one_hot(labels, logits.shape[1]) - softmax(logits)) / logits.shape[0]
        ),
        "your result has the opposite sign: raising the true class's logit must lower the "
        "loss, so its gradient there must be negative.",
    ),
]


def cross_entropy_grad(user_fn) -> None:
    """Check ``cross_entropy_grad(logits, labels) -> dlogits`` (book: eq-ce-softmax-grad).

    ``logits`` is (N, K), ``labels`` (N,) integers in [0, K); the answer is the gradient of the
    batch-mean softmax cross-entropy (bplib's ``CrossEntropyLoss``), (N, K).
    """
    check_function_cases(
        "Exercise 4.2: the gradient of softmax cross-entropy",
        user_fn,
        _cross_entropy_grad_cases(),
        reference=_cross_entropy_grad_reference,
        hints=_CROSS_ENTROPY_GRAD_HINTS,
        generic_hint=(
            "write the loss of one example as −a_d + log Σ_k e^{a_k}, differentiate it with "
            "respect to one logit a_ℓ, then average over the batch."
        ),
        nonfinite_hint=_EXP_OVERFLOW_HINT,
    )


# --- Exercise 4.3: a stable log-sum-exp -------------------------------------------------------
def _logsumexp_reference(a):
    # log Σ_k e^{a_k} = a_0 − log softmax(a)_0, and bplib's log_softmax is the stable one.
    return a[:, 0] - log_softmax(a)[:, 0]


def _logsumexp_cases():
    rng = np.random.default_rng(403)
    cases = []
    for i in range(_N_CASES):
        n, k = int(rng.integers(1, 6)), int(rng.integers(2, 7))
        a = rng.standard_normal((n, k))
        if i >= _N_CASES // 2:
            # scores of a confident network: e^a overflows (a > 709) or underflows (a < -745)
            a = a * 50 + rng.choice([-1000.0, 1000.0], size=(n, 1))
        cases.append({"a": a})
    return cases


def _quiet(fn):
    def wrapped(**case):
        with np.errstate(all="ignore"):
            return fn(**case)

    return wrapped


_LOGSUMEXP_HINTS = [
    Hint(
        _quiet(lambda a: np.log(np.sum(np.exp(a - a.max(axis=1, keepdims=True)), axis=1))),
        "shifting the scores by their maximum m changes the sum by a factor e^{-m}: add back "
        "what that factor takes away from the logarithm.",
    ),
    Hint(
        lambda a: a.max(axis=1),
        "the maximum alone is only an approximation of the log-sum-exp (a lower bound): the "
        "other terms of the sum still count.",
    ),
    Hint(
        _quiet(lambda a: np.log(np.sum(np.exp(a), axis=1, keepdims=True))),
        "the answer has one value per row, shape (N,), not (N, 1).",
    ),
]

_OVERFLOW_HINT = (
    "e^a overflows to inf in float64 as soon as a > 709 (and underflows to 0 below about "
    "-745, where the log then gives -inf). Factor the largest term out of the sum before "
    "exponentiating: every remaining exponent is then <= 0."
)


def logsumexp(user_fn) -> None:
    """Check ``logsumexp(a) -> (N,)``: ``log Σ_k e^{a[n, k]}`` row by row, finite for logits as
    large as ±1000 (book: eq-logsumexp)."""
    check_function_cases(
        "Exercise 4.3: a stable log-sum-exp",
        user_fn,
        _logsumexp_cases(),
        reference=_logsumexp_reference,
        hints=_LOGSUMEXP_HINTS,
        generic_hint="take the log of the sum of the exponentials of each row.",
        nonfinite_hint=_OVERFLOW_HINT,
    )
