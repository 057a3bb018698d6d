"""The checks of chapter 8's exercises: a right answer passes, the stub is "not written yet",
each known mistake gets its own hint, and an unrelated mistake gets the generic hint."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_contract import contract_tests

from bplib.exercises import ExerciseFailed, ch08

# --- right answers, written as a reader would (independently of bplib) ------------------------


def avgpool2x2_backward(dout):
    return np.kron(dout, np.ones((2, 2))) / 4


def maxpool_backward(x, dout, k, s):
    dx = np.zeros_like(x)
    for p in range(dout.shape[0]):
        for q in range(dout.shape[1]):
            window = x[p * s : p * s + k, q * s : q * s + k]
            i, j = np.unravel_index(np.argmax(window), window.shape)
            dx[p * s + i, q * s + j] += dout[p, q]
    return dx


def avgpool_backward(dout, x_shape, k, s):
    da = np.zeros(x_shape)
    for p in range(dout.shape[0]):
        for q in range(dout.shape[1]):
            da[p * s : p * s + k, q * s : q * s + k] += dout[p, q] / k**2
    return da


CHECKS = {
    "avgpool2x2_backward": (ch08.avgpool2x2_backward, avgpool2x2_backward, ch08.HINTS_81),
    "maxpool_backward": (ch08.maxpool_backward, maxpool_backward, ch08.HINTS_82),
    "avgpool_backward": (ch08.avgpool_backward, avgpool_backward, ch08.HINTS_83),
}


test_right_answer_passes, test_stub_is_not_written_yet, test_each_known_mistake_gets_its_hint = (
    contract_tests(CHECKS)
)


def test_the_hints_of_chapter_8_as_a_reader_would_write_the_mistakes():
    with pytest.raises(ExerciseFailed, match="4 times too large"):
        ch08.avgpool2x2_backward(lambda dout: np.repeat(np.repeat(dout, 2, 0), 2, 1))
    with pytest.raises(ExerciseFailed, match="smallest element"):
        ch08.maxpool_backward(lambda x, dout, k, s: maxpool_backward(-x, dout, k, s))
    with pytest.raises(ExerciseFailed, match="as average pooling does"):
        ch08.maxpool_backward(lambda x, dout, k, s: avgpool_backward(dout, x.shape, k, s))

    def overwrite(dout, x_shape, k, s):
        da = np.zeros(x_shape)
        for p in range(dout.shape[0]):
            for q in range(dout.shape[1]):
                da[p * s : p * s + k, q * s : q * s + k] = dout[p, q] / k**2
        return da

    with pytest.raises(ExerciseFailed, match="two paths add"):
        ch08.avgpool_backward(overwrite)


def test_max_pooling_with_overlapping_windows():
    """8.2 has strides smaller than the kernel, where one input is the maximum of two
    windows: an answer that overwrites instead of adding is caught, and so is one that
    ignores the stride (the book's answer before the stride was part of the exercise)."""

    def overwrites(x, dout, k, s):
        dx = np.zeros_like(x)
        for p in range(dout.shape[0]):
            for q in range(dout.shape[1]):
                window = x[p * s : p * s + k, q * s : q * s + k]
                i, j = np.unravel_index(np.argmax(window), window.shape)
                dx[p * s + i, q * s + j] = dout[p, q]  # the second window's share erases the first
        return dx

    with pytest.raises(ExerciseFailed) as info:
        ch08.maxpool_backward(overwrites)
    assert "the maximum of two windows" in str(info.value)

    def stride_k(x, dout, k, s):
        return maxpool_backward(x, dout, k, k)

    with pytest.raises(ExerciseFailed) as info:
        ch08.maxpool_backward(stride_k)
    assert "start every k pixels" in str(info.value)

    shared = 0
    for case in ch08._cases_82():
        dx = ch08._maxpool_reference(**case)
        ones = ch08._maxpool_reference(case["x"], np.ones_like(case["dout"]), case["k"], case["s"])
        shared += int(np.sum(ones > 1))  # an input that is the maximum of several windows
        assert dx.shape == case["x"].shape
    assert shared >= 3


def test_a_forgotten_return_in_8_1():
    def avgpool2x2_backward(dout):
        da = np.zeros((2 * dout.shape[0], 2 * dout.shape[1]))
        da[...] = np.kron(dout, np.ones((2, 2))) / 4

    with pytest.raises(ExerciseFailed) as info:
        ch08.avgpool2x2_backward(avgpool2x2_backward)
    assert "your function returned None." in str(info.value)
    assert "did you forget `return`?" in str(info.value)


@pytest.mark.parametrize(
    "name, wrong",
    [
        ("avgpool2x2_backward", lambda dout: avgpool2x2_backward(dout) + 0.1),
        ("maxpool_backward", lambda x, dout, k, s: 0.5 * maxpool_backward(x, dout, k, s)),
        ("avgpool_backward", lambda dout, x_shape, k, s: -avgpool_backward(dout, x_shape, k, s)),
    ],
)
def test_an_unrelated_mistake_gets_the_generic_hint(name, wrong):
    check, _, hints = CHECKS[name]
    with pytest.raises(ExerciseFailed) as info:
        check(wrong)
    text = str(info.value)
    assert "hint:" in text
    assert not any(h.message in text for h in hints)


def test_the_cases_cover_leftovers_and_overlaps():
    """Exercises 8.2 and 8.3 have windows that do not tile the input, and overlapping ones."""
    cases = ch08._cases_82()
    assert any(
        (c["x"].shape[0] - c["k"]) % c["s"] or (c["x"].shape[1] - c["k"]) % c["s"] for c in cases
    )
    assert any(c["s"] < c["k"] for c in cases) and any(c["s"] > c["k"] for c in cases)
    assert any(c["s"] < c["k"] for c in ch08._cases_83())
    assert any(c["s"] > c["k"] for c in ch08._cases_83())
    assert all(len(cases) >= 20 for cases in (ch08._cases_81(), ch08._cases_82(), ch08._cases_83()))


def test_float32_answers_pass(capsys):
    ch08.avgpool2x2_backward(lambda dout: avgpool2x2_backward(dout.astype(np.float32)))
    ch08.maxpool_backward(
        lambda x, dout, k, s: maxpool_backward(x.astype(np.float32), dout.astype(np.float32), k, s)
    )
    ch08.avgpool_backward(
        lambda dout, x_shape, k, s: avgpool_backward(dout, x_shape, k, s).astype(np.float32)
    )
    assert capsys.readouterr().out.count("✓") == 3
