"""Layers of bplib, one concept per module; every layer follows the contract of
:mod:`bplib.layers.base` (``forward``/``backward``, ``params``/``grads``, ``cache``).

    Linear                       linear.py       fully connected, x @ W.T + b
    ReLU Sigmoid Tanh Sign       activations.py  element-wise non-linearities
    Softmax                      softmax.py      softmax over the last axis
    Flatten                      reshape.py      (N, C, H, W) -> (N, C*H*W)
    MaxPool2d AvgPool2d          pooling.py      2-d pooling, NCHW
    Conv2d                       conv.py         2-d convolution (cross-correlation), NCHW
"""

from __future__ import annotations

import importlib

_HOME = {
    "Layer": "base",
    "Parameter": "base",
    "Linear": "linear",
    "ReLU": "activations",
    "Sigmoid": "activations",
    "Tanh": "activations",
    "Sign": "activations",
    "Softmax": "softmax",
    "Flatten": "reshape",
    "MaxPool2d": "pooling",
    "AvgPool2d": "pooling",
    "Conv2d": "conv",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    # Import a layer's module the first time the layer is asked for: each module stays
    # independent, and `import bplib.layers` is cheap.
    if name in _HOME:
        module = importlib.import_module(f"bplib.layers.{_HOME[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bplib.layers' has no attribute {name!r}")


def __dir__():
    return __all__
