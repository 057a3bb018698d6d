"""Sequential: composition, whole-network gradcheck, parameters, names, repr, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bplib.gradcheck import check_layer, numerical_gradient, relative_error
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
@example(n=1, sizes=[4, 4, 3, 2], act=Tanh, softmax=True, seed=39081)  # 1.8e-7 with eps=1e-5
def test_whole_network_gradcheck(n, sizes, act, softmax, seed):
    rng = np.random.default_rng(seed)
    model = mlp(rng, tuple(sizes), act)
    if softmax:
        model = Sequential(*model.layers, Softmax())
    # eps = 3e-5, not 1e-6: through a few sigmoids and a softmax ∂L/∂x can be 1e-5 times L
    # itself, and the finite difference's rounding error, about |L|·1e-16/eps, would then
    # dominate; 3e-5 balances it against the O(eps²) truncation error (max rel. error 1.7e-8
    # on 2000 random nets, 6.1e-8 on the example above, which failed with eps = 1e-5).
    report = check_layer(model, rng.standard_normal((n, sizes[0])), rng=rng, eps=3e-5)
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
    with pytest.raises(ValueError, match=r"'0.W': expected shape \(6, 4\), got \(2, 2\)"):
        b.load_state_dict(bad)


def test_load_state_dict_with_a_bad_entry_writes_nothing(rng):
    """Issue 11: one bad entry used to leave the entries before it overwritten."""
    model = mlp(rng, sizes=(4, 6, 5, 3))
    before = model.state_dict()
    shifted = {name: value + 1.0 for name, value in before.items()}
    for name, bad, words in [
        ("4.W", np.ones((4, 4)), "'4.W': expected shape (3, 5), got (4, 4)"),
        ("4.b", np.array([0.0, np.nan, 1.0]), "'4.b': expected finite values, got 1 NaN"),
        ("2.b", before["2.b"].astype(np.int32), "'2.b': expected a float32 or float64 array"),
        ("4.b", [1.0, 2.0, 3.0], "'4.b': expected a float32 or float64 array of shape (3,), "
         "got list"),
    ]:
        with pytest.raises((TypeError, ValueError)) as info:
            model.load_state_dict(dict(shifted, **{name: bad}))
        assert "Sequential.load_state_dict: nothing was loaded" in str(info.value)
        assert words in str(info.value), str(info.value)
        for key, value in model.state_dict().items():
            np.testing.assert_array_equal(value, before[key], err_msg=f"{name}: {key}")
    model.load_state_dict(shifted)  # the good state loads
    np.testing.assert_array_equal(model.params["0.W"], before["0.W"] + 1.0)


def test_load_state_dict_accepts_float32_weights_like_pytorchs(rng):
    model = mlp(rng)
    state = {name: value.astype(np.float32) for name, value in model.state_dict().items()}
    model.load_state_dict(state)
    for name, value in model.named_parameters():
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, state[name])


# --- weight sharing, and caches that belong to someone else ----------------------------------
def test_the_same_layer_twice_is_refused(rng):
    """Issue 11: Sequential(lin, Tanh(), lin) gave dW wrong by a relative error of 0.87."""
    lin = Linear(3, 3, rng=rng)
    with pytest.raises(ValueError) as info:
        Sequential(lin, Tanh(), lin)
    message = str(info.value)
    assert message.startswith("Sequential: layer (2) is the same Linear object as layer (0)")
    assert "copy.deepcopy(layer)" in message
    block = Sequential(lin, Tanh())
    with pytest.raises(ValueError, match=r"layer \(1\.0\) is the same Linear object as layer "
                                         r"\(0\)"):
        Sequential(lin, block)
    with pytest.raises(ValueError, match=r"layer \(1\) is the same Sequential object as layer "
                                         r"\(0\)"):
        Sequential(block, block)
    relu = ReLU()  # a layer without parameters keeps a cache too: also refused
    with pytest.raises(ValueError, match=r"layer \(2\) is the same ReLU"):
        Sequential(relu, Linear(3, 3, rng=rng), relu)


def test_deepcopied_layers_are_independent_and_check_against_finite_differences(rng):
    lin = Linear(3, 3, rng=rng)
    model = Sequential(lin, Tanh(), copy.deepcopy(lin))
    assert check_layer(model, rng.standard_normal((4, 3)), rng=rng).ok


def test_a_layer_run_again_between_forward_and_backward_is_detected(rng):
    """A layer shared by two models, or called on its own, holds another input's cache."""
    lin = Linear(3, 3, rng=rng)
    a, b = Sequential(lin, Tanh()), Sequential(lin, ReLU())
    x1, x2, dout = (rng.standard_normal((4, 3)) for _ in range(3))
    a.forward(x1)
    b.forward(x2)
    with pytest.raises(RuntimeError, match=r"Sequential.backward: layer \(0\) Linear ran "
                                           r"forward again after this Sequential's forward"):
        a.backward(dout)
    b.backward(dout)  # b's caches are its own
    a.forward(x1)
    a.layers[1].forward(x2)  # looking at one activation on another input
    with pytest.raises(RuntimeError, match=r"layer \(1\) Tanh ran forward again"):
        a.backward(dout)
    a.forward(x1)  # forward again: backward is that of the new forward, and right
    dx = a.backward(dout)
    numeric = numerical_gradient(lambda v: float(np.sum(a.forward(v) * dout)), x1.copy())
    assert relative_error(dx, numeric) < 1e-8


def test_a_nested_sequential_shared_by_two_models_is_detected(rng):
    block = Sequential(Linear(3, 3, rng=rng), Tanh())
    a, b = Sequential(block, ReLU()), Sequential(block, Sigmoid())
    a.forward(rng.standard_normal((2, 3)))
    b.forward(rng.standard_normal((2, 3)))
    with pytest.raises(RuntimeError, match=r"layer \(0\) Sequential ran forward again"):
        a.backward(np.ones((2, 3)))


def test_a_forward_that_failed_half_way_leaves_nothing_to_backpropagate(rng):
    model = Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(5, 2, rng=rng))
    model_ok = Sequential(Linear(3, 4, rng=rng), ReLU())
    model_ok.forward(np.ones((2, 3)))
    with pytest.raises(ValueError):
        model.forward(np.ones((2, 3)))  # layers 0 and 1 ran, layer 2 refused
    with pytest.raises(RuntimeError, match="Sequential.backward was called before"):
        model.backward(np.ones((2, 2)))


@pytest.mark.parametrize("last", [Sigmoid, ReLU])
def test_editing_the_models_input_or_output_in_place_does_not_change_the_gradient(last, rng):
    """Issue 11: such an edit gave dx and every dW wrong by relative errors of about 1.

    A Sigmoid keeps its output, so it hands it out read-only and the edit is refused; a ReLU
    keeps (a copy of) its input, so its output may be edited freely.
    """
    model = Sequential(Linear(4, 5, rng=rng), Tanh(), Linear(5, 3, rng=rng), last())
    x, dout = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    model.forward(x.copy())
    dx_ref = model.backward(dout)
    grads_ref = {name: g.copy() for name, g in model.grads.items()}
    for edit in ("input", "output"):
        held = x.copy()
        out = model.forward(held)
        if edit == "output" and last is Sigmoid:
            with pytest.raises(ValueError, match="read-only"):
                out *= -3.0
        else:
            (held if edit == "input" else out)[...] *= -3.0
        np.testing.assert_array_equal(model.backward(dout), dx_ref, err_msg=edit)
        for name, grad in model.grads.items():
            np.testing.assert_array_equal(grad, grads_ref[name], err_msg=f"{edit}: {name}")
    numeric = numerical_gradient(lambda v: float(np.sum(model.forward(v) * dout)), x.copy())
    assert relative_error(dx_ref, numeric) < 1e-8


def test_no_copy_inside_a_network_where_nobody_else_can_write(rng):
    """The private caches cost no memory between layers: a Tanh's read-only output is kept
    once, by the Tanh and by the next Linear (chapter 3 measures the memory of the caches)."""
    model = Sequential(Linear(4, 5, rng=rng), Tanh(), Linear(5, 3, rng=rng), ReLU())
    x = rng.standard_normal((6, 4))
    model.forward(x)
    lin0, tanh, lin1, relu = model.layers
    assert not np.shares_memory(lin0.cache[0], x)  # the caller's x: copied
    assert lin1.cache[0] is tanh.cache  # the same array, kept once
    assert not tanh.cache.flags.writeable


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


def test_a_hand_written_layer_that_sets_its_cache_itself_is_watched_too(rng):
    class Square:  # the contract by hand: no bplib base class, no forward counter
        def __init__(self):
            self.params, self.grads, self.cache = {}, {}, None

        def forward(self, x):
            self.cache = x.copy()
            return x * x

        def backward(self, dout):
            return 2 * self.cache * dout

    square = Square()
    a, b = Sequential(Linear(2, 2, rng=rng), square), Sequential(square)
    a.forward(np.ones((1, 2)))
    b.forward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match=r"layer \(1\) Square ran forward again"):
        a.backward(np.ones((1, 2)))
