"""PyTorch cross-checks of bplib.tensor: every operation, forward value and gradients of every
input, in float64 to 1e-10, on broadcasting shapes where the operation broadcasts; and the
Tensor layers and the whole digits CNN against torch.nn.

Each case builds the same expression twice, once with bplib.tensor and once with torch
autograd, from the same arrays, and backpropagates the same random upstream gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bplib import tensor_nn as tnn  # noqa: E402
from bplib.tensor import Tensor  # noqa: E402

TOL = {"rtol": 1e-10, "atol": 1e-12}
F = torch.nn.functional


def _run(expr_ours, expr_torch, arrays, seed=0):
    rng = np.random.default_rng(seed)
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, out_t = expr_ours(*ours), expr_torch(*theirs)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    for mine, ref in zip(ours, theirs, strict=True):
        assert mine.grad.shape == tuple(ref.shape)
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), **TOL)


def rnd(*shape, seed=0, low=-2.0, high=2.0):
    return np.asarray(np.random.default_rng(seed).uniform(low, high, size=shape))


def pos(*shape, seed=0):
    return rnd(*shape, seed=seed, low=0.3, high=2.0)


BROADCAST = [((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((4,), (2, 3, 4)),
             ((), (2, 3)), ((2, 1, 3), (2, 4, 1))]
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "truediv": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST)
def test_binary_operations_with_broadcasting(name, shape_a, shape_b):
    ours, theirs = BINARY[name]
    a = pos(*shape_a, seed=1)
    b = pos(*shape_b, seed=2) * np.where(rnd(*shape_b, seed=3) > 0, 1, -1) if name != "pow" \
        else rnd(*shape_b, seed=2, low=-1.5, high=1.5)
    _run(ours, theirs, [a, b])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_reflected_operations_with_numbers_and_arrays(name):
    ours, theirs = BINARY[name]
    x = pos(3, 4, seed=4)
    c = pos(4, seed=5)  # a numpy constant broadcast against the tensor
    _run(lambda t: ours(2.5, t), lambda t: theirs(2.5, t), [x])
    _run(lambda t: ours(t, 2.5), lambda t: theirs(t, 2.5), [x])
    _run(lambda t: ours(c, t), lambda t: theirs(torch.tensor(c), t), [x])
    _run(lambda t: ours(t, c), lambda t: theirs(t, torch.tensor(c)), [x])


UNARY = {
    "neg": (lambda a: -a, lambda a: -a, rnd),
    "exp": (lambda a: a.exp(), torch.exp, rnd),
    "log": (lambda a: a.log(), torch.log, pos),
    "tanh": (lambda a: a.tanh(), torch.tanh, rnd),
    "relu": (lambda a: a.relu(), torch.relu, rnd),
    "pow3": (lambda a: a**3, lambda a: a**3, rnd),
    "pow-0.5": (lambda a: a**-0.5, lambda a: a**-0.5, pos),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_operations(name):
    ours, theirs, draw = UNARY[name]
    x = draw(2, 3, 4, seed=6)
    if name == "relu":
        x[0, 0, :2] = [0.0, -0.0]  # the kink: 0 in both
    _run(ours, theirs, [x])


@pytest.mark.parametrize(("shape_a", "shape_b"), [
    ((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
    ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
])
def test_matmul(shape_a, shape_b):
    _run(lambda a, b: a @ b, lambda a, b: a @ b, [rnd(*shape_a, seed=7), rnd(*shape_b, seed=8)])
    c = rnd(*shape_a, seed=9)  # a numpy array on the left: Tensor.__rmatmul__
    _run(lambda b: c @ b, lambda b: torch.tensor(c) @ b, [rnd(*shape_b, seed=8)])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_mean_max(axis, keepdims):
    x = np.random.default_rng(10).permutation(24).reshape(2, 3, 4) / 5.0  # no ties
    dim = tuple(range(3)) if axis is None else axis
    _run(lambda a: a.sum(axis=axis, keepdims=keepdims),
         lambda a: a.sum(dim=dim, keepdim=keepdims), [x])
    _run(lambda a: a.mean(axis=axis, keepdims=keepdims),
         lambda a: a.mean(dim=dim, keepdim=keepdims), [x])
    _run(lambda a: a.max(axis=axis, keepdims=keepdims),
         lambda a: a.amax(dim=dim, keepdim=keepdims), [x])


def test_reshape_transpose():
    x = rnd(2, 3, 4, seed=11)
    _run(lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [x])
    _run(lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [x])
    _run(lambda a: a.T, lambda a: a.permute(2, 1, 0), [x])


@pytest.mark.parametrize("index", [
    (slice(1, None), 0),
    (Ellipsis, slice(None, None, 2)),
    (np.array([0, 1, 1, 0]),),  # repeated rows: the gradients add
    (np.array([0, 1, 1]), np.array([2, 0, 2])),  # the loss's a[arange(N), y], with a repeat
    (slice(None), None, 1),
])
def test_indexing(index):
    x = rnd(2, 3, 4, seed=12)
    t_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    _run(lambda a: a[index], lambda a: a[t_index], [x])


def test_boolean_mask_indexing():
    x = rnd(3, 4, seed=13)
    mask = rnd(3, 4, seed=14) > 0
    _run(lambda a: a[mask], lambda a: a[torch.tensor(mask)], [x])


def test_pad():
    x = rnd(2, 3, 4, 5, seed=15)
    widths = ((0, 0), (1, 0), (2, 1), (0, 3))
    flat = [w for pair in reversed(widths) for w in pair]  # torch lists the last axis first
    _run(lambda a: a.pad(widths), lambda a: F.pad(a, flat), [x])


@pytest.mark.parametrize(("kernel", "stride"), [(3, 1), ((2, 3), (2, 1)), (2, 2), (3, 2)])
def test_windows_is_torch_unfold(kernel, stride):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    x = rnd(2, 3, 7, 8, seed=16)
    _run(lambda a: a.windows(kernel, stride), lambda a: a.unfold(2, kh, sh).unfold(3, kw, sw),
         [x])


def test_detach():
    x = rnd(3, seed=17)
    _run(lambda a: a * a.detach(), lambda a: a * a.detach(), [x])


def test_a_whole_expression():
    """A softmax written with every kind of operation at once."""
    def ours(a, W, b):
        z = (a @ W.T + b).tanh()
        e = (z - z.max(axis=1, keepdims=True)).exp()
        return (e / e.sum(axis=1, keepdims=True))[np.arange(3), np.array([0, 2, 1])].log()

    def theirs(a, W, b):
        z = (a @ W.T + b).tanh()
        e = (z - z.amax(dim=1, keepdim=True)).exp()
        return (e / e.sum(dim=1, keepdim=True))[torch.arange(3), torch.tensor([0, 2, 1])].log()

    _run(ours, theirs, [rnd(3, 5, seed=18), rnd(4, 5, seed=19), rnd(4, seed=20)])


# --- the Tensor layers against torch.nn.functional ------------------------------------------------


def test_layers_against_torch():
    x, W, b = rnd(4, 5, seed=21), rnd(3, 5, seed=22), rnd(3, seed=23)
    _run(tnn.linear, F.linear, [x, W, b])
    img, K, c = rnd(2, 3, 7, 6, seed=24), rnd(4, 3, 3, 2, seed=25), rnd(4, seed=26)
    _run(lambda a, k, bias: tnn.conv2d(a, k, bias, stride=2, padding=1),
         lambda a, k, bias: F.conv2d(a, k, bias, stride=2, padding=1), [img, K, c])
    distinct = np.random.default_rng(27).permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 9.0
    _run(lambda a: tnn.max_pool2d(a, 2), lambda a: F.max_pool2d(a, 2), [distinct])
    _run(lambda a: tnn.max_pool2d(a, 3, 1), lambda a: F.max_pool2d(a, 3, 1), [distinct])
    _run(lambda a: tnn.avg_pool2d(a, (2, 3), 1), lambda a: F.avg_pool2d(a, (2, 3), 1), [img])
    labels = np.array([2, 0, 1, 2])
    _run(lambda a: tnn.cross_entropy(a, labels),
         lambda a: F.cross_entropy(a, torch.tensor(labels)), [3 * rnd(4, 3, seed=28)])


def test_the_digits_cnn_against_torch():
    rng = np.random.default_rng(29)
    params = {"W1": rnd(4, 1, 3, 3, seed=30), "b1": rnd(4, seed=31),
              "W2": rnd(6, 4, 3, 3, seed=32), "b2": rnd(6, seed=33),
              "W3": rnd(12, 24, seed=34), "b3": rnd(12, seed=35),
              "W4": rnd(10, 12, seed=36), "b4": rnd(10, seed=37)}
    x, y = rng.random((5, 1, 8, 8)), rng.integers(0, 10, size=5)
    steps = tnn.cnn_steps(x, y, params)
    steps["loss"].backward()
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = F.max_pool2d(F.relu(F.conv2d(torch.tensor(x), p["W1"], p["b1"], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["W2"], p["b2"], padding=1)), 2).flatten(1)
    logits = F.linear(F.relu(F.linear(h, p["W3"], p["b3"])), p["W4"], p["b4"])
    loss = F.cross_entropy(logits, torch.tensor(y))
    loss.backward()
    assert abs(steps["loss"].item() - loss.item()) < 1e-12
    for key in params:
        np.testing.assert_allclose(steps[key].grad, p[key].grad.numpy(), **TOL)
