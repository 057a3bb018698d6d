"""A whole LeNet-style CNN against PyTorch, end to end, in float64 to 1e-10.

The layers are cross-checked one by one elsewhere; this checks that they compose: the same
weights give the same logits, loss, input gradient and every parameter gradient, and a few
SGD-with-momentum steps leave both networks with the same weights.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bplib.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU  # noqa: E402
from bplib.losses import CrossEntropyLoss  # noqa: E402
from bplib.network import Sequential  # noqa: E402
from bplib.optim import SGD  # noqa: E402

TOL = {"rtol": 1e-10, "atol": 1e-12}


def build_pair(rng):
    ours = Sequential(
        Conv2d(1, 3, 3, padding=1, rng=rng),  # (N, 1, 8, 8) -> (N, 3, 8, 8)
        ReLU(),
        MaxPool2d(2),  # -> (N, 3, 4, 4)
        Conv2d(3, 4, 3, stride=1, padding=1, rng=rng),  # -> (N, 4, 4, 4)
        ReLU(),
        MaxPool2d(2),  # -> (N, 4, 2, 2)
        Flatten(),  # -> (N, 16)
        Linear(16, 10, rng=rng),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 10),
    ).double()
    with torch.no_grad():
        for name, value in ours.named_parameters():
            torch_name = name.replace(".W", ".weight").replace(".b", ".bias")
            dict(theirs.named_parameters())[torch_name].copy_(torch.from_numpy(value))
    return ours, theirs


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_lenet_forward_loss_and_every_gradient_match_pytorch(rng):
    ours, theirs = build_pair(rng)
    x, y = rng.standard_normal((5, 1, 8, 8)), rng.integers(0, 10, 5)
    loss = CrossEntropyLoss()
    logits = ours.forward(x)
    value = loss.forward(logits, y)
    dx = ours.backward(loss.backward())

    xt = torch.tensor(x, requires_grad=True)
    logits_t = theirs(xt)
    value_t = torch.nn.functional.cross_entropy(logits_t, torch.from_numpy(y))
    value_t.backward()

    np.testing.assert_allclose(logits, logits_t.detach().numpy(), **TOL)
    assert value == pytest.approx(value_t.item(), rel=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL)
    torch_params = dict(theirs.named_parameters())
    assert len(ours.grads) == len(torch_params) == 6
    for name, grad in ours.grads.items():
        torch_name = name.replace(".W", ".weight").replace(".b", ".bias")
        np.testing.assert_allclose(grad, torch_params[torch_name].grad.numpy(), **TOL)


def test_lenet_sgd_momentum_steps_match_pytorch(rng):
    ours, theirs = build_pair(rng)
    opt, opt_t = (
        SGD(ours, lr=0.05, momentum=0.9),
        torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9),
    )
    loss = CrossEntropyLoss()
    for _ in range(3):
        x, y = rng.standard_normal((4, 1, 8, 8)), rng.integers(0, 10, 4)
        loss.forward(ours.forward(x), y)
        ours.backward(loss.backward())
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(
            theirs(torch.from_numpy(x)), torch.from_numpy(y)
        ).backward()
        opt_t.step()
    state = {
        k.replace(".weight", ".W").replace(".bias", ".b"): v for k, v in theirs.state_dict().items()
    }
    for name, value in ours.named_parameters():
        np.testing.assert_allclose(value, state[name].numpy(), **TOL)
