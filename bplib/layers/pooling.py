"""2-d max and average pooling, NCHW (book: chapter 8, [002] Explication and [000] Maaoui).

A pooling layer slides a KH×KW window over each channel of each image with a stride S (no
padding) and summarises every window by one number: its mean (average pooling) or its
maximum (max pooling). The output has

    OH = ⌊(H − KH) / S⌋ + 1,   OW = ⌊(W − KW) / S⌋ + 1        (book: eq-pool-output-size)

rows and columns. Like PyTorch, the floor means that when the stride does not tile the input,
the last ``(H − KH) mod S`` rows (and columns) are covered by no window: they do not reach the
output, and their gradient is 0.

Each operation comes twice:

- ``*_naive``: explicit loops over the batch, the channels and the output positions, one
  window at a time; the reference the book reads (chapter 8) and the tests trust.
- the vectorised version the layers use, tested equal to the naive one: it loops over the
  KH·KW offsets (i, j) *inside* the window instead, and handles every window at once with one
  strided view ``x[..., i::S, j::S]``.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import pair
from bplib.layers._windows import check_nchw, offsets, output_size
from bplib.layers.base import Layer

__all__ = [
    "MaxPool2d",
    "AvgPool2d",
    "maxpool2d_forward_naive",
    "maxpool2d_backward_naive",
    "avgpool2d_forward_naive",
    "avgpool2d_backward_naive",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
]


def _kernel_stride(kernel_size, stride, where):
    """Validated ``KH, KW, SH, SW``; a stride of None means the kernel size."""
    kh, kw = pair(kernel_size, where=where, name="kernel_size")
    sh, sw = (kh, kw) if stride is None else pair(stride, where=where, name="stride")
    return kh, kw, sh, sw


# --------------------------------------------------------------------------------------------
# Naive references: one window at a time
# --------------------------------------------------------------------------------------------


def avgpool2d_forward_naive(x, kernel_size, stride=None):
    """Average pooling with explicit loops (book: eq-avgpool)::

        out[n, c, p, q] = 1/(KH·KW) · Σ_{i<KH, j<KW} x[n, c, p·S + i, q·S + j]

    For 2×2 windows and S = 2 this is [002] Explication's
    ``b_ij = (a_{2i,2j} + a_{2i+1,2j} + a_{2i,2j+1} + a_{2i+1,2j+1}) / 4``.

    Args:
        x: (N, C, H, W) input.
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW); None means the kernel size (non-overlapping windows).

    Returns:
        out: (N, C, OH, OW), OH = ⌊(H − KH)/SH⌋ + 1 (book: eq-pool-output-size).
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "avgpool2d_forward_naive")
    n_batch, n_chan, h, w = x.shape
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    out = np.zeros((n_batch, n_chan, oh, ow), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(n_chan):
            for p in range(oh):
                for q in range(ow):
                    window = x[n, c, p * sh : p * sh + kh, q * sw : q * sw + kw]
                    out[n, c, p, q] = window.sum() / (kh * kw)
    return out


def avgpool2d_backward_naive(dout, x_shape, kernel_size, stride=None):
    """Gradient of average pooling with explicit loops (book: eq-avgpool-grad).

    Every input of a window gets the window's upstream gradient divided by KH·KW:

        dx[n, c, p·S + i, q·S + j] += dout[n, c, p, q] / (KH·KW)

    With 2×2 windows and S = 2 each input lies in exactly one window, and this is
    [002] Explication's ``∂E/∂a_ij = ¼ ∂E/∂b_kl`` with ``k = ⌊i/2⌋``, ``l = ⌊j/2⌋``. When
    windows overlap (S < K) an input gets a share from every window that contains it: the
    shares add (two paths, book: eq-chain-multiple). Rows/columns no window covers get 0.

    Args:
        dout: (N, C, OH, OW) upstream gradient.
        x_shape: (N, C, H, W), the input's shape.
        kernel_size, stride: as in :func:`avgpool2d_forward_naive`.

    Returns:
        dx: (N, C, H, W).
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "avgpool2d_backward_naive")
    dx = np.zeros(x_shape, dtype=dout.dtype)
    n_batch, n_chan, oh, ow = dout.shape
    for n in range(n_batch):
        for c in range(n_chan):
            for p in range(oh):
                for q in range(ow):
                    dx[n, c, p * sh : p * sh + kh, q * sw : q * sw + kw] += (
                        dout[n, c, p, q] / (kh * kw)
                    )
    return dx


def maxpool2d_forward_naive(x, kernel_size, stride=None):
    """Max pooling with explicit loops (book: eq-maxpool)::

        out[n, c, p, q] = max_{i<KH, j<KW} x[n, c, p·S + i, q·S + j]

    Args:
        x: (N, C, H, W) input.
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW); None means the kernel size.

    Returns:
        out: (N, C, OH, OW), OH = ⌊(H − KH)/SH⌋ + 1 (book: eq-pool-output-size).
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "maxpool2d_forward_naive")
    n_batch, n_chan, h, w = x.shape
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    out = np.zeros((n_batch, n_chan, oh, ow), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(n_chan):
            for p in range(oh):
                for q in range(ow):
                    window = x[n, c, p * sh : p * sh + kh, q * sw : q * sw + kw]
                    out[n, c, p, q] = window.max()
    return out


def maxpool2d_backward_naive(dout, x, kernel_size, stride=None):
    """Gradient of max pooling with explicit loops (book: eq-maxpool-grad).

    The maximum of a window is, locally, the identity of one input, its argmax, and does not
    depend on the others: that input gets the window's upstream gradient, the others 0,

        dx[n, c, p·S + i*, q·S + j*] += dout[n, c, p, q],   (i*, j*) = argmax of the window.

    Ties: when several inputs share the maximum, the gradient goes to the FIRST of them in
    row-major order inside the window (``np.argmax`` of the flattened window), as in
    PyTorch. Any choice is a valid subgradient; this one makes bplib and PyTorch agree.
    Overlapping windows (S < K) add their gradients; uncovered rows/columns get 0.

    Args:
        dout: (N, C, OH, OW) upstream gradient.
        x: (N, C, H, W), the forward input (the argmax is recomputed from it).
        kernel_size, stride: as in :func:`maxpool2d_forward_naive`.

    Returns:
        dx: (N, C, H, W).
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "maxpool2d_backward_naive")
    dx = np.zeros(x.shape, dtype=dout.dtype)
    n_batch, n_chan, oh, ow = dout.shape
    for n in range(n_batch):
        for c in range(n_chan):
            for p in range(oh):
                for q in range(ow):
                    window = x[n, c, p * sh : p * sh + kh, q * sw : q * sw + kw]
                    # np.argmax: the window's first maximum in row-major order
                    i, j = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, p * sh + i, q * sw + j] += dout[n, c, p, q]
    return dx


# --------------------------------------------------------------------------------------------
# Vectorised versions: one strided view per offset (i, j) inside the window
# --------------------------------------------------------------------------------------------


def avgpool2d_forward(x, kernel_size, stride=None):
    """Vectorised average pooling, equal to :func:`avgpool2d_forward_naive` (book: eq-avgpool).

    ``out = (1/(KH·KW)) Σ_{i,j} x[:, :, i::S, j::S]`` (each view cut to OH×OW): KH·KW
    additions of (N, C, OH, OW) strided views, no copy of x.

    Args:
        x: (N, C, H, W).
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW); None means the kernel size.

    Returns:
        out: (N, C, OH, OW).
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "avgpool2d_forward")
    oh, ow = output_size(x.shape[2], kh, sh), output_size(x.shape[3], kw, sw)
    out = np.zeros((*x.shape[:2], oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out += x[:, :, offsets(i, oh, sh), offsets(j, ow, sw)]  # view (N, C, OH, OW)
    out *= 1.0 / (kh * kw)
    return out


def avgpool2d_backward(dout, x_shape, kernel_size, stride=None):
    """Vectorised gradient of average pooling, equal to :func:`avgpool2d_backward_naive`.

    (book: eq-avgpool-grad) ``dx[:, :, i::S, j::S] += dout / (KH·KW)`` for each offset (i, j):
    with non-overlapping windows each input is written once; with overlapping ones the
    shares add; uncovered rows/columns stay 0.

    Args:
        dout: (N, C, OH, OW) upstream gradient.
        x_shape: (N, C, H, W), the input's shape.
        kernel_size, stride: as in the forward.

    Returns:
        dx: (N, C, H, W).
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "avgpool2d_backward")
    oh, ow = dout.shape[2:]
    share = dout * (1.0 / (kh * kw))
    dx = np.zeros(x_shape, dtype=dout.dtype)
    overlap = sh < kh or sw < kw
    for i in range(kh):
        for j in range(kw):
            # (N, C, OH, OW) view of the inputs at offset (i, j) of every window
            view = dx[:, :, offsets(i, oh, sh), offsets(j, ow, sw)]
            if overlap:
                view += share
            else:  # each input belongs to at most one window: plain assignment
                view[...] = share
    return dx


def maxpool2d_forward(x, kernel_size, stride=None):
    """Vectorised max pooling, equal to :func:`maxpool2d_forward_naive` (book: eq-maxpool).

    ``out`` is the element-wise maximum of the KH·KW strided views ``x[:, :, i::S, j::S]``.
    For the backward it also returns ``first``, the row-major index ``k = i·KW + j`` of each
    window's FIRST maximum (PyTorch's tie rule). It is counted, not searched: ``first`` is
    the number of leading offsets whose value is below the maximum,

        first = Σ_k [x_0 < max, x_1 < max, ..., x_k < max],

    so a tie at offsets 1 and 3 gives 1.

    Args:
        x: (N, C, H, W).
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW); None means the kernel size.

    Returns:
        ``(out, first)``: out (N, C, OH, OW) in x's dtype; first (N, C, OH, OW) small ints.
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "maxpool2d_forward")
    oh, ow = output_size(x.shape[2], kh, sh), output_size(x.shape[3], kw, sw)
    # KH*KW strided views (N, C, OH, OW), one per offset (i, j) in a window
    views = [x[:, :, offsets(i, oh, sh), offsets(j, ow, sw)]
             for i in range(kh) for j in range(kw)]
    out = views[0].copy()
    for v in views[1:]:
        np.maximum(out, v, out=out)
    first = np.zeros(out.shape, dtype=np.min_scalar_type(kh * kw))
    # below: no maximum met yet among the offsets 0..k
    below = np.ones(out.shape, dtype=bool)
    for v in views[:-1]:
        below &= v < out
        first += below
    return out, first


def maxpool2d_backward(dout, first, x_shape, kernel_size, stride=None):
    """Vectorised gradient of max pooling, equal to :func:`maxpool2d_backward_naive`.

    (book: eq-maxpool-grad) For each offset k = (i, j): ``dx[:, :, i::S, j::S] +=
    dout · [first == k]``: the upstream gradient goes to each window's first maximum only.
    Overlapping windows add; uncovered rows/columns stay 0.

    Args:
        dout: (N, C, OH, OW) upstream gradient.
        first: (N, C, OH, OW), returned by :func:`maxpool2d_forward`.
        x_shape: (N, C, H, W), the input's shape.
        kernel_size, stride: as in the forward.

    Returns:
        dx: (N, C, H, W).
    """
    kh, kw, sh, sw = _kernel_stride(kernel_size, stride, "maxpool2d_backward")
    oh, ow = dout.shape[2:]
    dx = np.zeros(x_shape, dtype=dout.dtype)
    overlap = sh < kh or sw < kw
    for i in range(kh):
        for j in range(kw):
            # (N, C, OH, OW) view of the inputs at offset (i, j) of every window
            view = dx[:, :, offsets(i, oh, sh), offsets(j, ow, sw)]
            routed = first == i * kw + j
            if overlap:
                view += dout * routed
            else:  # each input is in one window at most: write in place
                np.multiply(dout, routed, out=view)
    return dx


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------


class _Pool2d(Layer):
    def __init__(self, kernel_size, stride=None) -> None:
        super().__init__()
        kh, kw, sh, sw = _kernel_stride(kernel_size, stride, self.name)
        self.kernel_size = (kh, kw)
        self.stride = (sh, sw)

    def _check(self, x):
        x = self._check_input(x)
        check_nchw(x, where=f"{self.name}.forward", kernel=self.kernel_size)
        return x

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class AvgPool2d(_Pool2d):
    """2-d average pooling over (N, C, H, W) batches (book: eq-avgpool, eq-avgpool-grad).

    ``out[n, c, p, q]`` is the mean of the KH×KW window of channel c at rows ``p·S …
    p·S + KH − 1`` and columns ``q·S … q·S + KW − 1``. No parameters; no padding.

    Args:
        kernel_size: K or (KH, KW), positive ints.
        stride: S or (SH, SW), positive ints; None (default) means the kernel size, i.e.
            non-overlapping windows, [002] Explication's 2×2 case for ``AvgPool2d(2)``.

    Shapes::

        forward:  x (N, C, H, W) -> out (N, C, OH, OW), OH = ⌊(H − KH)/SH⌋ + 1,
                  OW = ⌊(W − KW)/SW⌋ + 1 (book: eq-pool-output-size). When S does not tile
                  the input, the leftover rows/columns are ignored (PyTorch's floor).
        backward: dout (N, C, OH, OW) -> dx (N, C, H, W): each input of a window gets
                  dout/(KH·KW); overlapping windows add; ignored rows/columns get 0.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Average each window (book: eq-avgpool); x (N, C, H, W) -> (N, C, OH, OW)."""
        x = self._check(x)
        out = avgpool2d_forward(x, self.kernel_size, self.stride)
        return self._store((x.shape, x.dtype), out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Spread dout/(KH·KW) over each window (book: eq-avgpool-grad); returns dx."""
        x_shape, dtype = self._start_backward(dout)
        dout = dout.astype(dtype, copy=False)  # compute in the input's dtype
        return avgpool2d_backward(dout, x_shape, self.kernel_size, self.stride)


class MaxPool2d(_Pool2d):
    """2-d max pooling over (N, C, H, W) batches (book: eq-maxpool, eq-maxpool-grad).

    ``out[n, c, p, q]`` is the maximum of the KH×KW window of channel c at rows ``p·S …
    p·S + KH − 1`` and columns ``q·S … q·S + KW − 1``. No parameters; no padding.

    The gradient of a window goes to its maximum only. Ties: it goes to the FIRST maximum in
    row-major order inside the window, as in PyTorch (any choice is a subgradient; this one
    makes the two libraries agree).

    Args:
        kernel_size: K or (KH, KW), positive ints.
        stride: S or (SH, SW), positive ints; None (default) means the kernel size.

    Shapes::

        forward:  x (N, C, H, W) -> out (N, C, OH, OW), OH = ⌊(H − KH)/SH⌋ + 1,
                  OW = ⌊(W − KW)/SW⌋ + 1 (book: eq-pool-output-size). When S does not tile
                  the input, the leftover rows/columns are ignored (PyTorch's floor).
        backward: dout (N, C, OH, OW) -> dx (N, C, H, W), non-zero only at each window's
                  first maximum; overlapping windows add; ignored rows/columns get 0.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Take each window's maximum (book: eq-maxpool); x (N, C, H, W) -> (N, C, OH, OW)."""
        x = self._check(x)
        out, first = maxpool2d_forward(x, self.kernel_size, self.stride)
        return self._store((first, x.shape, x.dtype), out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Route dout to each window's first maximum (book: eq-maxpool-grad); returns dx."""
        first, x_shape, dtype = self._start_backward(dout)
        dout = dout.astype(dtype, copy=False)  # compute in the input's dtype
        return maxpool2d_backward(dout, first, x_shape, self.kernel_size, self.stride)
