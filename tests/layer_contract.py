"""Checks of the layer contract shared by the layers' test files.

``assert_cache_is_private(make_layer, x, rng)`` proves that a layer's cache shares no writable
memory with the arrays its caller holds: editing the input ``x`` or the output ``out`` in place
between ``forward`` and ``backward`` either leaves ``dx`` and ``grads`` exactly those of the
forward that was computed, or is refused by numpy because the array is read-only (a layer that
keeps its output hands it out read-only). Before this was guaranteed, such an edit gave
gradients wrong by a relative error of about 1 (issue 11). (Parameters are not covered: they
change after backward, and ``Linear``/``Conv2d`` keep ``W`` itself, see bplib.layers.base.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest


def _backward_of(layer, x, dout):
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, {key: value.copy() for key, value in layer.grads.items()}


def _edit(array):
    """An in-place edit that changes every entry: negate, double, shift."""
    array *= -2.0
    array += 0.5


def assert_cache_is_private(make_layer, x, rng):
    """Edit x or out in place before backward: the gradients must not change.

    ``make_layer()`` builds the layer (twice, identically: use a fixed seed inside). The
    reference gradients come from an untouched copy of the layer on an untouched copy of x.
    """
    reference = make_layer()
    probe = reference.forward(x.copy())
    dout = rng.standard_normal(probe.shape)
    dx_ref, grads_ref = _backward_of(reference, x.copy(), dout)
    assert np.any(dx_ref), "choose x so that the gradient is not all zero"

    for target in ("input", "output"):
        layer = make_layer()
        x_held = x.copy()
        out = layer.forward(x_held)
        if target == "input":
            _edit(x_held)
        elif target == "output" and not out.flags.writeable:
            with pytest.raises(ValueError, match="read-only"):
                _edit(out)
        elif target == "output":
            _edit(out)
        dx = layer.backward(dout)
        np.testing.assert_array_equal(dx, dx_ref, err_msg=f"dx after editing the {target}")
        for key, grad in grads_ref.items():
            np.testing.assert_array_equal(
                layer.grads[key], grad, err_msg=f"d{key} after editing the {target}"
            )


def as_matrix(array):
    """``np.asmatrix(array)`` without numpy's warning that np.matrix is deprecated (the tests
    build one only to see it refused)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(array)
