"""Exercise checks of chapter 3: the reference passes, a stub is "not written yet", each
known mistake gets its own hint, and an unrelated mistake gets the generic hint."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.exercises import ExerciseFailed, ch03


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- Exercise 3.1: what a reader might write -----------------------------------------------------


def linear_right(x, W, b, dout):
    dx = np.einsum("nj,ji->ni", dout, W)
    dW = sum(np.outer(dout[n], x[n]) for n in range(x.shape[0]))
    db = dout.sum(axis=0)
    return dx, dW, db


def linear_dx_transposed(x, W, b, dout):
    _, dW, db = linear_right(x, W, b, dout)
    return dout @ W.T, dW, db


def linear_dx_averaged(x, W, b, dout):
    dx, dW, db = linear_right(x, W, b, dout)
    return dx / len(x), dW, db


def linear_dW_transposed(x, W, b, dout):
    dx, _, db = linear_right(x, W, b, dout)
    return dx, x.T @ dout, db


def linear_dW_averaged(x, W, b, dout):
    dx, dW, db = linear_right(x, W, b, dout)
    return dx, dW / len(x), db


def linear_dW_first_example(x, W, b, dout):
    dx, _, db = linear_right(x, W, b, dout)
    return dx, dout[:1].T @ x[:1], db


def linear_db_not_summed(x, W, b, dout):
    dx, dW, _ = linear_right(x, W, b, dout)
    return dx, dW, dout.copy()


def linear_db_averaged(x, W, b, dout):
    dx, dW, _ = linear_right(x, W, b, dout)
    return dx, dW, np.mean(dout, axis=0)


def linear_db_first_example(x, W, b, dout):
    dx, dW, _ = linear_right(x, W, b, dout)
    return dx, dW, dout[0].copy()


def linear_not_a_tuple(x, W, b, dout):
    return linear_right(x, W, b, dout)[1]


# --- Exercise 3.2: what a reader might write -----------------------------------------------------


def delta_right(delta_next, W_next, a):
    grad_h = W_next.T @ delta_next
    h = sigmoid(a)
    return grad_h * h * (1 - h)


def delta_no_slope(delta_next, W_next, a):
    return W_next.T @ delta_next


def delta_dot_product(delta_next, W_next, a):
    h = sigmoid(a)
    return np.dot(W_next.T @ delta_next, h * (1 - h))


def delta_slope_at_h(delta_next, W_next, a):
    h = sigmoid(a)
    s = sigmoid(h)
    return (W_next.T @ delta_next) * s * (1 - s)


def delta_sigma_not_slope(delta_next, W_next, a):
    return (W_next.T @ delta_next) * sigmoid(a)


def delta_untransposed(delta_next, W_next, a):
    h = sigmoid(a)
    return (W_next @ delta_next) * h * (1 - h)


# --- the tests ----------------------------------------------------------------------------------


def test_references_pass(capsys):
    ch03.linear_backward(linear_right)
    ch03.delta_recursion(delta_right)
    out = capsys.readouterr().out
    for part in ("(dx)", "(dW)", "(db)"):
        assert f"✓ Exercise 3.1 {part}: all " in out
    assert "✓ Exercise 3.2" in out


@pytest.mark.parametrize("check", [ch03.linear_backward, ch03.delta_recursion])
def test_stub_is_not_written_yet(check):
    def stub(**kwargs):
        raise NotImplementedError("Exercise 3.x")

    with pytest.raises(ExerciseFailed, match="not written yet"):
        check(stub)


def test_unrelated_mistakes_get_the_generic_hint():
    with pytest.raises(ExerciseFailed) as info:
        ch03.linear_backward(lambda x, W, b, dout: (2 * x, W, b))
    assert "(dx): case 1 of 24 is wrong" in str(info.value)
    assert "dX always has X's shape" in str(info.value)
    with pytest.raises(ExerciseFailed) as info:
        ch03.delta_recursion(lambda delta_next, W_next, a: -a)
    assert "do it in two steps" in str(info.value)


def test_a_result_that_is_not_a_tuple_is_explained():
    with pytest.raises(ExerciseFailed, match=r"must return the tuple \(dx, dW, db\)"):
        ch03.linear_backward(linear_not_a_tuple)


@pytest.mark.parametrize(
    ("check", "wrong", "part", "hint"),
    [
        (ch03.linear_backward, linear_dx_transposed, "(dx)", "carried [001] Pierret's transpose"),
        (ch03.linear_backward, linear_dx_averaged, "(dx)", "dx is divided by the batch size"),
        (ch03.linear_backward, linear_dW_transposed, "(dW)", "dW is transposed"),
        (ch03.linear_backward, linear_dW_averaged, "(dW)", "dW is divided by the batch size"),
        (ch03.linear_backward, linear_dW_first_example, "(dW)", "dW only uses the first"),
        (ch03.linear_backward, linear_db_not_summed, "(db)", "db must have b's shape"),
        (ch03.linear_backward, linear_db_averaged, "(db)", "db is averaged over the batch"),
        (ch03.linear_backward, linear_db_first_example, "(db)", "db only uses the first"),
        (ch03.delta_recursion, delta_no_slope, "", "you stopped at ∇_{h_k}E"),
        (ch03.delta_recursion, delta_dot_product, "", "it is not a dot product"),
        (ch03.delta_recursion, delta_slope_at_h, "", "at the pre-activation a_k"),
        (ch03.delta_recursion, delta_sigma_not_slope, "", "the activation itself"),
        (ch03.delta_recursion, delta_untransposed, "", "transposes the matrix"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[:30],
)
def test_known_mistake_gets_its_hint(check, wrong, part, hint):
    with pytest.raises(ExerciseFailed) as info:
        check(wrong)
    text = str(info.value)
    assert f"{part}: case 1 of 24 is wrong" in text
    assert hint in text


def test_every_check_is_exported():
    assert sorted(ch03.__all__) == ["delta_recursion", "linear_backward"]


def test_the_cases_cover_square_and_rectangular_shapes():
    shapes = {(c["W"].shape[0] == c["W"].shape[1]) for c in ch03._cases_31()}
    assert shapes == {True, False}
    shapes = {(c["W_next"].shape[0] == c["W_next"].shape[1]) for c in ch03._cases_32()}
    assert shapes == {True, False}
