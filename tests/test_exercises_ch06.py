"""The checks of chapter 6's exercises: the reference passes, a stub is told "not written yet",
each known wrong answer gets its own hint, and any other wrong answer the generic one."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bplib.exercises import ExerciseFailed, ch06, check


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 6.x")


# --- the right answers ----------------------------------------------------------------------


def good_minibatch(per_example_grads):
    return per_example_grads.mean(axis=0)


def good_momentum(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return w - lr * v_new, v_new


def good_epoch(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def good_epoch_from_bplib(n, batch_size, rng):
    from bplib.data import batches

    idx = np.arange(n)
    return [ib for _, ib in batches(idx, idx, batch_size, rng=rng)]


CHECKS = [
    (ch06.minibatch_gradient, good_minibatch, ch06.EX61),
    (ch06.sgd_momentum_step, good_momentum, ch06.EX62),
    (ch06.epoch_batches, good_epoch, ch06.EX63),
]


def test_listed_in_all_and_gathered_by_check():
    assert ch06.__all__ == ["minibatch_gradient", "sgd_momentum_step", "epoch_batches"]
    for name in ch06.__all__:
        assert getattr(check, name) is getattr(ch06, name)


@pytest.mark.parametrize(("check_fn", "good", "title"), CHECKS)
def test_reference_passes(check_fn, good, title, capsys):
    check_fn(good)
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {title.partition(':')[0]}: all ")
    assert int(out.split("all ")[1].split()[0]) >= 20


@pytest.mark.parametrize(("check_fn", "good", "title"), CHECKS)
def test_stub_is_not_written_yet(check_fn, good, title):
    with pytest.raises(ExerciseFailed, match=f"^{re.escape(title)}: not written yet"):
        check_fn(stub)


@pytest.mark.parametrize(("check_fn", "good", "title"), CHECKS)
def test_passing_the_result_instead_of_the_function(check_fn, good, title):
    with pytest.raises(ExerciseFailed, match="expects your function itself"):
        check_fn((0.5, 0.5))


def failure(check_fn, fn) -> str:
    with pytest.raises(ExerciseFailed) as info:
        check_fn(fn)
    text = str(info.value)
    assert "hint:" in text
    return text.split("hint:", 1)[1]


# --- Exercise 6.1 ---------------------------------------------------------------------------


def test_minibatch_reference_is_bplibs_batch_gradient():
    """The mean of per-example gradients is what bplib's batch-mean loss backpropagates."""
    from bplib.layers import Linear
    from bplib.losses import CrossEntropyLoss

    rng = np.random.default_rng(0)
    layer = Linear(5, 4, rng=rng)
    x, y = rng.normal(size=(7, 5)), rng.integers(0, 4, size=7)
    loss = CrossEntropyLoss()
    per_example = []
    for i in range(7):
        loss.forward(layer.forward(x[i : i + 1]), y[i : i + 1])
        layer.backward(loss.backward())
        per_example.append(layer.grads["W"].copy())
    loss.forward(layer.forward(x), y)
    layer.backward(loss.backward())
    np.testing.assert_allclose(
        ch06._minibatch_reference(np.array(per_example)), layer.grads["W"], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda per_example_grads: per_example_grads.sum(axis=0), "|B| times too large"),
        (lambda per_example_grads: per_example_grads[0], "gradient of one example"),
        (lambda per_example_grads: per_example_grads.mean(), "you returned one number"),
        (lambda per_example_grads: per_example_grads.mean(axis=-1), "wrong axis"),
        (
            lambda per_example_grads: per_example_grads.sum(axis=0) / per_example_grads.size,
            "wrong count",
        ),
    ],
)
def test_minibatch_known_mistakes_get_their_hint(wrong, words):
    assert words in failure(ch06.minibatch_gradient, wrong)


def test_minibatch_unrelated_mistake_gets_the_generic_hint():
    hint = failure(ch06.minibatch_gradient, lambda per_example_grads: per_example_grads.max(0))
    assert "compute by hand the gradient of the batch's mean loss" in hint


# --- Exercise 6.2 ---------------------------------------------------------------------------


def test_momentum_reference_is_bplib_over_several_steps():
    """The reference, chained, follows bplib's SGD from v = 0 step after step."""
    from types import SimpleNamespace

    from bplib.optim import SGD

    rng = np.random.default_rng(1)
    holder = SimpleNamespace(params={"w": rng.normal(size=3)}, grads={})
    optimizer = SGD(holder, lr=0.1, momentum=0.9)
    w, v = holder.params["w"].copy(), np.zeros(3)
    for _ in range(4):
        g = rng.normal(size=3)
        holder.grads["w"] = g
        optimizer.step()
        w, v = ch06._momentum_reference(w, v, g, 0.1, 0.9)
        np.testing.assert_allclose(holder.params["w"], w, rtol=1e-14)
    # and a hand-computed scalar case: E = w², w0 = 1, γ = 0.1, μ = 0.9
    w, v = np.array([1.0]), np.zeros(1)
    for expected in (0.8, 0.46, 0.062):
        w, v = ch06._momentum_reference(w, v, 2 * w, 0.1, 0.9)
        np.testing.assert_allclose(w, [expected], rtol=1e-12)


def divided(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return w - lr / v_new, v_new


def added(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return w + lr * v_new, v_new


def old_velocity(w, v, g, lr, momentum):
    return w - lr * v, momentum * v + g


def no_momentum(w, v, g, lr, momentum):
    return w - lr * g, g


def decay_on_gradient(w, v, g, lr, momentum):
    v_new = v + momentum * g
    return w - lr * v_new, v_new


def other_convention(w, v, g, lr, momentum):
    v_new = momentum * v - lr * g
    return w + v_new, v_new


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (divided, "you divided by the velocity"),
        (added, "move uphill"),
        (old_velocity, "velocity of the previous step"),
        (no_momentum, "ignores the velocity"),
        (decay_on_gradient, "decay factor belongs to the old velocity"),
        (other_convention, "the other convention"),
    ],
)
def test_momentum_known_mistakes_get_their_hint(wrong, words):
    assert words in failure(ch06.sgd_momentum_step, wrong)


def test_momentum_unrelated_mistake_gets_the_generic_hint():
    def halved(w, v, g, lr, momentum):
        v_new = momentum * v + g
        return w - lr * v_new / 2, v_new

    assert "do the two updates of the step one after the other" in failure(
        ch06.sgd_momentum_step, halved
    )


# --- Exercise 6.3 ---------------------------------------------------------------------------


def test_epoch_from_bplib_batches_passes(capsys):
    ch06.epoch_batches(good_epoch_from_bplib)
    assert "random cases pass." in capsys.readouterr().out


def with_replacement(n, batch_size, rng):
    idx = rng.integers(0, n, size=n)
    return [idx[i : i + batch_size] for i in range(0, n, batch_size)]


def drop_last(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def balanced_sizes(n, batch_size, rng):
    return np.array_split(rng.permutation(n), -(-n // batch_size))


def in_order(n, batch_size, rng):
    order = np.arange(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def global_numpy(n, batch_size, rng):
    order = np.random.permutation(n)  # noqa: NPY002 - the mistake under test
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def own_generator(n, batch_size, rng):
    order = np.random.default_rng(0).permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (with_replacement, "appear twice"),
        (drop_last, "last, smaller batch is missing"),
        (balanced_sizes, "batch sizes are not the ones asked for"),
        (in_order, "follow the order of the data set"),
        (global_numpy, "seeded alike gave different epochs"),
        (own_generator, "two different generators gave the same epoch"),
    ],
)
def test_epoch_known_mistakes_get_their_hint(wrong, words):
    assert words in failure(ch06.epoch_batches, wrong)


def test_epoch_unrelated_mistake_gets_the_generic_hint():
    def one_short(n, batch_size, rng):
        order = rng.permutation(n)[1:]  # loses one example whatever the batch size
        return [order[i : i + batch_size] for i in range(0, n - 1, batch_size)]

    assert "check them by eye" in failure(ch06.epoch_batches, one_short)


def test_epoch_failures_name_the_case_and_the_crash():
    with pytest.raises(ExerciseFailed, match=r"case 1 of 24 is wrong") as info:
        ch06.epoch_batches(in_order)
    assert "expected: the" in str(info.value) and "got:" in str(info.value)
    with pytest.raises(ExerciseFailed, match="ZeroDivisionError"):
        ch06.epoch_batches(lambda n, batch_size, rng: 1 / 0)
    with pytest.raises(ExerciseFailed, match="list of 1-D integer arrays"):
        ch06.epoch_batches(lambda n, batch_size, rng: [rng.random(n)])
    with pytest.raises(ExerciseFailed, match="outside 0"):
        ch06.epoch_batches(lambda n, batch_size, rng: [rng.permutation(n) + 1])
