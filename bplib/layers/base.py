"""The layer contract every bplib layer follows (book: chapter 3, "The layer contract").

- ``forward(x) -> out`` checks ``x``, computes ``out`` and stores what backward needs in
  ``self.cache``.
- ``backward(dout) -> dx`` takes ``dout = dLoss/dout`` (same shape as ``out``), fills
  ``self.grads`` under the same keys as ``self.params`` and returns ``dx = dLoss/dx`` with
  ``x``'s shape. Calling it before ``forward`` raises ``RuntimeError``.
- ``params`` and ``grads`` are plain dicts of numpy arrays. An optimizer updates ``params`` in
  place; ``backward`` overwrites ``grads`` (it does not accumulate).
- The cache shares no writable memory with an array the caller holds, so editing the input
  ``x`` or the output ``out`` in place before ``backward`` cannot change the gradient. A layer
  that keeps its input keeps a copy of it (:meth:`Layer._keep`), unless nobody can write to
  it (the read-only output of the layer before, in a ``Sequential``: no copy, no extra
  memory); a layer that keeps its output hands it out read-only (:meth:`Layer._frozen`), so
  an in-place edit raises numpy's ``ValueError: ... read-only`` (edit ``out.copy()``).
- Parameters are read when used. ``Linear`` and ``Conv2d`` keep no copy of ``W`` (it would add
  the size of the weights to the memory kept per forward, which chapters 3 and 11 measure):
  change the parameters after ``backward`` (as an optimizer does), not between ``forward``
  and ``backward``.
- ``state_dict()`` / ``load_state_dict(state)`` copy the parameters out and in; loading checks
  every entry before it writes any.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bplib._validate import check_float_array, check_same_shape, check_state_dict


class Parameter(NamedTuple):
    """One trainable array of a layer, looked up when it is used (not copied).

    A ``Parameter`` is the pair ``(layer, key)``, so ``for layer, key in model.parameters()``
    works, and it reads ``layer.params[key]`` and ``layer.grads[key]`` each time ``.value`` or
    ``.grad`` is asked for. That matters because ``backward`` puts *new* arrays into ``grads``
    on every call: an optimizer that kept the gradient arrays themselves would keep stale ones.

    Attributes:
        layer: the layer that owns the array.
        key: its name in ``layer.params`` (``"W"`` or ``"b"``).
    """

    layer: Any
    key: str

    @property
    def value(self) -> np.ndarray:
        """The parameter array itself, ``layer.params[key]`` (update it in place)."""
        return self.layer.params[self.key]

    @property
    def grad(self) -> np.ndarray | None:
        """The latest gradient ``layer.grads[key]``, or None before the first backward."""
        return self.layer.grads.get(self.key)

    @property
    def shape(self) -> tuple:
        return self.value.shape

    def __repr__(self) -> str:
        return f"Parameter({type(self.layer).__name__}.{self.key}, shape={self.shape})"


class Layer:
    """Base class: parameter bookkeeping, the cache, the shared checks."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache = None
        self._out_shape: tuple | None = None
        # lets Sequential.backward see a forward made in between
        self._forward_calls = 0

    # --- the contract -----------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError  # abstract

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError  # abstract

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # --- helpers for subclasses -------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    def _check_input(self, x, name: str = "input") -> np.ndarray:
        where = f"{self.name}.forward"
        return check_float_array(x, where=where, name=name)

    def _start_backward(self, dout):
        """Check that forward ran and ``dout`` has the output's shape."""
        where = f"{self.name}.backward"
        if self.cache is None:
            raise RuntimeError(
                f"{where} was called before {self.name}.forward: "
                "backward needs the values that forward stores. "
                "Call forward(x) first."
            )
        check_float_array(dout, where=where, name="dout")
        if self._out_shape is not None:
            check_same_shape(
                dout, self._out_shape, where=where, name="dout"
            )
        return self.cache

    def _store(self, cache, out: np.ndarray) -> np.ndarray:
        """Keep ``cache`` for backward, and the shape of ``dout``."""
        self.cache = cache
        self._out_shape = out.shape
        self._forward_calls = getattr(self, "_forward_calls", 0) + 1
        return out

    @staticmethod
    def _keep(x: np.ndarray) -> np.ndarray:
        """``x`` for the cache: itself if nobody can edit it, or a copy.

        Nobody can write to ``x`` when it is read-only and so is every
        array whose memory it views (numpy then refuses to make a writable
        view of it): the read-only output of a layer that keeps its output.
        Anything else may be edited in place by its owner before
        ``backward``, and is copied.
        """
        base = x
        while isinstance(base, np.ndarray):
            if base.flags.writeable:
                return x.copy()
            base = base.base
        return x

    @staticmethod
    def _frozen(out: np.ndarray) -> np.ndarray:
        """``out`` made read-only, for a layer that caches its output."""
        out.flags.writeable = False
        return out

    def zero_grad(self) -> None:
        """Set every gradient to zero (with the keys of ``params``)."""
        for key, value in self.params.items():
            self.grads[key] = np.zeros_like(value)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, ``{"W": array, "b": array}``.

        (PyTorch: ``state_dict``)
        """
        return {key: value.copy() for key, value in self.params.items()}

    def load_state_dict(self, state: dict) -> None:
        """Copy ``state[key]`` into each parameter, in place, after checks.

        The keys must be those of ``params``; each entry a float32/float64
        array of the parameter's shape with finite values (cast to the
        parameter's dtype). If one entry is wrong, nothing is written and
        the error names it, with what was expected and what came.
        """
        where = f"{self.name}.load_state_dict"
        checked = check_state_dict(state, self.params, where=where)
        for key, value in checked.items():
            self.params[key][...] = value

    def parameters(self):
        """Yield a :class:`~bplib.layers.Parameter` per ``params`` entry.

        A ``Parameter`` is a ``(layer, key)`` pair.

        See :meth:`bplib.network.Sequential.parameters`.
        """
        for key in self.params:
            yield Parameter(self, key)

    def named_parameters(self):
        """Yield ``(key, array)`` per parameter, e.g. ``("W", W)``.

        (PyTorch: ``weight``)
        """
        yield from self.params.items()

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{self.name}({self.extra_repr()})"



def remember_weights(layer: Layer, W: np.ndarray) -> np.ndarray:
    """Note the weights ``W`` that ``layer.forward`` used and its cache keeps; return ``W``.

    The cache keeps ``W`` itself, not a copy (chapters 3 and 11 measure what a layer keeps,
    and a copy per forward would add the weights to it). A fingerprint of its bits is enough
    to see, in :func:`check_weights_unchanged`, whether it was edited in place before
    backward, which would make ``dx = δ W`` use other weights than the forward pass did.
    """
    layer._weights_seen = _fingerprint(W)
    return W


def check_weights_unchanged(layer: Layer, W: np.ndarray, key: str = "W") -> None:
    """Refuse, in ``layer.backward``, weights edited in place since ``layer.forward``."""
    if _fingerprint(W) != getattr(layer, "_weights_seen", None):
        raise RuntimeError(
            f"{layer.name}.backward: params[{key!r}] was changed in place after forward. "
            f"backward computes dx with the {key} that forward used, and that array has "
            f"changed since, so dx would mix two different weights. Change the parameters "
            f"after backward (as SGD.step does), or run forward again before backward."
        )


def _fingerprint(array: np.ndarray) -> tuple:
    """A cheap exact summary of an array's bits: any one entry changed changes it.

    The XOR of the entries' bit patterns (plus the shape and dtype). Reading the array once
    costs a few per cent of the forward pass that uses it; no copy is kept.
    """
    flat = np.ascontiguousarray(array).reshape(-1)
    bits = flat.view(np.uint64 if flat.dtype.itemsize == 8 else np.uint32)
    return array.shape, array.dtype.str, int(np.bitwise_xor.reduce(bits)) if bits.size else 0
