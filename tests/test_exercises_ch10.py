"""The checks of chapter 10's exercises: a right answer passes, the stub is "not written yet",
each known mistake gets its own hint, and an unrelated mistake gets the generic hint."""

from __future__ import annotations

import re

import numpy as np
import pytest
from exercise_contract import contract_tests

from bplib.exercises import ExerciseFailed, ch10

# --- right answers, written as a reader would (independently of bplib) ------------------------


def conv_output_shape(H, W, K, S, P):
    return (H + 2 * P - K) // S + 1, (W + 2 * P - K) // S + 1


def conv_param_count(C, F, K, H, W):
    return F * C * K * K + F


def accuracy_from_logits(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == labels))


CHECKS = {
    "conv_output_shape": (ch10.conv_output_shape, conv_output_shape, ch10.HINTS_101),
    "conv_param_count": (ch10.conv_param_count, conv_param_count, ch10.HINTS_102),
    "accuracy_from_logits": (ch10.accuracy_from_logits, accuracy_from_logits, ch10.HINTS_103),
}


test_right_answer_passes, test_stub_is_not_written_yet, test_each_known_mistake_gets_its_hint = (
    contract_tests(CHECKS)
)


def test_the_hints_of_chapter_9_as_a_reader_would_write_the_mistakes():
    """The mistakes written the way a reader writes them (not the hint functions themselves)."""

    def wrong_axis(logits, labels):  # crashes when N != K; the first cases have N = K
        return (logits.argmax(axis=0) == labels).mean()

    with pytest.raises(ExerciseFailed, match="looked down the columns"):
        ch10.accuracy_from_logits(wrong_axis)

    def untied_bias(C, F, K, H, W):  # [002] Explication: b_ij, one bias per output position
        oh, ow = H - K + 1, W - K + 1
        return F * C * K * K + F * oh * ow

    with pytest.raises(ExerciseFailed, match=re.escape("[002] Explication's b_ij")):
        ch10.conv_param_count(untied_bias)

    def no_floor(H, W, K, S, P):
        return (H + 2 * P - K) / S + 1, (W + 2 * P - K) / S + 1

    with pytest.raises(ExerciseFailed, match="not whole numbers"):
        ch10.conv_output_shape(no_floor)

    def padding_once(H, W, K, S, P):
        return (H + P - K) // S + 1, (W + P - K) // S + 1

    with pytest.raises(ExerciseFailed, match="on each side"):
        ch10.conv_output_shape(padding_once)

    def numpy_ints(H, W, K, S, P):  # numpy integers and a list are as good as a tuple of ints
        return [np.int64(v) for v in conv_output_shape(H, W, K, S, P)]

    ch10.conv_output_shape(numpy_ints)


@pytest.mark.parametrize(
    "name, wrong",
    [
        ("conv_output_shape", lambda H, W, K, S, P: (H, W)),
        ("conv_param_count", lambda C, F, K, H, W: 2 * (F * C * K * K + F)),
        ("accuracy_from_logits", lambda logits, labels: 0.5),
    ],
)
def test_an_unrelated_mistake_gets_the_generic_hint(name, wrong):
    check, _, hints = CHECKS[name]
    with pytest.raises(ExerciseFailed) as info:
        check(wrong)
    text = str(info.value)
    assert "hint:" in text
    assert not any(h.message in text for h in hints)


def test_the_cases_cover_what_the_hints_need():
    """9.1: H ≠ W, strides that do not tile, padding; 9.2: several channels, no 1×1 output;
    9.3: N = K first, then other shapes, and accuracies strictly between 0 and 1."""
    c91, c92, c93 = ch10._cases_101(), ch10._cases_102(), ch10._cases_103()
    assert all(len(cases) >= 20 for cases in (c91, c92, c93))
    assert c91[0]["H"] != c91[0]["W"]
    assert any((c["H"] + 2 * c["P"] - c["K"]) % c["S"] for c in c91)
    assert any(c["P"] > 0 for c in c91) and any(c["S"] > 1 for c in c91)
    assert any(c["C"] > 1 for c in c92)
    assert all((c["H"] - c["K"] + 1) * (c["W"] - c["K"] + 1) >= 2 for c in c92)
    assert c93[0]["logits"].shape == (10, 10)
    assert any(c["logits"].shape[0] != c["logits"].shape[1] for c in c93)
    for c in c93:
        acc = accuracy_from_logits(**c)
        assert 0 < acc < 1


def test_the_reference_agrees_with_the_formula_on_every_case():
    """The references run bplib; they agree with the closed forms the book derives."""
    for case in ch10._cases_101():
        assert ch10._output_shape_reference(**case) == conv_output_shape(**case)
    for case in ch10._cases_102():
        assert ch10._param_count_reference(**case) == conv_param_count(**case)
    for case in ch10._cases_103():
        assert ch10._accuracy_reference(**case) == pytest.approx(accuracy_from_logits(**case))


def test_the_checks_are_in_the_book_namespace():
    from bplib.exercises import check

    for name in ("conv_output_shape", "conv_param_count", "accuracy_from_logits"):
        assert getattr(check, name) is getattr(ch10, name)


def test_a_float32_accuracy_passes(capsys):
    """0.6 in float32 is 0.60000002: the tolerance follows the answer's dtype."""

    def accuracy32(logits, labels):
        return np.mean(np.argmax(logits, axis=1) == labels, dtype=np.float32)

    assert float(np.float32(0.6)) == 0.6000000238418579
    ch10.accuracy_from_logits(accuracy32)
    assert "✓ Exercise 10.3" in capsys.readouterr().out


def test_float64_stays_tight():
    with pytest.raises(ExerciseFailed, match="agree with the expected ones to about"):
        ch10.accuracy_from_logits(
            lambda logits, labels: accuracy_from_logits(logits, labels) + 1e-9
        )
