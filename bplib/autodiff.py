"""A scalar reverse-mode automatic differentiation engine (chapter 1).

Every operation on :class:`Value` objects records one node of a *computational graph*: its
result, the nodes it was computed from (its parents), and its **local gradients**, the partial
derivative of the result with respect to each parent, computed right next to the forward
value. :meth:`Value.backward` then walks the graph from the output back to the inputs and
applies one rule at every node (book: eq-upstream-local):

    downstream gradient = upstream gradient × local gradient

It *accumulates* (``+=``): a node that feeds several others receives the sum of the gradients
along all its paths (book: eq-chain-multiple). That is all of backpropagation; chapter 3 does
the same thing with matrices instead of scalars.

For the book's "why reverse mode" section the module also has the forward-mode counterpart,
:class:`Dual` numbers (one pass per input), the two gradient routines
:func:`forward_mode_gradient` and :func:`reverse_mode_gradient`, and :class:`OpCounter`, which
counts the elementary operations each one performs.

In the spirit of A. Karpathy's *micrograd* (``engine.py``), with two differences: local
gradients are stored as numbers in the forward pass (instead of a closure per node), so the
backward pass is one visible line; and the graph is walked without recursion, so deep graphs
do not hit Python's recursion limit.

    >>> x, y = Value(2.0, "x"), Value(3.0, "y")
    >>> z = (x * y).log()
    >>> z.backward()
    >>> x.grad, y.grad            # 1/x and 1/y (book: eq-logxy)
    (0.5, 0.3333333333333333)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "Dual",
    "OpCounter",
    "Value",
    "forward_mode_gradient",
    "reverse_mode_gradient",
    "topological_order",
]


def _as_float(data, where: str) -> float:
    """``data`` as a Python float (an IEEE float64), or a TypeError naming ``where``."""
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        hint = (
            "; for an element of a numpy array write float(a[i])" if hasattr(data, "shape") else ""
        )
        raise TypeError(
            f"{where}: data must be a real number (int or float), got {type(data).__name__}{hint}"
        )
    return float(data)


class Value:
    """A scalar node of a computational graph.

    ``data`` is its value; after ``out.backward()``, ``grad`` is ∂out/∂(this node).

    Args:
        data: a real number, stored as a Python float (IEEE float64).
        label: a name shown by :func:`bplib.plot.draw_graph` and by ``repr``.

    Operations: ``+ - * /`` with a Value or a number on either side, unary ``-``,
    ``** number``, ``.log()``, ``.exp()``, ``.tanh()``, ``.relu()``. Each returns a new Value
    that remembers its parents, its local gradients and the operation's name.
    """

    __slots__ = ("data", "grad", "label", "_parents", "_local", "_op")

    def __init__(self, data, label: str = ""):
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self._parents: tuple[Value, ...] = ()  # the nodes this one was computed from
        self._local: tuple[float, ...] = ()  # ∂self/∂parent, one per parent
        self._op = ""  # the operation's name ("" for an input)

    # ---- the graph, read-only --------------------------------------------------------------
    @property
    def parents(self) -> tuple[Value, ...]:
        """The nodes this one was computed from (empty for an input or a constant)."""
        return self._parents

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂parent for each of :attr:`parents`, computed in the forward pass."""
        return self._local

    @property
    def op(self) -> str:
        """The operation that made this node (``"+"``, ``"*"``, ``"log"``, …); ``""`` for inputs."""
        return self._op

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- operations: forward value and local gradients, side by side -------------------------
    def __add__(self, other):
        """z = a + b. Local gradients: ∂z/∂a = 1, ∂z/∂b = 1.

        (book: eq-upstream-local)
        """
        other = _coerce(other, Value, "__add__")
        z = self.data + other.data  # forward
        return _node(z, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other):
        """z = a − b. Local gradients: ∂z/∂a = 1, ∂z/∂b = −1."""
        other = _coerce(other, Value, "__sub__")
        return _node(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other):
        """z = a · b. Local gradients: ∂z/∂a = b, ∂z/∂b = a.

        (book: eq-upstream-local)
        """
        other = _coerce(other, Value, "__mul__")
        z = self.data * other.data  # forward
        # ∂z/∂a = b, ∂z/∂b = a: each factor gets the other
        local = (other.data, self.data)
        return _node(z, (self, other), local, "*")

    def __truediv__(self, other):
        """z = a / b. Local gradients: ∂z/∂a = 1/b, ∂z/∂b = −a/b²."""
        other = _coerce(other, Value, "__truediv__")
        if other.data == 0.0:
            raise ZeroDivisionError(f"Value.__truediv__: division by zero ({self.data!r} / 0)")
        local = (1.0 / other.data, -self.data / other.data**2)
        return _node(self.data / other.data, (self, other), local, "/")

    def __neg__(self):
        """z = −a. Local gradient: ∂z/∂a = −1."""
        return _node(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, p):
        """z = a ** p for a number p. Local gradient: ∂z/∂a = p · a^(p−1)."""
        z, local = _power(self.data, p, "Value.__pow__")
        return _node(z, (self,), (local,), f"**{float(p):g}")

    def log(self):
        """z = log a (natural log, a > 0). Local gradient: ∂z/∂a = 1/a (book: eq-logxy)."""
        if not self.data > 0.0:
            raise ValueError(f"Value.log: log needs v > 0, got {self.data!r}")
        return _node(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def exp(self):
        """z = exp a. Local gradient: ∂z/∂a = exp a = z."""
        try:
            z = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"Value.exp: exp({self.data!r}) overflows float64 (it needs a <= 709.78)"
            ) from None
        return _node(z, (self,), (z,), "exp")

    def tanh(self):
        """z = tanh a. Local gradient: ∂z/∂a = 1 − tanh² a = 1 − z²."""
        z = math.tanh(self.data)
        return _node(z, (self,), (1.0 - z * z,), "tanh")

    def relu(self):
        """z = max(0, a). Local gradient: 1 if a > 0 else 0 (0 at the kink, as PyTorch)."""
        return _node(max(0.0, self.data), (self,), (1.0 if self.data > 0.0 else 0.0,), "relu")

    # a number on the left: 2 + x calls x.__radd__(2), and so on
    def __radd__(self, other):
        return _coerce(other, Value, "__radd__") + self

    def __rsub__(self, other):
        return _coerce(other, Value, "__rsub__") - self

    def __rmul__(self, other):
        return _coerce(other, Value, "__rmul__") * self

    def __rtruediv__(self, other):
        return _coerce(other, Value, "__rtruediv__") / self

    def __rpow__(self, other):
        raise TypeError(
            f"Value.__rpow__: the exponent must be a number, not a Value; for "
            f"{type(other).__name__} ** Value write (x * math.log(base)).exp()"
        )

    # ---- reverse mode ------------------------------------------------------------------------
    def backward(self) -> None:
        """Set ``.grad`` of this node and all it depends on to ∂self/∂node.

        Seeds ∂self/∂self = 1, then visits the nodes from this output back
        to the inputs, in an order where a node comes only after every node
        that uses it (so its gradient is complete before it is passed on),
        and applies the chain rule (book: eq-chain-single) at every node,
        for each parent, in the form (book: eq-upstream-local):

            parent.grad += node.grad × ∂node/∂parent

        i.e. downstream += upstream × local. ``+=`` because a node used
        several times gets the sum over its paths
        (book: eq-chain-multiple). Like PyTorch's ``.grad``, the inputs
        (leaves) accumulate across calls: call :meth:`zero_grad` to start
        again. Intermediate nodes hold the gradient of the latest call. The
        walk is iterative: no recursion limit on deep graphs.
        """
        order = topological_order(self)  # inputs first, self last
        for node in order:
            if node._parents:
                # an intermediate result: its gradient is this call's only
                node.grad = 0.0
        self.grad += 1.0  # ∂self/∂self = 1: where the chain rule starts
        for node in reversed(order):  # output first, inputs last
            pairs = zip(node._parents, node._local, strict=True)
            for parent, local in pairs:
                # downstream += upstream × local
                parent.grad += node.grad * local
            _tick("backward", len(node._parents))

    def zero_grad(self) -> None:
        """Set ``.grad = 0`` on this node and on every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


def _node(data: float, parents: tuple[Value, ...], local: tuple[float, ...], op: str) -> Value:
    """The result of an operation: a new Value that remembers how it was made."""
    out = Value(data)
    out._parents, out._local, out._op = parents, local, op
    _tick("forward")
    return out


def _power(a: float, p, where: str) -> tuple[float, float]:
    """``(a ** p, p · a^(p−1))`` for a number ``p``, with errors that name ``where``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(
            f"{where}: the exponent must be a number (int or float), got {type(p).__name__}; "
            f"for a variable exponent write (p * a.log()).exp()"
        )
    p = float(p)
    if a < 0.0 and not p.is_integer():
        raise ValueError(
            f"{where}: a negative base needs an integer exponent, got ({a!r}) ** {p!r}"
        )
    if a == 0.0 and p < 0.0:
        raise ZeroDivisionError(f"{where}: 0 ** {p!r} is undefined")
    if p == 0.0:
        local = 0.0  # a ** 0 = 1 does not depend on a
    elif a == 0.0 and p < 1.0:
        local = math.inf  # the tangent of a ** p at 0 is vertical when 0 < p < 1
    else:
        local = p * a ** (p - 1.0)
    return a**p, local


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` comes last.

    A depth-first search with an explicit stack (no recursion, so a chain of 100 000 nodes is
    fine). A node reached along several paths is listed once.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: expected a Value, got {type(root).__name__}")
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:  # second visit: every parent is already in `order`
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents if id(p) not in seen)
    return order


def _coerce(other, cls: type, op: str):
    """``other`` as a ``cls`` (a number becomes a constant), or a TypeError naming ``op``."""
    if isinstance(other, cls):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return cls(other)
    name = cls.__name__
    raise TypeError(
        f"{name}.{op}: cannot combine a {name} with {type(other).__name__}; "
        f"use a number or a {name}"
    )


# ---- forward mode ------------------------------------------------------------------------------
class Dual:
    """A dual number ``data + tangent·ε`` (with ε² = 0): forward-mode differentiation.

    ``tangent`` carries the derivative of ``data`` with respect to one chosen input: give that
    input tangent 1 and every other input tangent 0, and each operation applies the chain rule
    *forwards* (book: eq-chain-single), ż = (∂z/∂a)·ȧ + (∂z/∂b)·ḃ, so the output's tangent is
    ∂f/∂(that input). One pass gives one partial derivative: the gradient of f: Rⁿ → R takes n
    passes, where reverse mode (:class:`Value`) takes one forward and one backward pass.

    Args:
        data: a real number (float64).
        tangent: its derivative with respect to the chosen input (0 for a constant).

    Same operations as :class:`Value`.
    """

    __slots__ = ("data", "tangent")

    def __init__(self, data, tangent=0.0):
        self.data = _as_float(data, "Dual")
        self.tangent = _as_float(tangent, "Dual")

    def __repr__(self) -> str:
        return f"Dual(data={self.data!r}, tangent={self.tangent!r})"

    def __add__(self, other):
        other = _coerce(other, Dual, "__add__")
        return _dual(self.data + other.data, self.tangent + other.tangent)

    def __sub__(self, other):
        other = _coerce(other, Dual, "__sub__")
        return _dual(self.data - other.data, self.tangent - other.tangent)

    def __mul__(self, other):
        """z = a · b carries ż = b·ȧ + a·ḃ: the product rule.

        That is the chain rule, carried forwards.
        """
        other = _coerce(other, Dual, "__mul__")
        z = self.data * other.data
        z_dot = other.data * self.tangent + self.data * other.tangent
        return _dual(z, z_dot)

    def __truediv__(self, other):
        other = _coerce(other, Dual, "__truediv__")
        if other.data == 0.0:
            raise ZeroDivisionError(f"Dual.__truediv__: division by zero ({self.data!r} / 0)")
        z = self.data / other.data
        return _dual(z, (self.tangent - z * other.tangent) / other.data)

    def __neg__(self):
        return _dual(-self.data, -self.tangent)

    def __pow__(self, p):
        z, local = _power(self.data, p, "Dual.__pow__")
        return _dual(z, local * self.tangent)

    def log(self):
        if not self.data > 0.0:
            raise ValueError(f"Dual.log: log needs v > 0, got {self.data!r}")
        return _dual(math.log(self.data), self.tangent / self.data)

    def exp(self):
        try:
            z = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"Dual.exp: exp({self.data!r}) overflows float64 (it needs a <= 709.78)"
            ) from None
        return _dual(z, z * self.tangent)

    def tanh(self):
        z = math.tanh(self.data)
        return _dual(z, (1.0 - z * z) * self.tangent)

    def relu(self):
        return _dual(max(0.0, self.data), self.tangent if self.data > 0.0 else 0.0)

    def __radd__(self, other):
        return _coerce(other, Dual, "__radd__") + self

    def __rsub__(self, other):
        return _coerce(other, Dual, "__rsub__") - self

    def __rmul__(self, other):
        return _coerce(other, Dual, "__rmul__") * self

    def __rtruediv__(self, other):
        return _coerce(other, Dual, "__rtruediv__") / self


def _dual(data: float, tangent: float) -> Dual:
    out = Dual.__new__(Dual)  # both are floats already: skip the checks of __init__
    out.data, out.tangent = data, tangent
    _tick("forward")
    return out


def forward_mode_gradient(f: Callable[[list], object], x: Sequence[float]) -> np.ndarray:
    """∇f(x) for f: Rⁿ → R by forward mode: n passes of ``f`` on :class:`Dual` numbers.

    Pass i seeds input i with tangent 1 (the others with 0) and reads ∂f/∂x_i off the output.

    Args:
        f: a function of a list of n scalars written with the operations :class:`Value` and
            :class:`Dual` share (``+ - * / **``, ``.log() .exp() .tanh() .relu()``).
        x: the n input values.

    Returns:
        float64 array of shape (n,).
    """
    xs = [_as_float(v, "forward_mode_gradient") for v in x]
    grad = np.zeros(len(xs))
    for i in range(len(xs)):
        out = f([Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(xs)])
        if not isinstance(out, Dual):
            raise TypeError(
                f"forward_mode_gradient: f must return a scalar computed from its "
                f"inputs, got {type(out).__name__}"
            )
        grad[i] = out.tangent
    return grad


def reverse_mode_gradient(f: Callable[[list], object], x: Sequence[float]) -> np.ndarray:
    """∇f(x) for f: Rⁿ → R by reverse mode: one pass of ``f`` on :class:`Value`, one backward.

    Args and returns as :func:`forward_mode_gradient`.
    """
    xs = [Value(_as_float(v, "reverse_mode_gradient")) for v in x]
    out = f(xs)
    if not isinstance(out, Value):
        raise TypeError(
            f"reverse_mode_gradient: f must return a scalar computed from its "
            f"inputs, got {type(out).__name__}"
        )
    out.backward()
    return np.array([v.grad for v in xs])


# ---- counting operations -----------------------------------------------------------------------
_open_counters: list[OpCounter] = []


class OpCounter:
    """Counts the elementary operations done inside a ``with OpCounter() as ops:`` block.

    - ``ops.forward``: operations evaluated, one per :class:`Value` or :class:`Dual`
      operation (its value with its local gradients, or with its tangent);
    - ``ops.backward``: the ``upstream × local`` products accumulated by
      :meth:`Value.backward`, one per edge of the graph;
    - ``ops.total``: their sum.

    A count is deterministic, unlike a wall-clock time, so the book can assert on it.
    """

    def __init__(self) -> None:
        self.forward = 0
        self.backward = 0

    @property
    def total(self) -> int:
        return self.forward + self.backward

    def __enter__(self) -> OpCounter:
        _open_counters.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _open_counters.remove(self)

    def __repr__(self) -> str:
        return f"OpCounter(forward={self.forward}, backward={self.backward})"


def _tick(kind: str, k: int = 1) -> None:
    for counter in _open_counters:  # usually none: then this costs one loop test
        if kind == "forward":
            counter.forward += k
        else:
            counter.backward += k
