"""A network as a sequence of layers (book: chapter 3).

``Sequential`` is the whole of backpropagation once every layer follows the contract: the
forward pass calls each layer in order, each storing what its backward needs
(book: eq-mlp-forward); the backward pass walks the layers in reverse, each turning the
gradient of its output into the gradient of its input (the δ recursion, book: eq-delta).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bplib._validate import check_state_dict
from bplib.layers.base import Parameter

__all__ = ["Sequential"]


def _is_layer(obj) -> bool:
    return (
        callable(getattr(obj, "forward", None))
        and callable(getattr(obj, "backward", None))
        and isinstance(getattr(obj, "params", None), dict)
        and isinstance(getattr(obj, "grads", None), dict)
    )


def _layer_parameters(layer) -> Iterator[Parameter]:
    if callable(getattr(layer, "parameters", None)):
        yield from layer.parameters()
    else:  # a reader's own layer that only has the params/grads dicts of the contract
        for key in layer.params:
            yield Parameter(layer, key)


def _forward_token(layer):
    """What changes when ``layer.forward`` runs: bplib's forward counter and the cache object
    (a layer written by hand may keep neither: then nothing can be checked)."""
    return getattr(layer, "_forward_calls", None), getattr(layer, "cache", None)


def _ran_forward_since(layer, token) -> bool:
    calls, cache = _forward_token(layer)
    return calls != token[0] or cache is not token[1]


def _check_each_layer_once(layers, where: str, prefix: str = "", seen=None) -> None:
    """Refuse a layer object that appears twice (weight sharing), nested Sequentials included.

    A bplib layer keeps the cache of its *last* forward only and ``backward`` overwrites its
    ``grads``: used twice, its first use would be backpropagated with the second use's cache,
    and its gradient would be one use's instead of the sum over both uses (book: chapter 1,
    two paths add). Refusing is the honest answer for a chain of layers.
    """
    seen = {} if seen is None else seen
    for i, layer in enumerate(layers):
        position = f"{prefix}{i}"
        if id(layer) in seen:
            first = seen[id(layer)]
            raise ValueError(
                f"{where}: layer ({position}) is the same {type(layer).__name__} object as layer "
                f"({first}). A bplib layer keeps the cache of its last forward only, so a layer "
                f"used twice would backpropagate its first use with the second use's values, "
                f"and its gradient would miss the sum over both uses. For a second layer with "
                f"the same starting weights use copy.deepcopy(layer); for weights tied during "
                f"training use bplib.tensor (chapter 11) or PyTorch, where each use is a node of "
                f"the graph and the gradients of the uses add up."
            )
        seen[id(layer)] = position
        if isinstance(layer, Sequential):
            _check_each_layer_once(layer.layers, where, f"{position}.", seen)


def _layer_named_parameters(layer) -> Iterator[tuple[str, np.ndarray]]:
    if callable(getattr(layer, "named_parameters", None)):
        yield from layer.named_parameters()
    else:
        yield from layer.params.items()


class Sequential:
    """Layers applied one after the other, like ``torch.nn.Sequential``.

        model = Sequential(Linear(64, 128, rng=rng), ReLU(), Linear(128, 10, rng=rng))
        logits = model(x)                 # (N, 64) -> (N, 10)
        dx = model.backward(dlogits)      # fills every layer's grads, returns (N, 64)

    Args:
        *layers: layer objects (instances, not classes), each with ``forward``, ``backward``
            and the ``params``/``grads`` dicts of the layer contract (``bplib.layers.base``).
            Each object at most once: a layer keeps the cache of its last forward only, so a
            layer used twice (weight sharing) is refused with ``ValueError``; use
            ``copy.deepcopy(layer)`` for a second layer with the same starting weights.

    Attributes:
        layers: the list of layers, in order.
        params / grads: flat dicts ``{"0.W": array, ...}`` of every layer's live arrays (see
            :meth:`named_parameters`), so ``bplib.gradcheck.check_layer`` checks a whole network
            exactly as it checks one layer.
    """

    def __init__(self, *layers) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            raise TypeError(
                "Sequential(*layers) takes the layers as separate arguments, got one "
                f"{type(layers[0]).__name__}; call Sequential(*layers)."
            )
        for i, layer in enumerate(layers):
            if isinstance(layer, type):
                raise TypeError(
                    f"Sequential: layer ({i}) is the class {layer.__name__}, not a layer; "
                    f"write {layer.__name__}(...) to create one."
                )
            if not _is_layer(layer):
                raise TypeError(
                    f"Sequential: layer ({i}) is a {type(layer).__name__}, which is not a layer: "
                    f"a layer needs forward(x), backward(dout) and dicts params and grads "
                    f"(see bplib.layers.base)."
                )
        _check_each_layer_once(layers, "Sequential")
        self.layers = list(layers)
        self._forwarded = False
        self._forward_calls = 0
        self._tokens: list = []  # each layer's forward token right after our forward

    # --- forward and backward -------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run ``x`` through every layer in order (book: eq-mlp-forward).

        Args:
            x: the first layer's input, e.g. (N, D) for an MLP, (N, C, H, W) for a CNN.

        Returns:
            the last layer's output, e.g. logits (N, K).

        A ``TypeError``/``ValueError`` raised by a layer is re-raised with the layer's position
        in front, so "Linear.forward: input has 64 features" says *which* Linear.
        """
        self._forwarded = False  # until every layer has run
        for i, layer in enumerate(self.layers):
            try:
                x = layer.forward(x)
            except (TypeError, ValueError) as err:
                raise _located(err, i, layer) from err
        self._forwarded = True
        self._forward_calls += 1
        self._tokens = [_forward_token(layer) for layer in self.layers]
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout = ∂L/∂out`` through the layers in reverse.

        (book: eq-delta)

        Args:
            dout: the gradient of the loss with respect to the network's
                output, e.g. ``loss.backward()`` (N, K).

        Returns:
            dx: ∂L/∂x, of the input's shape. Every layer's ``grads`` is
            filled (overwritten, not accumulated, unlike PyTorch's
            ``.grad``).

        Raises ``RuntimeError`` if a layer ran ``forward`` again since this
        Sequential's forward (e.g. it is shared with another model): its
        cache would belong to that call.
        """
        self._check_caches_are_ours()
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            try:
                dout = layer.backward(dout)
            except (TypeError, ValueError) as err:
                raise _located(err, i, layer) from err
        return dout

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def _check_caches_are_ours(self) -> None:
        """Refuse a backward whose layers no longer hold the caches of this Sequential's forward."""
        if not self._forwarded:
            raise RuntimeError(
                "Sequential.backward was called before Sequential.forward: each layer needs "
                "the values its forward stored. Call forward(x) first."
            )
        for i, (layer, token) in enumerate(zip(self.layers, self._tokens, strict=True)):
            if _ran_forward_since(layer, token):
                raise RuntimeError(
                    f"Sequential.backward: layer ({i}) {type(layer).__name__} ran forward again "
                    f"after this Sequential's forward (is it shared with another model, or was "
                    f"it called on its own in between?). It keeps the cache of its last forward "
                    f"only, so the gradients would be those of that other input. Run this "
                    f"Sequential's forward again just before its backward."
                )

    # --- parameters -----------------------------------------------------------------------
    def parameters(self) -> Iterator[Parameter]:
        """Yield one :class:`~bplib.layers.Parameter` per trainable array, in layer order.

        A ``Parameter`` is a ``(layer, key)`` pair with ``.value`` (``layer.params[key]``, the
        array to update in place) and ``.grad`` (``layer.grads[key]``). Both are looked up
        when read, not stored: ``backward`` puts new arrays into ``grads`` on every call, so an
        optimizer keeps the ``Parameter`` objects and reads ``.grad`` at each ``step``:

            for p in model.parameters():
                p.value -= lr * p.grad          # in place: the layer sees the new weights
        """
        for layer in self.layers:
            yield from _layer_parameters(layer)

    def named_parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(name, array)`` with names ``"<index>.<key>"``, e.g. ``("0.W", W)``.

        These are PyTorch's ``state_dict`` keys with bplib's parameter names: ``W`` is
        PyTorch's ``weight`` and ``b`` its ``bias`` (``"0.W"`` ↔ ``"0.weight"``), with the same
        shapes ((out, in) for Linear, (F, C, KH, KW) for Conv2d), so weights copy across
        directly. Nested Sequentials give ``"1.0.W"``, as in PyTorch.
        """
        for i, layer in enumerate(self.layers):
            for key, value in _layer_named_parameters(layer):
                yield f"{i}.{key}", value

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"0.W": W, ...}``: the layers' own arrays (assigning into them changes the model)."""
        return dict(self.named_parameters())

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """``{"0.W": dW, ...}``: each layer's latest gradient, for the parameters that have one."""
        out = {}
        for i, layer in enumerate(self.layers):
            for key, value in layer.grads.items():
                out[f"{i}.{key}"] = value
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, ``{"0.W": array, ...}`` (see :meth:`named_parameters`)."""
        return {name: value.copy() for name, value in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Copy ``state[name]`` into each parameter, in place, after checking every entry.

        The names must be exactly those of :meth:`named_parameters` (``"0.W"``, ...); each entry
        a float32/float64 array of the parameter's shape with finite values (cast to the
        parameter's dtype). If one entry is wrong, nothing is written, and the error names
        every wrong entry with what was expected and what came.
        """
        own = self.params
        checked = check_state_dict(state, own, where="Sequential.load_state_dict")
        for name, value in checked.items():
            own[name][...] = value

    def zero_grad(self) -> None:
        """Set every layer's gradients to zero (backward overwrites them anyway)."""
        for layer in self.layers:
            if callable(getattr(layer, "zero_grad", None)):
                layer.zero_grad()
            else:
                for key, value in layer.params.items():
                    layer.grads[key] = np.zeros_like(value)

    # --- container protocol ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    @property
    def name(self) -> str:
        return "Sequential"

    def __repr__(self) -> str:
        lines = ["Sequential("]
        for i, layer in enumerate(self.layers):
            shapes = ""
            if not isinstance(layer, Sequential):
                shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in layer.params.items())
            text = repr(layer).replace("\n", "\n  ")
            lines.append(f"  ({i}): {text}" + (f"   {shapes}" if shapes else ""))
        n = sum(v.size for _, v in self.named_parameters())
        lines.append(f")  # {n:,} parameters")
        return "\n".join(lines)


def _located(err: Exception, index: int, layer) -> Exception:
    """The same kind of error, its message prefixed with the layer's position in the network."""
    try:
        return type(err)(f"Sequential layer ({index}) {type(layer).__name__}: {err}")
    except Exception:  # an exception class with another constructor: keep the original
        return err
