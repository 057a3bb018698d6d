"""The machinery every exercise check uses.

:func:`check_function_cases` calls the reader's function on a list of random cases, compares
with a reference, and explains the first failure in a few lines: which case, what was
expected, what came, and a hint. When the reader's answer matches a *known wrong answer* (a
:class:`Hint`), the hint is aimed at that mistake; hints point at the idea, never at the
formula. Mistakes that any exercise can meet get their own words, in every check:

- ``None`` returned (a forgotten ``return``), a generator, text, a dict, a tuple whose parts
  have different shapes, the wrong number of values;
- NaN or inf in the answer (where, and what overflows);
- a wrong shape, with its usual cause (transposed, ``keepdims``, a missing batch axis);
- an argument changed in place;
- a case that runs longer than :data:`CASE_TIME_LIMIT` seconds (stopped, never a hang);
- a flood of prints (the first :data:`PRINT_LIMIT_LINES` lines are shown, the rest counted);
- an exception raised by the reader's code: its type, its message and the reader's own line.

Tolerances follow the answer's dtype: a float64 answer is compared tightly (``rtol``,
``atol``), a float32 answer with float32's precision. In Jupyter a failed check shows only its
message (:meth:`ExerciseFailed._render_traceback_`); elsewhere it is an ordinary exception.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import textwrap
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Seconds one case may take before the check stops it (the cases are small: a right answer
#: takes milliseconds).
CASE_TIME_LIMIT = float(os.environ.get("BPLIB_CASE_TIME_LIMIT", "5"))
#: Lines (and characters) of the reader's own prints shown per check; the rest is counted.
PRINT_LIMIT_LINES = 30
PRINT_LIMIT_CHARS = 4000
#: Width of the lines of a failure message, as Jupyter shows them (the book's 78 columns).
WIDTH = 78
_HERE = Path(__file__).resolve().parent
_BPLIB_DIR = _HERE.parent
_NUMPY_DIR = Path(np.__file__).resolve().parent


class ExerciseFailed(AssertionError):
    """Raised by a check when the reader's function is wrong (or not written yet).

    ``str(error)`` is the whole message, one line per field (``input:``, ``expected:``,
    ``got:``, ``hint:``); in Jupyter (IPython) only that message is shown, wrapped to
    ``WIDTH`` (78) columns, instead of a traceback through the checker's code.
    """

    def __init__(self, message: str, *, exercise: str = "", hint: str = "", kind: str = "wrong"):
        super().__init__(message)
        self.exercise = exercise or message.split(":", 1)[0]
        self.hint = hint
        self.kind = kind  # "wrong", "not written", "raised", "too slow", "not callable"

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message, in about a dozen lines."""
        return render(str(self))


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
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return wrong(**case)
        except (ValueError, IndexError, TypeError, ZeroDivisionError, FloatingPointError):
            return np.nan

    return wrapped


# --- what a passing or failing check says ----------------------------------------------------


def passed_line(exercise: str, n_cases: int) -> str:
    """The one line a passing check prints, short enough for any page: "✓ Exercise 4.1: all 24
    random cases pass." (the exercise's title is in the cell just above)."""
    number, _, title = exercise.partition(":")
    part = title[title.rindex("(") :] if title.rstrip().endswith(")") and "(" in title else ""
    return f"✓ {number}{' ' + part.strip() if part else ''}: all {n_cases} random cases pass."


def report_pass(exercise: str, n_cases: int) -> None:
    """Print the passing line (``python -m bplib.exercises status`` reads it)."""
    print(passed_line(exercise, n_cases))


def render(message: str, width: int = WIDTH) -> list[str]:
    """Wrap a failure message for Jupyter: the first line in red, each ``label: text`` field
    wrapped under its own text. Long inputs are cut first so the hint always shows."""
    lines = message.split("\n")
    out = [
        f"\x1b[1;31m{line}\x1b[0m"
        for line in textwrap.wrap("✗ " + lines[0], width, subsequent_indent="  ")
    ]
    for line in lines[1:]:
        label, sep, text = line.partition(": ")
        if sep and len(label) <= 14 and label.strip():
            indent = len(line) - len(text.lstrip())  # under the text, past the aligned label
        else:
            indent = 4
        wrapped = textwrap.wrap(
            line, width, subsequent_indent=" " * indent, break_on_hyphens=False
        ) or [""]
        if label.strip() == "input" and len(wrapped) > 3:
            wrapped = wrapped[:3]
            wrapped[-1] = wrapped[-1][: width - 2] + " …"
        out.extend(wrapped)
    return out


# --- describing values in a line ------------------------------------------------------------


def _number(value: Any, digits: int = 6) -> str:
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value)) if digits <= 6 else f"{value:.1f}"
    return f"{value:.{digits}g}"


def _summary(value: Any, budget: int = 60, digits: int = 6) -> str:
    """A one-line description of ``value`` in about ``budget`` characters: small arrays in
    full, large ones as their shape and first entries, never thousands of numbers."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        text = _number(value, digits)
        if isinstance(value, np.floating) and value.dtype != np.float64:
            text += f" ({value.dtype.name})"
        return text
    if isinstance(value, (str, bytes)):
        text = repr(value)
        return text if len(text) <= budget else text[: budget - 2] + "…'"
    if isinstance(value, np.ndarray):
        return _summary_array(value, budget, digits)
    if isinstance(value, (tuple, list)):
        open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        if len(value) == 0:
            return open_ + close
        share = max(12, budget // len(value))
        parts = [_summary(v, share, digits) for v in value[:6]]
        text = open_ + ", ".join(parts) + (", …" if len(value) > 6 else "") + close
        if len(text) <= budget + 20:
            return text
        return f"{type(value).__name__} of {len(value)}: " + text[: budget - 10] + "…" + close
    if isinstance(value, types.GeneratorType):
        return "a generator"
    text = repr(value)
    name = type(value).__name__
    return f"{name} {text}" if len(text) <= budget else f"a {name}"


def _summary_array(arr: np.ndarray, budget: int, digits: int) -> str:
    dtype = "" if arr.dtype in (np.float64, np.int64) else f"{arr.dtype.name} "
    if arr.ndim == 0:
        return _summary(arr[()], budget, digits) + (f" ({arr.dtype.name})" if dtype else "")
    if arr.dtype.kind in "biuf" and arr.size <= 16:
        with np.printoptions(precision=digits - 2 if digits > 4 else digits, suppress=True):
            full = np.array2string(arr, separator=", ", max_line_width=10_000)
        full = " ".join(full.split())
        if len(full) <= budget:
            return f"{dtype}{full}" if arr.ndim == 1 else f"{dtype}{arr.shape} {full}"
    head = f"{dtype}array {arr.shape}"
    if arr.dtype.kind not in "biuf" or arr.size == 0:
        return head
    flat = arr.reshape(-1)
    shown: list[str] = []
    for v in flat[:6]:
        candidate = ", ".join([*shown, _number(v, 4)])
        if len(head) + len(candidate) + 12 > budget and shown:
            break
        shown.append(_number(v, 4))
    more = ", …" if len(shown) < flat.size else ""
    return f"{head}: {', '.join(shown)}{more}"


def _describe_case(case: dict, budget: int = 150) -> str:
    """The inputs of a case in a line or two: ``x=0.5, dout=array (3, 4): 0.1, …``."""
    if not case:
        return "(no arguments)"
    share = max(24, budget // len(case))
    return ", ".join(f"{k}={_summary(v, share)}" for k, v in case.items())


def _fmt(value: Any) -> str:
    """The value as the ``expected:``/``got:`` lines show it (kept for the chapter checks)."""
    return _summary(value, 64, digits=8)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _ordinal(i: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(i, f"{i}th")


# --- turning an answer into numbers ----------------------------------------------------------


class _Unusable(Exception):
    """The answer cannot be compared at all; ``args[0]`` says why, ``args[1]`` is the hint."""


NONE_HINT = (
    "did you forget `return`? A function that ends without a `return` line gives None: end "
    "yours with `return` and what it computed."
)
GENERATOR_HINT = (
    "a `yield`, or parentheses around a `for` (a generator expression), make a generator, "
    "which produces its values only when asked. Return the values themselves: a number, an "
    "array (np.array([...])) or a tuple."
)


def _numeric(value: Any, what: str, expected: Any) -> tuple[np.ndarray, np.dtype]:
    """``value`` as a float64 array and the dtype it came in; raise :class:`_Unusable`."""
    want = _expected_kind(expected)
    if value is None:
        raise _Unusable(f"{what} None.", NONE_HINT)
    if isinstance(value, (types.GeneratorType, map, filter, zip)):
        raise _Unusable(f"{what} a generator, not {want}.", GENERATOR_HINT)
    if isinstance(value, (str, bytes)):
        raise _Unusable(
            f"{what} text, {_summary(value, 30)}.",
            f"return the number itself ({want}), not a string that shows it (an f-string or "
            f"str() turns a number into text).",
        )
    if isinstance(value, (dict, set, frozenset)):
        raise _Unusable(
            f"{what} {_a(type(value).__name__)}, not {want}.",
            f"return {want}, as the exercise's text describes.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(value)
    except (ValueError, TypeError):
        arr = None
    if isinstance(value, (tuple, list)) and (arr is None or _is_ragged(value)):
        shapes = ", ".join(str(np.shape(v)) if _shape_ok(v) else "?" for v in value[:4])
        raise _Unusable(
            f"{what} a {type(value).__name__} whose parts have different shapes ({shapes}).",
            f"the answer is {want}: its parts must fit together into one array (or return "
            "the array you built, not its pieces).",
        )
    if arr is None or arr.dtype.kind not in "biuf":
        if arr is not None and arr.dtype == object and isinstance(value, (tuple, list)):
            odd = next((v for v in arr.reshape(-1) if not isinstance(v, (int, float))), None)
            if odd is None:
                raise _Unusable(f"{what} a {type(value).__name__} holding None.", NONE_HINT)
            kind = f"a {type(value).__name__} holding {_a(type(odd).__name__)}"
        elif arr is not None and arr.dtype.kind == "c":
            kind = "complex numbers"
        elif arr is not None and arr.dtype.kind in "US":
            kind = f"text, {_summary(value, 30)}"
        else:
            kind = _a(type(value).__name__)
        raise _Unusable(
            f"{what} {kind}, not {want}.",
            f"return {want}, as the exercise's text describes.",
        )
    return arr.astype(np.float64), arr.dtype


def _shape_ok(value: Any) -> bool:
    try:
        np.shape(value)
        return True
    except ValueError:
        return False


def _is_ragged(value: Any) -> bool:
    if not isinstance(value, (tuple, list)):
        return False
    shapes = set()
    for part in value:
        try:
            shapes.add(np.shape(part))
        except ValueError:
            return True
    return len(shapes) > 1


def _expected_kind(expected: Any) -> str:
    if isinstance(expected, (tuple, list)):
        return f"a tuple of {len(expected)} values"
    shape = np.shape(expected)
    return "a number" if shape == () else f"an array of shape {shape}"


def _components(got: Any, expected: Any) -> list[tuple[str, Any, Any]]:
    """Pair the parts of the answer with the parts of the expected value.

    A tuple (or list) is expected -> the answer must have as many parts, each compared on its
    own (so a tuple of a number and an array is fine); otherwise the answer is one array.
    """
    if isinstance(expected, (tuple, list)):
        n = len(expected)
        if isinstance(got, (tuple, list)):
            if len(got) != n:
                raise _Unusable(
                    f"your function returned {len(got)} values; {n} are expected.",
                    f"return a tuple of {n} values, in the order the exercise gives them.",
                )
            parts = list(got)
        elif isinstance(got, np.ndarray) and got.ndim >= 1 and got.shape[0] == n:
            parts = list(got)
        else:
            _numeric(got, "your function returned", expected[0] if n else expected)
            raise _Unusable(
                f"your function returned {_summary(got, 30)}; a tuple of {n} values is expected.",
                f"return all {n} values, separated by commas: `return a, b`"
                + ("." if n == 2 else f" (… up to the {n}th)."),
            )
        return [
            (f"the {_ordinal(i + 1)} value of your tuple is", g, e)
            for i, (g, e) in enumerate(zip(parts, expected, strict=True))
        ]
    return [("your function returned", got, expected)]


def _precision(dtypes: Iterable[np.dtype]) -> np.dtype:
    """The least precise float dtype among the answer's parts (float64 for ints and bools)."""
    floats = [d for d in dtypes if d.kind == "f"]
    return min(floats, key=lambda d: d.itemsize) if floats else np.dtype(np.float64)


def _tolerance(dtype: np.dtype, rtol: float, atol: float, scale: float) -> tuple[float, float]:
    """(rtol, atol) for an answer of ``dtype``: the check's own for float64 (and for exact
    checks, rtol = atol = 0), float32's or float16's precision for those."""
    if rtol == 0 and atol == 0:
        return 0.0, 0.0
    if dtype.kind == "f" and dtype.itemsize <= 2:
        return max(rtol, 1e-2), max(atol, 1e-3 * scale)
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return max(rtol, 1e-4), max(atol, 1e-5 * scale)
    return rtol, atol


@dataclass
class _Comparison:
    ok: bool
    dtype: np.dtype
    parts: list[tuple[str, np.ndarray, np.ndarray]]  # (label, got, expected) as float64
    rtol: float
    atol: float


def _compare(got: Any, expected: Any, rtol: float, atol: float) -> _Comparison:
    """Compare part by part, with the tolerance of the answer's dtype; raise _Unusable."""
    parts, dtypes = [], []
    for label, g, e in _components(got, expected):
        g_arr, g_dtype = _numeric(g, label, e)
        parts.append((label, g_arr, np.asarray(e, dtype=np.float64)))
        dtypes.append(g_dtype)
    dtype = _precision(dtypes)
    # float32's absolute error follows the size of what was combined (1 − tanh² near 0 is
    # all rounding), not the size of the result: never less than 1
    scale = max((float(np.max(np.abs(e))) for _, _, e in parts if e.size), default=1.0)
    rtol, atol = _tolerance(dtype, rtol, atol, max(scale, 1.0) if np.isfinite(scale) else 1.0)
    ok = all(_allclose(g, e, rtol, atol) for _, g, e in parts)
    return _Comparison(ok, dtype, parts, rtol, atol)


def _allclose(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    return bool(
        got.shape == expected.shape
        and np.all(np.isfinite(got))
        and np.allclose(got, expected, rtol=rtol, atol=atol)
    )


def _close(got, expected, rtol: float, atol: float) -> bool:
    """True when ``got`` equals ``expected`` within the tolerance of ``got``'s dtype (any
    structure: numbers, arrays, tuples); False for anything that cannot be compared."""
    try:
        return _compare(got, expected, rtol, atol).ok
    except _Unusable:
        return False
    except Exception:  # noqa: BLE001 - a value that numpy cannot even look at is not close
        return False


# --- the usual causes of a wrong answer ------------------------------------------------------


def _shape_cause(got: tuple, expected: tuple, case: dict) -> str:
    """The usual reason why an answer has shape ``got`` instead of ``expected``."""
    if expected == ():
        return f"the answer is a single number; yours is an array of shape {got}. " + (
            "Take the number out of it (float(...) or .item())."
            if int(np.prod(got)) == 1
            else "Combine the entries (a sum or a mean?) the way the exercise asks."
        )
    if got == ():
        return (
            f"you returned a single number, but the answer is an array of shape {expected}: "
            "a sum or mean without `axis=` combines every entry."
        )
    if len(got) == len(expected) == 2 and got == expected[::-1]:
        return (
            f"your result is transposed: shape {got} instead of {expected}, rows and columns "
            "swapped. Check which axis each index runs along (and where a .T belongs)."
        )
    if sorted(got) == sorted(expected) and len(got) == len(expected):
        return (
            f"your axes are in another order: shape {got} instead of {expected}. Check which "
            "axis each index runs along."
        )
    squeeze = tuple(n for n in got if n != 1)
    if squeeze == tuple(n for n in expected if n != 1):
        if len(got) > len(expected):
            return (
                f"your result has extra axes of length 1: shape {got} instead of {expected}. "
                "A sum or mean with keepdims=True (or a [:, None]) keeps an axis the answer "
                "does not have; drop it (.reshape, or no keepdims)."
            )
        return (
            f"an axis of length 1 is missing: shape {got} instead of {expected} (keepdims=True "
            "or a [:, None] keeps it)."
        )
    if got == expected[1:]:
        return (
            f"your result has the shape of one example, {got}; the answer has one more, first "
            f"axis for the {expected[0]} examples of the batch, shape {expected}."
        )
    for axis in range(len(got)):
        if got[:axis] + got[axis + 1 :] == expected:
            return (
                f"your result has one axis too many, axis {axis} of length {got[axis]}: a sum "
                f"(or mean) over it is missing? The answer has shape {expected}."
            )
    for axis in range(len(expected)):
        if expected[:axis] + expected[axis + 1 :] == got:
            return (
                f"axis {axis} of the answer (length {expected[axis]}) is missing from yours, "
                f"{got}: a sum or mean ran over an axis that the answer keeps."
            )
    if len(got) == len(expected):
        for name, value in case.items():
            if np.shape(value) == got:
                return (
                    f"your result has the shape of the input `{name}`, {got}; the answer's is "
                    f"{expected}. Work out the answer's shape from the exercise's text first."
                )
    return f"the answer has shape {expected}; yours is {got}."


def _where_differs(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    """``at [1, 2] (3 of 12 entries differ): expected 0.5234, got 0.6``."""
    if got.shape != expected.shape or got.ndim == 0:
        return ""
    with np.errstate(invalid="ignore"):
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol) | ~np.isfinite(got)
    count = int(bad.sum())
    if count == 0:
        return ""
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    index = "[" + ", ".join(map(str, first)) + "]"
    return (
        f"at {index} ({count} of {got.size} entries differ): expected "
        f"{_number(expected[first], 8)}, got {_number(got[first], 8)}"
    )


def _nonfinite(got: np.ndarray, case: dict) -> str:
    """Where the answer holds nan or inf, and what the inputs are there."""
    bad = ~np.isfinite(got)
    kinds = sorted({"nan" if np.isnan(v) else "inf" for v in got[bad]})
    if got.ndim == 0:
        return f"{' and '.join(kinds)}"
    spots = [("[" + ", ".join(map(str, map(int, i))) + "]") for i in np.argwhere(bad)[:2]]
    text = f"{' and '.join(kinds)} at {', '.join(spots)} ({int(bad.sum())} of {got.size} entries)"
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    for name, value in case.items():
        if isinstance(value, np.ndarray) and value.shape == got.shape:
            text += f"; there {name} = {_number(value[first])}"
            break
    return text


def _largest_input(case: dict) -> float:
    sizes = [
        float(np.max(np.abs(v)))
        for v in case.values()
        if isinstance(v, (np.ndarray, float))
        and np.size(v)
        and np.issubdtype(np.asarray(v).dtype, np.floating)
    ]
    return max(sizes, default=0.0)


def _nonfinite_hint(case: dict, warned: list[str]) -> str:
    said = f" (numpy warned: {warned[0]})" if warned else ""
    if _largest_input(case) > 700 or any("overflow" in w for w in warned):
        return (
            f"an overflow{said}: e^x is inf in float64 once x > 709, and inf/inf or inf - inf "
            "then give nan. This case has inputs up to "
            f"|x| = {_number(_largest_input(case))}: rearrange the formula so that no "
            "exponential of a large positive number is ever computed."
        )
    return (
        f"a nan or inf appeared{said}: a 0/0, a log of 0 (or of a negative number), or a "
        "division by zero. Print the intermediate values of your function on this case."
    )


def _near_miss(parts: list[tuple[str, np.ndarray, np.ndarray]]) -> str:
    """A hint when every entry agrees to several digits but not to the check's tolerance."""
    worst = 0.0
    for _, got, expected in parts:
        if got.shape != expected.shape or not np.all(np.isfinite(got)):
            return ""
        scale = np.maximum(np.abs(expected), np.max(np.abs(expected), initial=0.0) * 1e-3)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(scale > 0, np.abs(got - expected) / scale, np.abs(got - expected))
        worst = max(worst, float(np.max(rel, initial=0.0)))
    if not 0 < worst < 1e-3:
        return ""
    digits = int(-np.log10(worst))
    return (
        f"your numbers agree with the expected ones to about {digits} digits, but not more. A "
        "finite-difference estimate (accurate to ~6 digits), or a float32 step inside a "
        "float64 answer? The check wants the exact formula, compared in float64 to 1e-7 "
        "(a float32 answer is compared in float32's precision)."
    )


def _changed_inputs(before: dict, after: dict, allowed: Collection[str]) -> str:
    """Describe the first array argument the reader's function changed in place."""
    for name, old in before.items():
        new = after.get(name)
        if name in allowed or not isinstance(old, np.ndarray) or not isinstance(new, np.ndarray):
            continue
        if new.shape != old.shape or not np.array_equal(new, old, equal_nan=True):
            if new.shape != old.shape:
                return f"`{name}` (its shape went from {old.shape} to {new.shape})"
            a, b = old.astype(np.float64), new.astype(np.float64)
            differs = (a != b) & ~(np.isnan(a) & np.isnan(b))
            first = tuple(int(i) for i in np.argwhere(differs)[0])
            index = "[" + ", ".join(map(str, first)) + "]"
            was, now = _number(old[first]), _number(new[first])
            return f"`{name}` (at {index} it was {was}, it is now {now})"
    return ""


MUTATION_HINT = (
    "the caller still needs its arrays (a network keeps them for the backward pass, and "
    "dout may feed several layers): build a new array (x.copy(), or dx = dout * ...) "
    "instead of writing into an argument (x[...] = ..., x *= ..., x -= ...)."
)


# --- calling the reader's function safely -----------------------------------------------------


class _OutOfTime(BaseException):  # a BaseException: a reader's `except Exception` cannot eat it
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt the block after ``seconds`` (SIGALRM: main thread of a Unix process, which a
    Jupyter kernel and pytest both are); elsewhere, let it run and let the caller measure."""
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise _OutOfTime

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:  # someone else's timer was running: give it back
            remaining = max(previous_timer[0] - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_timer[1])


class _CappedStream(io.TextIOBase):
    """Pass the reader's prints through up to a budget; count the rest."""

    def __init__(self, target, state: dict):
        self.target = target
        self.state = state

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        state = self.state
        if (
            state["hidden_chars"]
            or state["lines"] >= PRINT_LIMIT_LINES
            or (state["chars"] + len(text) > PRINT_LIMIT_CHARS)
        ):
            state["hidden_chars"] += len(text)
            state["hidden_lines"] += text.count("\n")
            return len(text)
        state["chars"] += len(text)
        state["lines"] += text.count("\n")
        self.target.write(text)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(Exception):
            self.target.flush()


@contextlib.contextmanager
def student_output():
    """Cap what the reader's function prints during a whole check; say what was hidden."""
    state = {"lines": 0, "chars": 0, "hidden_lines": 0, "hidden_chars": 0}
    out, err = sys.stdout, sys.stderr
    try:
        with (
            contextlib.redirect_stdout(_CappedStream(out, state)),
            contextlib.redirect_stderr(_CappedStream(err, state)),
        ):
            yield state
    finally:
        if state["hidden_chars"]:
            size = state["hidden_chars"]
            amount = f"{size / 1e6:.1f} MB" if size > 1e6 else f"{size:,} characters"
            print(
                f"(your function printed {amount} more, {state['hidden_lines']:,} lines, not "
                f"shown: a check shows the first {PRINT_LIMIT_LINES} lines)",
                file=out,
            )


def _is_checker_file(filename: str) -> bool:
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    if path.is_relative_to(_BPLIB_DIR) or path.is_relative_to(_NUMPY_DIR):
        return True
    text = str(path)
    return (
        "site-packages" in text
        or "dist-packages" in text
        or text.startswith(str(Path(sys.base_prefix).resolve() / "lib"))
    )


def _cell_name(filename: str) -> str:
    """``In[7]`` for a Jupyter cell (IPython knows which), else the file's name."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            label = shell.compile.format_code_name(filename)
            if label:
                return f"cell {label[1]}"
    except Exception:  # noqa: BLE001 - plain Python: no IPython, or an older one
        pass
    return Path(filename).name


def _student_line(tb) -> str:
    """``cell In[7], line 3: a = sigmoid(z)``: the deepest frame of the reader's own code."""
    for frame in reversed(traceback.extract_tb(tb)):
        if not _is_checker_file(frame.filename):
            where = f"{_cell_name(frame.filename)}, line {frame.lineno}"
            source = (frame.line or "").strip()
            return f"{where}: {source}" if source else where
    return ""


_CRASH_HINTS = {
    "NameError": "a name your code uses is not defined here: run the cell that defines it (or "
    "the chapter's cells from the top) first, and check its spelling.",
    "IndexError": "an index runs past the end of an array: check your loop bounds against "
    "the shapes of this case.",
    "ZeroDivisionError": "a division by zero: which quantity can be 0 on this case?",
    "RecursionError": "your function calls itself again and again without end.",
    "AttributeError": "check the type of the value on that line: the inputs are numpy arrays "
    "and Python numbers, as the exercise's text says.",
    "KeyError": "a dict or index lookup failed: print the key on that line.",
}
_SHAPE_ERROR_HINT = (
    "the shapes on that line do not fit together: print the .shape of each array there and "
    "compare them with the shapes the exercise gives."
)


def _crash_hint(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc)
    if name in _CRASH_HINTS:
        return _CRASH_HINTS[name]
    if "broadcast" in text or "matmul" in text or "shapes" in text or "size" in text:
        return _SHAPE_ERROR_HINT
    if "empty" in text:
        return (
            "an empty array on that line: a slice that starts past the end of the array. "
            "Check where each window (or block) starts and ends for this case's shapes."
        )
    return _CRASH_HINTS.get(
        name, "print the values on that line for this case (the input is above) and read them."
    )


def call_student(
    exercise: str,
    user_fn: Callable[..., Any],
    kwargs: dict,
    *,
    index: int,
    total: int,
    shown: dict | None = None,
    time_limit: float | None = None,
) -> tuple[Any, list[str]]:
    """Call ``user_fn(**kwargs)`` once: within a time limit, with the reader's exceptions
    turned into a short :class:`ExerciseFailed`. Returns (the answer, numpy's warnings).

    ``shown`` is what the message prints as the input (default: ``kwargs``).
    """
    limit = CASE_TIME_LIMIT if time_limit is None else time_limit
    shown = kwargs if shown is None else shown
    where = f"case {index} of {total}"
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _time_limit(limit):
                got = user_fn(**kwargs)
        except ExerciseFailed:  # a check's own wrapper around the function has spoken
            raise
        except NotImplementedError:
            raise ExerciseFailed(
                f"{exercise}: not written yet. Replace the `raise NotImplementedError(...)` line "
                "with your code, run that cell, then run this check again.",
                exercise=exercise,
                kind="not written",
            ) from None
        except _OutOfTime:
            line = _student_line(sys.exc_info()[2])
            raise ExerciseFailed(
                "\n".join(
                    [
                        f"{exercise}: {where} was stopped after {limit:g} s.",
                        f"  input:    {_describe_case(shown)}",
                        *([f"  stopped:  {line}"] if line else []),
                        f"  hint:     {_SLOW_HINT}",
                    ]
                ),
                exercise=exercise,
                hint=_SLOW_HINT,
                kind="too slow",
            ) from None
        except Exception as exc:  # the reader's code crashed: their line, their error
            line = _student_line(exc.__traceback__)
            message = " ".join(str(exc).split())
            if len(message) > 160:
                message = message[:157] + "…"
            hint = _crash_hint(exc)
            if isinstance(exc, TypeError) and not line and "argument" in message:
                # the call itself failed: the def line does not match the exercise's signature
                name = getattr(user_fn, "__name__", "your function")
                call = f"{name}({', '.join(f'{k}=…' for k in kwargs)})"
                hint = (
                    f"the check calls {call}: make the def line take exactly these arguments. "
                    "(A notebook older than the book? `make exercises` tells you, and how to "
                    "get the new one.)"
                )
            raise ExerciseFailed(
                "\n".join(
                    [
                        f"{exercise}: your function raised {type(exc).__name__}"
                        + (f": {message}" if message else ""),
                        f"  on {where}: {_describe_case(shown)}",
                        *([f"  line:     {line}"] if line else []),
                        f"  hint:     {hint}",
                    ]
                ),
                exercise=exercise,
                hint=hint,
                kind="raised",
            ) from exc
    elapsed = time.monotonic() - started
    if elapsed > limit:  # no SIGALRM here (another thread, or Windows): say it afterwards
        raise ExerciseFailed(
            f"{exercise}: {where} took {elapsed:.0f} s (the limit is {limit:g} s).\n"
            f"  input:    {_describe_case(shown)}\n"
            f"  hint:     {_SLOW_HINT}",
            exercise=exercise,
            hint=_SLOW_HINT,
            kind="too slow",
        )
    return got, [str(w.message) for w in caught]


_SLOW_HINT = (
    "these cases are small, and a right answer takes milliseconds: look for a loop that never "
    "ends (a `while` whose condition never changes) or that runs over far more than the "
    "array's entries."
)


def require_callable(exercise: str, user_fn: Any) -> None:
    """Refuse, with a teaching message, a check given something other than a function."""
    if callable(user_fn):
        return
    what = type(user_fn).__name__
    raise ExerciseFailed(
        f"{exercise}: the check expects your function itself (pass its name, without "
        f"parentheses), got {what}"
        + (f" {_summary(user_fn, 30)}" if user_fn is not None else "")
        + ".",
        exercise=exercise,
        kind="not callable",
    )


# --- the check ------------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


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
    nonfinite_hint: str = "",
    may_modify: Collection[str] = (),
    time_limit: float | None = None,
) -> None:
    """Run ``user_fn(**case)`` on every case and compare with ``reference(**case)``.

    Args:
        exercise: "Exercise 1.2: ..." — used in every message.
        user_fn: the reader's function.
        cases: dicts of keyword arguments (numpy arrays or floats), drawn from a seeded rng.
        reference: the correct function (bplib or a closed form).
        hints: known wrong answers, checked in order when the reader's output is wrong.
        generic_hint: what to say when the mistake matches no known one.
        rtol, atol: the tolerance for a float64 answer (0, 0: exact); a float32 or float16
            answer is compared with its own dtype's precision.
        nonfinite_hint: what to say when the answer holds nan or inf (default: a generic
            explanation, about overflow when the case has large inputs).
        may_modify: names of arguments the function may change in place (default: none).
        time_limit: seconds per case (default ``CASE_TIME_LIMIT``, 5 s).

    Raises:
        ExerciseFailed: on the first wrong case, with a message that teaches.
    """
    require_callable(exercise, user_fn)
    cases = list(cases)
    total = len(cases)
    with student_output():
        for index, case in enumerate(cases, start=1):
            given = {k: _copy(v) for k, v in case.items()}
            got, warned = call_student(
                exercise,
                user_fn,
                given,
                index=index,
                total=total,
                shown=case,
                time_limit=time_limit,
            )
            expected = reference(**{k: _copy(v) for k, v in case.items()})
            changed = _changed_inputs(case, given, may_modify)
            verdict = _judge(got, expected, case, rtol=rtol, atol=atol, hints=hints)
            if verdict is None and not changed:
                continue
            _fail(
                exercise,
                index,
                total,
                case,
                got,
                expected,
                verdict,
                changed,
                warned,
                rtol=rtol,
                atol=atol,
                generic_hint=generic_hint,
                nonfinite_hint=nonfinite_hint,
            )
    report_pass(exercise, total)


@dataclass
class _Verdict:
    headline: str = ""  # a line replacing "case i of n is wrong." (answers that are unusable)
    hint: str = ""  # the hint decided so far ("" = to be chosen by _fail)
    comparison: _Comparison | None = None


def _judge(got, expected, case, *, rtol, atol, hints) -> _Verdict | None:
    """None when the answer is right; else what is wrong with it."""
    try:
        comparison = _compare(got, expected, rtol, atol)
    except _Unusable as problem:
        return _Verdict(headline=problem.args[0], hint=problem.args[1])
    if comparison.ok:
        return None
    known = next(
        (h.message for h in hints if _close(got, tolerant(h.wrong)(**_copied(case)), rtol, atol)),
        "",
    )
    return _Verdict(hint=known, comparison=comparison)


def _copied(case: dict) -> dict:
    return {k: _copy(v) for k, v in case.items()}


def _fail(
    exercise,
    index,
    total,
    case,
    got,
    expected,
    verdict,
    changed,
    warned,
    *,
    rtol,
    atol,
    generic_hint,
    nonfinite_hint,
) -> None:
    where = f"case {index} of {total}"
    if verdict is None:  # right answer, but an argument was changed in place
        raise ExerciseFailed(
            "\n".join(
                [
                    f"{exercise}: {where}: your function changed its argument {changed} in place.",
                    f"  input:    {_describe_case(case)}",
                    f"  hint:     {MUTATION_HINT}",
                ]
            ),
            exercise=exercise,
            hint=MUTATION_HINT,
        )
    lines = [f"{exercise}: {where} is wrong."]
    if verdict.headline:
        lines[0] = f"{exercise}: {where}: {verdict.headline}"
    lines.append(f"  input:    {_describe_case(case)}")
    lines.append(f"  expected: {_fmt(expected)}")
    hint = verdict.hint
    comparison = verdict.comparison
    if comparison is not None:
        bad_parts = [
            p
            for p in comparison.parts
            if not _allclose(p[1], p[2], comparison.rtol, comparison.atol)
        ]
        label, g, e = bad_parts[0]
        prefix = (
            ""
            if label == "your function returned"
            else label.replace(" of your tuple is", "") + ": "
        )
        nonfinite = not np.all(np.isfinite(g))
        if nonfinite:
            lines.append(f"  got:      {prefix}{_nonfinite(g, case)}")
        else:
            lines.append(f"  got:      {_fmt(got)}")
        if g.shape != e.shape:
            lines.append(f"  shapes differ: expected {e.shape}, got {g.shape}.")
        elif not nonfinite and (detail := _where_differs(g, e, comparison.rtol, comparison.atol)):
            lines.append(f"  where:    {prefix}{detail}")
        if not hint and nonfinite:
            large = _largest_input(case) > 100
            hint = nonfinite_hint if nonfinite_hint and large else _nonfinite_hint(case, warned)
        if not hint and g.shape != e.shape:
            hint = _shape_cause(g.shape, e.shape, case)
        if not hint:
            hint = _near_miss(comparison.parts)
    else:
        lines.append(f"  got:      {_fmt(got)}")
    if not hint:
        hint = generic_hint or (
            "compare your result with a finite-difference estimate "
            "(bplib.gradcheck.numerical_gradient) on this case."
        )
    lines.append(f"  hint:     {hint}")
    if changed:
        lines.append(f"  note:     your function also changed its argument {changed} in place.")
    raise ExerciseFailed("\n".join(lines), exercise=exercise, hint=hint)
