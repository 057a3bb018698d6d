"""bplib.init: sample moments against the formulas, fans, gains, the layers' init=, bad input.

The moment checks use fixed seeds and 10^6 draws, with bounds of six standard errors of the
sampling distribution (a sample mean has standard error σ/√n; a sample variance s² has
relative standard error √((κ − 1)/n), κ the kurtosis: 3 for a normal, 9/5 for a uniform).
They cannot flake: the seeds are fixed, and even unseeded they would fail once in 10^8 runs.
The largest |w| of a uniform draw must come within a factor 1 − 20/n of the bound
(unseeded, it would fail with probability (1 − 20/n)^n < e^-20).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib.init as init
from bplib.layers import Conv2d, Linear

N_DRAWS = 1_000_000  # for the laws without fans
KURTOSIS = {"normal": 3.0, "uniform": 9.0 / 5.0}


def assert_moments(sample: np.ndarray, std: float, law: str) -> None:
    """Mean 0 and standard deviation ``std``, within six standard errors."""
    n = sample.size
    assert abs(sample.mean()) <= 6 * std / math.sqrt(n)
    relative = sample.var() / std**2 - 1
    assert abs(relative) <= 6 * math.sqrt((KURTOSIS[law] - 1) / n)


def assert_bound(sample: np.ndarray, bound: float) -> None:
    """A draw of U(−bound, bound): inside, and its largest |w| close to the bound."""
    largest = np.abs(sample).max()
    assert largest <= bound and largest > bound * (1 - 20 / sample.size)


# shape, fan_in, fan_out (by hand)
SHAPES = [
    ((500, 500), 500, 500),  # Linear (out, in)
    ((125, 2000), 2000, 125),
    ((2000, 125), 125, 2000),
    ((64, 16, 5, 5), 400, 1600),  # Conv2d (F, C, KH, KW)
    ((16, 64, 3, 3), 576, 144),
    ((40, 25, 250), 6250, 10_000),  # a Conv1d (F, C, K)
]


@pytest.mark.parametrize(("shape", "fan_in", "fan_out"), SHAPES)
def test_fans_by_hand(shape, fan_in, fan_out):
    assert init.calculate_fan_in_and_fan_out(np.empty(shape)) == (fan_in, fan_out)


@pytest.mark.parametrize(("shape", "fan_in", "fan_out"), SHAPES)
def test_xavier_moments(shape, fan_in, fan_out):
    std = math.sqrt(2.0 / (fan_in + fan_out))
    for k, gain in enumerate((1.0, 5.0 / 3)):
        W = init.xavier_normal_(np.empty(shape), gain=gain, rng=np.random.default_rng(10 + k))
        assert_moments(W, gain * std, "normal")
        W = init.xavier_uniform_(np.empty(shape), gain=gain, rng=np.random.default_rng(20 + k))
        assert_moments(W, gain * std, "uniform")
        assert_bound(W, gain * math.sqrt(6.0 / (fan_in + fan_out)))


@pytest.mark.parametrize(("shape", "fan_in", "fan_out"), SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_moments(shape, fan_in, fan_out, mode):
    fan = fan_in if mode == "fan_in" else fan_out
    for nonlinearity, a, gain in [
        ("relu", 0.0, math.sqrt(2)),
        ("leaky_relu", 0.0, math.sqrt(2)),  # PyTorch's default: He's ReLU
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("linear", 0.0, 1.0),
    ]:
        W = init.kaiming_normal_(
            np.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity,
            rng=np.random.default_rng(30),
        )  # fmt: skip
        assert_moments(W, gain / math.sqrt(fan), "normal")
        W = init.kaiming_uniform_(
            np.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity,
            rng=np.random.default_rng(31),
        )  # fmt: skip
        assert_moments(W, gain / math.sqrt(fan), "uniform")
        assert_bound(W, gain * math.sqrt(3.0 / fan))


def test_he_for_relu_is_variance_two_over_fan_in():
    W = np.empty((500, 2000))
    init.kaiming_normal_(W, nonlinearity="relu", rng=np.random.default_rng(1))
    assert_moments(W.ravel(), math.sqrt(2 / 2000), "normal")


def test_pytorch_default_is_kaiming_uniform_with_a_sqrt5():
    """U(-1/√fan_in, 1/√fan_in): the same draws as bplib's Linear default, variance 1/(3 fan_in)."""
    W = init.kaiming_uniform_(np.empty((300, 400)), a=math.sqrt(5), rng=np.random.default_rng(2))
    layer = Linear(400, 300, rng=np.random.default_rng(2))
    np.testing.assert_allclose(W, layer.params["W"], rtol=0, atol=1e-15)
    assert_moments(W.ravel(), math.sqrt(1 / (3 * 400)), "uniform")


def test_normal_and_uniform_and_constants():
    x = init.normal_(np.empty(N_DRAWS), mean=2.0, std=0.5, rng=np.random.default_rng(3))
    assert_moments(x - 2.0, 0.5, "normal")
    x = init.uniform_(np.empty(N_DRAWS), a=-3.0, b=1.0, rng=np.random.default_rng(4))
    assert x.min() >= -3.0 and x.max() < 1.0
    assert_bound(x + 1.0, 2.0)
    assert_moments(x + 1.0, 4 / math.sqrt(12), "uniform")  # variance (b − a)²/12
    W = np.empty((3, 4, 2))
    assert init.zeros_(W) is W and np.all(W == 0)
    assert init.ones_(W) is W and np.all(W == 1)
    assert init.constant_(W, -0.25) is W and np.all(W == -0.25)
    assert init.constant_(np.empty(5), 3).dtype == np.float64  # any shape, even a bias


@pytest.mark.parametrize(
    "fill",
    [
        functools.partial(init.xavier_uniform_, gain=2.0),
        init.xavier_normal_,
        functools.partial(init.kaiming_uniform_, mode="fan_out"),
        functools.partial(init.kaiming_normal_, nonlinearity="relu"),
        functools.partial(init.normal_, std=0.01),
        functools.partial(init.uniform_, a=-1.0, b=1.0),
    ],
)
def test_fills_in_place_returns_the_array_and_is_seeded(fill):
    W = np.empty((6, 5, 3), dtype=np.float32)
    out = fill(W, rng=np.random.default_rng(5))
    assert out is W and W.dtype == np.float32
    W64 = fill(np.empty((6, 5, 3)), rng=np.random.default_rng(5))
    np.testing.assert_array_equal(W, W64.astype(np.float32))  # the same draws, cast
    again = fill(np.empty((6, 5, 3)), rng=np.random.default_rng(5))
    np.testing.assert_array_equal(W64, again)
    other = fill(np.empty((6, 5, 3)), rng=np.random.default_rng(6))
    assert not np.array_equal(W64, other)


def test_fills_a_view_in_place():
    W = np.zeros((4, 6))
    init.normal_(W[:, :3], rng=np.random.default_rng(0))
    assert np.all(W[:, 3:] == 0) and np.all(W[:, :3] != 0)


def test_empty_array_is_a_no_op():
    for fill in (init.xavier_normal_, init.kaiming_uniform_, init.normal_):
        W = np.empty((0, 5))
        assert fill(W, rng=np.random.default_rng(0)) is W


def test_gains():
    assert init.calculate_gain("linear") == 1.0 == init.calculate_gain("conv2d")
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=2, max_size=5))
def test_fans_are_products_of_the_shape(shape):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(np.empty(shape))
    field = math.prod(shape[2:])
    assert (fan_in, fan_out) == (shape[1] * field, shape[0] * field)


# --- the layers' init= ----------------------------------------------------------------------


def test_linear_default_is_unchanged_bit_for_bit():
    rng = np.random.default_rng(7)
    bound = 1 / np.sqrt(20)
    W = rng.uniform(-bound, bound, size=(30, 20))
    b = rng.uniform(-bound, bound, size=(30,))
    layer = Linear(20, 30, rng=np.random.default_rng(7))
    assert np.array_equal(layer.params["W"], W) and np.array_equal(layer.params["b"], b)
    layer = Linear(20, 30, rng=np.random.default_rng(7), init=None)
    assert np.array_equal(layer.params["W"], W)


def test_conv2d_default_is_unchanged_bit_for_bit():
    rng = np.random.default_rng(8)
    bound = 1 / np.sqrt(3 * 5 * 4)
    W = rng.uniform(-bound, bound, size=(6, 3, 5, 4))
    b = rng.uniform(-bound, bound, size=(6,))
    layer = Conv2d(3, 6, (5, 4), rng=np.random.default_rng(8))
    assert np.array_equal(layer.params["W"], W) and np.array_equal(layer.params["b"], b)


@pytest.mark.parametrize(
    "how",
    [
        "kaiming_normal",
        "kaiming_normal_",
        init.kaiming_normal_,
        functools.partial(init.kaiming_normal_, nonlinearity="relu"),
        lambda W, rng: init.kaiming_normal_(W, rng=rng),
    ],
)
def test_linear_and_conv_init_argument(how):
    layer = Linear(300, 200, rng=np.random.default_rng(9), init=how)
    expected = init.kaiming_normal_(np.empty((200, 300)), rng=np.random.default_rng(9))
    np.testing.assert_array_equal(layer.params["W"], expected)
    assert np.array_equal(layer.params["b"], np.zeros(200))
    conv = Conv2d(4, 8, 3, rng=np.random.default_rng(9), init=how)
    expected = init.kaiming_normal_(np.empty((8, 4, 3, 3)), rng=np.random.default_rng(9))
    np.testing.assert_array_equal(conv.params["W"], expected)
    assert conv.params["b"].shape == (8,) and np.all(conv.params["b"] == 0)


def test_init_may_return_a_new_array():
    layer = Linear(3, 2, rng=np.random.default_rng(0), init=lambda W, rng: np.full(W.shape, 0.5))
    assert np.all(layer.params["W"] == 0.5)


@pytest.mark.parametrize(
    ("how", "error", "words"),
    [
        ("he", ValueError, "Linear: unknown init 'he'"),
        (3.0, TypeError, "Linear: init must be None"),
        (lambda W, rng: np.zeros((2, 2)), ValueError, "Linear: init must fill W of shape (4, 3)"),
        (lambda W, rng: "W", ValueError, "it returned str"),
        (lambda W, rng: np.full(W.shape, np.nan), ValueError, "Linear: init left NaN"),
    ],
)
def test_bad_init_argument(how, error, words):
    with pytest.raises(error, match=__import__("re").escape(words)):
        Linear(3, 4, rng=np.random.default_rng(0), init=how)


def test_bad_init_argument_names_conv2d():
    with pytest.raises(ValueError, match="Conv2d: unknown init"):
        Conv2d(1, 2, 3, init="glorot")


# --- bad input ------------------------------------------------------------------------------

RANDOM = [
    "uniform_",
    "normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]
WITH_FANS = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


@pytest.mark.parametrize("name", WITH_FANS)
def test_one_dimensional_array_is_refused(name):
    with pytest.raises(ValueError, match=f"^{name}: fan_in and fan_out need .* got 1"):
        getattr(init, name)(np.empty(5), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="calculate_fan_in_and_fan_out: .* got 0"):
        init.calculate_fan_in_and_fan_out(np.empty(()))


@pytest.mark.parametrize("name", RANDOM)
def test_rng_must_be_a_generator(name):
    for bad in (0, np.random.RandomState(0), "seed"):
        with pytest.raises(TypeError, match=f"^{name}: rng must be a numpy.random.Generator"):
            getattr(init, name)(np.empty((3, 4)), rng=bad)


@pytest.mark.parametrize("name", RANDOM + ["zeros_", "ones_"])
def test_non_float_or_non_array_is_refused(name):
    fill = getattr(init, name)
    with pytest.raises(TypeError, match=f"^{name}: the array must be floating-point"):
        fill(np.zeros((3, 4), dtype=np.int64))
    with pytest.raises(TypeError, match=f"^{name}: expected a numpy array"):
        fill([[0.0, 1.0], [2.0, 3.0]])


def test_read_only_array_is_refused():
    W = np.zeros((3, 4))
    W.flags.writeable = False
    with pytest.raises(ValueError, match="^kaiming_normal_: the array is read-only"):
        init.kaiming_normal_(W)


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_bad_mode_and_nonlinearity(name):
    fill = getattr(init, name)
    with pytest.raises(ValueError, match=f"^{name}: mode must be 'fan_in' .* got 'fanin'"):
        fill(np.empty((3, 4)), mode="fanin")
    with pytest.raises(ValueError, match=f"^{name}: unknown nonlinearity 'ReLU'"):
        fill(np.empty((3, 4)), nonlinearity="ReLU")
    with pytest.raises(TypeError, match=f"^{name}: a .* must be a number"):
        fill(np.empty((3, 4)), a="0.1")


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_"])
def test_xavier_negative_or_non_finite_gain(name):
    fill = getattr(init, name)
    with pytest.raises(ValueError, match=f"^{name}: gain must be >= 0, got -1"):
        fill(np.empty((3, 4)), gain=-1.0)
    with pytest.raises(ValueError, match=f"^{name}: gain must be finite"):
        fill(np.empty((3, 4)), gain=float("inf"))


def test_calculate_gain_bad_input():
    with pytest.raises(ValueError, match="^calculate_gain: unknown nonlinearity 'softmax'"):
        init.calculate_gain("softmax")
    with pytest.raises(TypeError, match="^calculate_gain: param .* must be a number"):
        init.calculate_gain("leaky_relu", True)


def test_normal_and_uniform_bad_parameters():
    with pytest.raises(ValueError, match="^normal_: std .* must be >= 0, got -0.1"):
        init.normal_(np.empty(3), std=-0.1)
    with pytest.raises(ValueError, match="^uniform_: the lower bound a=1 is above"):
        init.uniform_(np.empty(3), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="^constant_: val must be finite"):
        init.constant_(np.empty(3), float("nan"))


@pytest.mark.parametrize(
    ("how", "value"),
    [("zeros", 0.0), ("ones", 1.0), (functools.partial(init.constant_, val=0.1), 0.1)],
)
def test_constant_fills_fit_the_init_argument(how, value):
    layer = Linear(4, 3, rng=np.random.default_rng(0), init=how)
    assert np.all(layer.params["W"] == value) and np.all(layer.params["b"] == 0)
    with pytest.raises(TypeError, match="^zeros_: rng must be"):
        init.zeros_(np.empty(3), rng=1)
