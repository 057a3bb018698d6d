"""Linear: hand-computed case, gradchecks, PyTorch-style init, dtypes, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_contract import as_matrix, assert_cache_is_private

from bplib.gradcheck import check_layer
from bplib.layers import Linear


def test_hand_computed_2x2():
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    layer.params["W"][...] = [[1.0, 2.0], [3.0, 4.0]]
    layer.params["b"][...] = [0.5, -1.0]
    x = np.array([[1.0, -1.0]])
    # out_j = Σ_i x_i W[j, i] + b_j: 1 - 2 + 0.5 = -0.5 and 3 - 4 - 1 = -2
    np.testing.assert_array_equal(layer.forward(x), [[-0.5, -2.0]])
    dx = layer.backward(np.array([[1.0, 2.0]]))
    # dx = dout @ W = [1*1 + 2*3, 1*2 + 2*4]; dW = dout^T x; db = dout summed over the batch
    np.testing.assert_array_equal(dx, [[7.0, 10.0]])
    np.testing.assert_array_equal(layer.grads["W"], [[1.0, -1.0], [2.0, -2.0]])
    np.testing.assert_array_equal(layer.grads["b"], [1.0, 2.0])


def test_batch_gradients_are_sums_over_examples(rng):
    layer = Linear(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    dout = rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(dout)
    dW = sum(np.outer(dout[n], x[n]) for n in range(4))
    np.testing.assert_allclose(layer.grads["W"], dW, rtol=1e-13)
    np.testing.assert_allclose(layer.grads["b"], dout.sum(0), rtol=1e-13)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 4),
    d=st.integers(1, 5),
    m=st.integers(1, 5),
    seed=st.integers(0, 2**31 - 1),
)
def test_gradcheck(n, d, m, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(d, m, rng=rng)
    report = check_layer(layer, rng.standard_normal((n, d)), rng=rng)
    assert report.ok, str(report)
    assert [e.name for e in report.entries] == ["x", "W", "b"]


def test_init_follows_pytorch_bound_and_is_seeded():
    a = Linear(50, 30, rng=np.random.default_rng(3))
    b = Linear(50, 30, rng=np.random.default_rng(3))
    bound = 1 / np.sqrt(50)
    assert a.params["W"].shape == (30, 50) and a.params["b"].shape == (30,)
    assert a.params["W"].dtype == np.float64
    assert np.abs(a.params["W"]).max() <= bound and np.abs(a.params["b"]).max() <= bound
    # uniform on [-bound, bound]: the spread is close to the bound, not much smaller
    assert np.abs(a.params["W"]).max() > 0.9 * bound
    np.testing.assert_array_equal(a.params["W"], b.params["W"])
    c = Linear(50, 30)  # rng=None: fresh generator, still the right bound
    assert np.abs(c.params["W"]).max() <= bound


def test_two_layers_from_one_rng_differ(rng):
    a, b = Linear(4, 4, rng=rng), Linear(4, 4, rng=rng)
    assert not np.array_equal(a.params["W"], b.params["W"])


def test_assigning_into_params_changes_the_layer(rng):
    layer = Linear(2, 1, rng=rng)
    layer.params["W"][...] = [[2.0, 3.0]]
    layer.params["b"][...] = 1.0
    assert layer.forward(np.array([[1.0, 1.0]]))[0, 0] == 6.0


def test_float32_computes_in_float32_and_keeps_param_dtype(rng):
    layer = Linear(5, 3, rng=rng)
    x64 = rng.standard_normal((4, 5))
    dout = rng.standard_normal((4, 3))
    out32 = layer.forward(x64.astype(np.float32))
    dx32 = layer.backward(dout.astype(np.float32))
    g32 = {k: v.copy() for k, v in layer.grads.items()}
    assert out32.dtype == np.float32 and dx32.dtype == np.float32
    assert g32["W"].dtype == np.float64 and g32["b"].dtype == np.float64
    out64 = layer.forward(x64)
    dx64 = layer.backward(dout)
    assert out64.dtype == np.float64
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g32["W"], layer.grads["W"], rtol=1e-5, atol=1e-5)


def test_repr():
    assert repr(Linear(3, 2)) == "Linear(in_features=3, out_features=2)"


def test_editing_x_or_out_in_place_does_not_change_the_gradient(rng):
    """Issue 11: editing x in place before backward gave dW wrong by a relative error of 1."""
    x = rng.standard_normal((5, 4))
    assert_cache_is_private(lambda: Linear(4, 3, rng=np.random.default_rng(7)), x, rng)
    x32 = x.astype(np.float32)
    assert_cache_is_private(lambda: Linear(4, 3, rng=np.random.default_rng(7)), x32, rng)


def test_the_cache_copies_x_only_when_someone_could_edit_it(rng):
    layer = Linear(4, 3, rng=rng)
    x = rng.standard_normal((5, 4))
    layer.forward(x)
    cached_x, cached_W = layer.cache
    assert not np.shares_memory(cached_x, x)  # the caller's array: copied
    # W is the parameter itself, not a copy (a copy would add the weights to the memory kept
    # per forward, which chapter 3 measures): parameters change after backward, not before
    assert cached_W is layer.params["W"]
    x.flags.writeable = False  # nobody can write to it any more: kept as it is
    layer.forward(x)
    assert layer.cache[0] is x
    view = x.view()
    x.flags.writeable = True  # the owner may write again, so a read-only view is not enough
    view.flags.writeable = False
    layer.forward(view)
    assert not np.shares_memory(layer.cache[0], x)


def test_state_dict_round_trip_and_validation(rng):
    a, b = Linear(3, 2, rng=rng), Linear(3, 2, rng=rng)
    state = a.state_dict()
    assert sorted(state) == ["W", "b"]
    assert state["W"] is not a.params["W"]  # a copy
    state["W"] += 1.0
    assert not np.array_equal(state["W"], a.params["W"])
    held = b.params["W"]
    b.load_state_dict(state)
    assert b.params["W"] is held  # copied in place: whoever holds the array sees it
    np.testing.assert_array_equal(b.params["W"], state["W"])
    state["W"] += 1.0  # the loaded values are copies too
    assert not np.array_equal(b.params["W"], state["W"])
    before = b.state_dict()
    with pytest.raises(ValueError, match=r"'W': expected shape \(2, 3\), got \(3, 2\)"):
        b.load_state_dict({"W": np.ones((3, 2)), "b": np.zeros(2)})
    with pytest.raises(KeyError, match=r"missing keys \['b'\]"):
        b.load_state_dict({"W": np.ones((2, 3))})
    for key, value in b.state_dict().items():  # nothing was written
        np.testing.assert_array_equal(value, before[key])


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "exc", "words"),
    [
        ([[1.0, 2.0, 3.0]], TypeError, "numpy array"),
        (np.ones((2, 3), dtype=np.int64), TypeError, "floating-point"),
        (np.ones((2, 3), dtype=np.bool_), TypeError, "float32 or float64, got dtype bool"),
        (np.ones((2, 3), dtype=np.float16), TypeError, "float32 or float64, got dtype float16"),
        (np.ones((2, 3), dtype=np.complex128), TypeError, "got dtype complex128"),
        (as_matrix(np.ones((2, 3))), TypeError, "np.matrix"),
        (np.ma.masked_array(np.ones((2, 3)), mask=np.eye(2, 3)), TypeError, "masked array"),
        (np.ones((2, 3, 1)), ValueError, "2 dimensions"),
        (np.ones(3), ValueError, "2 dimensions"),
        (np.ones((2, 4)), ValueError, "in_features=3"),
        (np.ones((0, 3)), ValueError, "empty batch"),
        (np.array([[1.0, np.nan, 0.0]]), ValueError, "NaN"),
        (np.array([[1.0, np.inf, 0.0]]), ValueError, "infinite"),
    ],
)
def test_bad_input(x, exc, words):
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(exc, match="Linear.forward") as info:
        layer.forward(x)
    assert words in str(info.value)


def test_transposed_batch_gets_a_hint():
    with pytest.raises(ValueError, match="transposed"):
        Linear(3, 2).forward(np.ones((3, 5)))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="Linear.backward was called before Linear.forward"):
        Linear(3, 2).backward(np.ones((1, 2)))


def test_dout_of_wrong_shape(rng):
    layer = Linear(3, 2, rng=rng)
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"Linear.backward: dout must have shape \(4, 2\)"):
        layer.backward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="Linear.backward"):
        layer.backward(np.ones((2,)))


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "words"),
    [
        ((0, 2), {}, ValueError, "in_features"),
        ((3, -1), {}, ValueError, "out_features"),
        ((2.5, 2), {}, TypeError, "in_features"),
        ((3, 2), {"rng": 0}, TypeError, "default_rng"),
    ],
)
def test_bad_constructor_arguments(args, kwargs, exc, words):
    with pytest.raises(exc, match="Linear") as info:
        Linear(*args, **kwargs)
    assert words in str(info.value)


def test_a_W_edited_in_place_between_forward_and_backward_is_refused(rng):
    """dx = δ W needs the W that forward used; the cache keeps W itself, so an edit is refused."""
    layer = Linear(4, 3, rng=rng)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    for edit in (lambda W: W.__setitem__((0, 0), W[0, 0] + 1e-9),
                 lambda W: W.__imul__(2.0)):
        layer.forward(x)
        edit(layer.params["W"])
        with pytest.raises(RuntimeError, match=r"Linear.backward: params\['W'\] was changed "
                                               r"in place after forward"):
            layer.backward(dout)
        layer.forward(x)  # forward again: backward is right again
        np.testing.assert_allclose(layer.backward(dout), dout @ layer.params["W"], rtol=1e-14)
    # a step after backward (the optimizer's order) is what the rule allows
    layer.forward(x)
    layer.backward(dout)
    layer.params["W"] -= 0.1 * layer.grads["W"]
    # float32 input: the cache keeps W cast to float32, a copy nobody else holds, so dx is
    # that of forward's weights whatever happens to params["W"] afterwards
    x32, dout32 = x.astype(np.float32), dout.astype(np.float32)
    layer.forward(x32)
    expected = dout32 @ layer.params["W"].astype(np.float32)
    layer.params["W"] *= 3.0
    np.testing.assert_array_equal(layer.backward(dout32), expected)
