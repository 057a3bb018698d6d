"""Gradient descent optimizers (book: chapter 6).

    optimizer = SGD(model, lr=0.1, momentum=0.9)
    ...
    model.backward(loss.backward())   # fills every layer's grads
    optimizer.step()                  # updates every layer's params in place

The update of [001] Pierret, W ← W − γ ∇E(W) (book: eq-gd-step), is the same code whether the
gradient comes from the whole training set (gradient descent), one example (stochastic
gradient descent) or a mini-batch (book: eq-minibatch-grad): only the data given to the
forward pass changes.
"""

from __future__ import annotations

import numpy as np

from bplib.layers.base import Parameter

__all__ = ["SGD"]


def _collect(model) -> list[Parameter]:
    """The parameters of a Sequential, a layer, a list of layers, or an iterable of Parameters."""
    if callable(getattr(model, "parameters", None)):
        return list(model.parameters())
    if isinstance(getattr(model, "params", None), dict):  # a layer without parameters()
        return [Parameter(model, key) for key in model.params]
    if isinstance(model, (str, bytes, np.ndarray)) or not hasattr(model, "__iter__"):
        raise TypeError(
            f"SGD: model must be a Sequential, a layer, a list of layers or model.parameters(), "
            f"got {type(model).__name__}."
        )
    found: list[Parameter] = []
    for i, item in enumerate(model):
        if isinstance(item, Parameter):
            found.append(item)
        elif callable(getattr(item, "parameters", None)) or isinstance(
            getattr(item, "params", None), dict
        ):
            found.extend(_collect(item))
        else:
            raise TypeError(
                f"SGD: item {i} of model is a {type(item).__name__}, neither a layer nor a "
                f"Parameter."
            )
    return found


def _describe_param(p: Parameter, index: int) -> str:
    return f"{type(p.layer).__name__}.{p.key} (parameter {index})"


def _check_each_array_once(params: list[Parameter], *, where: str, thorough: bool) -> None:
    """Refuse two parameters that are the same array (or overlap in memory).

    ``step`` would move such an array twice per step, each time by one of its gradients. It
    happens when the same layer is given twice, when two models that share a layer are given
    together, or when a weight was tied by assigning one layer's array into another's params.
    ``thorough`` also finds distinct arrays that view the same memory (slower; done once, in
    ``__init__``); ``step`` checks identity only.
    """
    first: dict[int, int] = {}
    for i, p in enumerate(params):
        j = first.setdefault(id(p.value), i)
        if j == i and thorough:
            j = next((k for k in range(i) if np.shares_memory(params[k].value, p.value)), i)
        if j != i:
            same = "the same parameter" if params[j] == p else "the same array"
            raise ValueError(
                f"{where}: {_describe_param(params[j], j)} and {_describe_param(p, i)} are "
                f"{same}, so step() would move it twice. Give each parameter once: a layer "
                f"once, and for two models that share a layer, the shared layer once (note that "
                f"each model's backward overwrites that layer's grads: they are not summed)."
            )


class SGD:
    """Stochastic gradient descent with optional momentum, PyTorch's convention.

    For each parameter p with gradient g (the batch-mean gradient the loss produced):

        without momentum:  p ← p − lr · g                          (book: eq-gd-step)
        with momentum μ:   v ← μ v + g,   p ← p − lr · v           (book: eq-sgd-momentum)

    with v = 0 before the first step, so the first step is plain SGD. This is
    ``torch.optim.SGD(params, lr, momentum)`` with its defaults (no dampening, no Nesterov, no
    weight decay). Other texts write v ← μ v − lr g, p ← p + v: the same trajectory for a
    constant lr, but not when lr changes during training.

    Args:
        model: a :class:`~bplib.network.Sequential`, a single layer, a list of layers, or
            ``model.parameters()``.
        lr: the step γ > 0.
        momentum: μ in [0, 1); 0 is plain SGD.

    The update is in place (``value -= lr * v``): anyone holding ``layer.params["W"]`` sees
    the new weights. Parameters whose gradient is missing (no backward yet) make ``step``
    raise ``RuntimeError``. A parameter given twice (the same layer twice, two models sharing
    a layer, or one array in two layers) is refused with ``ValueError``: it would be stepped
    twice.
    """

    def __init__(self, model, lr: float, momentum: float = 0.0) -> None:
        for name, value in (("lr", lr), ("momentum", momentum)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
                raise TypeError(f"SGD: {name} must be a number, got {value!r}.")
        if not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"SGD: lr must be a positive number (the step γ), got {lr}.")
        if not 0 <= momentum < 1:
            raise ValueError(
                f"SGD: momentum must be in [0, 1) (0 is plain SGD, 0.9 is usual), got {momentum}; "
                f"with momentum >= 1 the velocity never forgets old gradients and diverges."
            )
        self.params = _collect(model)
        if not self.params:
            raise ValueError("SGD: the model has no parameters to optimize.")
        _check_each_array_once(self.params, where="SGD", thorough=True)
        self.lr = float(lr)
        self.momentum = float(momentum)
        # One velocity per parameter, created at the first step (v = 0 before it).
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)
        self.steps = 0

    def step(self) -> None:
        """Move every parameter one step against its gradient, in place.

        ``v ← μ v + g``, ``p ← p − lr · v`` (book: eq-sgd-momentum; with
        μ = 0 it is the plain step eq-gd-step).
        """
        _check_each_array_once(
            self.params, where="SGD.step", thorough=False
        )
        for i, p in enumerate(self.params):
            name = f"{type(p.layer).__name__}.{p.key}"
            grad = p.grad
            if grad is None:
                raise RuntimeError(
                    f"SGD.step: {name} has no gradient yet. "
                    "Run the backward pass first: "
                    "model.backward(loss.backward()), "
                    "then optimizer.step()."
                )
            value = p.value
            if grad.shape != value.shape:
                raise ValueError(
                    f"SGD.step: the gradient of {name} has shape "
                    f"{grad.shape} but the parameter has shape "
                    f"{value.shape}; a gradient always has its "
                    "parameter's shape."
                )
            if not np.all(np.isfinite(grad)):
                raise ValueError(
                    f"SGD.step: the gradient of {name} contains NaN "
                    "or inf; the training has diverged. "
                    f"Try a smaller learning rate (lr = {self.lr})."
                )
            if self.momentum:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = np.zeros_like(value)
                v *= self.momentum  # v ← μ v + g  (book: eq-sgd-momentum)
                v += grad
                update = v
            else:
                update = grad
            # in place: the layer's own array changes
            value -= self.lr * update
        self.steps += 1

    def zero_grad(self) -> None:
        """Set every gradient to zero.

        bplib's ``backward`` overwrites ``grads`` instead of adding to them, so a training loop
        does not need this; it is here so that PyTorch's loop (zero_grad, forward, backward,
        step) reads the same.
        """
        for p in self.params:
            p.layer.grads[p.key] = np.zeros_like(p.value)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, momentum={self.momentum}, {len(self.params)} parameters)"
