"""bplib.autodiff: every operation's gradient against finite differences, accumulation over
paths, deep graphs, forward vs reverse mode, operation counts, errors, and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib.autodiff import (
    Dual,
    OpCounter,
    Value,
    forward_mode_gradient,
    reverse_mode_gradient,
    topological_order,
)
from bplib.gradcheck import numerical_gradient, relative_error

SETTINGS = settings(max_examples=25, deadline=None)


def moderate(lo=-4.0, hi=4.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo=0.1, hi=4.0):
    return st.tuples(st.floats(lo, hi), st.sampled_from([-1.0, 1.0])).map(lambda p: p[0] * p[1])


def engine_grad(f, args):
    """Gradients of f(*Values) by the engine."""
    vals = [Value(a) for a in args]
    f(*vals).backward()
    return np.array([v.grad for v in vals])


def fd_grad(f, args):
    """Centred finite differences of f(*floats), in float64."""
    return numerical_gradient(lambda p: f(*[float(a) for a in p]), np.array(args, dtype=float))


def assert_matches_fd(f_value, f_float, args, tol=1e-7):
    analytic = engine_grad(f_value, args)
    numeric = fd_grad(f_float, args)
    # norm-wise relative error, or an absolute one where the gradient itself is ~0
    ok = relative_error(analytic, numeric) < tol or np.max(np.abs(analytic - numeric)) < 1e-8
    assert ok, (args, analytic, numeric)


# ---- each operation against finite differences ----------------------------------------------

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(a=moderate(), b=moderate())
def test_binary_op_matches_finite_differences(name, a, b):
    f, _ = BINARY[name]
    # the outer product makes the upstream gradient non-trivial (not 1)
    assert_matches_fd(lambda x, y: f(x, y) * 1.7 - 0.3, lambda x, y: f(x, y) * 1.7 - 0.3, [a, b])


@SETTINGS
@given(a=moderate(), b=away_from_zero(0.3))
def test_div_matches_finite_differences(a, b):
    assert_matches_fd(lambda x, y: x / y, lambda x, y: x / y, [a, b])


@SETTINGS
@given(a=moderate(), c=away_from_zero(0.3))
def test_number_on_either_side(a, c):
    cases = [
        (lambda x: c + x, 1.0),
        (lambda x: x + c, 1.0),
        (lambda x: c - x, -1.0),
        (lambda x: x - c, 1.0),
        (lambda x: c * x, c),
        (lambda x: x * c, c),
        (lambda x: x / c, 1.0 / c),
        (lambda x: -x, -1.0),
    ]
    for f, expected in cases:
        assert engine_grad(f, [a])[0] == pytest.approx(expected, rel=1e-15)
        out = f(Value(a))
        assert out.data == pytest.approx(f(a), rel=1e-15, abs=1e-15)


@SETTINGS
@given(a=away_from_zero(0.3), c=moderate())
def test_number_divided_by_value(a, c):
    assert_matches_fd(lambda x: c / x, lambda x: c / x, [a], tol=1e-6)


@pytest.mark.parametrize("p", [2, 3, -1, -2, 0.5, 1.5, 0])
@SETTINGS
@given(a=st.floats(0.2, 3.0))
def test_pow_matches_finite_differences(p, a):
    assert_matches_fd(lambda x: x**p, lambda x: x**p, [a], tol=1e-6)


@SETTINGS
@given(a=st.floats(-3.0, -0.2))
def test_pow_integer_exponent_of_negative_base(a):
    assert_matches_fd(lambda x: x**3, lambda x: x**3, [a])


UNARY = {
    "log": (lambda v: v.log(), math.log, st.floats(0.05, 20.0)),
    "exp": (lambda v: v.exp(), math.exp, moderate(-5.0, 5.0)),
    "tanh": (lambda v: v.tanh(), math.tanh, moderate()),
    "relu": (lambda v: v.relu(), lambda x: max(0.0, x), away_from_zero(1e-3)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_matches_finite_differences(name):
    f_value, f_float, strategy = UNARY[name]

    @SETTINGS
    @given(a=strategy)
    def run(a):
        # composed with a product so the upstream gradient is not 1
        assert_matches_fd(lambda x: f_value(x) * 2.5, lambda x: f_float(x) * 2.5, [a], tol=1e-6)
        assert f_value(Value(a)).data == f_float(a)

    run()


def test_relu_at_the_kink_has_gradient_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_pow_edge_cases():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0
    y = Value(0.0)
    (y**0.5).backward()
    assert y.grad == math.inf
    z = Value(0.0)
    (z**2).backward()
    assert z.grad == 0.0


def test_log_xy_by_hand():
    """[001] Pierret: z = log(xy), ∂z/∂x = y/v = 1/x, ∂z/∂y = 1/y (book: eq-logxy)."""
    x, y = Value(2.0, "x"), Value(3.0, "y")
    v = x * y
    w = v.log()
    w.backward()
    assert (v.data, w.grad, v.grad) == (6.0, 1.0, 1.0 / 6.0)
    assert x.grad == pytest.approx(0.5, rel=1e-15)
    assert y.grad == pytest.approx(1.0 / 3.0, rel=1e-15)
    assert v.local_grads == (3.0, 2.0) and v.parents == (x, y) and v.op == "*"
    assert w.local_grads == (1.0 / 6.0,) and w.op == "log"
    assert x.op == "" and x.parents == ()


def test_neuron_by_hand():
    """tanh(w1 x1 + w2 x2 + b): the numbers of micrograd's example."""
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5), rel=1e-12)
    upstream = 1.0 - o.data**2  # 0.5
    assert (x1.grad, w1.grad, x2.grad, w2.grad, b.grad) == pytest.approx(
        (upstream * -3.0, upstream * 2.0, upstream * 1.0, 0.0, upstream), rel=1e-12
    )


# ---- accumulation, deep graphs, resetting -----------------------------------------------------


@SETTINGS
@given(a=moderate())
def test_node_used_twice_accumulates(a):
    """Every path adds (book: eq-chain-multiple)."""
    x = Value(a)
    (x * x + x).backward()
    assert x.grad == pytest.approx(2 * a + 1, rel=1e-14, abs=1e-14)
    y = Value(a)
    (y + y + y).backward()
    assert y.grad == 3.0


@SETTINGS
@given(a=moderate(-2.0, 2.0), b=moderate(-2.0, 2.0))
def test_shared_intermediate_node(a, b):
    def f(x, y):
        m = x * y  # used by three operations
        return m * m + m.tanh() - m / 3.0

    assert_matches_fd(f, lambda x, y: (x * y) ** 2 + math.tanh(x * y) - x * y / 3.0, [a, b])


def test_two_path_example():
    """z = a1·a2, a1 = t², a2 = tanh t: dz/dt is the sum of the two paths."""
    t = Value(0.7)
    a1, a2 = t**2, t.tanh()
    z = a1 * a2
    z.backward()
    path1 = a2.data * 2 * 0.7
    path2 = a1.data * (1 - a2.data**2)
    assert t.grad == pytest.approx(path1 + path2, rel=1e-14)
    assert abs(t.grad - path1) > 0.1 and abs(t.grad - path2) > 0.1


@pytest.mark.parametrize("depth", [5000, 20_000])
def test_deep_chain_does_not_hit_the_recursion_limit(depth):
    x = Value(0.5)
    y = x
    for _ in range(depth):
        y = y * 1.0 + x  # y_k = y_{k-1} + x: y = (depth + 1) x
    y.backward()
    assert x.grad == depth + 1
    assert len(topological_order(y)) == 1 + 2 * depth + depth  # x, the constants, the ops…
    y.zero_grad()
    assert x.grad == 0.0


def test_topological_order_puts_parents_first():
    x, y = Value(1.0), Value(2.0)
    m = x * y
    z = (m + x).exp() * m
    order = topological_order(z)
    assert order[-1] is z
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)  # each node once
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]


def test_backward_twice_accumulates_in_the_inputs_only():
    x, y = Value(2.0), Value(3.0)
    v = x * y
    z = v.log()
    z.backward()
    z.backward()
    assert x.grad == pytest.approx(2 * 0.5)  # inputs accumulate, like PyTorch
    assert v.grad == pytest.approx(1 / 6)  # intermediate nodes hold the latest pass
    assert z.grad == 1.0
    z.zero_grad()
    assert (x.grad, y.grad, v.grad, z.grad) == (0.0, 0.0, 0.0, 0.0)
    z.backward()
    assert x.grad == pytest.approx(0.5)


def test_backward_of_an_input_alone():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


# ---- random expressions: engine vs finite differences vs PyTorch ------------------------------

OPS = ["+", "-", "*", "/", "tanh", "exp", "log", "relu", "sq", "const*"]


def random_expression(rng: np.random.Generator, n_inputs: int, n_ops: int):
    """A random program: a list of (op, i, j, c) acting on a growing list of nodes, written so
    that every operation stays in its safe domain whatever the values."""
    program = []
    for k in range(n_ops):
        size = n_inputs + k
        i, j = (int(v) for v in rng.integers(0, size, 2))
        program.append((str(rng.choice(OPS)), i, j, float(rng.uniform(0.5, 1.5))))
    return program


def apply(op, a, b, c, *, tanh, exp, log, relu):
    """One operation of a random program; every branch stays in its safe domain."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return tanh(a) * tanh(b)
    if op == "/":
        return a / (b * b + 1.0)
    if op == "tanh":
        return tanh(a)
    if op == "exp":
        return exp(tanh(a))
    if op == "log":
        return log(a * a + c)
    if op == "relu":
        return relu(a) + c * a
    if op == "sq":
        return tanh(a) ** 2
    return c * a  # "const*"


def run_program(program, inputs, **fns):
    nodes = list(inputs)
    for op, i, j, c in program:
        nodes.append(apply(op, nodes[i], nodes[j], c, **fns))
    return sum(nodes[len(inputs) :], nodes[0])  # every node reaches the output


VALUE_OPS = {
    "tanh": lambda v: v.tanh(),
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
    "relu": lambda v: v.relu(),
}
FLOAT_OPS = {"tanh": math.tanh, "exp": math.exp, "log": math.log, "relu": lambda v: max(0.0, v)}


@pytest.mark.parametrize("seed", range(5))
def test_random_expression_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    program = random_expression(rng, 4, 30)
    x = rng.uniform(-1.5, 1.5, 4)
    x[np.abs(x) < 0.05] += 0.1  # keep away from relu's kink
    values = [Value(float(v)) for v in x]
    run_program(program, values, **VALUE_OPS).backward()
    analytic = np.array([v.grad for v in values])
    numeric = numerical_gradient(lambda p: run_program(program, list(p), **FLOAT_OPS), x.copy())
    assert relative_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize("seed", range(5))
def test_random_expression_matches_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(100 + seed)
    program = random_expression(rng, 5, 40)
    x = rng.uniform(-1.5, 1.5, 5)
    values = [Value(float(v)) for v in x]
    out = run_program(program, values, **VALUE_OPS)
    out.backward()
    tx = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in x]
    tout = run_program(program, tx, tanh=torch.tanh, exp=torch.exp, log=torch.log, relu=torch.relu)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12)
    for v, t in zip(values, tx, strict=True):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12)


# ---- forward mode and operation counts --------------------------------------------------------

DUAL_UNARY = {
    "log": (lambda d: d.log(), math.log, 1.3),
    "exp": (lambda d: d.exp(), math.exp, -0.4),
    "tanh": (lambda d: d.tanh(), math.tanh, 0.8),
    "relu": (lambda d: d.relu(), lambda v: max(0.0, v), 0.6),
    "pow": (lambda d: d**3, lambda v: v**3, -1.2),
    "rpow": (lambda d: d**-0.5, lambda v: v**-0.5, 2.0),
    "neg": (lambda d: -d, lambda v: -v, 0.3),
    "rsub": (lambda d: 2.0 - d * 3.0, lambda v: 2.0 - v * 3.0, 0.3),
    "rdiv": (lambda d: 2.0 / (1.0 + d), lambda v: 2.0 / (1.0 + v), 0.3),
    "div": (lambda d: (d + 1.0) / (d * d + 2.0), lambda v: (v + 1.0) / (v * v + 2.0), 0.3),
}


@pytest.mark.parametrize("name", sorted(DUAL_UNARY))
def test_dual_tangent_is_the_derivative(name):
    f_dual, f_float, a = DUAL_UNARY[name]
    out = f_dual(Dual(a, 1.0))
    assert out.data == pytest.approx(f_float(a), rel=1e-15)
    numeric = numerical_gradient(lambda p: f_float(float(p[0])), np.array([a]))[0]
    assert out.tangent == pytest.approx(numeric, rel=1e-8)
    assert f_dual(Dual(a, 0.0)).tangent == 0.0  # a constant has no derivative


def neuron(weights):
    def f(xs):
        return sum(w * x for w, x in zip(weights, xs, strict=True)).tanh()

    return f


@SETTINGS
@given(n=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_forward_and_reverse_mode_agree(n, seed):
    rng = np.random.default_rng(seed)
    f = neuron(rng.uniform(-1, 1, n).tolist())
    x = rng.uniform(-1, 1, n)
    fwd, rev = forward_mode_gradient(f, x), reverse_mode_gradient(f, x)
    assert fwd.shape == rev.shape == (n,)
    np.testing.assert_allclose(fwd, rev, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_forward_mode_on_random_expressions(seed):
    rng = np.random.default_rng(200 + seed)
    program = random_expression(rng, 4, 25)
    x = rng.uniform(-1.5, 1.5, 4)

    def f(xs):
        return run_program(program, xs, **VALUE_OPS)

    np.testing.assert_allclose(
        forward_mode_gradient(f, x), reverse_mode_gradient(f, x), rtol=1e-11, atol=1e-13
    )


@pytest.mark.parametrize("n", [1, 5, 40])
def test_operation_counts(n):
    """Forward mode costs n passes; reverse mode one pass plus one product per edge."""
    f = neuron([0.5] * n)
    x = np.linspace(-1, 1, n)
    with OpCounter() as one_pass:
        f([Value(v) for v in x])
    assert one_pass.forward == 2 * n + 1 and one_pass.backward == 0  # n ×, n +, one tanh
    with OpCounter() as fwd:
        forward_mode_gradient(f, x)
    assert (fwd.forward, fwd.backward) == (n * one_pass.forward, 0)
    with OpCounter() as rev:
        reverse_mode_gradient(f, x)
    assert rev.forward == one_pass.forward
    assert rev.backward == 4 * n + 1  # two parents for each × and +, one for tanh
    assert rev.total <= 3 * one_pass.forward
    assert repr(rev) == f"OpCounter(forward={rev.forward}, backward={rev.backward})"


def test_counters_nest_and_stop_counting_when_closed():
    with OpCounter() as outer:
        Value(1.0) + 2.0
        with OpCounter() as inner:
            Value(1.0) * 2.0
    Value(1.0) - 2.0
    assert (outer.forward, inner.forward) == (2, 1)


# ---- bad input -------------------------------------------------------------------------------


def test_errors_name_the_operation():
    with pytest.raises(
        TypeError, match=r"Value\.__add__: cannot combine a Value with str; use a number or a Value"
    ):
        Value(2) + "a"
    with pytest.raises(TypeError, match=r"Value\.__radd__: cannot combine a Value with str"):
        "a" + Value(2)
    with pytest.raises(TypeError, match=r"Value\.__mul__: cannot combine a Value with list"):
        Value(2) * [1]
    with pytest.raises(
        TypeError, match=r"Value\.__truediv__: cannot combine a Value with NoneType"
    ):
        Value(2) / None
    with pytest.raises(TypeError, match=r"Value\.__sub__: cannot combine a Value with Dual"):
        Value(2) - Dual(1.0)
    with pytest.raises(TypeError, match=r"Value\.__pow__: the exponent must be a number"):
        Value(2) ** Value(3)
    with pytest.raises(TypeError, match=r"Value\.__rpow__: the exponent must be a number"):
        2 ** Value(3)
    with pytest.raises(TypeError, match=r"Value: data must be a real number .* got str"):
        Value("x")
    with pytest.raises(TypeError, match=r"got ndarray; for an element of a numpy array"):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"got bool"):
        Value(True)
    with pytest.raises(TypeError, match=r"Value: label must be a str"):
        Value(1.0, label=3)
    with pytest.raises(ValueError, match=r"Value\.log: log needs v > 0, got 0\.0"):
        Value(0.0).log()
    with pytest.raises(ValueError, match=r"Value\.log: log needs v > 0, got -2\.0"):
        Value(-2.0).log()
    with pytest.raises(ZeroDivisionError, match=r"Value\.__truediv__: division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match=r"Value\.__truediv__: division by zero"):
        1.0 / Value(0.0)
    with pytest.raises(ValueError, match=r"Value\.__pow__: a negative base needs an integer"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match=r"Value\.__pow__: 0 \*\* -1\.0 is undefined"):
        Value(0.0) ** -1
    with pytest.raises(OverflowError, match=r"Value\.exp: exp\(1000\.0\) overflows float64"):
        Value(1000.0).exp()
    with pytest.raises(TypeError, match=r"topological_order: expected a Value, got float"):
        topological_order(1.0)


def test_dual_errors_name_the_operation():
    with pytest.raises(TypeError, match=r"Dual\.__add__: cannot combine a Dual with str"):
        Dual(1.0) + "a"
    with pytest.raises(TypeError, match=r"Dual\.__pow__: the exponent must be a number"):
        Dual(1.0) ** Dual(2.0)
    with pytest.raises(ValueError, match=r"Dual\.log: log needs v > 0, got -1\.0"):
        Dual(-1.0).log()
    with pytest.raises(TypeError, match=r"Dual: data must be a real number"):
        Dual("1")
    with pytest.raises(TypeError, match=r"forward_mode_gradient: f must return a scalar"):
        forward_mode_gradient(lambda xs: 1.0, [1.0])
    with pytest.raises(TypeError, match=r"reverse_mode_gradient: f must return a scalar"):
        reverse_mode_gradient(lambda xs: 1.0, [1.0])


def test_data_is_float64_and_repr():
    v = Value(np.float32(0.5), "v")
    assert type(v.data) is float and v.data == 0.5 and v.grad == 0.0
    assert type(Value(3).data) is float
    assert repr(v) == "Value(data=0.5, grad=0.0, label='v')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Dual(1.0, 2.0)) == "Dual(data=1.0, tangent=2.0)"
    with pytest.raises(AttributeError):
        v.parents = ()  # the graph is read-only
