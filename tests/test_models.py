"""bplib.models.digits_cnn: the chapter 10 network (its PyTorch twin: test_torch_crosscheck_cnn)."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.gradcheck import check_layer
from bplib.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU
from bplib.models import digits_cnn


def test_the_layers_and_shapes_of_the_chapter():
    model = digits_cnn(rng=np.random.default_rng(0))
    kinds = [Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten, Linear, ReLU, Linear]
    assert [type(layer) for layer in model] == kinds
    x = np.zeros((3, 1, 8, 8))
    shapes = []
    for layer in model:
        x = layer.forward(x)
        shapes.append(x.shape[1:])
    assert shapes == [(16, 8, 8), (16, 8, 8), (16, 4, 4), (32, 4, 4), (32, 4, 4), (32, 2, 2),
                      (128,), (128,), (128,), (10,)]
    n_params = sum(v.size for v in model.state_dict().values())
    assert n_params == (16 * 9 + 16) + (32 * 16 * 9 + 32) + (128 * 128 + 128) + (10 * 128 + 10)
    assert n_params == 22_602
    assert list(model.state_dict()) == ["0.W", "0.b", "3.W", "3.b", "7.W", "7.b", "9.W", "9.b"]


def test_widths_are_arguments_and_the_seed_decides_the_weights():
    a = digits_cnn(2, 3, 8, rng=np.random.default_rng(5)).state_dict()
    b = digits_cnn(2, 3, 8, rng=np.random.default_rng(5)).state_dict()
    c = digits_cnn(2, 3, 8, rng=np.random.default_rng(6)).state_dict()
    assert a["3.W"].shape == (3, 2, 3, 3) and a["7.W"].shape == (8, 12)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.W"], c["0.W"])
    # one generator for all the layers: no two layers draw the same numbers
    assert not np.array_equal(a["0.b"], a["3.b"][:2])


def test_every_gradient_of_a_narrow_copy_matches_finite_differences():
    rng = np.random.default_rng(3)
    model = digits_cnn(2, 3, 8, rng=rng)
    report = check_layer(model, rng.random((2, 1, 8, 8)), rng=rng)
    assert report.ok, report
    assert len(report.entries) == 9  # the input and the 8 parameter arrays


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"c1": 0}, ValueError), ({"hidden": 2.5}, TypeError), ({"rng": 0}, TypeError)],
)
def test_bad_arguments_are_refused_by_name(kwargs, error):
    with pytest.raises(error, match="digits_cnn"):
        digits_cnn(**kwargs)
