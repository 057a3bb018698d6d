"""The student-notebook generator: solutions become stubs, outputs go, checks stay."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from bplib.exercises.__main__ import main as exercises_main
from bplib.exercises.student import (
    BEGIN,
    END,
    SolutionMarkerError,
    convert_notebook,
    strip_solutions,
    write_student_notebooks,
)

BOOK = Path(__file__).resolve().parents[1] / "book"


def make_notebook(
    path: Path, cells: list[tuple[str, str]], tags: dict[int, list[str]] | None = None
) -> Path:
    nb = nbformat.v4.new_notebook()
    for index, (kind, text) in enumerate(cells):
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(text)
        else:
            cell = nbformat.v4.new_code_cell(text)
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="old output\n")]
            cell.execution_count = index
        if tags and index in tags:
            cell.metadata["tags"] = tags[index]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


SOLUTION_CELL = f"""def grad_log_xy(x, y):
    \"\"\"Return (dz/dx, dz/dy) for z = log(xy).\"\"\"
    {BEGIN}
    v = x * y
    secret_line = y / v
    return secret_line, x / v
    {END}
"""


def good_notebook(tmp_path: Path) -> Path:
    return make_notebook(
        tmp_path / "01_demo.ipynb",
        [
            ("md", "# 1. Demo"),
            (
                "md",
                ":::{admonition} Exercise 1.1: the gradient of log(xy)\n:class: tip\nWrite.\n:::",
            ),
            ("code", SOLUTION_CELL),
            ("code", "check.grad_log_xy(grad_log_xy)"),
        ],
        tags={2: ["hide-input"]},
    )


def test_stub_replaces_solution_at_its_indentation():
    text, count = strip_solutions(SOLUTION_CELL, "Exercise 1.1: the gradient", where="nb")
    assert count == 1
    assert '    raise NotImplementedError("Exercise 1.1: the gradient")' in text.split("\n")
    assert "secret_line" not in text and BEGIN not in text and END not in text
    assert text.startswith("def grad_log_xy(x, y):")


def test_convert_clears_outputs_keeps_checks_and_untags(tmp_path):
    student = convert_notebook(good_notebook(tmp_path))
    assert student.exercises == ["Exercise 1.1: the gradient of log(xy)"]
    code = [c for c in student.notebook["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert "hide-input" not in code[0]["metadata"]["tags"]
    assert "".join(code[1]["source"]) == "check.grad_log_xy(grad_log_xy)"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"def f():\n    {BEGIN}\n    return 1\n", "never closed"),
        (f"def f():\n    return 1\n    {END}\n", "never opened"),
        (f"def f():\n    {BEGIN}\n    {BEGIN}\n    return 1\n    {END}\n", "inside another"),
    ],
)
def test_unbalanced_markers_name_notebook_and_cell_and_write_nothing(tmp_path, body, message):
    src = tmp_path / "src"
    src.mkdir()
    good_notebook(src)
    make_notebook(src / "02_bad.ipynb", [("md", "Exercise 2.1: x"), ("md", "text"), ("code", body)])
    out = tmp_path / "out"
    with pytest.raises(SolutionMarkerError) as info:
        write_student_notebooks([src], out)
    assert "02_bad.ipynb" in str(info.value) and "cell 2" in str(info.value)
    assert message in str(info.value)
    assert not out.exists(), "a failed run must write nothing, not even the good notebooks"


def test_solution_without_an_exercise_heading_is_refused(tmp_path):
    nb = make_notebook(
        tmp_path / "03.ipynb", [("md", "# no exercise here"), ("code", SOLUTION_CELL)]
    )
    with pytest.raises(SolutionMarkerError, match="names an exercise"):
        convert_notebook(nb)


def test_cli_reports_and_refuses(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    good_notebook(src)
    assert exercises_main(["student", str(src), "-o", str(tmp_path / "ok")]) == 0
    assert "1 exercise(s)" in capsys.readouterr().out
    written = json.loads((tmp_path / "ok" / "01_demo.ipynb").read_text())
    assert "secret_line" not in json.dumps(written)
    make_notebook(
        src / "bad.ipynb", [("md", "Exercise 10.9: x"), ("code", f"def f():\n    {BEGIN}\n")]
    )
    assert exercises_main(["student", str(src), "-o", str(tmp_path / "bad")]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def _solution_lines(nb: dict) -> set[str]:
    lines: set[str] = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        inside = False
        for line in "".join(cell["source"]).split("\n"):
            if line.strip().startswith(BEGIN):
                inside = True
            elif line.strip().startswith(END):
                inside = False
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.add(line.strip())
    return lines


def _code_lines_outside_solutions(nb: dict) -> set[str]:
    lines: set[str] = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            text, _ = strip_solutions("".join(cell["source"]), "Exercise 0.0", where="x")
            lines.update(line.strip() for line in text.split("\n"))
    return lines


def test_book_has_exercises_and_no_solution_line_survives(tmp_path):
    notebooks = sorted(BOOK.glob("*.ipynb"))
    assert notebooks, "the book has no notebooks"
    converted = write_student_notebooks([BOOK], tmp_path / "exercises")
    total = 0
    for item in converted:
        original = json.loads(item.source.read_text())
        student_text = (tmp_path / "exercises" / item.source.name).read_text()
        student = json.loads(student_text)
        stubs = re.findall(
            r'raise NotImplementedError\(\\"(Exercise \d+\.\d+[^\\]*)\\"\)', student_text
        )
        assert len(stubs) == len(item.exercises)
        # every solution line that does not also appear outside the solutions is gone
        secret = _solution_lines(original) - _code_lines_outside_solutions(original)
        student_code = "\n".join(
            "".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code"
        )
        leaked = [line for line in secret if line in student_code]
        assert not leaked, f"{item.source.name}: solution lines survive: {leaked[:3]}"
        assert BEGIN not in student_code and END not in student_code
        total += len(item.exercises)
    chapters_with_exercises = [c for c in converted if c.exercises]
    assert total >= 2 * len(chapters_with_exercises) >= 2
