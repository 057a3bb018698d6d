"""Sequential: composition, whole-network gradcheck, parameters, names, repr, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib.gradcheck import check_layer
from bplib.layers import Flatten, Linear, ReLU, Sigmoid, Softmax, Tanh
from bplib.layers.base import Parameter
from bplib.network import Sequential


def mlp(rng, sizes=(4, 6, 3), act=ReLU):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(a, b, rng=rng))
        if i < len(sizes) - 2:
            layers.append(act())
    return Sequential(*layers)


def test_forward_and_backward_are_the_composition(rng):
    model = mlp(rng)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    out = model.forward(x)
    dx = model.backward(dout)
    l0, l1, l2 = model.layers
    h = l1.forward(l0.forward(x))
    np.testing.assert_array_equal(out, l2.forward(h))
    np.testing.assert_array_equal(dx, l0.backward(l1.backward(l2.backward(dout))))
    np.testing.assert_array_equal(model(x), out)


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 3),
    sizes=st.lists(st.integers(2, 4), min_size=2, max_size=4),
    act=st.sampled_from([Tanh, Sigmoid]),
    softmax=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_whole_network_gradcheck(n, sizes, act, softmax, seed):
    rng = np.random.default_rng(seed)
    model = mlp(rng, tuple(sizes), act)
    if softmax:
        model = Sequential(*model.layers, Softmax())
    # eps = 1e-5, not 1e-6: through a few sigmoids ∂L/∂x is small next to L itself, and the
    # finite difference's rounding error, about |L|·1e-16/eps, would then dominate; 1e-5
    # balances it against the O(eps²) truncation error (rel. error < 3e-8 on 600 random nets).
    report = check_layer(model, rng.standard_normal((n, sizes[0])), rng=rng, eps=1e-5)
    assert report.ok, str(report)
    assert len(report.entries) == 1 + 2 * (len(sizes) - 1)


def test_gradcheck_through_flatten(rng):
    model = Sequential(Flatten(), Linear(6, 2, rng=rng), Tanh())
    assert check_layer(model, rng.standard_normal((2, 2, 3)), rng=rng).ok


def test_parameters_are_live_layer_key_pairs(rng):
    model = mlp(rng)
    params = list(model.parameters())
    assert [(type(p.layer).__name__, p.key) for p in params] == [
        ("Linear", "W"),
        ("Linear", "b"),
        ("Linear", "W"),
        ("Linear", "b"),
    ]
    p = params[0]
    assert isinstance(p, Parameter)
    layer, key = p  # still a (layer, key) pair
    assert p.value is layer.params[key]
    assert p.grad is None  # no backward yet
    model.forward(rng.standard_normal((2, 4)))
    model.backward(rng.standard_normal((2, 3)))
    first = p.grad
    assert first is layer.grads["W"]
    model.forward(rng.standard_normal((2, 4)))
    model.backward(rng.standard_normal((2, 3)))
    assert p.grad is layer.grads["W"] and p.grad is not first  # looked up, not stored
    assert p.shape == (6, 4)


def test_named_parameters_and_params_dict(rng):
    model = mlp(rng)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "2.W", "2.b"]
    assert model.params["2.W"] is model.layers[2].params["W"]
    model.params["0.b"][...] = 7.0  # assigning into the dict's arrays changes the model
    np.testing.assert_array_equal(model.layers[0].params["b"], 7.0)
    nested = Sequential(Linear(2, 2, rng=rng), Sequential(ReLU(), Linear(2, 1, rng=rng)))
    assert [n for n, _ in nested.named_parameters()] == ["0.W", "0.b", "1.1.W", "1.1.b"]
    nested.forward(np.ones((1, 2)))
    nested.backward(np.ones((1, 1)))
    assert sorted(nested.grads) == ["0.W", "0.b", "1.1.W", "1.1.b"]


def test_state_dict_round_trip(rng):
    a, b = mlp(rng), mlp(rng)
    x = rng.standard_normal((3, 4))
    assert not np.allclose(a(x), b(x))
    state = a.state_dict()
    state["0.W"] += 0  # a copy: changing it does not touch a
    b.load_state_dict(state)
    np.testing.assert_array_equal(a(x), b(x))
    with pytest.raises(KeyError, match="missing keys"):
        b.load_state_dict({"0.W": state["0.W"]})
    bad = dict(state, **{"0.W": np.ones((2, 2))})
    with pytest.raises(ValueError, match="0.W has shape"):
        b.load_state_dict(bad)


def test_container_protocol_and_repr(rng):
    model = Sequential(Linear(64, 128, rng=rng), ReLU(), Linear(128, 10, rng=rng))
    assert len(model) == 3
    assert isinstance(model[1], ReLU)
    assert isinstance(model[:2], Sequential) and len(model[:2]) == 2
    assert [type(layer).__name__ for layer in model] == ["Linear", "ReLU", "Linear"]
    text = repr(model)
    lines = text.splitlines()
    assert lines[0] == "Sequential("
    assert lines[1].startswith("  (0): Linear(in_features=64, out_features=128)")
    assert "W (128, 64), b (128,)" in lines[1]
    assert lines[2] == "  (1): ReLU()"
    assert "9,610 parameters" in lines[-1]


def test_zero_grad(rng):
    model = mlp(rng)
    model.forward(rng.standard_normal((2, 4)))
    model.backward(rng.standard_normal((2, 3)))
    model.zero_grad()
    for _, g in model.grads.items():
        assert not np.any(g)


def test_a_layer_written_by_hand_is_accepted(rng):
    class Double:
        def __init__(self):
            self.params, self.grads = {}, {}

        def forward(self, x):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    model = Sequential(Double(), Linear(2, 1, rng=rng))
    assert model.forward(np.ones((1, 2))).shape == (1, 1)
    assert [n for n, _ in model.named_parameters()] == ["1.W", "1.b"]
    model.zero_grad()


# --- errors ---------------------------------------------------------------------------------
def test_class_instead_of_instance():
    with pytest.raises(
        TypeError, match=r"Sequential: layer \(1\) is the class ReLU.*ReLU\(\.\.\.\)"
    ):
        Sequential(Linear(2, 2), ReLU)


def test_list_instead_of_arguments():
    with pytest.raises(TypeError, match=r"Sequential\(\*layers\)"):
        Sequential([Linear(2, 2), ReLU()])


def test_not_a_layer():
    with pytest.raises(
        TypeError, match=r"Sequential: layer \(1\) is a ufunc, which is not a layer"
    ):
        Sequential(Linear(2, 2), np.tanh)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="Sequential.backward was called before"):
        Sequential(ReLU()).backward(np.ones((1, 1)))


def test_layer_error_says_which_layer(rng):
    model = Sequential(Linear(4, 5, rng=rng), ReLU(), Linear(4, 2, rng=rng))
    with pytest.raises(ValueError, match=r"Sequential layer \(2\) Linear: Linear.forward"):
        model.forward(np.ones((3, 4)))
    with pytest.raises(TypeError, match=r"Sequential layer \(0\) Linear"):
        model.forward([[1.0, 2.0, 3.0, 4.0]])
    good = Sequential(Linear(4, 2, rng=rng), ReLU())
    good.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"Sequential layer \(1\) ReLU: ReLU.backward: dout"):
        good.backward(np.ones((3, 4)))
