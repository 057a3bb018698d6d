"""PyTorch cross-checks of the fully connected core, in float64 to 1e-10.

bplib uses PyTorch's names, layouts and conventions (W (out, in), mean losses, SGD momentum
v ← μv + g), so the same weights and inputs must give the same outputs and gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bplib.layers import Linear, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from bplib.losses import CrossEntropyLoss, MSELoss  # noqa: E402
from bplib.network import Sequential  # noqa: E402
from bplib.optim import SGD  # noqa: E402

TOL = {"rtol": 1e-10, "atol": 1e-12}


def t(a: np.ndarray, grad: bool = False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def close(a, b) -> None:
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    np.testing.assert_allclose(a, b, **TOL)


def test_linear(rng):
    layer = Linear(5, 3, rng=rng)
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    ref = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        ref.weight.copy_(t(layer.params["W"]))  # W is PyTorch's weight, same (out, in) layout
        ref.bias.copy_(t(layer.params["b"]))
    xt = t(x, grad=True)
    out_t = ref(xt)
    out_t.backward(t(dout))
    close(layer.forward(x), out_t)
    close(layer.backward(dout), xt.grad)
    close(layer.grads["W"], ref.weight.grad)
    close(layer.grads["b"], ref.bias.grad)


def test_linear_init_matches_pytorch_bound():
    torch.manual_seed(0)
    ref = torch.nn.Linear(40, 7)
    layer = Linear(40, 7, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(40)
    assert ref.weight.abs().max().item() <= bound and np.abs(layer.params["W"]).max() <= bound
    # same distribution: the spreads agree (U(-a, a) has standard deviation a/√3)
    assert abs(np.std(layer.params["W"]) - bound / np.sqrt(3)) < 0.02


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (ReLU, torch.nn.ReLU),
        (Sigmoid, torch.nn.Sigmoid),
        (Tanh, torch.nn.Tanh),
        (Softmax, lambda: torch.nn.Softmax(dim=1)),
    ],
)
def test_activations(ours, theirs, rng):
    x = 3 * rng.standard_normal((4, 6))
    x[0, :3] = [0.0, 40.0, -40.0]  # ReLU'(0) = 0 in both; far from 0 for the others
    dout = rng.standard_normal((4, 6))
    layer, ref = ours(), theirs()
    xt = t(x, grad=True)
    out_t = ref(xt)
    out_t.backward(t(dout))
    close(layer.forward(x), out_t)
    close(layer.backward(dout), xt.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse(reduction, rng):
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss = MSELoss(reduction=reduction)
    pt = t(pred, grad=True)
    value_t = torch.nn.MSELoss(reduction=reduction)(pt, t(target))
    value_t.backward()
    assert loss.forward(pred, target) == pytest.approx(value_t.item(), rel=1e-12)
    close(loss.backward(), pt.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy(reduction, scale, rng):
    logits, y = scale * rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    loss = CrossEntropyLoss(reduction=reduction)
    lt = t(logits, grad=True)
    value_t = torch.nn.CrossEntropyLoss(reduction=reduction)(lt, torch.tensor(y))
    value_t.backward()
    assert loss.forward(logits, y) == pytest.approx(value_t.item(), rel=1e-12)
    close(loss.backward(), lt.grad)


def build_pair(rng):
    ours = Sequential(
        Linear(8, 16, rng=rng), ReLU(), Linear(16, 12, rng=rng), Tanh(), Linear(12, 5, rng=rng)
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 12), torch.nn.Tanh(),
        torch.nn.Linear(12, 5),
    ).double()  # fmt: skip
    # bplib's "0.W" is PyTorch's "0.weight": copy the weights across by name
    renamed = {name.replace(".W", ".weight").replace(".b", ".bias"): t(value)
               for name, value in ours.named_parameters()}  # fmt: skip
    assert set(renamed) == set(theirs.state_dict())
    theirs.load_state_dict(renamed)
    return ours, theirs


def test_sequential_mlp_end_to_end(rng):
    ours, theirs = build_pair(rng)
    x, y = rng.standard_normal((7, 8)), rng.integers(0, 5, 7)
    loss = CrossEntropyLoss()
    value = loss.forward(ours.forward(x), y)
    dx = ours.backward(loss.backward())
    xt = t(x, grad=True)
    value_t = torch.nn.CrossEntropyLoss()(theirs(xt), torch.tensor(y))
    value_t.backward()
    assert value == pytest.approx(value_t.item(), rel=1e-12)
    close(dx, xt.grad)
    ref_params = dict(theirs.named_parameters())
    for name, grad in ours.grads.items():
        torch_name = name.replace(".W", ".weight").replace(".b", ".bias")
        close(grad, ref_params[torch_name].grad)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_steps_match_torch_optim(momentum, rng):
    ours, theirs = build_pair(rng)
    opt = SGD(ours, lr=0.05, momentum=momentum)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=momentum)
    loss, loss_t = CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(4):
        x, y = rng.standard_normal((6, 8)), rng.integers(0, 5, 6)
        loss.forward(ours.forward(x), y)
        ours.backward(loss.backward())
        opt.step()
        opt_t.zero_grad()
        loss_t(theirs(t(x)), torch.tensor(y)).backward()
        opt_t.step()
    ref = {k.replace(".weight", ".W").replace(".bias", ".b"): v
           for k, v in theirs.state_dict().items()}  # fmt: skip
    for name, value in ours.named_parameters():
        close(value, ref[name])


def test_state_dicts_cross_over_both_ways(rng):
    """bplib's state_dict loads into PyTorch and PyTorch's (float32 by default) into bplib."""
    ours, theirs = build_pair(rng)
    x = rng.standard_normal((3, 8))
    theirs32 = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 12), torch.nn.Tanh(),
        torch.nn.Linear(12, 5),
    )  # fmt: skip
    state = {k.replace(".weight", ".W").replace(".bias", ".b"): v.numpy()
             for k, v in theirs32.state_dict().items()}  # fmt: skip
    assert all(v.dtype == np.float32 for v in state.values())
    ours.load_state_dict(state)  # cast to bplib's float64 parameters, like PyTorch's copy_
    theirs.load_state_dict({k: v.double() for k, v in theirs32.state_dict().items()})
    close(ours.forward(x), theirs(t(x)))
    # a wrong shape: PyTorch raises after writing the good entries (checked here), bplib
    # writes none
    bad = dict(state, **{"4.W": np.ones((5, 11), dtype=np.float32)})
    shifted = {k: v + 1 for k, v in theirs.state_dict().items()}
    shifted["4.weight"] = torch.ones(5, 11, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="size mismatch for 4.weight"):
        theirs.load_state_dict(shifted)
    assert torch.equal(theirs.state_dict()["0.weight"], shifted["0.weight"])
    before = ours.state_dict()
    with pytest.raises(ValueError, match=r"'4.W': expected shape \(5, 12\), got \(5, 11\)"):
        ours.load_state_dict(bad)
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.complex128])
def test_inputs_pytorch_refuses_are_refused(dtype, rng):
    ours, theirs = build_pair(rng)
    x = (rng.standard_normal((3, 8)) > 0).astype(dtype)
    with pytest.raises(RuntimeError):
        theirs(torch.from_numpy(x))
    with pytest.raises(TypeError, match=r"Linear.forward: input must be a floating-point array"):
        ours.forward(x)
