"""The layer contract of bplib.layers.base, across every layer: state_dict, dtypes, caches."""

from __future__ import annotations

import numpy as np
import pytest
from layer_contract import as_matrix

from bplib.layers import (
    AvgPool2d,
    Conv2d,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Sign,
    Softmax,
    Tanh,
)
from bplib.losses import CrossEntropyFromProbs, CrossEntropyLoss, MSELoss


def every_layer():
    """Each layer with an input it accepts (float64)."""
    rng = np.random.default_rng(5)
    images = rng.standard_normal((2, 2, 4, 4))
    rows = rng.standard_normal((3, 4))
    return [
        (Linear(4, 3, rng=rng), rows),
        (Conv2d(2, 3, 3, rng=rng), images),
        (ReLU(), rows),
        (Sigmoid(), rows),
        (Tanh(), rows),
        (Sign(), rows),
        (Softmax(), rows),
        (Flatten(), images),
        (MaxPool2d(2), images),
        (AvgPool2d(2), images),
    ]


LAYERS = every_layer()
IDS = [type(layer).__name__ for layer, _ in LAYERS]

# Every dtype bplib does not compute in, with a word its message must contain. Integers and
# bools are refused, never converted (bplib._validate says why), like every other dtype.
REFUSED_DTYPES = [
    (np.float16, "float16"),
    (np.complex128, "complex128"),
    (np.int64, "int64"),
    (np.int8, "int8"),
    (np.uint8, "uint8"),
    (np.bool_, "bool"),
    (object, "object"),
]
if np.dtype(np.longdouble) != np.float64:  # float128 on x86-64 Linux; float64 elsewhere
    REFUSED_DTYPES.append((np.longdouble, str(np.dtype(np.longdouble))))


@pytest.mark.parametrize(("layer", "x"), LAYERS, ids=IDS)
@pytest.mark.parametrize(("dtype", "word"), REFUSED_DTYPES, ids=[w for _, w in REFUSED_DTYPES])
def test_every_layer_refuses_the_same_dtypes(layer, x, dtype, word):
    with pytest.raises(TypeError) as info:
        layer.forward(x.astype(dtype))
    message = str(info.value)
    assert message.startswith(f"{type(layer).__name__}.forward: input")
    assert "float32 or float64" in message and f"got dtype {word}" in message


@pytest.mark.parametrize(("layer", "x"), LAYERS, ids=IDS)
def test_every_layer_refuses_matrix_and_masked_arrays(layer, x):
    masked = np.ma.masked_array(x, mask=x > 1)
    with pytest.raises(TypeError, match=rf"{type(layer).__name__}.forward: input is a masked"):
        layer.forward(masked)
    if x.ndim == 2:
        with pytest.raises(TypeError, match=rf"{type(layer).__name__}.forward: input is an np"):
            layer.forward(as_matrix(x))


@pytest.mark.parametrize(("layer", "x"), LAYERS, ids=IDS)
def test_every_layer_accepts_float32_float64_and_a_memmap(layer, x, tmp_path):
    for dtype in (np.float32, np.float64):
        assert layer.forward(x.astype(dtype)).dtype == dtype
    mapped = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=x.dtype,
                                       shape=x.shape)
    mapped[...] = x
    np.testing.assert_array_equal(layer.forward(mapped), layer.forward(x))
    del mapped


@pytest.mark.parametrize(
    ("loss", "pred", "target"),
    [
        (MSELoss(), np.ones((2, 3)), np.zeros((2, 3))),
        (CrossEntropyLoss(), np.ones((2, 3)), np.array([0, 2])),
        (CrossEntropyFromProbs(), np.full((2, 3), 1 / 3), np.array([0, 2])),
    ],
    ids=["MSELoss", "CrossEntropyLoss", "CrossEntropyFromProbs"],
)
@pytest.mark.parametrize(("dtype", "word"), REFUSED_DTYPES, ids=[w for _, w in REFUSED_DTYPES])
def test_every_loss_refuses_the_same_dtypes_for_pred(loss, pred, target, dtype, word):
    with pytest.raises(TypeError) as info:
        loss.forward(pred.astype(dtype), target)
    message = str(info.value)
    assert message.startswith(f"{loss.name}.forward: pred")
    assert "float32 or float64" in message and f"got dtype {word}" in message


@pytest.mark.parametrize(("layer", "x"), LAYERS, ids=IDS)
def test_state_dict_of_every_layer(layer, x):
    state = layer.state_dict()
    assert list(state) == list(layer.params)
    for key, value in state.items():
        np.testing.assert_array_equal(value, layer.params[key])
        assert not np.shares_memory(value, layer.params[key])
    layer.load_state_dict(state)  # its own state loads back
    if not state:
        with pytest.raises(KeyError, match=r"unexpected keys \['W'\]"):
            layer.load_state_dict({"W": np.ones(1)})


def bad_states(layer):
    """(description, state, exception, words in the message) for a Linear(4, 3)."""
    good = layer.state_dict()
    W, b = good["W"], good["b"]
    return [
        ("a list", {"W": W.tolist(), "b": b}, TypeError, "'W': expected a float32 or float64 "
         "array of shape (3, 4), got list"),
        ("int dtype", {"W": W, "b": b.astype(np.int64)}, TypeError,
         "'b': expected a float32 or float64 array of shape (3,), got array of shape (3,) and "
         "dtype int64"),
        ("float16", {"W": W.astype(np.float16), "b": b}, TypeError, "dtype float16"),
        ("np.matrix", {"W": as_matrix(W), "b": b}, TypeError, "got matrix of shape (3, 4)"),
        ("shape", {"W": W.T, "b": b}, ValueError, "'W': expected shape (3, 4), got (4, 3)"),
        ("NaN", {"W": W, "b": np.array([0.0, np.nan, np.inf])}, ValueError,
         "'b': expected finite values, got 2 NaN or infinite"),
        ("two bad", {"W": W[:2], "b": b[:1]}, ValueError, "2 entries are refused: 'W': "
         "expected shape (3, 4), got (2, 4); 'b': expected shape (3,), got (1,)"),
        ("missing", {"W": W}, KeyError, "missing keys ['b'], unexpected keys []"),
        ("unexpected", {"W": W, "b": b, "c": b}, KeyError, "unexpected keys ['c']"),
        ("not a dict", [W, b], TypeError, "state must be a dict"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_load_state_dict_checks_every_entry_before_writing_any(case):
    layer = Linear(4, 3, rng=np.random.default_rng(0))
    what, state, exc, words = bad_states(layer)[case]
    # W is always a good entry (or the first bad one): a load that wrote entry by entry would
    # have changed it before it reached the bad one
    shifted = {k: (v + 1.0 if isinstance(v, np.ndarray) and v.dtype == np.float64 else v)
               for k, v in state.items()} if isinstance(state, dict) else state
    before = layer.state_dict()
    with pytest.raises(exc) as info:
        layer.load_state_dict(shifted)
    assert "Linear.load_state_dict" in str(info.value), what
    assert words in str(info.value), (what, str(info.value))
    if exc is not TypeError or what != "not a dict":
        assert "nothing was loaded" in str(info.value), what
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=what)


def test_load_state_dict_casts_float32_to_the_parameter_dtype():
    layer = Linear(4, 3, rng=np.random.default_rng(0))
    state = {k: v.astype(np.float32) for k, v in layer.state_dict().items()}
    state["W"][0, 0] = 0.25
    layer.load_state_dict(state)
    assert layer.params["W"].dtype == np.float64 and layer.params["W"][0, 0] == 0.25


def test_a_layer_with_a_cache_and_no_params_still_follows_the_contract():
    class Square(Layer):
        def forward(self, x):
            x = self._check_input(x)
            return self._store(x.copy(), x * x)

        def backward(self, dout):
            x = self._start_backward(dout)
            return 2 * x * dout

    layer = Square()
    assert layer.state_dict() == {}
    layer.load_state_dict({})
    x = np.array([[1.0, -2.0]])
    out = layer.forward(x)
    x *= 10  # the layer copied what it needs
    np.testing.assert_array_equal(layer.backward(np.ones_like(out)), [[2.0, -4.0]])
