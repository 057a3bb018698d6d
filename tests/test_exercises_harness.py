"""The check harness explains failures in a few lines: case, expected, got, and a hint, for
the known mistakes of an exercise and for the mistakes any exercise can meet."""

from __future__ import annotations

import json
import re
import sys
import time

import nbformat
import numpy as np
import pytest

from bplib.exercises import ExerciseFailed, Hint, _harness, check, check_function_cases

CASES = [{"x": float(v)} for v in np.random.default_rng(0).uniform(0.5, 2.0, size=10)]
HINTS = [Hint(lambda x: x, "remember the factor the power rule brings down.")]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def square_derivative(x):
    return 2 * x


def run(fn, cases=CASES, reference=square_derivative, **options):
    check_function_cases(
        "Exercise 0.1: d(x²)/dx",
        fn,
        cases,
        reference=reference,
        hints=HINTS,
        generic_hint="differentiate x·x with the product rule.",
        **options,
    )


def message(fn, **kwargs) -> str:
    with pytest.raises(ExerciseFailed) as info:
        run(fn, **kwargs)
    return str(info.value)


def shown(error: ExerciseFailed) -> list[str]:
    """What Jupyter shows for the error: the rendered lines, without colours."""
    return [ANSI.sub("", line) for line in error._render_traceback_()]


def test_reference_passes_and_says_so(capsys):
    run(square_derivative)
    assert capsys.readouterr().out == "✓ Exercise 0.1: all 10 random cases pass.\n"


def test_stub_is_reported_as_not_written():
    def stub(x):
        raise NotImplementedError("Exercise 0.1: d(x²)/dx")

    assert "not written yet" in message(stub)


def test_known_mistake_gets_its_hint_with_case_expected_and_got():
    text = message(lambda x: x)
    assert "case 1 of 10" in text and "expected:" in text and "got:" in text
    assert "power rule" in text


def test_unknown_mistake_gets_the_generic_hint():
    assert "product rule" in message(lambda x: 3 * x)


def test_passing_the_result_instead_of_the_function():
    assert "without parentheses), got float 2." in message(2.0)


# --- the answers that are not numbers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "headline", "hint"),
    [
        (lambda x: None, "your function returned None.", "did you forget `return`?"),
        (lambda x: (v for v in [2 * x]), "returned a generator", "a `yield`, or parentheses"),
        (lambda x: f"{2 * x}", "returned text, '", "return the number itself (a number), not"),
        (lambda x: {"dx": 2 * x}, "returned a dict, not a number", "return a number"),
        (lambda x: [2 * x, None], "a list holding None", "did you forget `return`?"),
        (lambda x: object(), "returned an object, not a number", "return a number"),
        (lambda x: 2j * x, "returned complex numbers", "return a number"),
    ],
)
def test_answers_that_are_not_numbers_are_named(answer, headline, hint):
    text = message(answer)
    assert text.startswith("Exercise 0.1: d(x²)/dx: case 1 of 10: ")
    assert headline in text.split("\n")[0]
    assert f"  hint:     {hint}" in text


def test_a_ragged_tuple_is_explained_not_crashed_on():
    def ragged(a):
        return (a[0], a[1, :2])  # parts of different shapes

    with pytest.raises(ExerciseFailed) as info:
        check_function_cases(
            "Exercise 0.2: two rows",
            ragged,
            [{"a": np.arange(6.0).reshape(2, 3)}],
            reference=lambda a: a,
        )
    text = str(info.value)
    assert "returned a tuple whose parts have different shapes ((3,), (2,))" in text
    assert "the answer is an array of shape (2, 3)" in text


def test_a_tuple_of_the_wrong_length_and_a_tuple_of_mixed_parts():
    pair = [{"x": 1.5}]

    def reference(x):
        return 2 * x, np.array([x, x])

    with pytest.raises(ExerciseFailed, match="returned 3 values; 2 are expected"):
        check_function_cases("Exercise 0.3: two", lambda x: (1, 2, 3), pair, reference=reference)
    with pytest.raises(ExerciseFailed, match="the 2nd value of your tuple is None"):
        check_function_cases("Exercise 0.3: two", lambda x: (3.0, None), pair, reference=reference)
    check_function_cases("Exercise 0.3: two", reference, pair, reference=reference)


# --- nan, shapes, near misses -------------------------------------------------------------------


def test_nan_is_never_accepted_and_says_where():
    def overflowing(x):
        return np.exp(x) / np.exp(x)  # inf / inf = nan where x = 1000

    with pytest.raises(ExerciseFailed) as info:
        check_function_cases(
            "Exercise 0.4: big",
            overflowing,
            [{"x": np.array([1.0, 1000.0])}],
            reference=lambda x: np.ones(2),
        )
    text = str(info.value)
    assert "got:      nan at [1] (1 of 2 entries); there x = 1000" in text
    assert "hint:     an overflow (numpy warned: overflow encountered in exp)" in text


def test_nan_on_small_inputs_gets_the_other_explanation():
    text = message(lambda x: np.log(-x))
    assert "got:      nan" in text and "a log of 0 (or of a negative number)" in text


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (lambda a: a.sum(axis=1)[:, ::-1], None),  # the right shape, wrong values
        (lambda a: a.sum(axis=1).T, "your result is transposed: shape (4, 2) instead of (2, 4)"),
        (lambda a: a.sum(axis=1, keepdims=True), "extra axes of length 1"),
        (lambda a: a.sum(axis=1)[0], "the shape of one example, (4,)"),
        (lambda a: a, "one axis too many, axis 1 of length 3: a sum (or mean) over it"),
        (lambda a: a.sum(axis=(1, 2)), "axis 1 of the answer (length 4) is missing"),
        (lambda a: a.sum(), "a sum or mean without `axis=`"),
    ],
)
def test_a_wrong_shape_names_the_usual_cause(answer, cause):
    a = np.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(ExerciseFailed) as info:
        check_function_cases(
            "Exercise 0.5: sum the rows", answer, [{"a": a}], reference=lambda a: a.sum(axis=1)
        )
    text = str(info.value)
    if cause is None:
        assert "shapes differ" not in text and "where:    at [0, 0]" in text
    else:
        assert "shapes differ: expected (2, 4)" in text and cause in text


def test_float32_answers_get_float32_tolerance_and_float64_stays_tight(capsys):
    run(lambda x: np.float32(2 * x) * np.float32(1 + 3e-7))  # float32 rounding: passes
    assert "✓" in capsys.readouterr().out
    text = message(lambda x: 2 * x * (1 + 3e-7))  # the same error in float64: refused
    assert "agree with the expected ones to about 6 digits" in text
    assert "compared in float64 to 1e-7" in text
    with pytest.raises(ExerciseFailed):  # a float32 answer that is really wrong is refused
        run(lambda x: np.float32(2 * x * 1.01))


def test_exact_checks_stay_exact_in_any_dtype():
    cases = [{"n": 3}]
    with pytest.raises(ExerciseFailed):
        check_function_cases(
            "Exercise 0.6: count",
            lambda n: np.float32(n + 1e-4),
            cases,
            reference=lambda n: n,
            rtol=0,
            atol=0,
        )
    check_function_cases(
        "Exercise 0.6: count",
        lambda n: np.float32(n),
        cases,
        reference=lambda n: n,
        rtol=0,
        atol=0,
    )


# --- what the function does besides returning --------------------------------------------------


def test_an_argument_changed_in_place_is_flagged():
    def mutating(a):
        a *= 2  # the caller's array is doubled too
        return a

    with pytest.raises(ExerciseFailed) as info:
        check_function_cases(
            "Exercise 0.7: double",
            mutating,
            [{"a": np.arange(1.0, 4.0)}],
            reference=lambda a: 2 * a,
        )
    text = str(info.value)
    assert "your function changed its argument `a` (at [0] it was 1, it is now 2) in place" in text
    assert "build a new array" in text
    check_function_cases(  # unless the exercise allows it (an optimizer's in-place step)
        "Exercise 0.7: double",
        mutating,
        [{"a": np.arange(1.0, 4.0)}],
        reference=lambda a: 2 * a,
        may_modify=("a",),
    )


def test_a_function_that_never_ends_is_stopped_with_its_line(monkeypatch):
    monkeypatch.setattr(_harness, "CASE_TIME_LIMIT", 0.3)

    def forever(x):
        total = 0.0
        while x > 0:  # x never changes
            total += x
        return total

    started = time.monotonic()
    with pytest.raises(ExerciseFailed) as info:
        run(forever)
    assert time.monotonic() - started < 5
    text = str(info.value)
    assert "case 1 of 10 was stopped after 0.3 s." in text
    assert re.search(
        r"stopped:  test_exercises_harness\.py, line \d+: (while x > 0:|total \+= x)", text
    )
    assert "a loop that never ends" in text


def test_a_time_limit_also_holds_against_a_catch_all(monkeypatch):
    monkeypatch.setattr(_harness, "CASE_TIME_LIMIT", 0.3)

    def stubborn(x):
        try:
            while True:
                pass
        except Exception:  # noqa: BLE001 - what a student might write; it cannot eat the stop
            return 2 * x

    with pytest.raises(ExerciseFailed, match="was stopped after 0.3 s"):
        run(stubborn)


def test_a_flood_of_prints_is_capped(capsys):
    def chatty(x):
        for i in range(20_000):
            print("step", i, x)
        return 2 * x

    run(chatty, cases=CASES[:2])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) <= _harness.PRINT_LIMIT_LINES + 2
    assert lines[0].startswith("step 0")
    assert "more, 39,970 lines, not shown" in out
    assert lines[-1] == "✓ Exercise 0.1: all 2 random cases pass."


def test_a_crash_shows_the_students_own_line_not_the_checker():
    def broken(x):
        y = np.ones(3)
        return y @ np.ones(4) * x  # shapes that do not fit

    with pytest.raises(ExerciseFailed) as info:
        run(broken)
    text = str(info.value)
    assert text.startswith("Exercise 0.1: d(x²)/dx: your function raised ValueError: matmul")
    assert re.search(
        r"line:     test_exercises_harness\.py, line \d+: return y @ np\.ones\(4\) \* x", text
    )
    assert "exercises/_harness.py" not in text and "check_function_cases" not in text
    assert "the shapes on that line do not fit" in text


# --- what Jupyter shows -------------------------------------------------------------------------


def every_kind_of_failure() -> list[ExerciseFailed]:
    big = np.random.default_rng(1).standard_normal((64, 6, 24, 24))
    failures = []
    for fn, cases, reference in [
        (lambda x: x, CASES, square_derivative),
        (lambda x: None, CASES, square_derivative),
        (lambda x: 1 / 0, CASES, square_derivative),
        (
            lambda dout: dout.sum(axis=(0, 2, 3), keepdims=True),
            [{"dout": big}],
            lambda dout: dout.sum(axis=(0, 2, 3)),
        ),
        (lambda dout: 2 * dout, [{"dout": big}], lambda dout: dout),
        (lambda dout: dout * np.nan, [{"dout": big}], lambda dout: dout),
    ]:
        with pytest.raises(ExerciseFailed) as info:
            check_function_cases(
                "Exercise 10.3: the gradient of a shared bias, with a long title to wrap",
                fn,
                cases,
                reference=reference,
                hints=HINTS,
                generic_hint="a generic hint that is long enough to need two lines when it is "
                "shown in a notebook, which wraps it under its label so that it stays readable.",
            )
        failures.append(info.value)
    return failures


def test_jupyter_shows_about_a_dozen_short_lines_and_always_the_hint():
    for error in every_kind_of_failure():
        lines = shown(error)
        assert len(lines) <= 12, "\n".join(lines)
        assert all(len(line) <= _harness.WIDTH for line in lines), "\n".join(lines)
        assert lines[0].startswith("✗ Exercise 10.3")
        assert any(line.startswith("  hint:") for line in lines)
        assert "Traceback" not in "\n".join(lines)


def test_large_arrays_are_summarised():
    text = str(every_kind_of_failure()[4])
    assert len(text) < 900 and "array (64, 6, 24, 24): " in text


def test_in_a_kernel_the_error_output_is_the_message_alone(tmp_path):
    """What a student sees in Jupyter: the error output of the check cell carries our lines
    as its traceback (IPython's _render_traceback_), and the student's cell is named."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from bplib.exercises import check\nimport numpy as np"),
        nbformat.v4.new_code_cell(
            "def grad_log_xy(x, y):\n    v = x * y\n    return 1 / w, 1 / v  # w: a typo\n"
        ),
        nbformat.v4.new_code_cell("check.grad_log_xy(grad_log_xy)"),
        nbformat.v4.new_code_cell("check.grad_log_xy(lambda x, y: (1 / y, 1 / x))"),
    ]
    NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute()
    crash, wrong = nb.cells[2].outputs[-1], nb.cells[3].outputs[-1]
    assert crash.output_type == "error" and crash.ename == "ExerciseFailed"
    lines = [ANSI.sub("", line) for line in crash.traceback]
    assert lines[0].startswith("✗ Exercise 1.1: log(xy), step by step: your function raised")
    assert "NameError: name 'w' is not defined" in " ".join(x.strip() for x in lines)
    assert any(
        re.search(r"line:     cell In\[\d+\], line 3: return 1 / w, 1 / v", x) for x in lines
    )
    assert len(lines) <= 12
    wrong_lines = [ANSI.sub("", line) for line in wrong.traceback]
    assert len(wrong_lines) <= 12 and any("'= 1/r'" in x for x in wrong_lines)
    assert json.dumps(wrong.traceback).count("_harness.py") == 0


def test_plain_python_still_gets_an_exception():
    assert issubclass(ExerciseFailed, AssertionError)
    with pytest.raises(AssertionError):
        check.grad_log_xy(lambda x, y: (0.0, 0.0))
    assert sys.modules["bplib.exercises"].ExerciseFailed is ExerciseFailed


def test_a_def_line_that_does_not_match_the_exercise():
    """What a student notebook older than the exercise's new signature meets (8.2 took a
    stride): the check names the arguments it passes."""

    def maxpool_backward(x, dout, k):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed) as info:
        check.maxpool_backward(maxpool_backward)
    text = str(info.value)
    assert "raised TypeError: " in text and "unexpected keyword argument 's'" in text
    assert "the check calls maxpool_backward(x=…, dout=…, k=…, s=…)" in text
    assert "`make exercises` tells you" in text


def test_an_index_past_the_end_gets_the_index_hint():
    def off_by_one(x):
        values = [2 * x]
        return values[1]

    text = message(off_by_one)
    assert "raised IndexError: list index out of range" in text
    assert "an index runs past the end of an array" in text
