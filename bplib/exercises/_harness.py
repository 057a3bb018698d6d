"""The machinery every exercise check uses.

:func:`check_function_cases` calls the reader's function on a list of random cases, compares
with a reference, and explains the first failure: which case, what was expected, what came,
and — when the reader's answer matches a *known wrong answer* (a :class:`Hint`) — a hint aimed
at that mistake. Hints point at the idea, never at the formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class ExerciseFailed(AssertionError):
    """Raised by a check when the reader's function is wrong (or not written yet)."""


@dataclass(frozen=True)
class Hint:
    """A typical mistake: ``wrong(**case)`` computes the wrong answer it leads to, and
    ``message`` is what the reader is told when their output matches it."""

    wrong: Callable[..., Any]
    message: str


def tolerant(wrong: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a known wrong answer so that a case where it cannot even be computed (a shape that
    does not fit, a division by zero) yields NaN, which never matches the reader's answer."""

    def wrapped(**case):
        try:
            with np.errstate(all="ignore"):
                return wrong(**case)
        except (ValueError, IndexError, TypeError, ZeroDivisionError, FloatingPointError):
            return np.nan

    return wrapped


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, suppress=True, threshold=40, edgeitems=3):
            text = np.array2string(value, separator=", ")
        return f"array of shape {value.shape}: {text}" if value.ndim > 1 else text
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.8g}"
    return repr(value)


def _describe_case(case: dict) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in case.items())


def _close(got, expected, rtol: float, atol: float) -> bool:
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    exp_arr = np.asarray(expected, dtype=np.float64)
    if got_arr.shape != exp_arr.shape:
        return False
    return bool(
        np.all(np.isfinite(got_arr)) and np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol)
    )


def passed_line(exercise: str, n_cases: int) -> str:
    """The one line a passing check prints, short enough for any page: "✓ Exercise 4.1: all 24
    random cases pass." (the exercise's title is in the cell just above)."""
    number, _, title = exercise.partition(":")
    part = title[title.rindex("(") :] if title.rstrip().endswith(")") and "(" in title else ""
    return f"✓ {number}{' ' + part.strip() if part else ''}: all {n_cases} random cases pass."


def check_function_cases(
    exercise: str,
    user_fn: Callable[..., Any],
    cases: Sequence[dict] | Iterable[dict],
    *,
    reference: Callable[..., Any],
    hints: Sequence[Hint] = (),
    generic_hint: str = "",
    rtol: float = 1e-7,
    atol: float = 1e-10,
) -> None:
    """Run ``user_fn(**case)`` on every case and compare with ``reference(**case)``.

    Args:
        exercise: "Exercise 1.2: ..." — used in every message.
        user_fn: the reader's function.
        cases: dicts of keyword arguments (numpy arrays or floats), drawn from a seeded rng.
        reference: the correct function (bplib or a closed form).
        hints: known wrong answers, checked in order when the reader's output is wrong.
        generic_hint: what to say when the mistake matches no known one.

    Raises:
        ExerciseFailed: on the first wrong case, with a message that teaches.
    """
    if not callable(user_fn):
        raise ExerciseFailed(
            f"{exercise}: the check expects your function itself (pass its name, without "
            f"parentheses), got {type(user_fn).__name__}."
        )
    cases = list(cases)
    for index, case in enumerate(cases, start=1):
        frozen = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in case.items()}
        try:
            got = user_fn(
                **{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in case.items()}
            )
        except NotImplementedError:
            raise ExerciseFailed(
                f"{exercise}: not written yet. Replace the `raise NotImplementedError(...)` line "
                f"with your code, run that cell, then run this check again."
            ) from None
        except Exception as exc:  # the reader's code crashed: say where, keep the traceback
            raise ExerciseFailed(
                f"{exercise}: your function raised {type(exc).__name__}: {exc}\n"
                f"  on case {index} of {len(cases)}: {_describe_case(frozen)}"
            ) from exc
        expected = reference(**frozen)
        if _close(got, expected, rtol, atol):
            continue
        lines = [
            f"{exercise}: case {index} of {len(cases)} is wrong.",
            f"  input:    {_describe_case(frozen)}",
            f"  expected: {_fmt(expected)}",
            f"  got:      {_fmt(got)}",
        ]
        exp_shape = np.shape(expected)
        if np.shape(got) != exp_shape:
            lines.append(f"  shapes differ: expected {exp_shape}, got {np.shape(got)}.")
        hint = next(
            (h.message for h in hints if _close(got, tolerant(h.wrong)(**frozen), rtol, atol)),
            None,
        )
        if hint is None:
            hint = generic_hint or (
                "compare your result with a finite-difference estimate "
                "(bplib.gradcheck.numerical_gradient) on this case."
            )
        lines.append(f"  hint:     {hint}")
        raise ExerciseFailed("\n".join(lines))
    print(passed_line(exercise, len(cases)))
