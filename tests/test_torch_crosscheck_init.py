"""PyTorch cross-checks of bplib.init: the fans of every shape, the gains, and the exact bound
or standard deviation each initialiser draws with.

PyTorch's ``torch.nn.init`` functions end in ``tensor.uniform_(-bound, bound)`` or
``tensor.normal_(0, std)``; these two methods are wrapped to record their arguments, and
bplib's draws are compared with the same rng drawing with PyTorch's numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import bplib.init as init  # noqa: E402

SHAPES = [
    (2, 3),
    (3, 2),
    (1, 1),
    (10, 64),
    (6, 1, 5, 5),
    (16, 6, 5, 5),
    (8, 3, 3, 1),
    (4, 2, 7),
    (2, 3, 1, 4, 5),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_pytorch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fan_in_and_fan_out(np.empty(shape)) == tuple(expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=5))
def test_fans_match_pytorch_on_drawn_shapes(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fan_in_and_fan_out(np.empty(shape)) == tuple(expected)


def test_one_dimensional_is_refused_by_both():
    with pytest.raises(ValueError):
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(5))
    with pytest.raises(ValueError, match="calculate_fan_in_and_fan_out"):
        init.calculate_fan_in_and_fan_out(np.empty(5))


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv_transpose2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 0),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_gains_match_pytorch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15
    )


@pytest.fixture
def recorded(monkeypatch):
    """The (law, a, b) of every uniform_/normal_ call PyTorch's initialisers make."""
    calls = []
    uniform, normal = torch.Tensor.uniform_, torch.Tensor.normal_

    def record_uniform(self, a=0.0, b=1.0, *, generator=None):
        calls.append(("uniform", float(a), float(b)))
        return uniform(self, a, b, generator=generator)

    def record_normal(self, mean=0.0, std=1.0, *, generator=None):
        calls.append(("normal", float(mean), float(std)))
        return normal(self, mean, std, generator=generator)

    monkeypatch.setattr(torch.Tensor, "uniform_", record_uniform)
    monkeypatch.setattr(torch.Tensor, "normal_", record_normal)
    return calls


CASES = [
    ("xavier_uniform_", {}),
    ("xavier_uniform_", {"gain": 5.0 / 3}),
    ("xavier_normal_", {}),
    ("xavier_normal_", {"gain": math.sqrt(2)}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),  # PyTorch's Linear/Conv2d default
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {}),
    ("kaiming_normal_", {"nonlinearity": "relu"}),
    ("kaiming_normal_", {"a": 0.1, "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "tanh"}),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_same_law_as_pytorch(name, kwargs, shape, recorded):
    getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs)
    assert len(recorded) == 1
    law, p, q = recorded[0]
    ours = getattr(init, name)(np.empty(shape), **kwargs, rng=np.random.default_rng(0))
    theirs = np.random.default_rng(0)
    expected = theirs.uniform(p, q, shape) if law == "uniform" else theirs.normal(p, q, shape)
    np.testing.assert_allclose(ours, expected, rtol=1e-14, atol=1e-16)


def test_linear_default_is_pytorchs(recorded):
    """nn.Linear's reset_parameters draws W with the bound bplib's Linear uses."""
    torch.nn.Linear(37, 5)
    bound = 1 / math.sqrt(37)
    assert recorded[0][0] == "uniform"
    assert recorded[0][2] == pytest.approx(bound, rel=1e-15)  # W
    assert recorded[1][1:] == pytest.approx((-bound, bound), rel=1e-15)  # b


def test_conv2d_default_is_pytorchs(recorded):
    torch.nn.Conv2d(3, 8, (5, 4))
    bound = 1 / math.sqrt(3 * 5 * 4)
    assert recorded[0][2] == pytest.approx(bound, rel=1e-15)
    assert recorded[1][1:] == pytest.approx((-bound, bound), rel=1e-15)
