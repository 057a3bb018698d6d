"""The progress view: each student notebook's checks run in a kernel, one mark per exercise."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from pathlib import Path

import nbformat
import pytest

from bplib.exercises import ch01
from bplib.exercises.__main__ import main as exercises_main
from bplib.exercises.status import folder_results, plan
from bplib.exercises.student import write_student_notebooks

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_1 = ROOT / "book" / "01_chain_rule.ipynb"

RIGHT_11 = "def grad_log_xy(x, y):\n    return 1 / x, 1 / y\n"
SWAPPED_12 = "def mul_backward(x, y, upstream):\n    return upstream * x, upstream * y\n"
BROKEN_11 = "def grad_log_xy(x, y):\n    return 1 / x, 1 /\n"  # a SyntaxError


def answer(path: Path, name: str, source: str) -> None:
    """Write ``source`` into the cell that defines ``name``, as a student does."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(
        c
        for c in nb["cells"]
        if c["cell_type"] == "code" and f"def {name}(" in "".join(c["source"])
    )
    cell["source"] = source
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> dict[str, Path]:
    """Two students' folders of chapter 1: alice passed 1.1, failed 1.2, left 1.3; bob's 1.1
    does not even parse."""
    root = tmp_path_factory.mktemp("class")
    folders = {}
    for name in ("alice", "bob"):
        folders[name] = root / name
        write_student_notebooks([CHAPTER_1], folders[name])
    alice = folders["alice"] / CHAPTER_1.name
    answer(alice, "grad_log_xy", RIGHT_11)
    answer(alice, "mul_backward", SWAPPED_12)
    answer(folders["bob"] / CHAPTER_1.name, "grad_log_xy", BROKEN_11)
    return folders


@pytest.fixture(scope="module")
def report(classroom, tmp_path_factory):
    """`python -m bplib.exercises status alice/ bob/ --csv class.csv`, run once: (what it
    printed, the rows of the CSV)."""
    table = tmp_path_factory.mktemp("report") / "class.csv"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = exercises_main(
            ["status", str(classroom["alice"]), str(classroom["bob"]), "--csv", str(table)]
        )
    assert code == 0
    return buffer.getvalue(), list(csv.DictReader(table.open(encoding="utf-8")))


def rows_of(report, name):
    return {r["exercise"]: r for r in report[1] if Path(r["folder"]).name == name}


def test_a_passing_a_failing_and_an_untouched_exercise(report):
    alice = rows_of(report, "alice")
    assert list(alice) == ["1.1", "1.2", "1.3"]
    assert alice["1.1"]["status"] == "passed" and alice["1.1"]["detail"] == ""
    assert alice["1.2"]["status"] == "failed"
    assert alice["1.2"]["detail"] == ch01.MUL_HINTS[1].message  # the hint of the check
    assert alice["1.3"]["status"] == "not started"
    assert alice["1.1"]["title"] == "log(xy), step by step"
    assert all(r["notebook"] == CHAPTER_1.name for r in report[1]) and len(report[1]) == 6


def test_the_table_shows_chapter_by_exercise_and_the_first_line_of_each_hint(classroom, report):
    lines = report[0].split("\n")
    head = lines.index(f"{classroom['alice']}: 1 ✓, 1 ✗, 1 not started (of 3 exercises)")
    assert lines[head + 1].split() == ["chapter", ".1", ".2", ".3", "notebook"]
    assert lines[head + 2].split() == ["1", "✓", "✗", "·", CHAPTER_1.name]
    failed = lines[head + 3]
    assert failed.startswith("  ✗ 1.2 the local gradients are swapped") and len(failed) <= 78


def test_a_cell_that_does_not_parse_is_named(report):
    bob = rows_of(report, "bob")
    assert bob["1.1"]["status"] == "failed"
    assert bob["1.1"]["detail"].startswith("your cell raised SyntaxError")
    assert bob["1.2"]["status"] == "not started"


def test_several_folders_give_one_row_per_student(classroom, report):
    grid = {
        line.split()[0]: line.split()[1:] for line in report[0].splitlines() if line.startswith("/")
    }
    assert grid[str(classroom["alice"])] == ["✓✗·", "1/3"]
    assert grid[str(classroom["bob"])] == ["✗··", "0/3"]


def test_only_what_the_exercises_use_is_run_and_slow_cells_are_skipped(tmp_path):
    """A chapter's slow cell (a training run) is not run when no exercise needs it; a helper
    the student's answer calls is; a time limit stops a cell that never ends."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "%matplotlib inline\nimport time\nfrom bplib.exercises import check"
        ),
        nbformat.v4.new_markdown_cell("# 1. Demo"),
        nbformat.v4.new_code_cell("def reciprocal(v):\n    return 1 / v"),
        nbformat.v4.new_code_cell("time.sleep(3600)  # a long training run"),
        nbformat.v4.new_code_cell("unused = 3"),
        nbformat.v4.new_markdown_cell(":::{admonition} Exercise 1.1: log(xy)\n:::"),
        nbformat.v4.new_code_cell(
            "def grad_log_xy(x, y):\n    return reciprocal(x), reciprocal(y)"
        ),
        nbformat.v4.new_code_cell("check.grad_log_xy(grad_log_xy)"),
    ]
    folder = tmp_path / "student"
    folder.mkdir()
    nbformat.write(nb, folder / "01_demo.ipynb")
    assert plan(json.loads((folder / "01_demo.ipynb").read_text())) == [0, 2, 6, 7]
    (result,) = folder_results(folder, timeout=60)
    assert (result.number, result.status) == ("1.1", "passed")


def test_a_dependency_reading_cannot_see_runs_the_whole_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from bplib.exercises import check"),
        nbformat.v4.new_code_cell("def reciprocal(v):\n    return 1 / v"),
        nbformat.v4.new_markdown_cell(":::{admonition} Exercise 1.1: log(xy)\n:::"),
        nbformat.v4.new_code_cell(
            "def grad_log_xy(x, y):\n    f = eval('recip' + 'rocal')\n    return f(x), f(y)"
        ),
        nbformat.v4.new_code_cell("check.grad_log_xy(grad_log_xy)"),
    ]
    folder = tmp_path / "student"
    folder.mkdir()
    nbformat.write(nb, folder / "01_demo.ipynb")
    (result,) = folder_results(folder, timeout=60)
    assert result.status == "passed"


def test_a_cell_that_never_ends_is_stopped_and_the_next_ones_still_run(tmp_path, monkeypatch):
    monkeypatch.setenv("BPLIB_CASE_TIME_LIMIT", "1")  # the kernel's checks stop a case at 1 s
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from bplib.exercises import check"),
        nbformat.v4.new_markdown_cell(":::{admonition} Exercise 1.1: log(xy)\n:::"),
        nbformat.v4.new_code_cell("while True:\n    pass"),
        nbformat.v4.new_code_cell("def grad_log_xy(x, y):\n    return 1 / x, 1 / y"),
        nbformat.v4.new_code_cell("check.grad_log_xy(grad_log_xy)"),
        nbformat.v4.new_markdown_cell(":::{admonition} Exercise 1.2: a multiply node\n:::"),
        nbformat.v4.new_code_cell(
            "def mul_backward(x, y, upstream):\n    while True:\n        pass"
        ),
        nbformat.v4.new_code_cell("check.mul_backward(mul_backward)"),
    ]
    folder = tmp_path / "student"
    folder.mkdir()
    nbformat.write(nb, folder / "01_demo.ipynb")
    started = time.monotonic()
    first, second = folder_results(folder, timeout=4)
    assert time.monotonic() - started < 60
    assert first.status == "passed"  # its own check ran after the endless cell was stopped
    assert second.status == "failed" and "a loop that never ends" in second.detail
