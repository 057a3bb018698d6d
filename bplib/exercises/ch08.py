"""Exercise checks of chapter 8, "Pooling" ([002] Explication and [000] Maaoui).

    check.avgpool2x2_backward(avgpool2x2_backward)  Exercise 8.1  [002] Explication's 2×2 average
                                                                  pooling
    check.maxpool_backward(maxpool_backward)        Exercise 8.2  max pooling, k×k, any stride
    check.avgpool_backward(avgpool_backward)        Exercise 8.3  average pooling, any k, stride

Every reference is computed by bplib's layers (:class:`bplib.layers.AvgPool2d`,
:class:`bplib.layers.MaxPool2d`) on a one-image, one-channel batch, not by the formula the
reader is asked for (book: eq-avgpool-grad, eq-maxpool-grad, eq-pool-output-size). The random
inputs are continuous, so a window never holds two equal maxima.
"""

from __future__ import annotations

import numpy as np

from bplib.exercises._harness import Hint, check_function_cases
from bplib.exercises._harness import tolerant as _safe

__all__ = ["avgpool2x2_backward", "maxpool_backward", "avgpool_backward"]

EX81 = "Exercise 8.1: the gradient of [002] Explication's 2×2 average pooling"
EX82 = "Exercise 8.2: where the gradient of max pooling goes"
EX83 = "Exercise 8.3: average pooling with any kernel and stride"

N_CASES = 24


def _pool_backward(layer, x, dout):
    """Run a bplib pooling layer on the 2-d ``x`` seen as a (1, 1, H, W) batch; return dx (H, W)."""
    layer.forward(np.asarray(x, dtype=np.float64)[None, None])
    return layer.backward(np.asarray(dout, dtype=np.float64)[None, None])[0, 0]


def _windows(shape, k, s):
    """Top-left corners (r, c) of the k×k windows with stride s that fit in ``shape`` (floor)."""
    h, w = shape
    return [(p * s, q * s) for p in range((h - k) // s + 1) for q in range((w - k) // s + 1)]


# --- Exercise 8.1 -------------------------------------------------------------------------------


def _avg2x2_reference(dout):
    from bplib.layers import AvgPool2d

    h, w = dout.shape
    return _pool_backward(AvgPool2d(2), np.zeros((2 * h, 2 * w)), dout)


def _avg2x2_no_quarter(dout):
    return np.kron(dout, np.ones((2, 2)))


def _avg2x2_one_element(dout):
    da = np.zeros((2 * dout.shape[0], 2 * dout.shape[1]))
    da[0::2, 0::2] = dout / 4
    return da


def _avg2x2_one_element_no_quarter(dout):
    return 4 * _avg2x2_one_element(dout)


def _avg2x2_half(dout):
    return np.kron(dout, np.ones((2, 2))) / 2


HINTS_81 = [
    Hint(
        _avg2x2_no_quarter,
        "every entry is 4 times too large: when one input of a window moves by ε, the average "
        "b of that window moves by less than ε — that ratio is the local gradient.",
    ),
    Hint(
        _avg2x2_one_element,
        "you gave the gradient to one input per window only: all four inputs of a window enter "
        "its average in the same way, so all four receive the same share.",
    ),
    Hint(
        _avg2x2_one_element_no_quarter,
        "you gave the whole gradient to one input per window: all four inputs of a window enter "
        "its average in the same way, and each of them moves the average by only part of its "
        "own change.",
    ),
    Hint(
        _avg2x2_half,
        "every entry is twice too large: count the inputs of one 2×2 window again.",
    ),
]


def _cases_81():
    rng = np.random.default_rng(701)
    cases = []
    for _ in range(N_CASES):
        h, w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        cases.append({"dout": rng.standard_normal((h, w))})
    return cases


def avgpool2x2_backward(user_fn) -> None:
    """Check ``user_fn(dout) -> da`` for [002] Explication's 2×2 average pooling
    (book: eq-avgpool-grad).

    dout (h, w) is ∂E/∂b; the answer is ∂E/∂a of shape (2h, 2w).
    """
    check_function_cases(
        EX81,
        user_fn,
        _cases_81(),
        reference=_avg2x2_reference,
        hints=HINTS_81,
        generic_hint=(
            "take a 2×2 dout, work out by hand which b_kl each a_ij enters and with which "
            "coefficient, and compare with your output entry by entry."
        ),
    )


# --- Exercise 8.2 -------------------------------------------------------------------------------


def _maxpool_reference(x, dout, k, s):
    from bplib.layers import MaxPool2d

    return _pool_backward(MaxPool2d(k, stride=s), x, dout)


def _spread(x, dout, k, s, *, scale):
    dx = np.zeros_like(x)
    for n, (r, c) in enumerate(_windows(x.shape, k, s)):
        p, q = divmod(n, dout.shape[1])
        dx[r : r + k, c : c + k] += dout[p, q] * scale
    return dx


def _to_argfn(x, dout, k, s, *, argfn, weight=True, accumulate=True):
    dx = np.zeros_like(x)
    for n, (r, c) in enumerate(_windows(x.shape, k, s)):
        p, q = divmod(n, dout.shape[1])
        i, j = np.unravel_index(argfn(x[r : r + k, c : c + k]), (k, k))
        value = dout[p, q] if weight else 1.0
        if accumulate:
            dx[r + i, c + j] += value
        else:
            dx[r + i, c + j] = value
    return dx


def _stride_k(x, dout, k, s):
    """The windows placed every k pixels whatever s is (the answer for stride k only)."""
    dx = np.zeros_like(x)
    for p in range(dout.shape[0]):
        for q in range(dout.shape[1]):
            window = x[p * k : (p + 1) * k, q * k : (q + 1) * k]
            i, j = np.unravel_index(np.argmax(window), window.shape)
            dx[p * k + i, q * k + j] += dout[p, q]
    return dx


HINTS_82 = [
    Hint(
        _safe(lambda x, dout, k, s: _spread(x, dout, k, s, scale=1.0 / (k * k))),
        "you spread the gradient over the whole window, as average pooling does: the maximum "
        "depends on one input only (the others can move a little without changing it).",
    ),
    Hint(
        _safe(lambda x, dout, k, s: _spread(x, dout, k, s, scale=1.0)),
        "you gave the gradient to every element of the window: the maximum depends on one input "
        "only (the others can move a little without changing it).",
    ),
    Hint(
        _safe(lambda x, dout, k, s: _to_argfn(x, dout, k, s, argfn=np.argmin)),
        "you sent the gradient to the smallest element of each window: which input does the "
        "output of max pooling copy?",
    ),
    Hint(
        _safe(lambda x, dout, k, s: _to_argfn(x, dout, k, s, argfn=np.argmax, weight=False)),
        "the right inputs receive something, but not the right amount: the local gradient of "
        "the maximum is 1, and the downstream gradient is upstream × local.",
    ),
    Hint(
        _safe(lambda x, dout, k, s: _to_argfn(x, dout, k, s, argfn=np.argmax, accumulate=False)),
        "where windows overlap (stride smaller than the kernel), one input can be the maximum "
        "of two windows and feed both outputs: its gradient collects a contribution from each "
        "(two paths add). Yours keeps only one of them.",
    ),
    Hint(
        _safe(_stride_k),
        "your windows start every k pixels: with stride s, window (p, q) starts at row p·s "
        "and column q·s, so windows overlap when s < k and leave gaps when s > k.",
    ),
]


def _cases_82():
    rng = np.random.default_rng(702)
    cases = []
    for i in range(N_CASES):
        k = int(rng.integers(2, 4))
        # stride k first (the windows tile), then overlapping (s < k) and gapped (s > k) ones
        s = k if i < 8 else [k + 1, 1, k - 1, 1][i % 4]
        s = max(s, 1)
        oh, ow = int(rng.integers(1, 4)), int(rng.integers(2, 4))
        # some cases leave rows / columns that no window covers (floor, like PyTorch)
        extra_h, extra_w = (int(rng.integers(0, s)), int(rng.integers(0, s))) if i % 3 else (0, 0)
        x = rng.standard_normal(((oh - 1) * s + k + extra_h, (ow - 1) * s + k + extra_w))
        if s < k and i % 2:
            # a large entry where windows overlap: the maximum of several windows at once
            x[s:k, s:k] = 5.0 + rng.random((k - s, k - s))
        cases.append({"x": x, "dout": rng.standard_normal((oh, ow)), "k": k, "s": s})
    return cases


def maxpool_backward(user_fn) -> None:
    """Check ``user_fn(x, dout, k, s) -> dx``, k×k max pooling with stride s
    (book: eq-maxpool-grad, eq-pool-output-size).

    x (H, W), dout (OH, OW) with OH = ⌊(H − k)/s⌋ + 1, k and s ints; the answer has x's shape.
    Windows overlap when s < k (an input may then be the maximum of several windows); rows
    and columns that no window covers get a zero gradient.
    """
    check_function_cases(
        EX82,
        user_fn,
        _cases_82(),
        reference=_maxpool_reference,
        hints=HINTS_82,
        generic_hint=(
            "for one window, nudge each input by a small ε and see which nudge changes the "
            "output; compare with your dx on that window."
        ),
    )


# --- Exercise 8.3 -------------------------------------------------------------------------------


def _avgpool_reference(dout, x_shape, k, s):
    from bplib.layers import AvgPool2d

    return _pool_backward(AvgPool2d(k, stride=s), np.zeros(x_shape), dout)


def _avg_general(dout, x_shape, k, s, *, scale, accumulate=True):
    da = np.zeros(x_shape)
    for n, (r, c) in enumerate(_windows(x_shape, k, s)):
        p, q = divmod(n, dout.shape[1])
        if accumulate:
            da[r : r + k, c : c + k] += dout[p, q] * scale
        else:
            da[r : r + k, c : c + k] = dout[p, q] * scale
    return da


HINTS_83 = [
    Hint(
        _safe(
            lambda dout, x_shape, k, s: _avg_general(
                dout, x_shape, k, s, scale=1 / (k * k), accumulate=False
            )
        ),
        "where windows overlap (stride smaller than the kernel), an input belongs to several "
        "windows and feeds several outputs: its gradient collects a contribution from each "
        "(two paths add). Yours keeps only the last one.",
    ),
    Hint(
        _safe(lambda dout, x_shape, k, s: _avg_general(dout, x_shape, k, s, scale=1 / k)),
        "the share is off by a factor k: count the inputs of one k×k window.",
    ),
    Hint(
        _safe(lambda dout, x_shape, k, s: _avg_general(dout, x_shape, k, s, scale=1.0)),
        "you passed dout on without the local gradient: an input moves the average of its "
        "window by only a fraction of its own change.",
    ),
]


def _cases_83():
    rng = np.random.default_rng(703)
    cases = []
    for i in range(N_CASES):
        k = int(rng.integers(2, 4))
        s = [1, k - 1, k, k + 1][i % 4] if k > 2 else [1, 1, 2, 3][i % 4]
        h, w = int(rng.integers(k, k + 6)), int(rng.integers(k, k + 6))
        oh, ow = (h - k) // s + 1, (w - k) // s + 1
        cases.append({"dout": rng.standard_normal((oh, ow)), "x_shape": (h, w), "k": k, "s": s})
    return cases


def avgpool_backward(user_fn) -> None:
    """Check ``user_fn(dout, x_shape, k, s) -> da`` for k×k average pooling with stride s
    (book: eq-pool-output-size).

    dout (OH, OW) with OH = ⌊(H − k)/s⌋ + 1; x_shape = (H, W); the answer has shape (H, W).
    """
    check_function_cases(
        EX83,
        user_fn,
        _cases_83(),
        reference=_avgpool_reference,
        hints=HINTS_83,
        generic_hint=(
            "loop over the windows: for each output (p, q), find the inputs of its window and "
            "add to each of them its share of dout[p, q]; check on a case with stride 1."
        ),
    )
