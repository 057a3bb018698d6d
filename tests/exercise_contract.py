"""The contract every exercise check keeps, shared by the chapters' test files.

For each check: the right answer (written as a reader would) passes and says so, the stub of
the student notebook fails with "not written yet", and each known mistake is rejected with
its own hint. A test file binds the three tests to its chapter's checks::

    CHECKS = {"name": (check_function, right_answer, hints)}
    (test_right_answer_passes, test_stub_is_not_written_yet,
     test_each_known_mistake_gets_its_hint) = contract_tests(CHECKS)
"""

from __future__ import annotations

import pytest

from bplib.exercises import ExerciseFailed


def stub(*args, **kwargs):
    """What the student generator leaves in place of a solution."""
    raise NotImplementedError("Exercise N.M: not written yet")


def failure(check_fn, user_fn) -> str:
    """The message a check gives for ``user_fn`` (the check must fail)."""
    with pytest.raises(ExerciseFailed) as info:
        check_fn(user_fn)
    return str(info.value)


def contract_tests(checks: dict):
    names = list(checks)
    known = [(name, i) for name, (_, _, hints) in checks.items() for i in range(len(hints))]

    @pytest.mark.parametrize("name", names)
    def test_right_answer_passes(name, capsys):
        check_fn, right, _ = checks[name]
        check_fn(right)
        assert "✓ Exercise" in capsys.readouterr().out

    @pytest.mark.parametrize("name", names)
    def test_stub_is_not_written_yet(name):
        check_fn, _, _ = checks[name]
        assert "not written yet" in failure(check_fn, stub)

    @pytest.mark.parametrize(("name", "index"), known)
    def test_each_known_mistake_gets_its_hint(name, index):
        check_fn, _, hints = checks[name]
        assert hints[index].message in failure(check_fn, hints[index].wrong)

    return (
        test_right_answer_passes,
        test_stub_is_not_written_yet,
        test_each_known_mistake_gets_its_hint,
    )
