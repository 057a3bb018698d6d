"""bplib.gradcheck: finite differences are accurate, and the checks catch wrong gradients."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.gradcheck import (
    GradcheckReport,
    check_function,
    check_layer,
    check_loss,
    numerical_gradient,
    relative_error,
)
from bplib.layers import Linear
from bplib.losses import MSELoss


def test_numerical_gradient_of_a_cubic(rng):
    x = rng.standard_normal((3, 2))
    saved = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, saved)  # every perturbation is undone


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: float(v.sum()), np.ones(3, dtype=np.float32))


def test_relative_error():
    a = np.array([1.0, -2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, a * (1 + 1e-9)) < 1e-9
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(a, a[:2])


class TransposedLinear(Linear):
    """A classic bug: dx = dout @ W.T (shapes only work when W is square)."""

    def backward(self, dout):
        dx = super().backward(dout)
        x, W = self.cache
        return dx * 0 + dout @ W.T


class HalfBiasLinear(Linear):
    """Another bug: the bias gradient is a mean over the batch instead of a sum."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"] = dout.mean(axis=0)
        return dx


def test_check_layer_passes_a_correct_layer(rng):
    report = check_layer(Linear(3, 4, rng=rng), rng.standard_normal((2, 3)), rng=rng)
    assert report.ok and report.max_relative_error < 1e-8
    assert report.raise_if_failed() is report
    text = str(report)
    assert text.startswith("gradcheck Linear(in_features=3, out_features=4)")
    assert text.count("ok  ") == 3 and "FAIL" not in text


@pytest.mark.parametrize(("cls", "bad"), [(TransposedLinear, "x"), (HalfBiasLinear, "b")])
def test_check_layer_catches_a_wrong_gradient(cls, bad, rng):
    report = check_layer(cls(3, 3, rng=rng), rng.standard_normal((4, 3)), rng=rng)
    assert not report.ok
    failed = [e.name for e in report.entries if not e.ok]
    assert failed == [bad]
    with pytest.raises(AssertionError, match=f"FAIL {bad}"):
        report.raise_if_failed()


def test_check_layer_reports_a_wrong_shape(rng):
    class Squeezed(Linear):
        def backward(self, dout):
            return super().backward(dout).ravel()

    with pytest.raises(AssertionError, match=r"dx has shape \(6,\) but x has shape \(3, 2\)"):
        check_layer(Squeezed(2, 2, rng=rng), rng.standard_normal((3, 2)))


def test_check_function(rng):
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    good = check_function(lambda x, y: float(np.sum(x * y)), {"x": y, "y": x}, {"x": x, "y": y})
    assert good.ok and [e.name for e in good.entries] == ["x", "y"]
    bad = check_function(lambda x, y: float(np.sum(x * y)), {"x": x, "y": y}, {"x": x, "y": y})
    assert not bad.ok


def test_check_loss(rng):
    pred, target = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    assert check_loss(MSELoss(), pred, target).ok

    class NoFactorTwo(MSELoss):
        def backward(self):
            return super().backward() / 2  # [001] Pierret's ½‖y − d‖² gradient with a mean loss

    report = check_loss(NoFactorTwo(), pred, target)
    assert not report.ok and report.entries[0].name == "pred"


def test_empty_report_is_ok():
    report = GradcheckReport(what="nothing", tol=1e-7)
    assert report.ok and report.max_relative_error == 0.0


def test_numerical_gradient_of_a_non_contiguous_array():
    """A transposed array is not C-contiguous; the perturbation must still reach f."""
    from bplib.gradcheck import numerical_gradient

    x = np.arange(6.0).reshape(2, 3).T  # (3, 2), a view with Fortran-like strides
    grad = numerical_gradient(lambda v: float((v**2).sum()), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8)


def test_a_gradient_within_the_finite_difference_noise_passes_and_says_so():
    """Softmax on two classes: the gradient s1 s2 (d1 - d2) can be ~1e-10, where the finite
    differences' rounding (machine eps * |L| / eps ~ 1e-10) decides the relative error. This
    case, found by hypothesis, failed with a relative error of 4e-7 on a correct backward."""
    from bplib.layers import Softmax

    rng = np.random.default_rng(5859)
    report = check_layer(Softmax(), 2 * rng.standard_normal((1, 2)), rng=rng)
    assert report.ok, str(report)
    (entry,) = report.entries
    assert entry.relative_error > report.tol and entry.max_abs_error < 1e-9
    assert "below the finite-difference noise" in str(report)


def test_the_noise_floor_does_not_let_a_wrong_gradient_pass(rng):
    from bplib.layers import Softmax

    class OffBySome(Softmax):
        def backward(self, dout):
            return 1.001 * super().backward(dout)

    x = rng.standard_normal((3, 4))
    assert check_layer(Softmax(), x, rng=np.random.default_rng(1)).ok
    report = check_layer(OffBySome(), x, rng=np.random.default_rng(1))
    assert not report.ok and "noise" not in str(report), str(report)
