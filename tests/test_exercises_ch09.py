"""The checks of chapter 9's exercises: a right answer passes, the stub is "not written yet",
each known mistake gets its own hint, and an unrelated mistake gets the generic hint."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_contract import contract_tests

from bplib.exercises import ExerciseFailed, ch09

# --- right answers, written as a reader would (independently of bplib) ------------------------


def conv2d_single_channel(a, k):
    kh, kw = k.shape
    c = np.zeros((a.shape[0] - kh + 1, a.shape[1] - kw + 1))
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            c[i, j] = np.sum(k * a[i : i + kh, j : j + kw])
    return c


def conv_kernel_grad(a, dout):
    oh, ow = dout.shape
    dk = np.zeros((a.shape[0] - oh + 1, a.shape[1] - ow + 1))
    for i in range(dk.shape[0]):
        for j in range(dk.shape[1]):
            dk[i, j] = np.sum(dout * a[i : i + oh, j : j + ow])
    return dk


def conv_bias_grad(dout):
    return dout.sum(axis=(0, 2, 3))


def conv_input_grad(dout, k):
    kh, kw = k.shape
    da = np.zeros((dout.shape[0] + kh - 1, dout.shape[1] + kw - 1))
    for p in range(dout.shape[0]):
        for q in range(dout.shape[1]):
            da[p : p + kh, q : q + kw] += dout[p, q] * k
    return da


CHECKS = {
    "conv2d_single_channel": (ch09.conv2d_single_channel, conv2d_single_channel, ch09.HINTS_91),
    "conv_kernel_grad": (ch09.conv_kernel_grad, conv_kernel_grad, ch09.HINTS_92),
    "conv_bias_grad": (ch09.conv_bias_grad, conv_bias_grad, ch09.HINTS_93),
    "conv_input_grad": (ch09.conv_input_grad, conv_input_grad, ch09.HINTS_94),
}


test_right_answer_passes, test_stub_is_not_written_yet, test_each_known_mistake_gets_its_hint = (
    contract_tests(CHECKS)
)


def test_the_hints_of_chapter_9_as_a_reader_would_write_the_mistakes():
    # true convolution (flipped kernel) instead of cross-correlation
    with pytest.raises(ExerciseFailed, match="rotated by 180°"):
        ch09.conv2d_single_channel(lambda a, k: conv2d_single_channel(a, k[::-1, ::-1]))

    def off_by_one(a, k):
        kh, kw = k.shape
        c = np.zeros((a.shape[0] - kh, a.shape[1] - kw))
        for i in range(c.shape[0]):
            for j in range(c.shape[1]):
                c[i, j] = np.sum(k * a[i : i + kh, j : j + kw])
        return c

    with pytest.raises(ExerciseFailed, match="one row and one column too small"):
        ch09.conv2d_single_channel(off_by_one)

    def seed_sums_to_two(a, dout):  # [002] Explication: Σ_{p=0}^{2} Σ_{l=0}^{2}
        kh, kw = a.shape[0] - dout.shape[0] + 1, a.shape[1] - dout.shape[1] + 1
        dk = np.zeros((kh, kw))
        for i in range(kh):
            for j in range(kw):
                for p in range(min(3, dout.shape[0])):
                    for q in range(min(3, dout.shape[1])):
                        dk[i, j] += dout[p, q] * a[i + p, j + q]
        return dk

    with pytest.raises(ExerciseFailed, match="from 0 to"):
        ch09.conv_kernel_grad(seed_sums_to_two)
    with pytest.raises(ExerciseFailed, match="weighted by how much E cares"):
        ch09.conv_kernel_grad(lambda a, dout: conv_kernel_grad(a, np.ones_like(dout)))
    with pytest.raises(ExerciseFailed, match="untied bias"):
        ch09.conv_bias_grad(lambda dout: dout.sum(axis=0))
    with pytest.raises(ExerciseFailed, match="walked backwards"):
        ch09.conv_input_grad(lambda dout, k: conv_input_grad(dout, k[::-1, ::-1]))


@pytest.mark.parametrize(
    "name, wrong",
    [
        ("conv2d_single_channel", lambda a, k: conv2d_single_channel(a, k) + 1.0),
        ("conv_kernel_grad", lambda a, dout: 2 * conv_kernel_grad(a, dout)),
        ("conv_bias_grad", lambda dout: dout.max(axis=(0, 2, 3))),
        ("conv_input_grad", lambda dout, k: conv_input_grad(dout, k) ** 2),
    ],
)
def test_an_unrelated_mistake_gets_the_generic_hint(name, wrong):
    check, _, hints = CHECKS[name]
    with pytest.raises(ExerciseFailed) as info:
        check(wrong)
    text = str(info.value)
    assert "hint:" in text
    assert not any(h.message in text for h in hints)


def test_there_are_enough_cases_and_they_start_with_seed_002s_shapes():
    for cases in (ch09._cases_91(), ch09._cases_92(), ch09._cases_93(), ch09._cases_94()):
        assert len(cases) >= 20
    first = ch09._cases_91()[0]
    assert first["a"].shape == (3, 3) and first["k"].shape == (2, 2)


def test_a_transposed_kernel_gradient():
    def swapped_indices(a, dout):  # dk[i, j] paired with a_{p+j, q+i}
        oh, ow = dout.shape
        kh, kw = a.shape[0] - oh + 1, a.shape[1] - ow + 1
        dk = np.zeros((kw, kh))
        for i in range(kw):
            for j in range(kh):
                dk[i, j] = np.sum(dout * a[j : j + oh, i : i + ow])
        return dk

    with pytest.raises(ExerciseFailed) as info:
        ch09.conv_kernel_grad(swapped_indices)
    assert "your dk is transposed (rows and columns swapped)" in str(info.value)


def test_the_bias_gradient_divided_by_n_or_kept_4d():
    with pytest.raises(ExerciseFailed) as info:
        ch09.conv_bias_grad(lambda dout: dout.sum(axis=(0, 2, 3)) / len(dout))
    assert "you divided by the batch size N" in str(info.value)

    with pytest.raises(ExerciseFailed) as info:
        ch09.conv_bias_grad(lambda dout: dout.sum(axis=(0, 2, 3), keepdims=True))
    message = str(info.value)
    assert "your array has shape (1, F, 1, 1)" in message
    assert "shapes differ: expected (" in message
    assert len(message.split("\n")) <= 8  # the 4-d dout is summarised, never dumped


def in_float32(right):
    """``right`` computed on float32 inputs, returning float32 (what astype(np.float32) does)."""

    def answer(**case):
        case = {
            k: v.astype(np.float32) if isinstance(v, np.ndarray) else v for k, v in case.items()
        }
        return right(**case).astype(np.float32)

    return answer


def test_float32_answers_pass(capsys):
    for check, right, _ in CHECKS.values():
        check(in_float32(right))
    assert capsys.readouterr().out.count("✓") == 4
