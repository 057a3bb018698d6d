"""Sliding-window bookkeeping shared by pooling and convolution (private).

Both layers slide a KH×KW window over an (N, C, H, W) batch with a stride S (and, for the
convolution, a zero padding P). Everything here is about *where* the windows are: their
number (the output size), the strided slice that collects one window offset over every output
position, and the input checks. The arithmetic lives in ``pooling.py`` and ``conv.py``.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import check_batch, check_ndim, pair


def output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Number of window positions along one axis: ``⌊(size + 2P − K) / S⌋ + 1``.

    (book: eq-conv-output-size; with P = 0, eq-pool-output-size.) The floor is PyTorch's
    rule: when the stride does not tile the (padded) input, the last ``(size + 2P − K) mod S``
    rows/columns are never covered by a window, so they do not reach the output and their
    gradient is 0.
    """
    return (size + 2 * padding - kernel) // stride + 1


def offsets(offset: int, count: int, stride: int) -> slice:
    """The slice ``offset, offset + S, ..., offset + S·(count − 1)`` along one axis.

    Output position ``o`` of a window reads input ``o·S + offset``; so for a fixed offset
    (i, j) inside the window, ``x[..., offsets(i, OH, S), offsets(j, OW, S)]`` is the
    (…, OH, OW) array of the pixels that sit at (i, j) in every window: a strided view, no
    copy. Looping over the KH·KW offsets instead of the OH·OW windows is what vectorises
    pooling and convolution.
    """
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def geometry(kernel_size, stride, padding=0, *, where: str):
    """Validate and return ``(KH, KW), (SH, SW), (PH, PW)`` from ints or pairs."""
    kh_kw = pair(kernel_size, where=where, name="kernel_size")
    s = pair(stride, where=where, name="stride")
    p = pair(padding, where=where, name="padding", allow_zero=True)
    return kh_kw, s, p


def check_nchw(x: np.ndarray, *, where: str, channels: int | None = None,
               kernel: tuple[int, int], padding: tuple[int, int] = (0, 0)) -> None:
    """Check a batch of images for a windowed layer; ``x`` is already a finite float array.

    Raises ``ValueError`` naming ``where`` for: a rank other than 4, an empty batch, an
    empty image, a channel count other than ``channels``, a kernel larger than the padded
    image.
    """
    check_ndim(x, 4, where=where, layout="(N, C, H, W)")
    check_batch(x, where=where)
    n, c, h, w = x.shape
    if h == 0 or w == 0:
        raise ValueError(
            f"{where}: input images are empty (shape {x.shape}); H and W must be >= 1."
        )
    if channels is not None and c != channels:
        raise ValueError(
            f"{where}: input has C={c} channels (shape {x.shape}) but the layer expects "
            f"in_channels={channels}; tensors are NCHW, channels on axis 1."
        )
    (kh, kw), (ph, pw) = kernel, padding
    if kh > h + 2 * ph or kw > w + 2 * pw:
        padded = f"padded input ({h + 2 * ph}, {w + 2 * pw})" if ph or pw else f"input ({h}, {w})"
        raise ValueError(
            f"{where}: kernel ({kh}, {kw}) is larger than the {padded} of shape {x.shape}; "
            f"no window fits, so the output would be empty."
        )
