"""2-d convolution (cross-correlation, like PyTorch), NCHW.

Book: chapter 9, after [002] Explication and [000] Maaoui.

A convolutional layer with F kernels of shape (C, KH, KW), one shared bias per kernel, stride
S and zero padding P maps x (N, C, H, W) to out (N, F, OH, OW)::

    out[n, f, p, q] = b[f] + Σ_{c, i, j} W[f, c, i, j] · xp[n, c, p·S + i, q·S + j]

where xp is x padded with P zeros on each side (book: eq-conv-forward), and::

    OH = ⌊(H + 2P − KH) / S⌋ + 1,   OW = ⌊(W + 2P − KW) / S⌋ + 1    (book: eq-conv-output-size).

With one image, one channel, a 2×2 kernel, S = 1 and P = 0 this is [002] Explication's
``c_ij = b + Σ_{k,l} k_kl a_{i+k, j+l}`` (the source writes c on the right where it means the
input a, and a bias b_ij per position; bplib, like PyTorch, shares one bias per output
channel). Like PyTorch, the floor means that when S does not tile the padded input, its last
rows/columns meet no window: they do not reach the output and their gradient is 0.

The module holds three implementations that the tests prove equal:

- :func:`conv2d_forward_naive` / :func:`conv2d_backward_naive`: explicit loops over the
  examples, kernels and output positions, one window at a time: the reference to read.
- :func:`conv2d_forward` / :func:`conv2d_backward`: the vectorised version that
  :class:`~bplib.layers.Conv2d` uses. :func:`im2col` copies every window into one column
  of a matrix, so that the whole convolution is one matrix product; :func:`col2im` sends
  column gradients back.
- :func:`conv2d_input_grad_full`: the input gradient written as a *full* convolution of the
  (dilated) upstream gradient with the 180°-rotated kernel (book: eq-conv-grad-x-full).
"""

from __future__ import annotations

import numpy as np

from bplib._validate import check_positive_int, check_rng, pair
from bplib.init import initial_weights
from bplib.layers._windows import check_nchw, geometry, offsets, output_size
from bplib.layers.base import Layer, check_weights_unchanged, remember_weights

__all__ = [
    "Conv2d",
    "conv2d_forward_naive",
    "conv2d_backward_naive",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_input_grad_full",
    "im2col",
    "col2im",
]


def _stride_padding(stride, padding, where):
    s = pair(stride, where=where, name="stride")
    p = pair(padding, where=where, name="padding", allow_zero=True)
    return s, p


def _pad(x, ph, pw):
    """Zero padding of the two image axes: (N, C, H, W) -> (N, C, H + 2·PH, W + 2·PW)."""
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


# --------------------------------------------------------------------------------------------
# Naive reference: one window at a time
# --------------------------------------------------------------------------------------------


def conv2d_forward_naive(x, W, b, stride=1, padding=0):
    """Convolution (cross-correlation) with explicit loops (book: eq-conv-forward)::

        out[n, f, p, q] = b[f] + Σ_{c, i, j} W[f, c, i, j] · xp[n, c, p·S + i, q·S + j]

    Each output is the bias plus the sum of the window of the padded input xp that starts at
    (p·S, q·S), multiplied entry by entry by the kernel W[f].

    Args:
        x: (N, C, H, W) input.
        W: (F, C, KH, KW) kernels, one per output channel.
        b: (F,) biases, one per output channel (shared by all positions).
        stride: S or (SH, SW).
        padding: P or (PH, PW), zeros added on each side of H and W.

    Returns:
        out: (N, F, OH, OW), OH = ⌊(H + 2P − KH)/S⌋ + 1 (book: eq-conv-output-size).
    """
    (sh, sw), (ph, pw) = _stride_padding(stride, padding, "conv2d_forward_naive")
    n_batch, _, height, width = x.shape
    n_kernels, _, kh, kw = W.shape
    oh, ow = output_size(height, kh, sh, ph), output_size(width, kw, sw, pw)
    xp = _pad(x, ph, pw)
    out = np.zeros((n_batch, n_kernels, oh, ow), dtype=x.dtype)
    for n in range(n_batch):
        for f in range(n_kernels):
            for p in range(oh):
                for q in range(ow):
                    rows = slice(p * sh, p * sh + kh)  # the window under (p, q)
                    cols = slice(q * sw, q * sw + kw)
                    window = xp[n, :, rows, cols]  # (C, KH, KW)
                    out[n, f, p, q] = np.sum(window * W[f]) + b[f]
    return out


def conv2d_backward_naive(dout, x, W, stride=1, padding=0):
    """Gradients of the convolution with explicit loops (book: eq-conv-grad-b, eq-conv-grad-k,
    eq-conv-grad-x).

    Output ``out[n, f, p, q]`` was made from the bias b[f], the kernel W[f] and the window of
    xp at (p·S, q·S). Walking over the outputs, each one sends its upstream gradient
    ``g = dout[n, f, p, q]`` back to the three (upstream × local, book: eq-upstream-local)::

        db[f]                  += g                          (local gradient 1)
        dW[f]                  += g · window                 (local gradient: the window)
        dxp[n, :, window rows, window cols] += g · W[f]      (local gradient: the kernel)

    Summed over all outputs this is::

        db[f]           = Σ_{n,p,q} dout[n, f, p, q]                           (eq-conv-grad-b)
        dW[f, c, i, j]  = Σ_{n,p,q} dout[n, f, p, q] · xp[n, c, p·S + i, q·S + j]
                                                                               (eq-conv-grad-k)
        dxp[n, c, h, w] = Σ over (f, p, q, i, j) with p·S + i = h, q·S + j = w of
                          dout[n, f, p, q] · W[f, c, i, j]                    (eq-conv-grad-x)

    (for [002] Explication's example,
    ``∂E/∂k_ij = Σ_{p,q} ∂E/∂c_pq · a_{p+i, q+j}``), and dx is dxp without
    its padding. Rows/columns no window covers get 0.

    Args:
        dout: (N, F, OH, OW) upstream gradient.
        x: (N, C, H, W) the forward input.
        W: (F, C, KH, KW) kernels.
        stride, padding: as in :func:`conv2d_forward_naive`.

    Returns:
        ``(dx, dW, db)`` of shapes (N, C, H, W), (F, C, KH, KW), (F,).
    """
    (sh, sw), (ph, pw) = _stride_padding(stride, padding, "conv2d_backward_naive")
    n_batch, n_kernels, oh, ow = dout.shape
    _, _, kh, kw = W.shape
    height, width = x.shape[2:]
    xp = _pad(x, ph, pw)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    db = np.zeros(n_kernels, dtype=dout.dtype)
    for n in range(n_batch):
        for f in range(n_kernels):
            for p in range(oh):
                for q in range(ow):
                    g = dout[n, f, p, q]
                    rows = slice(p * sh, p * sh + kh)
                    cols = slice(q * sw, q * sw + kw)
                    db[f] += g
                    dW[f] += g * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += g * W[f]
    dx = dxp[:, :, ph : ph + height, pw : pw + width]
    return dx, dW, db


# --------------------------------------------------------------------------------------------
# Vectorised: im2col + one matrix product
# --------------------------------------------------------------------------------------------


# numpy pays a fixed cost (~20 ns here) for every contiguous run it copies or adds, on top of
# the cost per element. A one-pass im2col/col2im moves runs of OW pixels (one window row), so
# for narrow outputs that fixed cost dominates; the two-pass version moves whole (OH, OW)
# blocks in its second pass. Below this width it is the faster one (measured by bplib.bench).
_TWO_PASS_BELOW_OW = 16


def im2col(x, kernel_size, stride=1, padding=0):
    """Copy every window of the padded input into one column of a matrix (book: chapter 9).

    Column ``(n, p, q)`` holds the window at (p·S, q·S) of image n, flattened as (C, KH, KW),
    so that ``W.reshape(F, C*KH*KW) @ cols`` computes every output of the convolution at once
    (book: eq-conv-forward).

    The matrix is filled by KH·KW block copies, not by N·OH·OW window copies: for an offset
    (i, j) inside the window, the pixels at (i, j) of *every* window form the strided view
    ``xp[:, :, i::S, j::S]`` (cut to OH×OW), which lands in the rows (c, i, j) of all
    columns in one copy. The batch axis is put after the channel axis first, so that each
    copy and the product run over long contiguous blocks.

    For narrow outputs (OW < 16) the same copies are done in two passes, faster there: first
    the KW column offsets j (``xw[:, j] = xp[..., j::S]``), then the KH row offsets i, each a
    copy of whole (OH, OW) blocks of ``xw``. The result is the same matrix.

    Args:
        x: (N, C, H, W) input.
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW).
        padding: P or (PH, PW).

    Returns:
        cols: (C·KH·KW, N·OH·OW), row ``(c·KH + i)·KW + j``, column ``(n·OH + p)·OW + q``.
    """
    (kh, kw), (sh, sw), (ph, pw) = geometry(kernel_size, stride, padding, where="im2col")
    n_batch, n_chan, height, width = x.shape
    oh, ow = output_size(height, kh, sh, ph), output_size(width, kw, sw, pw)
    xp = np.zeros((n_chan, n_batch, height + 2 * ph, width + 2 * pw), dtype=x.dtype)
    # (N, C, H, W) -> (C, N, H, W), written inside the zero border
    xp[:, :, ph : ph + height, pw : pw + width] = x.transpose(1, 0, 2, 3)
    cols = np.empty((n_chan, kh, kw, n_batch, oh, ow), dtype=x.dtype)
    if ow >= _TWO_PASS_BELOW_OW:
        for i in range(kh):
            for j in range(kw):
                # (C, N, OH, OW) strided view: the pixels at offset (i, j)
                # of every window
                cols[:, i, j] = xp[:, :, offsets(i, oh, sh), offsets(j, ow, sw)]
    else:
        xw = np.empty((n_chan, kw, n_batch, xp.shape[2], ow), dtype=x.dtype)
        for j in range(kw):
            xw[:, j] = xp[:, :, :, offsets(j, ow, sw)]  # (C, N, H + 2PH, OW): column offset j
        for i in range(kh):
            cols[:, i] = xw[:, :, :, offsets(i, oh, sh), :]  # (C, KW, N, OH, OW): row offset i
    return cols.reshape(n_chan * kh * kw, n_batch * oh * ow)  # (C, KH, KW, N, OH, OW) -> 2-d


def col2im(dcols, x_shape, kernel_size, stride=1, padding=0):
    """The adjoint of :func:`im2col`: add every column back onto the window it came from.

    An input pixel lies in several windows (it was copied into several columns), so its
    gradient is the sum of the gradients of all its copies (book: eq-chain-multiple,
    eq-conv-grad-x). As in :func:`im2col` this is KH·KW strided block additions
    ``dxp[:, :, i::S, j::S] += dcols[c, i, j rows]``, one per offset (i, j) (in two passes,
    rows then columns, for narrow outputs); the padding is then cut away (its zeros are
    constants, their gradient is dropped).

    Args:
        dcols: (C·KH·KW, N·OH·OW) gradient of the column matrix.
        x_shape: (N, C, H, W) the input's shape.
        kernel_size, stride, padding: as in :func:`im2col`.

    Returns:
        dx: (N, C, H, W).
    """
    (kh, kw), (sh, sw), (ph, pw) = geometry(kernel_size, stride, padding, where="col2im")
    n_batch, n_chan, height, width = x_shape
    oh, ow = output_size(height, kh, sh, ph), output_size(width, kw, sw, pw)
    dcols = dcols.reshape(n_chan, kh, kw, n_batch, oh, ow)  # 2-d -> (C, KH, KW, N, OH, OW)
    dxp = np.zeros((n_chan, n_batch, height + 2 * ph, width + 2 * pw), dtype=dcols.dtype)
    if ow >= _TWO_PASS_BELOW_OW:
        for i in range(kh):
            for j in range(kw):
                dxp[:, :, offsets(i, oh, sh), offsets(j, ow, sw)] += dcols[:, i, j]
    else:
        dxw = np.zeros((n_chan, kw, n_batch, dxp.shape[2], ow), dtype=dcols.dtype)
        for i in range(kh):
            dxw[:, :, :, offsets(i, oh, sh), :] += dcols[:, i]  # (C, KW, N, OH, OW)
        for j in range(kw):
            dxp[:, :, :, offsets(j, ow, sw)] += dxw[:, j]  # (C, N, H + 2PH, OW)
    dx = dxp[:, :, ph : ph + height, pw : pw + width]
    return np.ascontiguousarray(dx.transpose(1, 0, 2, 3))  # (C, N, H, W) -> (N, C, H, W)


def conv2d_forward(x, W, b, stride=1, padding=0):
    """Vectorised convolution, equal to :func:`conv2d_forward_naive` (book: eq-conv-forward).

    One matrix product: ``out = W.reshape(F, C·KH·KW) @ im2col(x) + b``.

    Args:
        x: (N, C, H, W) input.
        W: (F, C, KH, KW) kernels.
        b: (F,) biases.
        stride: S or (SH, SW).
        padding: P or (PH, PW).

    Returns:
        ``(out, cache)``: out (N, F, OH, OW) (book: eq-conv-output-size), and what
        :func:`conv2d_backward` needs: the column matrix, W, x's shape, stride and padding.
    """
    (sh, sw), (ph, pw) = _stride_padding(stride, padding, "conv2d_forward")
    n_kernels, _, kh, kw = W.shape
    n_batch, _, height, width = x.shape
    oh, ow = output_size(height, kh, sh, ph), output_size(width, kw, sw, pw)
    cols = im2col(x, (kh, kw), (sh, sw), (ph, pw))  # (C*KH*KW, N*OH*OW)
    # (F, C*KH*KW) @ (C*KH*KW, N*OH*OW) -> (F, N*OH*OW)
    out = W.reshape(n_kernels, -1) @ cols
    out += b[:, None]  # one bias per kernel, shared by every position
    # (F, N*OH*OW) -> (F, N, OH, OW)
    out = out.reshape(n_kernels, n_batch, oh, ow)
    # (F, N, OH, OW) -> (N, F, OH, OW)
    out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))
    return out, (cols, W, x.shape, (sh, sw), (ph, pw))


def conv2d_backward(dout, cache):
    """Vectorised gradients, equal to :func:`conv2d_backward_naive` (book: eq-conv-grad-b,
    eq-conv-grad-k, eq-conv-grad-x).

    With ``D = dout`` as an (F, N·OH·OW) matrix and ``X = im2col(x)``, the forward was
    ``out = W X + b``, an affine map like ``Linear``'s, so (book: eq-grad-W, eq-grad-h)::

        db   = D summed over its columns                            (eq-conv-grad-b)
        dW   = D Xᵀ                 (F, C·KH·KW)                      (eq-conv-grad-k)
        dX   = Wᵀ D                 (C·KH·KW, N·OH·OW), then dx = col2im(dX)  (eq-conv-grad-x)

    Args:
        dout: (N, F, OH, OW) upstream gradient.
        cache: what :func:`conv2d_forward` returned with the output.

    Returns:
        ``(dx, dW, db)`` of shapes (N, C, H, W), (F, C, KH, KW), (F,).
    """
    cols, W, x_shape, stride, padding = cache
    n_kernels = W.shape[0]
    # (N, F, OH, OW) -> (F, N, OH, OW) -> (F, N*OH*OW): the columns of cols
    d = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).reshape(n_kernels, -1)
    db = d.sum(axis=1)
    # dW = D Xᵀ, computed as (X Dᵀ)ᵀ: the same numbers, but OpenBLAS runs
    # this orientation about twice as fast when the shared dimension
    # N*OH*OW is long and F, C*KH*KW small.
    # (C*KH*KW, N*OH*OW) @ (N*OH*OW, F) -> (C*KH*KW, F)
    # -> (F, C*KH*KW) -> (F, C, KH, KW)
    dW = (cols @ d.T).T.reshape(W.shape)
    # (C*KH*KW, F) @ (F, N*OH*OW) -> (C*KH*KW, N*OH*OW)
    dcols = W.reshape(n_kernels, -1).T @ d
    dx = col2im(dcols, x_shape, W.shape[2:], stride, padding)
    return dx, dW, db


def conv2d_input_grad_full(dout, W, x_shape, stride=1, padding=0):
    """The input gradient as a *full* convolution with the flipped kernel.

    (book: eq-conv-grad-x-full)

    Reading eq-conv-grad-x the other way round: pixel (h, w) of the padded input receives
    ``dout[p, q] · W[i, j]`` from every output (p, q) whose window put it at offset
    (i, j) = (h − p·S, w − q·S). So::

        dxp[n, c, h, w] = Σ_{f, i, j} dil[n, f, h − i, w − j] · W[f, c, i, j]

    where ``dil`` is dout *dilated* by the stride (S − 1 zeros between neighbours, so that
    dil[p·S, q·S] = dout[p, q]) and is 0 outside its range. Renaming i → KH − 1 − i turns
    this into a cross-correlation, i.e. a forward convolution::

        dxp = conv2d_forward(dil padded by (KH − 1, KW − 1),
                             W rotated by 180° with its axes F and C swapped, stride 1)

    a "full" convolution, since the padding by K − 1 lets the kernel overhang dout on every
    side. The result covers rows 0 … (OH − 1)·S + KH − 1 of the padded input; rows past it
    (a stride that does not tile the input) get 0, and the padding P is cut away. The book
    shows that this equals the dx of :func:`conv2d_backward`.

    Args:
        dout: (N, F, OH, OW) upstream gradient.
        W: (F, C, KH, KW) kernels.
        x_shape: (N, C, H, W) the forward input's shape.
        stride, padding: those of the forward.

    Returns:
        dx: (N, C, H, W).
    """
    (sh, sw), (ph, pw) = _stride_padding(stride, padding, "conv2d_input_grad_full")
    n_batch, n_kernels, oh, ow = dout.shape
    _, n_chan, kh, kw = W.shape
    height, width = x_shape[2:]
    # dout dilated by the stride: dout[p, q] at (p*S, q*S), zeros between
    dil_shape = (n_batch, n_kernels, (oh - 1) * sh + 1, (ow - 1) * sw + 1)
    dil = np.zeros(dil_shape, dtype=dout.dtype)
    dil[:, :, ::sh, ::sw] = dout
    # the kernels rotated by 180°, axes swapped: (F, C, ..) -> (C, F, ..)
    flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    no_bias = np.zeros(n_chan, dtype=dout.dtype)
    # a full convolution: zero padding K − 1 on every side, stride 1
    covered, _ = conv2d_forward(dil, flipped, no_bias, stride=1,
                                padding=(kh - 1, kw - 1))
    # rows past the last window (a stride that does not tile) stay 0
    dxp_shape = (n_batch, n_chan, height + 2 * ph, width + 2 * pw)
    dxp = np.zeros(dxp_shape, dtype=dout.dtype)
    dxp[:, :, : covered.shape[2], : covered.shape[3]] = covered
    return dxp[:, :, ph : ph + height, pw : pw + width]  # padding cut away


# --------------------------------------------------------------------------------------------
# Layer
# --------------------------------------------------------------------------------------------


class Conv2d(Layer):
    """2-d convolution layer, NCHW, PyTorch's ``nn.Conv2d`` without dilation or groups.

    (book: eq-conv-forward) ``out[n, f, p, q] = b[f] + Σ_{c,i,j} W[f, c, i, j] ·
    xp[n, c, p·S + i, q·S + j]``, xp = x zero-padded by P: a cross-correlation (the kernel is
    not flipped), as in PyTorch and in [002] Explication.

    Args:
        in_channels: C.
        out_channels: F, the number of kernels.
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW), default 1.
        padding: P or (PH, PW) zeros on each side, default 0.
        rng: a ``numpy.random.Generator`` for the initial weights; None makes a fresh,
            unseeded one (the book always passes a seeded one).
        init: how W is drawn. None (the default): PyTorch's default below. Otherwise a
            callable called as ``init(W, rng=rng)`` that fills W (F, C, KH, KW) in place, e.g.
            ``functools.partial(bplib.init.kaiming_normal_, nonlinearity="relu")`` (fan_in =
            C·KH·KW, book: eq-fans, eq-he), or the name of a :mod:`bplib.init` function
            without its underscore (``"kaiming_normal"``); b then starts at 0.

    Parameters (``self.params``)::

        W: (F, C, KH, KW) kernels (PyTorch's ``weight``).
        b: (F,) biases, ONE per output channel, shared by all positions (PyTorch's ``bias``;
            [002] Explication's b_ij is one bias per position instead).

    By default both are drawn from U(−1/√(C·KH·KW), 1/√(C·KH·KW)), PyTorch's default: C·KH·KW
    is the number of inputs of each output (its fan-in; book: eq-pytorch-default).

    Shapes::

        forward:  x (N, C, H, W) -> out (N, F, OH, OW), OH = ⌊(H + 2P − KH)/S⌋ + 1,
                  OW = ⌊(W + 2P − KW)/S⌋ + 1 (book: eq-conv-output-size). When S does not
                  tile the padded input, its last rows/columns are ignored (PyTorch's floor)
                  and get a zero gradient.
        backward: dout (N, F, OH, OW) -> dx (N, C, H, W); fills grads W (F, C, KH, KW) and
                  b (F,) (book: eq-conv-grad-b, eq-conv-grad-k, eq-conv-grad-x).

    The layer computes in the input's dtype (float64 for checks; float32 allowed) with the
    vectorised :func:`~bplib.layers.conv.conv2d_forward` /
    :func:`~bplib.layers.conv.conv2d_backward`.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 *, rng=None, init=None) -> None:
        super().__init__()
        where = "Conv2d"
        self.in_channels = check_positive_int(in_channels, where=where, name="in_channels")
        self.out_channels = check_positive_int(out_channels, where=where, name="out_channels")
        self.kernel_size, self.stride, self.padding = geometry(
            kernel_size, stride, padding, where=where
        )
        rng = check_rng(rng, where=where)
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels, kh, kw)
        if init is None:  # PyTorch's default, drawn exactly as before init= existed
            bound = 1.0 / np.sqrt(self.in_channels * kh * kw)
            self.params["W"] = rng.uniform(-bound, bound, size=shape)
            self.params["b"] = rng.uniform(-bound, bound, size=(self.out_channels,))
        else:
            self.params["W"] = initial_weights(init, shape, rng, where=where)
            self.params["b"] = np.zeros(self.out_channels)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Convolve (book: eq-conv-forward): x (N, C, H, W) -> out (N, F, OH, OW).

        Computed in x's dtype: the parameters are cast for the product only (read from
        ``params`` at every call, so a finite-difference check that perturbs ``params["W"]``
        in place sees its effect). The cache shares no memory with x; it keeps ``W`` itself,
        so change the parameters after backward (as an optimizer does), not before: backward
        refuses, with a RuntimeError, a W edited in place since forward.
        """
        x = self._check_input(x)
        check_nchw(x, where="Conv2d.forward", channels=self.in_channels,
                   kernel=self.kernel_size, padding=self.padding)
        # The cache holds im2col's copy of x, so editing x in place before backward changes
        # nothing. W is cast, not copied (like Linear's): parameters change after backward.
        W = self.params["W"].astype(x.dtype, copy=False)
        b = self.params["b"].astype(x.dtype, copy=False)
        out, cache = conv2d_forward(x, W, b, self.stride, self.padding)
        remember_weights(self, W)  # backward refuses a W edited in place since
        return self._store(cache, out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients (book: eq-conv-grad-b, eq-conv-grad-k, eq-conv-grad-x); returns dx.

        Sets ``grads["W"]`` (F, C, KH, KW) and ``grads["b"]`` (F,) in the parameters' dtype.
        """
        cache = self._start_backward(dout)
        check_weights_unchanged(self, cache[1])
        dout = dout.astype(cache[0].dtype, copy=False)  # compute in the input's dtype
        dx, dW, db = conv2d_backward(dout, cache)
        self.grads["W"] = dW.astype(self.params["W"].dtype, copy=False)
        self.grads["b"] = db.astype(self.params["b"].dtype, copy=False)
        return dx

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
