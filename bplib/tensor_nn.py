"""The layers of the course rebuilt from :mod:`bplib.tensor` operations (chapter 11).

Each layer of ``bplib.layers`` has a forward pass *and* a backward pass derived by hand in
its chapter. Here each is only a forward pass, a few lines of :class:`~bplib.tensor.Tensor`
operations; the engine derives the backward pass by itself, one local rule per operation,
and chapter 11 shows that the gradients equal the hand-derived ones:

    linear         x @ W.T + b                       chapter 3, eq-grad-W, -b, -h
    relu           x.relu()                          chapter 5, eq-relu-grad
    cross_entropy  log-sum-exp, then pick and mean   chapter 4, eq-ce-softmax-grad
    conv2d         pad, windows, one matrix product  chapter 9, eq-conv-grad-b/-k/-x
    max_pool2d     windows, max                      chapter 8, eq-maxpool-grad
    avg_pool2d     windows, mean                     chapter 8, eq-avgpool-grad

The classes (:class:`Linear`, :class:`Conv2d`, …, :class:`Sequential`) wrap them with
parameters, in bplib's layout and with the initialisation of ``bplib.layers`` (PyTorch's),
so the same seed gives the same weights. ``params`` holds the numpy arrays and ``grads`` the
gradients the last backward passes accumulated, so :class:`bplib.optim.SGD` trains them
unchanged; since the engine accumulates (like PyTorch), call ``model.zero_grad()`` before each
backward pass.

The module also writes out the two digits networks of the book one elementary operation per
line (:func:`mlp_steps`, :func:`cnn_steps`), so that every intermediate has a name and,
after ``loss.backward()``, a gradient to compare with one worked out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

import numpy as np

from bplib._validate import check_labels, check_positive_int, check_rng, pair
from bplib.layers.base import Parameter
from bplib.tensor import Tensor

__all__ = [
    "AvgPool2d",
    "Conv2d",
    "Flatten",
    "Linear",
    "MaxPool2d",
    "Module",
    "ReLU",
    "Sequential",
    "avg_pool2d",
    "cnn_steps",
    "conv2d",
    "cross_entropy",
    "linear",
    "max_pool2d",
    "mlp_steps",
    "relu",
]


def _tensor(x, where: str) -> Tensor:
    """A Tensor as it is; a float numpy array as a constant Tensor (an input that needs no
    gradient); anything else a TypeError naming ``where``."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating):
        return Tensor(x)
    raise TypeError(f"{where}: expected a Tensor or a float numpy array, got "
                    f"{type(x).__name__}{f' of dtype {x.dtype}' if hasattr(x, 'dtype') else ''}.")


def _check_ndim(x: Tensor, ndim: int, where: str, layout: str) -> None:
    if x.ndim != ndim:
        raise ValueError(f"{where}: input must have {ndim} dimensions {layout}, got shape "
                         f"{x.shape}.")


# ---- the layers as functions of Tensors ------------------------------------------------------


def linear(x, W, b):
    """The affine map ``x @ W.T + b`` (book: eq-batched-linear).

    x (N, D), W (M, D), b (M,) -> (N, M).

    A transpose, a matrix product and a broadcast addition. The rules give
    dW = (xᵀ G)ᵀ = Gᵀ x and dx = G W (eq-matmul-grad), and db = Σ_n G[n]
    by the broadcast (eq-broadcast-grad): chapter 3's eq-grad-W, eq-grad-h
    and eq-grad-b.
    """
    return x @ W.T + b  # (N, D) @ (D, M) -> (N, M); b (M,) added to each row


def relu(x):
    """``max(x, 0)`` element-wise: one operation, whose rule is chapter 5's eq-relu-grad."""
    return x.relu()


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy (book: eq-ce), logits (N, K), labels (N,).

    With the stable log-sum-exp of chapter 4 (book: eq-logsumexp), m the row
    maximum, a constant (``detach``: softmax does not depend on it)::

        log p[n, k] = (a[n, k] − m_n) − log Σ_j exp(a[n, j] − m_n),
        loss = −(1/N) Σ_n log p[n, y_n].

    Nine operations; the engine's gradient with respect to the logits is
    chapter 4's (softmax − one-hot)/N (book: eq-ce-softmax-grad).
    """
    logits = _tensor(logits, "cross_entropy")
    _check_ndim(logits, 2, "cross_entropy", "(N, K)")
    n, k = logits.shape
    labels = labels.data if isinstance(labels, Tensor) else labels
    labels = check_labels(labels, n=n, k=k, where="cross_entropy",
                          name="labels")
    m = logits.max(axis=1, keepdims=True).detach()  # (N, 1), a constant
    shifted = logits - m  # (N, K), every entry <= 0
    log_sum = shifted.exp().sum(axis=1, keepdims=True).log()  # (N, 1)
    log_probs = shifted - log_sum  # (N, K)
    return -log_probs[np.arange(n), labels].mean()  # true classes, averaged


def conv2d(x, W, b, stride=1, padding=0):
    """2-d convolution (cross-correlation) (book: eq-conv-forward).

    x (N, C, H, W), W (F, C, KH, KW), b (F,) -> (N, F, OH, OW), with
    ``OH = ⌊(H + 2P − KH)/S⌋ + 1`` (book: eq-conv-output-size).
    Zero padding, the windows, a transpose and a reshape that put one window
    per row, one matrix product with the flattened kernels, the bias broadcast
    over every position, then a reshape and a transpose back to NCHW. The
    rules then give chapter 9's three gradients: db sums G over the examples
    and positions (broadcast, eq-conv-grad-b), dW is G times the windows
    (eq-conv-grad-k), and dx adds each window's gradient back onto its
    pixels (eq-conv-grad-x).
    """
    where = "conv2d"
    x, W, b = (_tensor(t, where) for t in (x, W, b))
    _check_ndim(x, 4, where, "(N, C, H, W)")
    f, c, kh, kw = W.shape
    if x.shape[1] != c:
        raise ValueError(f"{where}: input has C={x.shape[1]} channels "
                         f"(shape {x.shape}) but the kernels W {W.shape} "
                         f"expect {c}.")
    ph, pw = pair(padding, where=where, name="padding", allow_zero=True)
    xp = x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C, H+2PH, W+2PW)
    win = xp.windows((kh, kw), stride)  # (N, C, OH, OW, KH, KW)
    n, _, oh, ow = win.shape[:4]
    # (N, C, OH, OW, KH, KW) -> (N, OH, OW, C, KH, KW) -> (N·OH·OW, C·KH·KW)
    rows = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    out = rows @ W.reshape(f, c * kh * kw).T + b  # (N·OH·OW, F); b broadcast
    # (N·OH·OW, F) -> (N, OH, OW, F) -> (N, F, OH, OW)
    return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)


def max_pool2d(x, kernel_size, stride=None):
    """Max pooling, x (N, C, H, W) -> (N, C, OH, OW) (book: eq-maxpool).

    The windows, then the maximum over each window's two axes: the max's rule
    sends each window's gradient to its first maximum, chapter 8's
    eq-maxpool-grad.
    """
    x = _tensor(x, "max_pool2d")
    _check_ndim(x, 4, "max_pool2d", "(N, C, H, W)")
    stride = kernel_size if stride is None else stride
    win = x.windows(kernel_size, stride)  # (N, C, OH, OW, KH, KW)
    return win.max(axis=(4, 5))


def avg_pool2d(x, kernel_size, stride=None):
    """Average pooling, x (N, C, H, W) -> (N, C, OH, OW) (book: eq-avgpool).

    The windows, then the mean over each window's two axes: the sum's rule copies
    each window's gradient to its KH·KW pixels and the product by 1/(KH·KW) scales
    it, chapter 8's eq-avgpool-grad.
    """
    x = _tensor(x, "avg_pool2d")
    _check_ndim(x, 4, "avg_pool2d", "(N, C, H, W)")
    stride = kernel_size if stride is None else stride
    win = x.windows(kernel_size, stride)  # (N, C, OH, OW, KH, KW)
    return win.mean(axis=(4, 5))


# ---- the layers as objects, with parameters --------------------------------------------------


class _Grads(MutableMapping):
    """``module.grads``: reads and writes the ``.grad`` of the module's parameter tensors."""

    def __init__(self, module: Module) -> None:
        self._module = module

    def __getitem__(self, key):
        grad = self._module._leaf(key).grad
        if grad is None:
            raise KeyError(key)  # no backward yet: `grads.get(key)` gives None
        return grad

    def __setitem__(self, key, value):
        self._module._leaf(key).grad = np.asarray(value)

    def __delitem__(self, key):
        self._module._leaf(key).grad = None

    def __iter__(self):
        return (key for key in self._module.params if self._module._leaf(key).grad is not None)

    def __len__(self):
        return sum(1 for _ in self)


class Module:
    """Base class of the Tensor layers: parameters as numpy arrays, used as Tensor leaves.

    ``params[key]`` is a numpy array (an optimizer updates it in place); the layer uses it
    through a leaf Tensor that shares its memory and requires a gradient. ``grads[key]`` is
    that leaf's ``.grad``, accumulated by backward passes until :meth:`zero_grad`.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self._leaves: dict[str, Tensor] = {}

    def _leaf(self, key: str) -> Tensor:
        """The leaf Tensor of ``params[key]`` (a new one if the array was replaced)."""
        array = self.params[key]
        leaf = self._leaves.get(key)
        if leaf is None or leaf.data is not array:
            leaf = self._leaves[key] = Tensor(array, requires_grad=True, label=key)
        return leaf

    @property
    def grads(self) -> _Grads:
        return _Grads(self)

    def parameters(self) -> Iterator[Parameter]:
        """A :class:`bplib.layers.Parameter` per entry of ``params`` (what SGD expects)."""
        for key in self.params:
            yield Parameter(self, key)

    def zero_grad(self) -> None:
        """Forget the accumulated gradients (call it before each backward pass)."""
        for key in self.params:
            self._leaf(key).grad = None

    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x) -> Tensor:
        return self.forward(_tensor(x, f"{type(self).__name__}.forward"))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Module):
    """``x @ W.T + b`` (:func:`linear`), W (out, in) and b (out,) drawn like
    :class:`bplib.layers.Linear` from U(−1/√in, 1/√in), W first then b."""

    def __init__(self, in_features: int, out_features: int, *, rng=None) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, where="Linear", name="in_features")
        self.out_features = check_positive_int(out_features, where="Linear",
                                               name="out_features")
        rng = check_rng(rng, where="Linear")
        bound = 1.0 / np.sqrt(self.in_features)
        self.params["W"] = rng.uniform(-bound, bound, size=(self.out_features, self.in_features))
        self.params["b"] = rng.uniform(-bound, bound, size=(self.out_features,))

    def forward(self, x: Tensor) -> Tensor:
        _check_ndim(x, 2, "Linear.forward", "(N, in_features)")
        if x.shape[1] != self.in_features:
            raise ValueError(f"Linear.forward: input has {x.shape[1]} features (shape "
                             f"{x.shape}) but this layer expects {self.in_features}.")
        return linear(x, self._leaf("W"), self._leaf("b"))

    def __repr__(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"


class Conv2d(Module):
    """:func:`conv2d` with W (F, C, KH, KW) and b (F,) drawn like :class:`bplib.layers.Conv2d`
    from U(±1/√(C·KH·KW)), W first then b."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 *, rng=None) -> None:
        super().__init__()
        where = "Conv2d"
        self.in_channels = check_positive_int(in_channels, where=where, name="in_channels")
        self.out_channels = check_positive_int(out_channels, where=where, name="out_channels")
        self.kernel_size = pair(kernel_size, where=where, name="kernel_size")
        self.stride = pair(stride, where=where, name="stride")
        self.padding = pair(padding, where=where, name="padding", allow_zero=True)
        rng = check_rng(rng, where=where)
        kh, kw = self.kernel_size
        bound = 1.0 / np.sqrt(self.in_channels * kh * kw)
        shape = (self.out_channels, self.in_channels, kh, kw)
        self.params["W"] = rng.uniform(-bound, bound, size=shape)
        self.params["b"] = rng.uniform(-bound, bound, size=(self.out_channels,))

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self._leaf("W"), self._leaf("b"), self.stride, self.padding)

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size="
                f"{self.kernel_size}, stride={self.stride}, padding={self.padding})")


class ReLU(Module):
    """:func:`relu`, no parameters."""

    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


class Flatten(Module):
    """``(N, d1, d2, ...) -> (N, d1·d2·...)``, one reshape."""

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1)


class MaxPool2d(Module):
    """:func:`max_pool2d`; stride None means the kernel size."""

    def __init__(self, kernel_size, stride=None) -> None:
        super().__init__()
        self.kernel_size = pair(kernel_size, where="MaxPool2d", name="kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, where="MaxPool2d",
                                                                   name="stride")

    def forward(self, x: Tensor) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride)


class AvgPool2d(MaxPool2d):
    """:func:`avg_pool2d`; stride None means the kernel size."""

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(x, self.kernel_size, self.stride)


class Sequential(Module):
    """The modules applied one after the other; parameters named ``"i.key"``."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a "
                                f"bplib.tensor_nn module.")
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> Iterator[Parameter]:
        for layer in self.layers:
            yield from layer.parameters()

    def zero_grad(self) -> None:
        for layer in self.layers:
            layer.zero_grad()

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"i.key": array}`` for every parameter, as in bplib.network.Sequential."""
        return {f"{i}.{key}": value for i, layer in enumerate(self.layers)
                for key, value in layer.params.items()}

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


# ---- the book's two networks, one intermediate per line --------------------------------------


def mlp_steps(x, y, W1, b1, W2, b2) -> dict[str, Tensor]:
    """Chapter 6's digits MLP (64 → H → K, ReLU, softmax cross-entropy), one operation a line.

    Args:
        x: (N, D) inputs; y: (N,) integer labels; W1 (H, D), b1 (H,), W2 (K, H), b2 (K,).
            Every array becomes a leaf Tensor that requires a gradient (y excepted).

    Returns:
        every named tensor of the forward pass, in the order it is computed, the loss last.
        After ``steps["loss"].backward()`` each has its ``.grad``.
    """
    x, W1, b1, W2, b2 = (Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, label=name)
                         for a, name in zip((x, W1, b1, W2, b2), ("x", "W1", "b1", "W2", "b2"),
                                            strict=True))
    z1 = x @ W1.T  # (N, H)
    a1 = z1 + b1  # (N, H): b1 (H,) broadcast over the N rows
    h1 = a1.relu()  # (N, H)
    z2 = h1 @ W2.T  # (N, K)
    logits = z2 + b2  # (N, K): b2 broadcast over the rows
    row_max = logits.max(axis=1, keepdims=True)  # (N, 1): for a stable exp
    shifted = logits - row_max  # (N, K): row_max broadcast over the K columns
    e = shifted.exp()  # (N, K)
    total = e.sum(axis=1, keepdims=True)  # (N, 1)
    inv = total**-1  # (N, 1)
    probs = e * inv  # (N, K): the softmax; inv broadcast over the columns
    logp = probs.log()  # (N, K)
    picked = logp[np.arange(len(y)), y]  # (N,): the true class's log-prob.
    loss = -picked.mean()  # (): the mean cross-entropy
    return {"x": x, "W1": W1, "b1": b1, "z1": z1, "a1": a1, "h1": h1, "W2": W2, "b2": b2,
            "z2": z2, "logits": logits, "row_max": row_max, "shifted": shifted, "e": e,
            "total": total, "inv": inv, "probs": probs, "logp": logp, "picked": picked,
            "loss": loss}


def cnn_steps(x, y, params: dict) -> dict[str, Tensor]:
    """Chapter 10's digits CNN, one layer a line, with :func:`conv2d`, :func:`max_pool2d`,
    :func:`linear` and :func:`cross_entropy`.

    conv(3×3, padding 1) → ReLU → max pool 2 → conv(3×3, padding 1) → ReLU → max pool 2 →
    flatten → linear → ReLU → linear → softmax cross-entropy.

    Args:
        x: (N, 1, 8, 8) images; y: (N,) labels.
        params: ``W1`` (C1, 1, 3, 3), ``b1`` (C1,), ``W2`` (C2, C1, 3, 3), ``b2`` (C2,),
            ``W3`` (hidden, 4·C2), ``b3``, ``W4`` (10, hidden), ``b4``; each becomes a leaf
            Tensor that requires a gradient, and so does x.

    Returns:
        every named tensor, the inputs and parameters first, the loss last.
    """
    p = {key: Tensor(np.asarray(params[key], dtype=np.float64), requires_grad=True, label=key)
         for key in ("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4")}
    x = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True, label="x")
    conv1 = conv2d(x, p["W1"], p["b1"], padding=1)  # (N, C1, 8, 8)
    relu1 = conv1.relu()
    pool1 = max_pool2d(relu1, 2)  # (N, C1, 4, 4)
    conv2 = conv2d(pool1, p["W2"], p["b2"], padding=1)  # (N, C2, 4, 4)
    relu2 = conv2.relu()
    pool2 = max_pool2d(relu2, 2)  # (N, C2, 2, 2)
    flat = pool2.reshape(len(y), -1)  # (N, 4·C2)
    fc1 = linear(flat, p["W3"], p["b3"])  # (N, hidden)
    relu3 = fc1.relu()
    logits = linear(relu3, p["W4"], p["b4"])  # (N, 10)
    loss = cross_entropy(logits, np.asarray(y))
    return {"x": x, **p, "conv1": conv1, "relu1": relu1, "pool1": pool1, "conv2": conv2,
            "relu2": relu2, "pool2": pool2, "flat": flat, "fc1": fc1, "relu3": relu3,
            "logits": logits, "loss": loss}
