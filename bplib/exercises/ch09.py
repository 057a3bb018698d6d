"""Exercise checks of chapter 9, "Convolution" ([002] Explication and [000] Maaoui).

    check.conv2d_single_channel(conv2d_single_channel)   Exercise 9.1  the forward pass
    check.conv_kernel_grad(conv_kernel_grad)             Exercise 9.2  ∂E/∂k, one channel
    check.conv_bias_grad(conv_bias_grad)                 Exercise 9.3  the shared bias
    check.conv_input_grad(conv_input_grad)               Exercise 9.4  ∂E/∂a, one channel

Every reference is computed by bplib's :class:`bplib.layers.Conv2d` (one input channel, one
output channel, stride 1, no padding, for 9.1, 9.2 and 9.4), not by the formula the reader is
asked for (book: eq-conv-forward, eq-conv-grad-k, eq-conv-grad-b, eq-conv-grad-x).
[002] Explication's errata are among the known wrong answers.
"""

from __future__ import annotations

import numpy as np

from bplib.exercises._harness import Hint, check_function_cases
from bplib.exercises._harness import tolerant as _safe

__all__ = ["conv2d_single_channel", "conv_kernel_grad", "conv_bias_grad", "conv_input_grad"]

EX91 = "Exercise 9.1: the forward pass of one channel"
EX92 = "Exercise 9.2: the kernel gradient"
EX93 = "Exercise 9.3: the gradient of a shared bias"
EX94 = "Exercise 9.4: the input gradient"

N_CASES = 24


def _conv_layer(k):
    """A bplib Conv2d with one input and one output channel whose kernel is ``k`` and bias 0."""
    from bplib.layers import Conv2d

    k = np.asarray(k, dtype=np.float64)
    layer = Conv2d(1, 1, k.shape, rng=np.random.default_rng(0))
    layer.params["W"][...] = k[None, None]
    layer.params["b"][...] = 0.0
    return layer


def _xcorr_valid(a, k):
    """Valid cross-correlation written with loops (used to build wrong answers only)."""
    oh, ow = a.shape[0] - k.shape[0] + 1, a.shape[1] - k.shape[1] + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(k * a[i : i + k.shape[0], j : j + k.shape[1]])
    return out


# --- Exercise 9.1 -------------------------------------------------------------------------------


def _forward_reference(a, k):
    return _conv_layer(k).forward(np.asarray(a, dtype=np.float64)[None, None])[0, 0]


def _flipped(a, k):
    return _xcorr_valid(a, k[::-1, ::-1])


def _one_short(a, k):
    return _xcorr_valid(a, k)[:-1, :-1]


def _transposed_kernel(a, k):
    return _xcorr_valid(a, k.T)


HINTS_91 = [
    Hint(
        _safe(_flipped),
        "your output is what the kernel rotated by 180° gives: that is the convolution of "
        "mathematics. CNN layers (bplib, PyTorch, [002] Explication) slide the kernel as it is and "
        "multiply k_kl with the input at the same offset (k, l) from the window's corner.",
    ),
    Hint(
        _safe(_one_short),
        "your output is one row and one column too small: count the positions of a window of "
        "width 2 in a row of 3 — both the first and the last position count.",
    ),
    Hint(
        _safe(_transposed_kernel),
        "rows and columns of the kernel are swapped: the first index of k_kl moves down the "
        "input, the second moves right.",
    ),
]


def _cases_91():
    rng = np.random.default_rng(801)
    cases = []
    for i in range(N_CASES):
        # the first cases are [002] Explication's shapes: a 3×3 input and a 2×2 kernel
        kh, kw = (2, 2) if i < 4 else (int(rng.integers(1, 4)), int(rng.integers(2, 4)))
        h, w = (3, 3) if i < 4 else (kh + int(rng.integers(1, 4)), kw + int(rng.integers(1, 4)))
        cases.append({"a": rng.standard_normal((h, w)), "k": rng.standard_normal((kh, kw))})
    return cases


def conv2d_single_channel(user_fn) -> None:
    """Check ``user_fn(a, k) -> c``, the valid cross-correlation (book: eq-conv-forward).

    a (H, W), k (KH, KW); c has shape (H − KH + 1, W − KW + 1) and no bias.
    """
    check_function_cases(
        EX91,
        user_fn,
        _cases_91(),
        reference=_forward_reference,
        hints=HINTS_91,
        generic_hint=(
            "compute c[0, 0] by hand for this case (the kernel laid on the top-left corner of a, "
            "products summed) and compare it with your c[0, 0]."
        ),
    )


# --- Exercise 9.2 -------------------------------------------------------------------------------


def _kernel_grad_reference(a, dout):
    a = np.asarray(a, dtype=np.float64)
    kshape = (a.shape[0] - dout.shape[0] + 1, a.shape[1] - dout.shape[1] + 1)
    layer = _conv_layer(np.zeros(kshape))
    layer.forward(a[None, None])
    layer.backward(np.asarray(dout, dtype=np.float64)[None, None])
    return layer.grads["W"][0, 0]


def _kshape(a, dout):
    return a.shape[0] - dout.shape[0] + 1, a.shape[1] - dout.shape[1] + 1


def _sum_over_kernel_positions(a, dout):
    kh, kw = _kshape(a, dout)
    dk = np.zeros((kh, kw))
    for i in range(kh):
        for j in range(kw):
            dk[i, j] = np.sum(dout[:kh, :kw] * a[i : i + kh, j : j + kw])
    return dk


def _no_dout(a, dout):
    return _xcorr_valid(a, np.ones_like(dout))


def _rotated(a, dout):
    return _kernel_grad_reference(a, dout)[::-1, ::-1]


def _seed_bound_two(a, dout):
    """[002] Explication's sums 'from 0 to 2': at most 3×3 output positions."""
    return _xcorr_valid(
        a, np.pad(dout[:3, :3], ((0, max(0, dout.shape[0] - 3)), (0, max(0, dout.shape[1] - 3))))
    )


HINTS_92 = [
    Hint(
        _safe(_seed_bound_two),
        "your sums stop after 3 terms in each direction ([002] Explication writes its sums "
        "from 0 to 2): k_ij is used once at every output position, and the sum must visit all "
        "of them, however large the output is.",
    ),
    Hint(
        _safe(_sum_over_kernel_positions),
        "you summed over as many positions as the kernel has: k_ij is used once at every "
        "OUTPUT position, so the sum runs over all the entries of dout.",
    ),
    Hint(
        _safe(_no_dout),
        "each term must be weighted by how much E cares about the output it feeds: the chain "
        "rule multiplies the local gradient by the upstream one.",
    ),
    Hint(
        _safe(_rotated),
        "your answer is the right one rotated by 180°: which input does k_ij multiply when the "
        "window sits at output (p, q)? It is at offset (i, j) from the window's corner.",
    ),
    Hint(
        _safe(lambda a, dout: _kernel_grad_reference(a, dout).T),
        "your dk is transposed (rows and columns swapped): k_ij multiplies a_{p+i, q+j}, so "
        "the first index i of the kernel moves down the rows of a, and j along its columns. "
        "The answer has the kernel's shape (KH, KW).",
    ),
]


def _cases_92():
    rng = np.random.default_rng(802)
    cases = []
    for i in range(N_CASES):
        kh, kw = (2, 2) if i < 4 else (int(rng.integers(2, 4)), int(rng.integers(2, 4)))
        # outputs larger than the kernel (and than 3×3) tell the known mistakes apart
        oh, ow = (2, 2) if i < 4 else (int(rng.integers(kh, 6)), int(rng.integers(max(kw, 4), 6)))
        a = rng.standard_normal((oh + kh - 1, ow + kw - 1))
        cases.append({"a": a, "dout": rng.standard_normal((oh, ow))})
    return cases


def conv_kernel_grad(user_fn) -> None:
    """Check ``user_fn(a, dout) -> dk`` for one channel, stride 1 (book: eq-conv-grad-k).

    a (H, W) is the input, dout (OH, OW) is ∂E/∂c; the kernel, and the answer, have shape
    (H − OH + 1, W − OW + 1).
    """
    check_function_cases(
        EX92,
        user_fn,
        _cases_92(),
        reference=_kernel_grad_reference,
        hints=HINTS_92,
        generic_hint=(
            "list the outputs c_pq that k_00 enters and the input it multiplies in each; "
            "compare your dk[0, 0] with that sum weighted by dout."
        ),
    )


# --- Exercise 9.3 -------------------------------------------------------------------------------


def _bias_grad_reference(dout):
    from bplib.layers import Conv2d

    n, f, oh, ow = dout.shape
    layer = Conv2d(1, f, 1, rng=np.random.default_rng(0))
    layer.forward(np.zeros((n, 1, oh, ow)))
    layer.backward(np.asarray(dout, dtype=np.float64))
    return layer.grads["b"]


HINTS_93 = [
    Hint(
        lambda dout: dout.sum(axis=0),
        "you returned one gradient per position: that is [002] Explication's untied bias b_ij. "
        "bplib's Conv2d (like PyTorch's) has one bias per output channel, added at every "
        "position of every example, and each of those uses contributes.",
    ),
    Hint(
        lambda dout: dout.sum(axis=(2, 3)),
        "you kept one gradient per example: the same bias b_f is used by every example of the "
        "batch, so their contributions add.",
    ),
    Hint(
        lambda dout: dout[0].sum(axis=(1, 2)),
        "you used the first example only: the same bias b_f is used by every example of the "
        "batch, so their contributions add.",
    ),
    Hint(
        lambda dout: dout.mean(axis=(0, 2, 3)),
        "you averaged: the bias is added at every position, each use contributes its full "
        "dout (if the loss averages over the batch, dout already carries that 1/N).",
    ),
    Hint(
        lambda dout: dout.sum(axis=(0, 1, 2)),
        "you summed over the wrong axes: the answer has one entry per output channel f "
        "(axis 1 of dout).",
    ),
    Hint(
        lambda dout: dout.sum(axis=(0, 2, 3)) / dout.shape[0],
        "you divided by the batch size N: the bias's gradient is the plain sum of what reaches "
        "it. When the loss is a mean over the batch, its backward pass has already put that "
        "1/N into dout; dividing again counts it twice.",
    ),
    Hint(
        lambda dout: dout.sum(axis=(0, 2, 3), keepdims=True),
        "the numbers are right, but your array has shape (1, F, 1, 1): keepdims=True kept the "
        "three summed axes. The bias b has shape (F,), and its gradient must have b's shape.",
    ),
]


def _cases_93():
    rng = np.random.default_rng(803)
    cases = []
    for _ in range(N_CASES):
        n, f = int(rng.integers(2, 4)), int(rng.integers(2, 5))
        oh, ow = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        cases.append({"dout": rng.standard_normal((n, f, oh, ow))})
    return cases


def conv_bias_grad(user_fn) -> None:
    """Check ``user_fn(dout) -> db`` for a bias shared per output channel (book: eq-conv-grad-b).

    dout (N, F, OH, OW) is ∂E/∂out; the answer has shape (F,).
    """
    check_function_cases(
        EX93,
        user_fn,
        _cases_93(),
        reference=_bias_grad_reference,
        hints=HINTS_93,
        generic_hint=(
            "list every output that b_f is added to, and the local gradient of each; compare "
            "your db[0] with the sum of what reaches b_0."
        ),
    )


# --- Exercise 9.4 -------------------------------------------------------------------------------


def _input_grad_reference(dout, k):
    dout = np.asarray(dout, dtype=np.float64)
    oh, ow = dout.shape
    layer = _conv_layer(k)
    layer.forward(np.zeros((1, 1, oh + k.shape[0] - 1, ow + k.shape[1] - 1)))
    return layer.backward(dout[None, None])[0, 0]


def _full_unflipped(dout, k):
    kh, kw = k.shape
    return _xcorr_valid(np.pad(dout, ((kh - 1, kh - 1), (kw - 1, kw - 1))), k)


def _valid_only(dout, k):
    return _xcorr_valid(dout, k[::-1, ::-1])


HINTS_94 = [
    Hint(
        _safe(_full_unflipped),
        "you slid the kernel over dout as it is: a_ij met k_kl at the output c_{i−k, j−l}, so "
        "seen from a_ij the kernel is walked backwards (rotated by 180°).",
    ),
    Hint(
        _safe(_valid_only),
        "your answer is smaller than a: every input, including those on the border (which feed "
        "only one or a few outputs), receives a gradient; let the kernel hang over the edges of "
        "dout, with zeros outside.",
    ),
    Hint(
        _safe(lambda dout, k: _input_grad_reference(dout, k)[::-1, ::-1]),
        "your answer is the right one rotated by 180°: which output does a_ij feed through "
        "k_00? Through k_11?",
    ),
]


def _cases_94():
    rng = np.random.default_rng(804)
    cases = []
    for i in range(N_CASES):
        kh, kw = (2, 2) if i < 4 else (int(rng.integers(2, 4)), int(rng.integers(2, 4)))
        oh, ow = (2, 2) if i < 4 else (int(rng.integers(kh, 5)), int(rng.integers(kw, 5)))
        cases.append({"dout": rng.standard_normal((oh, ow)), "k": rng.standard_normal((kh, kw))})
    return cases


def conv_input_grad(user_fn) -> None:
    """Check ``user_fn(dout, k) -> da`` for one channel, stride 1 (book: eq-conv-grad-x).

    dout (OH, OW) is ∂E/∂c, k (KH, KW) the kernel; the answer has the input's shape
    (OH + KH − 1, OW + KW − 1).
    """
    check_function_cases(
        EX94,
        user_fn,
        _cases_94(),
        reference=_input_grad_reference,
        hints=HINTS_94,
        generic_hint=(
            "list the outputs c_pq that a_00 feeds and the kernel entry that links them; "
            "compare your da[0, 0] with that sum weighted by dout, then do the same for a "
            "corner at the other end."
        ),
    )
