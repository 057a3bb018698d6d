"""The checks of chapter 1's exercises: the reference passes, a stub is told "not written yet",
each known wrong answer gets its own hint, and any other wrong answer the generic one."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib.exercises import ExerciseFailed, ch01


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 1.x")


def good_log_xy(x, y):
    return 1.0 / x, 1.0 / y


def good_mul(x, y, upstream):
    return upstream * y, upstream * x


def good_two_paths(t):
    return (3 * t**2 - t**3) * math.exp(-t)


CHECKS = [
    (ch01.grad_log_xy, good_log_xy, ch01.EX11),
    (ch01.mul_backward, good_mul, ch01.EX12),
    (ch01.grad_two_paths, good_two_paths, ch01.EX13),
]


def test_listed_in_all():
    assert ch01.__all__ == ["grad_log_xy", "mul_backward", "grad_two_paths"]


@pytest.mark.parametrize(("check", "good", "title"), CHECKS)
def test_reference_passes(check, good, title, capsys):
    check(good)
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {title.partition(':')[0]}: all ")
    assert int(out.split("all ")[1].split()[0]) >= 20


@pytest.mark.parametrize(("check", "good", "title"), CHECKS)
def test_stub_is_not_written_yet(check, good, title):
    with pytest.raises(ExerciseFailed, match=f"^{re.escape(title)}: not written yet"):
        check(stub)


@pytest.mark.parametrize(("check", "good", "title"), CHECKS)
def test_passing_the_result_instead_of_the_function(check, good, title):
    with pytest.raises(ExerciseFailed, match="expects your function itself"):
        check((0.5, 0.5))


def rejected_with(check, fn) -> str:
    with pytest.raises(ExerciseFailed) as info:
        check(fn)
    message = str(info.value)
    assert "case 1 of" in message  # every case distinguishes these answers
    return message.split("hint:", 1)[1].strip()


# Each known wrong answer, written out here (not taken from ch01), with the hint it must get.
LOG_XY_WRONG = [
    ("slip 1/r read as 1/y: swapped", lambda x, y: (1 / y, 1 / x), 0),
    ("the log node's local gradient dropped", lambda x, y: (y, x), 1),
    ("stopped at v", lambda x, y: (1 / (x * y), 1 / (x * y)), 2),
    ("sign", lambda x, y: (-1 / x, -1 / y), 3),
]
MUL_WRONG = [
    ("upstream forgotten", lambda x, y, upstream: (y, x), 0),
    ("locals swapped", lambda x, y, upstream: (upstream * x, upstream * y), 1),
    ("add node's rule", lambda x, y, upstream: (upstream, upstream), 2),
    ("added not multiplied", lambda x, y, upstream: (upstream + y, upstream + x), 3),
]
TWO_PATHS_WRONG = [
    ("only the path through a1", lambda t: 3 * t**2 * math.exp(-t), 0),
    ("only the path through a2", lambda t: -(t**3) * math.exp(-t), 1),
    ("paths multiplied", lambda t: -3 * t**5 * math.exp(-2 * t), 2),
    ("∂z/∂a forgotten", lambda t: 3 * t**2 - math.exp(-t), 3),
    ("sign of the second path", lambda t: (3 * t**2 + t**3) * math.exp(-t), 4),
]


@pytest.mark.parametrize(("what", "wrong", "index"), LOG_XY_WRONG)
def test_log_xy_known_mistakes(what, wrong, index):
    assert rejected_with(ch01.grad_log_xy, wrong) == ch01.LOG_XY_HINTS[index].message


@pytest.mark.parametrize(("what", "wrong", "index"), MUL_WRONG)
def test_mul_known_mistakes(what, wrong, index):
    assert rejected_with(ch01.mul_backward, wrong) == ch01.MUL_HINTS[index].message


@pytest.mark.parametrize(("what", "wrong", "index"), TWO_PATHS_WRONG)
def test_two_paths_known_mistakes(what, wrong, index):
    assert rejected_with(ch01.grad_two_paths, wrong) == ch01.TWO_PATHS_HINTS[index].message


def test_the_hints_say_what_they_are_about():
    """Spot-check the wording, so a hint cannot silently lose its point."""
    assert "swapped" in ch01.LOG_XY_HINTS[0].message and "1/r" in ch01.LOG_XY_HINTS[0].message
    assert "upstream" in ch01.MUL_HINTS[0].message
    assert "swapped" in ch01.MUL_HINTS[1].message
    assert "only the path through a1" in ch01.TWO_PATHS_HINTS[0].message
    assert "[000] Maaoui" in ch01.TWO_PATHS_HINTS[0].message


def test_hints_never_state_the_answer():
    for hint in (*ch01.LOG_XY_HINTS, *ch01.MUL_HINTS, *ch01.TWO_PATHS_HINTS):
        for formula in ("1/x", "1/y", "upstream * y", "upstream × y", "3t²", "exp(−t)·3"):
            assert formula not in hint.message


@pytest.mark.parametrize(
    ("check", "wrong"),
    [
        (ch01.grad_log_xy, lambda x, y: (1 / x, 2 / y)),
        (ch01.mul_backward, lambda x, y, upstream: (2 * upstream * y, upstream * x)),
        (ch01.grad_two_paths, lambda t: math.cos(t)),
    ],
)
def test_unknown_mistake_gets_the_generic_hint(check, wrong):
    hint = rejected_with(check, wrong)
    known = {h.message for h in (*ch01.LOG_XY_HINTS, *ch01.MUL_HINTS, *ch01.TWO_PATHS_HINTS)}
    assert hint not in known
    assert "bplib.autodiff.Value" in hint or "downstream = upstream × local" in hint


def test_failure_message_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch01.grad_log_xy(lambda x, y: (1 / y, 1 / x))
    message = str(info.value)
    assert message.startswith(f"{ch01.EX11}: case 1 of 24 is wrong.")
    assert "input:    x=" in message and "expected: " in message and "got: " in message


def test_crash_is_reported_with_the_case():
    with pytest.raises(ExerciseFailed, match="your function raised ZeroDivisionError"):
        ch01.grad_two_paths(lambda t: 1 / 0)


def test_one_value_instead_of_two():
    with pytest.raises(ExerciseFailed) as info:
        ch01.grad_log_xy(lambda x, y: 1 / x)
    message = str(info.value)
    assert "case 1 of 24: your function returned" in message
    assert "a tuple of 2 values is expected" in message and "`return a, b`" in message


def test_a_forgotten_return_is_named():
    def grad_log_xy(x, y):  # every step written, the last line forgotten
        v = x * y
        dz_dx, dz_dy = 1 / v * y, 1 / v * x  # noqa: F841

    with pytest.raises(ExerciseFailed) as info:
        ch01.grad_log_xy(grad_log_xy)
    message = str(info.value)
    assert "case 1 of 24: your function returned None." in message
    assert "hint:     did you forget `return`?" in message


def test_cases_are_seeded_and_varied():
    a = ch01._log_xy_cases(np.random.default_rng(101))
    b = ch01._log_xy_cases(np.random.default_rng(101))
    assert a == b and len(a) >= 20
    assert any(c["x"] < 0 for c in a) and any(c["x"] > 0 for c in a)
    assert all(c["x"] * c["y"] > 0 for c in a)
    t = [c["t"] for c in ch01._two_paths_cases(np.random.default_rng(103))]
    assert len(t) >= 20 and min(t) < 0 < max(t) and all(abs(v) >= 0.3 for v in t)
