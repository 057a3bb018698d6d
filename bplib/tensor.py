"""Reverse-mode automatic differentiation on numpy arrays (chapter 11, the capstone).

Chapter 1's :class:`bplib.autodiff.Value` holds one number; a :class:`Tensor` holds a numpy
array. Everything else is the same idea. Every operation records one node of the graph: its
result, the nodes it was computed from (its parents) and, right next to the forward value,
its **local rule**, one per parent: a function that turns the upstream gradient
``g = ∂L/∂out`` (an array of out's shape) into that parent's share of ``∂L/∂parent``
(book: eq-tensor-local-rule). For a scalar, chapter 1's local gradient was a number and the
rule was "multiply by it"; for an array, the local gradient is a Jacobian matrix, too big to
store, so each operation stores the product with it instead (for ``z = a * b``, the rule for
``a`` is ``g ↦ g * b``).

:meth:`Tensor.backward` then walks the graph from the output back to the inputs, without
recursion, and applies one line at every node (book: eq-upstream-local, eq-chain-multiple):

    parent.grad += unbroadcast(rule(node.grad), parent.shape)   # downstream += upstream × local

:func:`unbroadcast` is the one thing arrays add to chapter 1: when numpy *broadcasts* an
operand (a bias ``b`` of shape (M,) added to every row of an (N, M) batch), that operand is
used N times, once per row; its gradient is the sum over those N uses, the sum over the
broadcast axes (book: eq-broadcast-grad).

The operations, each with its forward value and local rules side by side:

- element-wise, with numpy broadcasting: ``+ - * / **`` (a number, an array or a Tensor on
  either side), unary ``-``, :meth:`~Tensor.exp`, :meth:`~Tensor.log`, :meth:`~Tensor.tanh`,
  :meth:`~Tensor.relu`;
- ``@`` (matrix product, batched like numpy's);
- reductions: :meth:`~Tensor.sum`, :meth:`~Tensor.mean`, :meth:`~Tensor.max` over any axes;
- shape: :meth:`~Tensor.reshape`, :meth:`~Tensor.transpose` (and ``.T``), indexing
  ``t[...]`` (slices, integers, integer and boolean arrays; repeated indices add up),
  :meth:`~Tensor.pad` (zeros), :meth:`~Tensor.windows` (the sliding windows of convolution
  and pooling);
- :meth:`~Tensor.detach` (a constant copy of the value, outside the graph).

Dtypes: Python numbers and lists become float64, the course's precision; a numpy array keeps
its dtype (float32 is allowed, for speed) and is *not* copied, like ``torch.from_numpy``.
Only floating-point tensors can require a gradient. Like PyTorch, ``backward`` frees the graph
it walked (the arrays the rules saved) unless ``retain_graph=True``, and the gradients of the
inputs (the leaves) accumulate over calls until :meth:`Tensor.zero_grad`; an intermediate
tensor keeps the gradient of the latest backward pass (chapter 1's rule; PyTorch would keep
none), so that each one can be compared with a gradient worked out by hand.

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = Tensor([10.0, 20.0], requires_grad=True)
    >>> loss = ((x + b) ** 2).sum()
    >>> loss.backward()
    >>> b.grad                      # summed over the rows b was broadcast to
    array([48., 92.])
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = [
    "GraphStats",
    "Tensor",
    "graph_stats",
    "topological_order",
    "unbroadcast",
]

Rule = Callable[[np.ndarray], np.ndarray]
_FLOATS = (np.float32, np.float64)


# ---- the central helper ----------------------------------------------------------------------


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting created, so that it gets ``shape`` back.

    (book: eq-broadcast-grad) numpy broadcasts an operand of shape ``shape`` to the larger
    shape ``grad.shape`` in two ways, and each copies one entry to several places of the
    result. By the chain rule for several paths (book: eq-chain-multiple) the gradient of
    that entry is the **sum** of the gradients of its copies:

    1. axes added on the left: a (M,) bias against an (N, M) batch is the same row used N
       times, so its gradient is ``grad.sum(axis=0)``, of shape (M,);
    2. axes of length 1 stretched: an (N, 1) column against (N, M) is used M times along
       axis 1, so its gradient is ``grad.sum(axis=1, keepdims=True)``, of shape (N, 1).

    When nothing was broadcast (``grad.shape == shape``) ``grad`` itself is returned.

    Args:
        grad: the gradient with respect to the broadcast operand, of the broadcast shape.
        shape: the operand's own shape.

    Returns:
        an array of shape ``shape``.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    pairs = zip(shape, grad.shape[added:], strict=True) if added >= 0 else ()
    if added < 0 or any(n not in (1, m) for n, m in pairs):
        raise ValueError(
            f"unbroadcast: an operand of shape {shape} cannot have been "
            f"broadcast to {grad.shape}, so its gradient cannot be summed back."
        )
    # 1. the axes broadcasting added on the left: one sum over all of them
    summed = grad.sum(axis=tuple(range(added))) if added else grad
    # 2. the axes of length 1 it stretched: summed, and kept with length 1
    stretched = tuple(i for i, n in enumerate(shape)
                      if n == 1 and summed.shape[i] != 1)
    if stretched:
        summed = summed.sum(axis=stretched, keepdims=True)
    return summed


# ---- input checks ----------------------------------------------------------------------------


def _as_array(data, where: str) -> np.ndarray:
    """``data`` as a numpy array: Python numbers and lists become float64, arrays keep theirs."""
    if isinstance(data, Tensor):
        raise TypeError(
            f"{where}: data is already a Tensor; use t.detach() for a copy outside the graph, "
            f"or t.data for its array."
        )
    if isinstance(data, np.ndarray | np.generic):
        array = np.asarray(data)
    elif isinstance(data, numbers.Real) or isinstance(data, list | tuple):
        try:
            array = np.asarray(data, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{where}: cannot make a float64 array of {data!r} ({err}).") from None
    else:
        raise TypeError(
            f"{where}: data must be a number, a list of numbers or a numpy array, got "
            f"{type(data).__name__}."
        )
    kind = array.dtype
    if not (kind in _FLOATS or np.issubdtype(kind, np.integer) or kind == np.bool_):
        raise TypeError(
            f"{where}: dtype {kind} is not supported; use float64 (the default), float32, or "
            f"an integer or boolean array (for indices and masks)."
        )
    return array


def _is_float(array: np.ndarray) -> bool:
    return array.dtype in _FLOATS


def _coerce(other, like: Tensor, op: str) -> Tensor:
    """``other`` as a Tensor. A Python number takes the dtype numpy would give it next to
    ``like`` (so a float32 tensor times 2.0 stays float32); an array keeps its own."""
    if isinstance(other, Tensor):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return Tensor(np.asarray(other, dtype=np.result_type(like.data, other)))
    if isinstance(other, np.ndarray | np.generic):
        return Tensor(other)
    raise TypeError(
        f"Tensor.{op}: cannot combine a Tensor with {type(other).__name__}; use a number, a "
        f"numpy array or a Tensor."
    )


def _broadcast_shape(a: Tensor, b: Tensor, op: str) -> tuple:
    """The shape of ``a op b``, or a ValueError that names the operation and says why."""
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"Tensor.{op}: shapes {a.shape} and {b.shape} do not broadcast. Aligned from the "
            f"right, each pair of axis lengths must be equal or contain a 1 (e.g. (N, M) with "
            f"(M,) or (N, 1)); reshape one operand first."
        ) from None


def _axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple of ints, negatives allowed) as sorted positive axes."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple | list) else (axis,)
    result = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, int | np.integer):
            raise TypeError(
                f"Tensor.{op}: axis must be None, an int or a tuple of ints, got {a!r}."
            )
        if not -ndim <= a < ndim:
            raise ValueError(
                f"Tensor.{op}: axis {a} is out of range for a tensor with {ndim} dimensions."
            )
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"Tensor.{op}: axis {axis!r} repeats an axis.")
    return tuple(sorted(result))


def _pair(value, op: str, name: str) -> tuple[int, int]:
    items = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1 for v in items
    ):
        raise ValueError(f"Tensor.{op}: {name} must be a positive int or a pair of them, got "
                         f"{value!r}.")
    return int(items[0]), int(items[1])


# ---- the Tensor ------------------------------------------------------------------------------


class Tensor:
    """A node of a computational graph that holds a numpy array.

    After ``out.backward()``, ``grad`` is ∂out/∂(this tensor), an array of this tensor's shape
    (``None`` before, and always for a tensor that does not require a gradient).

    Args:
        data: a number, a (nested) list of numbers (both become float64) or a numpy array
            (kept as it is, not copied: float64, float32, or integer/boolean for indices).
        requires_grad: whether ``backward`` computes this tensor's gradient. Only floating
            tensors can. An operation's result requires a gradient when one of its operands
            does.
        label: a name shown in graphs and in ``repr``.

    The operations are listed in the module's docstring; each returns a new Tensor that
    remembers its parents, its local rules and the operation's name (``op``).
    """

    # numpy must not treat a Tensor as an array: then `array + tensor` calls Tensor.__radd__
    __array_ufunc__ = None
    __slots__ = ("data", "grad", "requires_grad", "label", "_parents", "_rules", "_op", "_freed")

    def __init__(self, data, requires_grad: bool = False, label: str = ""):
        if not isinstance(requires_grad, bool):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}.")
        if not isinstance(label, str):
            raise TypeError(f"Tensor: label must be a str, got {type(label).__name__}.")
        self.data = _as_array(data, "Tensor")
        if requires_grad and not _is_float(self.data):
            raise TypeError(
                f"Tensor: only floating-point tensors can require a gradient, got dtype "
                f"{self.data.dtype} (a gradient is a rate of change; integers do not change "
                f"by small amounts). Convert first: Tensor(a.astype(np.float64), "
                f"requires_grad=True)."
            )
        self.requires_grad = requires_grad
        self.grad: np.ndarray | None = None
        self.label = label
        self._parents: tuple[Tensor, ...] = ()  # the tensors this one was computed from
        self._rules: tuple[Rule, ...] = ()  # one local rule per parent: g -> share of ∂L/∂parent
        self._op = ""  # the operation's name ("" for an input)
        self._freed = False  # True once a backward pass has released the rules

    # ---- reading it --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from (empty for an input or a constant)."""
        return self._parents

    @property
    def op(self) -> str:
        """The operation that made this tensor (``"+"``, ``"@"``, ``"sum"``…); ``""`` for inputs."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        """True for a tensor the user made (an input or a parameter), not an operation's result."""
        return not self._op

    def numpy(self) -> np.ndarray:
        """The value, as the numpy array itself (not a copy)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"Tensor.item: the tensor has {self.data.size} elements, not one.")
        return self.data.item()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("Tensor.__len__: a 0-d tensor has no length.")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=20, edgeitems=2,
                               separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != np.float64:
            extra = f", dtype={self.data.dtype}" + extra
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    # ---- element-wise operations: forward value and local rules, side by side ----------------
    def __add__(self, other):
        """z = a + b (broadcast). Local rules: g ↦ g for both (book: eq-upstream-local)."""
        other = _coerce(other, self, "__add__")
        _broadcast_shape(self, other, "__add__")
        return _node(self.data + other.data, (self, other), (_identity, _identity), "+")

    def __sub__(self, other):
        """z = a − b (broadcast). Local rules: g ↦ g for a, g ↦ −g for b."""
        other = _coerce(other, self, "__sub__")
        _broadcast_shape(self, other, "__sub__")
        return _node(self.data - other.data, (self, other), (_identity, np.negative), "-")

    def __mul__(self, other):
        """z = a ⊙ b (element-wise, broadcast).

        Local rules: g ↦ g ⊙ b for a, g ↦ g ⊙ a for b; each factor gets the
        other, as for numbers (book: eq-upstream-local).
        """
        other = _coerce(other, self, "__mul__")
        _broadcast_shape(self, other, "__mul__")
        a, b = self.data, other.data
        rules = (lambda g: g * b, lambda g: g * a)  # g ↦ g ⊙ b, g ↦ g ⊙ a
        return _node(a * b, (self, other), rules, "*")

    def __truediv__(self, other):
        """z = a / b (element-wise, broadcast). Local rules: g ↦ g / b, g ↦ −g ⊙ a / b²."""
        other = _coerce(other, self, "__truediv__")
        _broadcast_shape(self, other, "__truediv__")
        a, b = self.data, other.data
        if np.any(b == 0):
            raise ZeroDivisionError(
                f"Tensor.__truediv__: the divisor has {np.count_nonzero(b == 0)} zero entries."
            )
        return _node(a / b, (self, other), (lambda g: g / b, lambda g: -g * a / (b * b)), "/")

    def __neg__(self):
        """z = −a. Local rule: g ↦ −g."""
        return _node(-self.data, (self,), (np.negative,), "neg")

    def __pow__(self, p):
        """z = a ** p, for a number p or a Tensor p (broadcast).

        Local rules: g ↦ g ⊙ p a^(p−1) for a; g ↦ g ⊙ a^p log a for p (which needs a > 0).
        """
        a = self.data
        if isinstance(p, numbers.Real) and not isinstance(p, bool):
            p = float(p)
            if not np.isfinite(p):
                raise ValueError(f"Tensor.__pow__: the exponent must be finite, got {p!r}.")
            if p != int(p) and np.any(a < 0):
                raise ValueError(
                    f"Tensor.__pow__: a negative base needs an integer exponent, got "
                    f"{np.count_nonzero(a < 0)} negative entries ** {p!r}."
                )
            if p < 0 and np.any(a == 0):
                raise ZeroDivisionError(f"Tensor.__pow__: 0 ** {p!r} is undefined.")
            z = a**p
            local = np.zeros_like(a) if p == 0 else p * a ** (p - 1)  # a ** 0 = 1: constant
            return _node(z, (self,), (lambda g: g * local,), f"**{p:g}")
        other = _coerce(p, self, "__pow__")
        _broadcast_shape(self, other, "__pow__")
        b = other.data
        if other.requires_grad and np.any(a <= 0):
            raise ValueError(
                "Tensor.__pow__: the gradient with respect to the exponent, a^p log a, needs "
                f"a base > 0, got {np.count_nonzero(a <= 0)} entries <= 0."
            )
        if np.any((a == 0) & (b < 0)):
            raise ZeroDivisionError("Tensor.__pow__: 0 ** (a negative exponent) is undefined.")
        z = a**b
        rules = (lambda g: g * b * a ** (b - 1),
                 lambda g: g * z * np.log(np.where(a > 0, a, 1.0)))
        return _node(z, (self, other), rules, "**")

    def exp(self):
        """z = exp(a). Local rule: g ↦ g ⊙ exp(a) = g ⊙ z."""
        with np.errstate(over="ignore"):
            z = np.exp(self.data)
        if not np.all(np.isfinite(z)) and np.all(np.isfinite(self.data)):
            top = float(np.max(self.data))
            raise OverflowError(
                f"Tensor.exp: exp overflows {self.dtype} (largest input {top:.4g}; float64 "
                f"needs <= 709.78). Subtract the row maximum first, as log-sum-exp does "
                f"(book: eq-logsumexp)."
            )
        return _node(z, (self,), (lambda g: g * z,), "exp")

    def log(self):
        """z = log(a) (natural log, a > 0). Local rule: g ↦ g / a."""
        a = self.data
        if not np.all(a > 0):
            raise ValueError(
                f"Tensor.log: log needs every entry > 0, got {np.count_nonzero(~(a > 0))} "
                f"entries <= 0 (or NaN)."
            )
        return _node(np.log(a), (self,), (lambda g: g / a,), "log")

    def tanh(self):
        """z = tanh(a). Local rule: g ↦ g ⊙ (1 − z²) (book: eq-tanh-grad)."""
        z = np.tanh(self.data)
        return _node(z, (self,), (lambda g: g * (1 - z * z),), "tanh")

    def relu(self):
        """z = max(a, 0). Local rule: g ↦ g ⊙ 1[a > 0], 0 at the kink (book: eq-relu-grad)."""
        positive = self.data > 0
        z = np.maximum(self.data, 0)
        return _node(z, (self,), (lambda g: g * positive,), "relu")

    # a number or an array on the left: 2 - t calls t.__rsub__(2), and so on
    def __radd__(self, other):
        return _coerce(other, self, "__radd__") + self

    def __rsub__(self, other):
        return _coerce(other, self, "__rsub__") - self

    def __rmul__(self, other):
        return _coerce(other, self, "__rmul__") * self

    def __rtruediv__(self, other):
        return _coerce(other, self, "__rtruediv__") / self

    def __rpow__(self, other):
        return _coerce(other, self, "__rpow__") ** self

    def __rmatmul__(self, other):
        return _coerce(other, self, "__rmatmul__") @ self

    # ---- the matrix product ------------------------------------------------------------------
    def __matmul__(self, other):
        """Z = A @ B, numpy's matrix product (stacks of matrices broadcast; 1-d operands are
        vectors). Local rules (book: eq-matmul-grad):

            g ↦ G Bᵀ for A,    g ↦ Aᵀ G for B,

        each summed over the stack axes an operand was broadcast along.
        """
        other = _coerce(other, self, "__matmul__")
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"Tensor.__matmul__: both operands need at least 1 dimension, got shapes "
                f"{a.shape} @ {b.shape}; for a product by a number use *."
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
            raise ValueError(
                f"Tensor.__matmul__: shapes {a.shape} @ {b.shape} do not fit: A's last axis "
                f"({a.shape[-1]}) must equal B's {'second-to-last' if b.ndim > 1 else 'only'} "
                f"axis ({inner_b}). Is an operand transposed?"
            )
        # a vector is a matrix with one row (on the left) or one column (on the right)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        try:
            z = a2 @ b2
        except ValueError:
            raise ValueError(
                f"Tensor.__matmul__: the stack axes of {a.shape} and {b.shape} do not broadcast."
            ) from None

        def as_matrix(g):  # put back the axes that the vector cases removed from Z
            if b.ndim == 1:
                g = g[..., None]
            if a.ndim == 1:
                g = g[..., None, :]
            return g

        def rule_a(g):  # dA = G Bᵀ, then back to A's own layout
            da = as_matrix(g) @ np.swapaxes(b2, -1, -2)
            return da[..., 0, :] if a.ndim == 1 else da

        def rule_b(g):  # dB = Aᵀ G
            db = np.swapaxes(a2, -1, -2) @ as_matrix(g)
            return db[..., :, 0] if b.ndim == 1 else db

        if b.ndim == 1:
            z = z[..., 0]
        if a.ndim == 1:
            z = z[..., 0, :] if b.ndim > 1 else z[..., 0]
        return _node(z, (self, other), (rule_a, rule_b), "@")

    # ---- reductions --------------------------------------------------------------------------
    def sum(self, axis=None, keepdims: bool = False):
        """z = Σ a over ``axis`` (None: all). Local rule: g, broadcast back to a's shape: every
        entry of a enters its sum with weight 1 (book: eq-sum-grad)."""
        axes = _axes(axis, self.ndim, "sum")
        shape = self.shape
        z = self.data.sum(axis=axes, keepdims=keepdims)

        def rule(g):
            kept = g if keepdims else np.expand_dims(g, axes)  # reduced axes back, length 1
            return np.broadcast_to(kept, shape)  # a view: the copies cost no memory

        return _node(z, (self,), (rule,), "sum")

    def mean(self, axis=None, keepdims: bool = False):
        """z = (1/n) Σ a over ``axis``, n the number of entries summed: a sum, then a product
        by the number 1/n (two nodes of the graph)."""
        axes = _axes(axis, self.ndim, "mean")
        count = int(np.prod([self.shape[i] for i in axes]))
        if count == 0:
            raise ValueError(f"Tensor.mean: the mean of no entries (shape {self.shape}, "
                             f"axis {axis!r}) is undefined.")
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / count)

    def max(self, axis=None, keepdims: bool = False):
        """z = max of a over ``axis`` (None: all; a tuple: several axes at once).

        Local rule (book: eq-max-grad): g goes to the entry that is the maximum, the others
        get 0; the maximum, locally, is that one entry. Ties: the FIRST maximum in row-major
        order over the reduced axes (numpy's argmax), as PyTorch's max pooling does.
        """
        axes = _axes(axis, self.ndim, "max")
        if any(self.shape[i] == 0 for i in axes):
            raise ValueError(f"Tensor.max: the maximum of no entries (shape {self.shape}, "
                             f"axis {axis!r}) is undefined.")
        kept = [i for i in range(self.ndim) if i not in axes]
        moved = np.transpose(self.data, kept + list(axes))  # (kept axes..., reduced axes...)
        rows = moved.reshape(moved.shape[: len(kept)] + (-1,))  # reduced axes -> one, length k
        first = rows.argmax(axis=-1)[..., None]  # (kept..., 1): where each maximum is
        z = np.take_along_axis(rows, first, axis=-1)[..., 0]
        if keepdims:
            z = z.reshape([1 if i in axes else n for i, n in enumerate(self.shape)])
        back = np.argsort(kept + list(axes))  # the permutation that undoes `moved`

        def rule(g):
            d = np.zeros(rows.shape, dtype=g.dtype)
            np.put_along_axis(d, first, g.reshape(first.shape), axis=-1)  # g to the argmax
            return np.transpose(d.reshape(moved.shape), back)

        return _node(z, (self,), (rule,), "max")

    # ---- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same entries in another shape (numpy's row-major order; one axis may be -1).
        Local rule: g reshaped back to a's shape: every entry moves, none is added."""
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        in_shape = self.shape
        try:
            z = self.data.reshape(shape)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"Tensor.reshape: cannot reshape {in_shape} ({self.size} entries) to "
                f"{shape}: {err}."
            ) from None
        return _node(z, (self,), (lambda g: g.reshape(in_shape),), "reshape")

    def transpose(self, *axes):
        """Permute the axes (none given: reverse them). Local rule: g with the inverse
        permutation."""
        if len(axes) == 1 and isinstance(axes[0], tuple | list):
            axes = tuple(axes[0])
        axes = axes or tuple(reversed(range(self.ndim)))
        if sorted(int(a) % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(
                f"Tensor.transpose: axes {axes} are not a permutation of the {self.ndim} axes "
                f"of a tensor of shape {self.shape}."
            )
        axes = tuple(int(a) % self.ndim for a in axes)
        back = tuple(np.argsort(axes))
        return _node(self.data.transpose(axes), (self,), (lambda g: g.transpose(back),),
                     "transpose")

    @property
    def T(self):
        """The axes reversed (a matrix transposed)."""
        return self.transpose()

    def __getitem__(self, index):
        """z = a[index]: numpy's basic (slices, ints, None, ...) and advanced (integer or
        boolean arrays) indexing. Local rule (book: eq-index-grad): g is added back at the
        positions it was read from, ``np.add.at(da, index, g)``; an entry read twice (a
        repeated index) receives both gradients (book: eq-chain-multiple)."""
        index = _plain_index(index)
        a = self.data
        try:
            z = a[index]
        except IndexError as err:
            raise IndexError(f"Tensor.__getitem__: {err} (tensor of shape {a.shape}).") from None

        def rule(g):
            d = np.zeros(a.shape, dtype=g.dtype)
            np.add.at(d, index, g)  # unbuffered: repeated indices add up
            return d

        return _node(z, (self,), (rule,), "index")

    def pad(self, pad_width):
        """Zeros around the tensor, numpy's ``np.pad(a, pad_width)`` (``pad_width``: an int, a
        pair (before, after), or one pair per axis). Local rule: g without the padding (the
        zeros are constants)."""
        try:
            widths = np.broadcast_to(np.asarray(pad_width), (self.ndim, 2))
        except ValueError:
            raise ValueError(
                f"Tensor.pad: pad_width {pad_width!r} does not fit a tensor with {self.ndim} "
                f"dimensions; give an int, a pair (before, after), or one pair per axis."
            ) from None
        if not np.issubdtype(widths.dtype, np.integer) or np.any(widths < 0):
            raise ValueError(f"Tensor.pad: pad_width must hold integers >= 0, got {pad_width!r}.")
        widths = [(int(lo), int(hi)) for lo, hi in widths]
        inside = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, self.shape, strict=True))
        return _node(np.pad(self.data, widths), (self,), (lambda g: g[inside],), "pad")

    def windows(self, kernel_size, stride=1):
        """The sliding windows over the last two axes, the input of convolution and pooling.

        ``(..., H, W) -> (..., OH, OW, KH, KW)``: entry ``[..., p, q, i, j]`` is
        ``a[..., p·SH + i, q·SW + j]``, with ``OH = ⌊(H − KH)/SH⌋ + 1`` and likewise OW
        (book: eq-pool-output-size). The forward value is a strided view: no copy.

        Local rule (book: eq-window-grad): each window's gradient is added back onto the
        pixels it was read from; a pixel inside several windows (stride < kernel) receives
        the sum of their gradients, and one in no window gets 0.

        Args:
            kernel_size: K or (KH, KW).
            stride: S or (SH, SW), default 1.
        """
        kh, kw = _pair(kernel_size, "windows", "kernel_size")
        sh, sw = _pair(stride, "windows", "stride")
        if self.ndim < 2 or kh > self.shape[-2] or kw > self.shape[-1]:
            raise ValueError(
                f"Tensor.windows: a ({kh}, {kw}) window does not fit in the last two axes of "
                f"a tensor of shape {self.shape}."
            )
        a = self.data
        every = np.lib.stride_tricks.sliding_window_view(a, (kh, kw), axis=(-2, -1))
        z = every[..., ::sh, ::sw, :, :]  # (..., OH, OW, KH, KW), a view of a
        oh, ow = z.shape[-4], z.shape[-3]

        def rule(g):
            d = np.zeros(a.shape, dtype=g.dtype)
            for i in range(kh):  # offset (i, j) inside the window: one strided block per offset
                for j in range(kw):
                    d[..., i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += (
                        g[..., i, j])
            return d

        return _node(z, (self,), (rule,), "windows")

    def detach(self):
        """A new leaf with the same value (shared, not copied) that does not require a
        gradient: a constant for the graph."""
        return Tensor(self.data)

    # ---- reverse mode ------------------------------------------------------------------------
    def backward(self, grad=None, *, retain_graph: bool = False) -> None:
        """Fill ``.grad`` of this tensor and of every tensor it depends on with ∂L/∂tensor.

        Seeds ``self.grad`` with ``grad`` (∂L/∂self; for a one-element output, 1 by default),
        then visits the nodes from this output back to the inputs, each after every node that
        uses it, and applies one line at every node, for each parent (book: eq-upstream-local,
        eq-broadcast-grad):

            parent.grad += unbroadcast(rule(node.grad), parent.shape)

        ``+=`` because a tensor used several times gets the sum over its uses
        (book: eq-chain-multiple). The inputs (leaves) accumulate across calls, like PyTorch:
        call :meth:`zero_grad` between two steps. The walk is iterative (no recursion limit).

        Args:
            grad: ∂L/∂self, an array of this tensor's exact shape; may be omitted only when the
                tensor has one element (a loss).
            retain_graph: keep the local rules (and the arrays they saved) for another backward
                pass. By default they are released, like PyTorch, and a second backward through
                the same graph raises ``RuntimeError``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "Tensor.backward: this tensor does not require a gradient (no input of its "
                "graph was created with requires_grad=True), so there is nothing to compute."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"Tensor.backward: backward() without a gradient needs a one-element output "
                    f"(a loss), got shape {self.shape}. Pass grad=∂L/∂this, an array of shape "
                    f"{self.shape}, or reduce the tensor first (e.g. .sum())."
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
            if grad.shape != self.shape:
                raise ValueError(
                    f"Tensor.backward: grad must have this tensor's shape {self.shape}, got "
                    f"{grad.shape} (it is ∂L/∂this: one number per entry, no broadcasting)."
                )
            if grad.dtype.kind not in "fiu":  # float, signed or unsigned integer
                raise TypeError(f"Tensor.backward: grad must hold real numbers, got {grad.dtype}.")
        order = topological_order(self)  # inputs first, self last
        for node in order:
            if node._freed:
                raise RuntimeError(_freed_message(node))
            if node._parents:  # an intermediate result: its gradient is this call's
                node.grad = np.zeros_like(node.data)
            elif node.grad is None:  # an input: accumulates over calls
                node.grad = np.zeros_like(node.data)
        self.grad += grad  # ∂L/∂self: where the chain rule starts
        for node in reversed(order):  # output first, inputs last
            for parent, rule in zip(node._parents, node._rules, strict=True):
                if parent.requires_grad:  # downstream += upstream × local, summed
                    # over the axes the parent was broadcast along
                    parent.grad += unbroadcast(rule(node.grad), parent.shape)
            if not retain_graph and node._parents:
                node._parents, node._rules, node._freed = (), (), True

    def zero_grad(self) -> None:
        """Forget the gradient: ``grad = None`` (the next backward starts from 0)."""
        self.grad = None


_identity: Rule = lambda g: g  # noqa: E731  (the local rule of +: pass g on unchanged)


def _freed_message(node: Tensor) -> str:
    return (
        f"Tensor.backward: the graph through a {node._op!r} node was freed by an earlier "
        f"backward() (its saved arrays were released). To backpropagate twice through the "
        f"same graph, call backward(retain_graph=True) the first time, or run the forward "
        f"pass again."
    )


def _plain_index(index):
    """An index for numpy: Tensors inside it replaced by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _node(data: np.ndarray, parents: tuple[Tensor, ...], rules: tuple[Rule, ...], op: str):
    """The result of an operation: a new Tensor that remembers how it was made (when one of
    its parents requires a gradient; otherwise it is a constant and keeps nothing)."""
    out = Tensor.__new__(Tensor)
    out.data = np.asarray(data)
    out.grad, out.label, out._op, out._freed = None, "", op, False
    out.requires_grad = any(p.requires_grad for p in parents)
    if out.requires_grad:
        out._parents, out._rules = parents, rules
    else:
        out._parents, out._rules = (), ()
    return out


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on that requires a gradient, each after all of its
    parents; ``root`` comes last. A depth-first search with an explicit stack (no recursion)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"topological_order: expected a Tensor, got {type(root).__name__}")
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:  # second visit: every parent is already in `order`
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents if p.requires_grad and id(p) not in seen)
    return order


# ---- what a graph costs ----------------------------------------------------------------------


class GraphStats(NamedTuple):
    """What the graph behind a tensor holds (see :func:`graph_stats`)."""

    nodes: int  # operations recorded (the inputs not counted)
    ops: dict  # operation name -> how many times it occurs
    bytes_kept: int  # memory of every distinct array the graph keeps alive
    leaf_bytes: int  # the part of it that the leaves (inputs, parameters) own


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory of ``array`` (a view's base, followed to the end)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def graph_stats(root: Tensor) -> GraphStats:
    """Count the operations of the graph behind ``root`` and the bytes of memory it keeps.

    Every node keeps its value, and every local rule keeps the arrays it needs (for
    ``z = a * b``, both a and b): that is what reverse mode pays for its speed (book:
    chapter 3's memory cost). Views (a reshape, a slice, the windows) share the memory of the
    array they look into, which is counted once. ``leaf_bytes`` is the part the leaves own
    (the inputs and parameters requiring a gradient, which exist anyway); the rest is the
    price of the graph. Call it before ``backward``, which frees the rules.
    """
    order = topological_order(root)
    nodes = [n for n in order if n._op]
    leaves = {id(_owner(n.data)): _owner(n.data).nbytes for n in order if not n._op}
    owners: dict[int, int] = {}
    for node in order:
        arrays = [node.data]
        for rule in node._rules:
            for cell in getattr(rule, "__closure__", None) or ():
                value = cell.cell_contents
                if isinstance(value, np.ndarray):
                    arrays.append(value)
        for array in arrays:
            owner = _owner(array)
            owners[id(owner)] = owner.nbytes
    return GraphStats(len(nodes), dict(Counter(n._op for n in nodes)), sum(owners.values()),
                      sum(leaves.values()))
