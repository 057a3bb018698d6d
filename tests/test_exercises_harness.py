"""The check harness explains failures: case, expected, got, and the matching hint."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.exercises import ExerciseFailed, Hint, check_function_cases

CASES = [{"x": float(v)} for v in np.random.default_rng(0).uniform(0.5, 2.0, size=10)]
HINTS = [Hint(lambda x: x, "remember the factor the power rule brings down.")]


def square_derivative(x):
    return 2 * x


def run(fn):
    check_function_cases(
        "Exercise 0.1: d(x²)/dx",
        fn,
        CASES,
        reference=square_derivative,
        hints=HINTS,
        generic_hint="differentiate x·x with the product rule.",
    )


def test_reference_passes_and_says_so(capsys):
    run(square_derivative)
    assert "✓ Exercise 0.1" in capsys.readouterr().out


def test_stub_is_reported_as_not_written():
    def stub(x):
        raise NotImplementedError("Exercise 0.1: d(x²)/dx")

    with pytest.raises(ExerciseFailed, match="not written yet"):
        run(stub)


def test_known_mistake_gets_its_hint_with_case_expected_and_got():
    with pytest.raises(ExerciseFailed) as info:
        run(lambda x: x)
    text = str(info.value)
    assert "case 1 of 10" in text and "expected:" in text and "got:" in text
    assert "power rule" in text


def test_unknown_mistake_gets_the_generic_hint():
    with pytest.raises(ExerciseFailed, match="product rule"):
        run(lambda x: 3 * x)


def test_crash_and_wrong_shape_and_non_callable_are_explained():
    with pytest.raises(ExerciseFailed, match="ZeroDivisionError"):
        run(lambda x: 1 / 0)
    with pytest.raises(ExerciseFailed, match="shapes differ"):
        run(lambda x: np.array([2 * x, 2 * x]))
    with pytest.raises(ExerciseFailed, match="without parentheses"):
        run(2.0)


def test_nan_is_never_accepted():
    with pytest.raises(ExerciseFailed):
        run(lambda x: float("nan"))


def test_inputs_are_protected_from_mutation():
    cases = [{"a": np.arange(3.0)}]

    def mutating(a):
        a *= 0
        return a

    with pytest.raises(ExerciseFailed) as info:
        check_function_cases("Exercise 0.2: copy", mutating, cases, reference=lambda a: a)
    assert "[0, 1, 2]" in str(info.value).replace(".", "")
