"""PyTorch cross-checks of Conv2d, MaxPool2d and AvgPool2d in float64 (to 1e-10).

Skipped where torch is not installed; it is a test-only dependency, never needed by the book.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib.layers import AvgPool2d, Conv2d, MaxPool2d

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = {"rtol": 1e-10, "atol": 1e-10}


def _torch_grads(fn, x, *params, dout):
    """Run ``fn(x, *params)`` in torch float64, backpropagate ``dout``; (out, grads...)."""
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, *params)]
    out = fn(*leaves)
    out.backward(torch.tensor(dout, dtype=torch.float64))
    return out.detach().numpy(), *[leaf.grad.numpy() for leaf in leaves]


@st.composite
def conv_configs(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    return (n, c, h, w), (f, c, kh, kw), (sh, sw), (ph, pw), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=30, deadline=None)
@given(conv_configs())
def test_conv2d_matches_torch(config):
    x_shape, w_shape, stride, padding, seed = config
    rng = np.random.default_rng(seed)
    f, c, kh, kw = w_shape
    layer = Conv2d(c, f, (kh, kw), stride=stride, padding=padding, rng=rng)
    x = rng.standard_normal(x_shape)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    t_out, t_dx, t_dW, t_db = _torch_grads(
        lambda x_, W_, b_: F.conv2d(x_, W_, b_, stride=stride, padding=padding),
        x, layer.params["W"], layer.params["b"], dout=dout,
    )
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out, t_out, **TOL)
    np.testing.assert_allclose(dx, t_dx, **TOL)
    np.testing.assert_allclose(layer.grads["W"], t_dW, **TOL)
    np.testing.assert_allclose(layer.grads["b"], t_db, **TOL)


def test_conv2d_lenet_sizes_match_torch(rng):
    # a realistic size, several channels, stride 1 and padding 1; OW = 20 takes im2col's
    # one-pass path, the drawn configurations (OW < 16) its two-pass path
    layer = Conv2d(3, 8, 3, padding=1, rng=rng)
    x = rng.standard_normal((16, 3, 12, 20))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    t_out, t_dx, t_dW, t_db = _torch_grads(
        lambda x_, W_, b_: F.conv2d(x_, W_, b_, padding=1),
        x, layer.params["W"], layer.params["b"], dout=dout,
    )
    for ours, theirs in [(out, t_out), (dx, t_dx), (layer.grads["W"], t_dW),
                         (layer.grads["b"], t_db)]:
        np.testing.assert_allclose(ours, theirs, **TOL)


def test_conv2d_init_matches_torch_bounds():
    # torch's nn.Conv2d default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
    torch.manual_seed(0)
    t_layer = torch.nn.Conv2d(3, 64, (5, 4)).double()
    bound = 1 / np.sqrt(3 * 5 * 4)
    ours = Conv2d(3, 64, (5, 4), rng=np.random.default_rng(0))
    for t_p, p in [(t_layer.weight, ours.params["W"]), (t_layer.bias, ours.params["b"])]:
        t_abs = np.abs(t_p.detach().numpy())
        assert t_abs.max() <= bound and t_abs.max() > 0.9 * bound
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound


def test_conv2d_stride_that_does_not_tile_matches_torch(rng):
    layer = Conv2d(2, 3, (3, 2), stride=(2, 3), padding=(0, 1), rng=rng)
    x = rng.standard_normal((2, 2, 8, 9))  # (8 - 3) % 2 = 1 row and (11 - 2) % 3 = 0 left over
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    t_out, t_dx, *_ = _torch_grads(
        lambda x_, W_, b_: F.conv2d(x_, W_, b_, stride=(2, 3), padding=(0, 1)),
        x, layer.params["W"], layer.params["b"], dout=dout,
    )
    np.testing.assert_allclose(out, t_out, **TOL)
    np.testing.assert_allclose(dx, t_dx, **TOL)
    assert np.all(t_dx[:, :, 7, :] == 0) and np.all(dx[:, :, 7, :] == 0)


# --- pooling ----------------------------------------------------------------------------------


@st.composite
def pool_configs(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, 10)), draw(st.integers(kw, 10))
    return (n, c, h, w), (kh, kw), stride, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=30, deadline=None)
@given(pool_configs(), st.booleans())
def test_maxpool_matches_torch_including_ties(config, ties):
    shape, kernel, stride, seed = config
    rng = np.random.default_rng(seed)
    # with values in {0, 1, 2} most windows tie: the gradient must go where torch sends it
    x = rng.integers(0, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    layer = MaxPool2d(kernel, stride)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    t_out, t_dx = _torch_grads(lambda x_: F.max_pool2d(x_, kernel, stride), x, dout=dout)
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out, t_out, **TOL)
    np.testing.assert_allclose(dx, t_dx, **TOL)


@settings(max_examples=30, deadline=None)
@given(pool_configs())
def test_avgpool_matches_torch(config):
    shape, kernel, stride, seed = config
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    layer = AvgPool2d(kernel, stride)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    t_out, t_dx = _torch_grads(lambda x_: F.avg_pool2d(x_, kernel, stride), x, dout=dout)
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out, t_out, **TOL)
    np.testing.assert_allclose(dx, t_dx, **TOL)


@pytest.mark.parametrize("cls, fn", [(MaxPool2d, F.max_pool2d), (AvgPool2d, F.avg_pool2d)])
@pytest.mark.parametrize("kernel, stride", [(2, 1), (3, 2), ((3, 2), (1, 2)), (2, 3)])
def test_pooling_overlapping_and_non_tiling_match_torch(cls, fn, kernel, stride, rng):
    x = rng.integers(0, 4, (2, 3, 7, 8)).astype(np.float64)  # ties on purpose
    layer = cls(kernel, stride)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    t_out, t_dx = _torch_grads(lambda x_: fn(x_, kernel, stride), x, dout=dout)
    np.testing.assert_allclose(out, t_out, **TOL)
    np.testing.assert_allclose(dx, t_dx, **TOL)


def test_all_equal_window_sends_the_gradient_to_its_top_left_like_torch():
    x = np.ones((1, 1, 4, 4))
    dout = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    layer = MaxPool2d(2)
    layer.forward(x)
    dx = layer.backward(dout)
    _, t_dx = _torch_grads(lambda x_: F.max_pool2d(x_, 2), x, dout=dout)
    np.testing.assert_array_equal(dx, t_dx)
    np.testing.assert_array_equal(np.argwhere(dx[0, 0]), [[0, 0], [0, 2], [2, 0], [2, 2]])
