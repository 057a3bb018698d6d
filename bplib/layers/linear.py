"""The fully connected (affine) layer, batched, in PyTorch's layout (book: chapter 3)."""

from __future__ import annotations

import numpy as np

from bplib._validate import check_batch, check_ndim, check_positive_int, check_rng
from bplib.init import initial_weights
from bplib.layers.base import Layer, check_weights_unchanged, remember_weights


class Linear(Layer):
    """Fully connected layer ``out = x @ W.T + b`` (book: eq-batched-linear).

    Row ``n`` of the batch is one example, so row by row this is [001] Pierret's ``a = W h + b``
    (column convention, book: eq-mlp-forward) written for N examples at once; [004] Pappens's row
    convention ``Z = A·W + B`` is the same product with its ``W`` equal to our ``W.T``.

    Args:
        in_features: D, the number of input features.
        out_features: M, the number of outputs.
        rng: a ``numpy.random.Generator`` for the initial weights; None makes a fresh,
            unseeded one (the book always passes a seeded one).
        init: how W is drawn. None (the default): W and b from U(-1/√D, 1/√D), PyTorch's
            default for ``nn.Linear`` (variance 1/(3D), book: eq-pytorch-default). Otherwise
            a callable called as ``init(W, rng=rng)`` that fills W (M, D) in place, e.g.
            ``functools.partial(bplib.init.kaiming_normal_, nonlinearity="relu")``, or the
            name of a :mod:`bplib.init` function without its underscore, with its defaults
            (``"kaiming_normal"``: He's N(0, 2/D), book: eq-he; ``"xavier_uniform"``:
            Glorot's, book: eq-xavier); b then starts at 0.

    Parameters (``self.params``):
        W: (M, D) weights, ``W[j, i]`` links input ``i`` to output ``j`` (PyTorch's ``weight``).
        b: (M,) biases (PyTorch's ``bias``).

    By default both are drawn from U(-1/√D, 1/√D), PyTorch's default for ``nn.Linear``: the
    bound keeps the variance of each output of the order of the variance of the inputs
    (chapter 7 measures how well, through depth).

    Shapes:
        forward:  x (N, D) -> out (N, M)
        backward: dout (N, M) -> dx (N, D); fills grads W (M, D), b (M,)
    """

    def __init__(self, in_features: int, out_features: int, *, rng=None, init=None) -> None:
        super().__init__()
        where = "Linear"
        self.in_features = check_positive_int(in_features, where=where, name="in_features")
        self.out_features = check_positive_int(out_features, where=where, name="out_features")
        rng = check_rng(rng, where=where)
        shape = (self.out_features, self.in_features)
        if init is None:  # PyTorch's default, drawn exactly as before init= existed
            bound = 1.0 / np.sqrt(self.in_features)
            self.params["W"] = rng.uniform(-bound, bound, size=shape)
            self.params["b"] = rng.uniform(-bound, bound, size=(self.out_features,))
        else:
            self.params["W"] = initial_weights(init, shape, rng, where=where)
            self.params["b"] = np.zeros(self.out_features)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``out = x @ W.T + b`` (book: eq-batched-linear).

        Args:
            x: (N, D) float array, one example per row. It is computed in x's dtype: a float32
                input gives a float32 output (the parameters are cast for the product only).
                The cache keeps a copy of x (none when x is read-only, e.g. the output of a
                Tanh): editing x in place afterwards does not change what backward computes.
                W is not copied: change the parameters after backward, not before (backward
                refuses, with a RuntimeError, a W edited in place since forward).

        Returns:
            out: (N, M), ``out[n, j] = Σ_i x[n, i] W[j, i] + b[j]``.
        """
        where = "Linear.forward"
        x = self._check_input(x)
        check_ndim(x, 2, where=where, layout="(N, in_features)")
        if x.shape[1] != self.in_features:
            hint = ""
            if x.shape[0] == self.in_features:
                hint = " (is the batch transposed? bplib puts one example per row)"
            raise ValueError(
                f"{where}: input has {x.shape[1]} features (shape {x.shape}) but this layer "
                f"expects in_features={self.in_features}{hint}."
            )
        check_batch(x, where=where)
        # Cast, not convert, the parameters: for float64 input this is the array itself, so a
        # finite-difference check that perturbs params["W"] in place sees its effect.
        W = self.params["W"].astype(x.dtype, copy=False)
        b = self.params["b"].astype(x.dtype, copy=False)
        out = x @ W.T + b  # (N, D) @ (D, M) + (M,) -> (N, M); b broadcasts over the rows
        # x copied unless nobody can edit it; W kept as it is, its edits refused in backward
        return self._store((self._keep(x), remember_weights(self, W)), out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Affine map gradients (book: eq-grad-W, eq-grad-b, eq-grad-h).

        With ``δ = dout`` (N, M), one row per example (book: eq-delta)::

            dW = δᵀ x     (M, N) @ (N, D) -> (M, D): the per-example
                          outer products δ_n x_nᵀ, summed over the batch
            db = Σ_n δ_n  (M,): the bias touches every example with
                          weight 1
            dx = δ W      (N, M) @ (M, D) -> (N, D): [001] Pierret's
                          ∇h = Wᵀδ, one row per example
                          (book: eq-affine-lemma)

        Args:
            dout: (N, M) upstream gradient ∂L/∂out.

        Returns:
            dx: (N, D) = ∂L/∂x; also sets ``grads["W"]`` (M, D) and
            ``grads["b"]`` (M,) in the parameters' dtype.
        """
        x, W = self._start_backward(dout)
        check_weights_unchanged(self, W)
        dout = dout.astype(x.dtype, copy=False)
        dW = dout.T @ x  # (M, N) @ (N, D) -> (M, D)
        db = dout.sum(axis=0)  # (N, M) -> (M,)
        self.grads["W"] = dW.astype(self.params["W"].dtype, copy=False)
        self.grads["b"] = db.astype(self.params["b"].dtype, copy=False)
        return dout @ W

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
