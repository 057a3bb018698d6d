"""Numerical gradients by centred finite differences, and a check with a readable report.

The centred difference (book: {eq}`eq-fd-centred`)

    df/dx_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

has error O(eps²); in float64 with eps = 1e-6 it agrees with an exact gradient to about 1e-9
relative error, which is why every check in this library and in the book runs in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, *, eps: float = 1e-6
) -> np.ndarray:
    """Centred finite-difference gradient of the scalar function ``f`` at ``x`` (eq-fd-centred).

    Args:
        f: callable taking an array of ``x``'s shape and returning a scalar.
        x: float64 array; it is perturbed in place one entry at a time and restored.
        eps: the step.

    Returns:
        array of ``x``'s shape with ``grad[i] ≈ ∂f/∂x[i]``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(
            "numerical_gradient: x must be a float64 numpy array (finite differences in float32 "
            f"are too coarse to check anything), got {getattr(x, 'dtype', type(x).__name__)}."
        )
    grad = np.zeros(x.shape, dtype=np.float64)
    # Index x itself (not a reshaped copy): a transposed or sliced x is not contiguous, and
    # x.reshape(-1) would then perturb a copy that f never sees.
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        f_plus = float(f(x))
        x[index] = saved - eps
        f_minus = float(f(x))
        x[index] = saved
        grad[index] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``‖a − n‖ / max(‖a‖ + ‖n‖, 1e-300)``: 0 when equal, about 1 when unrelated.

    A norm-wise error does not blow up on entries that are (nearly) zero, unlike the
    entry-wise ratio.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {n.shape}.")
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(n)), 1e-300)
    return float(np.linalg.norm(a - n)) / denom


@dataclass
class GradcheckEntry:
    name: str
    relative_error: float
    max_abs_error: float
    ok: bool
    # > 0 when the entry passed only because every difference is below the finite
    # differences' rounding floor (a gradient too small for a relative error to mean much)
    noise_floor: float = 0.0


@dataclass
class GradcheckReport:
    """What :func:`check_layer` / :func:`check_function` found, one entry per gradient."""

    what: str
    tol: float
    entries: list[GradcheckEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.entries)

    @property
    def max_relative_error(self) -> float:
        return max((e.relative_error for e in self.entries), default=0.0)

    def __str__(self) -> str:
        lines = [f"gradcheck {self.what} (tolerance {self.tol:.0e} on the relative error)"]
        for e in self.entries:
            mark = "ok  " if e.ok else "FAIL"
            lines.append(
                f"  {mark} {e.name:<8} relative error {e.relative_error:.2e}   "
                f"max |analytic - numeric| {e.max_abs_error:.2e}"
                + (f" (below the finite-difference noise, {e.noise_floor:.1e})"
                   if e.noise_floor else "")
            )
        return "\n".join(lines)

    def __repr__(self) -> str:  # notebooks display the readable table
        return str(self)

    def raise_if_failed(self) -> GradcheckReport:
        if not self.ok:
            raise AssertionError(str(self))
        return self


def _entry(
    name: str, analytic: np.ndarray, numeric: np.ndarray, tol: float, noise: float = 0.0
) -> GradcheckEntry:
    """One gradient's verdict: relative error within ``tol``, or every entry within ``noise``.

    ``noise`` is the rounding floor of the finite differences (see :func:`check_layer`): when
    the whole gradient is that small, their relative error measures rounding, not the formula.
    """
    if analytic.shape != numeric.shape:
        raise AssertionError(
            f"gradcheck: the analytic gradient d{name} has shape {analytic.shape} but {name} has "
            f"shape {numeric.shape}; dX must always have X's shape."
        )
    err = relative_error(analytic, numeric)
    max_abs = float(np.max(np.abs(analytic - numeric))) if analytic.size else 0.0
    within_noise = err > tol and max_abs <= noise
    return GradcheckEntry(name, err, max_abs, bool(err <= tol or within_noise),
                          noise if within_noise else 0.0)


def check_layer(
    layer,
    x: np.ndarray,
    *,
    dout: np.ndarray | None = None,
    rng=None,
    eps: float = 1e-6,
    tol: float = 1e-7,
) -> GradcheckReport:
    """Compare a layer's ``backward`` with finite differences, for ``x`` and every parameter.

    The scalar checked is ``L = Σ out ⊙ dout`` with a random, non-uniform upstream gradient
    ``dout`` (a uniform one would hide transposed or mixed-up indices), so ``∂L/∂out = dout``
    and ``layer.backward(dout)`` must return ``∂L/∂x``.

    Args:
        layer: any object with ``forward``, ``backward``, ``params``, ``grads``.
        x: float64 input.
        dout: upstream gradient of the output's shape; drawn from ``rng`` if None.
        rng: a ``numpy.random.Generator`` (seeded by default).

    Returns:
        a :class:`GradcheckReport` (``.ok``, printable; ``.raise_if_failed()``).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    x = np.array(x, dtype=np.float64, copy=True)
    out = layer.forward(x)
    if dout is None:
        dout = rng.standard_normal(out.shape)
    dout = np.asarray(dout, dtype=np.float64)

    def scalar_of_x(xv):
        return float(np.sum(layer.forward(xv) * dout))

    # Each f(x ± eps) carries a rounding error of about machine-eps × Σ|out ⊙ dout|, so
    # every numerical derivative is uncertain by about that / eps. A gradient whose
    # entries all agree within 10 times this floor passes even if its relative error
    # exceeds tol: e.g. Softmax on two classes, whose gradient s₁s₂(d₁ − d₂) can be 1e-10.
    noise = 10 * np.finfo(np.float64).eps * float(np.sum(np.abs(out * dout))) / eps

    layer.forward(x)
    dx = layer.backward(dout)
    analytic = {"x": np.array(dx, copy=True)}
    analytic.update({k: np.array(g, copy=True) for k, g in layer.grads.items()})

    report = GradcheckReport(what=repr(layer), tol=tol)
    report.entries.append(
        _entry("x", analytic["x"], numerical_gradient(scalar_of_x, x, eps=eps), tol, noise)
    )
    for key, value in layer.params.items():
        numeric = numerical_gradient(lambda _v: scalar_of_x(x), value, eps=eps)
        report.entries.append(_entry(key, analytic[key], numeric, tol, noise))
    return report


def check_function(
    f: Callable[..., float],
    grads: dict[str, np.ndarray],
    inputs: dict[str, np.ndarray],
    *,
    eps: float = 1e-6,
    tol: float = 1e-7,
    what: str = "function",
) -> GradcheckReport:
    """Check analytic gradients ``grads[name]`` of the scalar ``f(**inputs)`` for each input."""
    report = GradcheckReport(what=what, tol=tol)
    for name, value in inputs.items():

        def f_of(v, name=name):
            return f(**{**inputs, name: v})

        numeric = numerical_gradient(f_of, np.array(value, dtype=np.float64, copy=True), eps=eps)
        report.entries.append(_entry(name, np.asarray(grads[name], dtype=np.float64), numeric, tol))
    return report


def check_loss(
    loss,
    pred: np.ndarray,
    target: np.ndarray,
    *,
    eps: float = 1e-6,
    tol: float = 1e-7,
) -> GradcheckReport:
    """Compare a loss's ``backward()`` with finite differences of ``loss.forward(pred, target)``.

    A loss ends the graph, so its output is the scalar itself and no upstream gradient is
    needed: ``loss.backward()`` must return ``∂loss/∂pred`` (book: eq-fd-centred).

    Args:
        loss: an object with ``forward(pred, target) -> float`` and ``backward() -> dpred``.
        pred: float64 prediction, e.g. logits of shape (N, K).
        target: what ``loss.forward`` takes as target (left untouched).

    Returns:
        a :class:`GradcheckReport` with one entry, ``pred``.
    """
    pred = np.array(pred, dtype=np.float64, copy=True)
    loss.forward(pred, target)
    analytic = np.array(loss.backward(), copy=True)
    numeric = numerical_gradient(lambda p: loss.forward(p, target), pred, eps=eps)
    report = GradcheckReport(what=repr(loss), tol=tol)
    report.entries.append(_entry("pred", analytic, numeric, tol))
    return report
