"""Exercise checks of chapter 10, "Training a CNN" ([001] Pierret's objective).

    check.conv_output_shape(conv_output_shape)         Exercise 10.1  the size of a conv output
    check.conv_param_count(conv_param_count)           Exercise 10.2  the parameters of a Conv2d
    check.accuracy_from_logits(accuracy_from_logits)   Exercise 10.3  accuracy from the scores

Every reference is computed by bplib, not by the formula the reader is asked for: the output
shape by running a :class:`bplib.layers.Conv2d` on zeros (book: eq-conv-output-size), the
parameter count by adding up the sizes of a ``Conv2d``'s own arrays, and the accuracy by
:func:`bplib.train.accuracy`. [002] Explication's bias per position is one of the known wrong
answers.
"""

from __future__ import annotations

import numpy as np

from bplib.exercises._harness import Hint, check_function_cases
from bplib.exercises._harness import tolerant as _safe
from bplib.layers.softmax import softmax as _softmax

__all__ = ["conv_output_shape", "conv_param_count", "accuracy_from_logits"]

EX101 = "Exercise 10.1: the output size of a convolution"
EX102 = "Exercise 10.2: the parameters of a convolution layer"
EX103 = "Exercise 10.3: accuracy from the scores"

N_CASES = 24


# --- Exercise 10.1 -------------------------------------------------------------------------------


def _output_shape_reference(H, W, K, S, P):
    """(OH, OW) of Conv2d(1, 1, K, stride=S, padding=P) on an H×W image, by running it."""
    from bplib.layers import Conv2d

    layer = Conv2d(1, 1, K, stride=S, padding=P, rng=np.random.default_rng(0))
    return tuple(int(n) for n in layer.forward(np.zeros((1, 1, H, W))).shape[2:])


def _cases_101():
    rng = np.random.default_rng(901)
    cases = []
    for i in range(N_CASES):
        if i < 4:
            # a 5×5 kernel with the padding that keeps the size (LeNet's), stride 1, H ≠ W
            K, S, P = 5, 1, 2
            H = int(rng.integers(5, 12))
            W = H + int(rng.integers(1, 5))
        else:
            K = int(rng.integers(1, 6))
            S = 2 if i == 4 else int(rng.integers(1, 4))
            P = int(rng.integers(0, 3))
            while True:
                H, W = (int(v) for v in rng.integers(max(K, 4), 17, size=2))
                # case 5 has a stride that does not tile the padded rows (a floor to take)
                if i != 4 or (H + 2 * P - K) % S:
                    break
        cases.append({"H": H, "W": W, "K": K, "S": S, "P": P})
    return cases


def _positions(n, K, S, P):
    return (n + 2 * P - K) // S + 1


HINTS_101 = [
    Hint(
        lambda H, W, K, S, P: (_positions(W, K, S, P), _positions(H, K, S, P)),
        "your two sizes are swapped: return the number of rows first, then the number of "
        "columns, in the order of the input's (H, W) (NCHW).",
    ),
    Hint(
        lambda H, W, K, S, P: ((H + 2 * P - K) / S + 1, (W + 2 * P - K) / S + 1),
        "your sizes are not whole numbers. A window either fits in the padded image or it does "
        "not: there is no fraction of a position. Decide which way to round by asking whether "
        "a window that sticks out of the image is computed.",
    ),
    Hint(
        lambda H, W, K, S, P: (-(-(H + 2 * P - K) // S) + 1, -(-(W + 2 * P - K) // S) + 1),
        "one window too many when the stride does not tile the image: a window that would "
        "stick out of the padded image is not computed (bplib and PyTorch drop the leftover "
        "rows and columns).",
    ),
    Hint(
        lambda H, W, K, S, P: ((H + 2 * P - K) // S, (W + 2 * P - K) // S),
        "one position short on each axis: count the positions of a 3-wide window in a row of "
        "3 pixels. There is one, not zero: the first position counts too.",
    ),
    Hint(
        lambda H, W, K, S, P: ((H + P - K) // S + 1, (W + P - K) // S + 1),
        "padding P adds P zeros on each side of the image: above and below, left and right.",
    ),
    Hint(
        lambda H, W, K, S, P: (_positions(H, K, S, 0), _positions(W, K, S, 0)),
        "the padding is missing: the window slides over the padded image, zeros included.",
    ),
    Hint(
        lambda H, W, K, S, P: (_positions(H, K, 1, P), _positions(W, K, 1, P)),
        "the stride is missing: with stride S the window jumps S pixels from one position to "
        "the next, so there are fewer positions.",
    ),
]


def conv_output_shape(user_fn) -> None:
    """Check ``user_fn(H, W, K, S, P) -> (OH, OW)``, the output size of a K×K convolution with
    stride S and padding P on an H×W image (book: eq-conv-output-size)."""
    check_function_cases(
        EX101,
        user_fn,
        _cases_101(),
        reference=_output_shape_reference,
        hints=HINTS_101,
        generic_hint=(
            "draw one row of the padded image for this case and slide the window along it by "
            "hand, S pixels at a time: count the positions where it fits entirely."
        ),
        rtol=0,
        atol=0,
    )


# --- Exercise 10.2 -------------------------------------------------------------------------------


def _param_count_reference(C, F, K, H, W):
    """The number of entries of a Conv2d(C, F, K)'s parameter arrays (after a forward pass on
    one C×H×W image, which does not change them: the count does not depend on H and W)."""
    from bplib.layers import Conv2d

    layer = Conv2d(C, F, K, rng=np.random.default_rng(0))
    layer.forward(np.zeros((1, C, H, W)))
    return sum(int(v.size) for v in layer.params.values())


def _cases_102():
    rng = np.random.default_rng(902)
    cases = []
    for i in range(N_CASES):
        C = int(rng.integers(1, 9)) if i else 1  # the first: a first layer on gray images
        F = int(rng.integers(2, 33))
        K = int(rng.integers(2, 6)) if i < 6 else int(rng.integers(1, 6))
        H, W = (int(v) for v in rng.integers(K + 1, 21, size=2))  # at least 2×2 outputs
        cases.append({"C": C, "F": F, "K": K, "H": H, "W": W})
    # case 2 has several input channels, so a kernel that ignores them is caught at once
    cases[1]["C"] = max(cases[1]["C"], 3)
    return cases


def _weights(C, F, K):
    return F * C * K * K


HINTS_102 = [
    Hint(
        lambda C, F, K, H, W: _weights(C, F, K) + F * (H - K + 1) * (W - K + 1),
        "you gave every output position its own bias, as [002] Explication's b_ij does. bplib and "
        "PyTorch share the bias like the kernel: the same number is added at every position "
        "of an output channel, so the count does not depend on the image size.",
    ),
    Hint(
        lambda C, F, K, H, W: _weights(C, F, K),
        "the biases are missing: each output channel also adds a trainable bias.",
    ),
    Hint(
        lambda C, F, K, H, W: F * K * K + F,
        "each kernel spans all C input channels: its weights form a C×K×K block, not one K×K "
        "square (a channel of the output mixes every channel of the input).",
    ),
    Hint(
        lambda C, F, K, H, W: C * K * K + F,
        "each of the F output channels has its own kernel: they are F different pattern "
        "detectors, not one shared by all.",
    ),
    Hint(
        lambda C, F, K, H, W: F * C * K + F,
        "a kernel is a K×K square of weights (for each input channel), not a line of K.",
    ),
    Hint(
        lambda C, F, K, H, W: _weights(C, F, K) + C,
        "there is one bias per output channel, not per input channel: the bias is added to "
        "what the layer produces.",
    ),
    Hint(
        lambda C, F, K, H, W: (C * H * W + 1) * F * (H - K + 1) * (W - K + 1),
        "that is a Linear layer joining every input pixel to every output value. A convolution "
        "uses a small kernel and the same weights at every position (weight sharing), so "
        "the count does not depend on the image size.",
    ),
]


def conv_param_count(user_fn) -> None:
    """Check ``user_fn(C, F, K, H, W) -> int``, the number of trainable parameters of
    ``Conv2d(C, F, K)`` (stride 1, no padding) applied to C×H×W images."""
    check_function_cases(
        EX102,
        user_fn,
        _cases_102(),
        reference=_param_count_reference,
        hints=HINTS_102,
        generic_hint=(
            "build the layer, bplib.layers.Conv2d(C, F, K), and look at the shapes of its "
            "params['W'] and params['b']: each entry is one trainable number."
        ),
        rtol=0,
        atol=0,
    )


# --- Exercise 10.3 -------------------------------------------------------------------------------


class _Scores:
    """A 'model' whose output is its input: lets bplib.train.accuracy score given logits."""

    def forward(self, x):
        return x


def _accuracy_reference(logits, labels):
    from bplib.train import accuracy

    return accuracy(_Scores(), logits, labels)


def _cases_103():
    rng = np.random.default_rng(903)
    cases = []
    while len(cases) < N_CASES:
        # the first cases have N = K = 10 (ten digits, ten classes): a mean over the wrong axis
        # then still runs, and the check can say what went wrong
        n, k = (10, 10) if len(cases) < 4 else (int(rng.integers(5, 65)), int(rng.integers(2, 13)))
        logits = 2.0 * rng.standard_normal((n, k))
        labels = np.where(rng.random(n) < 0.7, logits.argmax(axis=1), rng.integers(0, k, size=n))
        case = {"logits": logits, "labels": labels.astype(np.int64)}
        # keep a case only if the right answer and every known wrong one differ, so a mistake
        # is told apart from the others on the first case it fails
        values = [float(_accuracy_reference(**case))] + [float(h.wrong(**case)) for h in HINTS_103]
        values = [v for v in values if np.isfinite(v)]
        if 0 < values[0] < 1 and len(set(np.round(values, 9))) == len(values):
            cases.append(case)
    return cases


HINTS_103 = [
    Hint(
        _safe(lambda logits, labels: np.mean(np.argmax(logits, axis=0) == labels)),
        "you looked down the columns: row n of the logits holds the K scores of example n, so "
        "the predicted class of an example is read along its row.",
    ),
    Hint(
        lambda logits, labels: np.mean(np.argmin(logits, axis=1) == labels),
        "you picked the class with the smallest score; the prediction is the class the network "
        "finds most likely.",
    ),
    Hint(
        lambda logits, labels: 100.0 * np.mean(np.argmax(logits, axis=1) == labels),
        "return a fraction in [0, 1], not a percentage (bplib's History stores fractions; the "
        "progress line multiplies by 100 only to print).",
    ),
    Hint(
        lambda logits, labels: float(np.sum(np.argmax(logits, axis=1) == labels)),
        "you returned how many examples are right; the accuracy is the fraction of the batch "
        "that is right.",
    ),
    Hint(
        lambda logits, labels: np.mean(np.argmax(logits, axis=1) != labels),
        "that is the fraction of mistakes (the error rate), the complement of the accuracy.",
    ),
    Hint(
        lambda logits, labels: np.mean(_softmax(logits)[np.arange(len(labels)), labels]),
        "you averaged the probability the network gives to the right class. The accuracy counts "
        "decisions: an example is right or wrong, whatever the confidence.",
    ),
]


def accuracy_from_logits(user_fn) -> None:
    """Check ``user_fn(logits, labels) -> float``: the fraction of the N examples whose largest
    score (logits (N, K)) is at their label (labels (N,) in [0, K))."""
    check_function_cases(
        EX103,
        user_fn,
        _cases_103(),
        reference=_accuracy_reference,
        hints=HINTS_103,
        generic_hint=(
            "on this case, print the class your code predicts for each example next to its "
            "label, and count the matches by hand."
        ),
        rtol=1e-12,
        atol=1e-12,
    )
