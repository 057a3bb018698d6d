"""The student-notebook generator: solutions become stubs, outputs go, checks stay."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import nbformat
import pytest

from bplib.exercises.__main__ import main as exercises_main
from bplib.exercises.student import (
    BEGIN,
    END,
    SolutionMarkerError,
    convert_notebook,
    export_student_notebooks,
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
    out = capsys.readouterr().out
    assert "a new folder for your exercises (1 exercises in 1 notebooks)" in out
    assert "wrote 1 notebook(s):\n  01_demo.ipynb" in out
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
    converted = write_student_notebooks([BOOK], tmp_path / "exercises").notebooks
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


# --- a student's work is never destroyed -----------------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: to prove that nothing was touched."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def book_with_two_chapters(root: Path) -> Path:
    book = root / "book"
    book.mkdir(parents=True)
    good_notebook(book)
    make_notebook(
        book / "02_more.ipynb",
        [
            ("md", ":::{admonition} Exercise 2.1: twice\n:class: tip\nWrite it.\n:::"),
            ("code", f"def twice(x):\n    {BEGIN}\n    return 2 * x\n    {END}\n"),
            ("code", "check.twice(twice)"),
        ],
    )
    (book / "data").mkdir()
    (book / "data" / "table.json").write_text('{"a": 1}\n')
    return book


def student_edits(path: Path, line: str) -> None:
    """What a student does: write code in a cell and save the notebook."""
    nb = json.loads(path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = line
    path.write_text(json.dumps(nb, indent=1))


def test_a_second_run_keeps_every_notebook_and_writes_only_the_missing_ones(tmp_path):
    book = book_with_two_chapters(tmp_path)
    out = tmp_path / "exercises"
    first = write_student_notebooks([book], out)
    assert first.created and sorted(p.name for p in first.written) == [
        "01_demo.ipynb",
        "02_more.ipynb",
    ]
    assert (out / ".bplib-exercises").is_file() and (out / "data" / "table.json").is_file()
    student_edits(out / "01_demo.ipynb", "def grad_log_xy(x, y):\n    return 1 / x, 1 / y\n")
    (out / "02_more.ipynb").unlink()  # the student deleted a chapter: it comes back
    (out / "notes.txt").write_text("my own notes")
    (out / "my_experiments.ipynb").write_text("{}")
    (out / "data" / "mine.csv").write_text("1,2\n")
    # re-executing the book (new outputs, execution counts) is not a change of the chapter
    nb = json.loads((book / "01_demo.ipynb").read_text())
    nb["cells"][3]["outputs"] = [nbformat.v4.new_output("stream", name="stdout", text="new\n")]
    nb["cells"][3]["execution_count"] = 42
    (book / "01_demo.ipynb").write_text(json.dumps(nb))
    before = tree(out)

    second = write_student_notebooks([book], out)
    assert [p.name for p in second.kept] == ["01_demo.ipynb"]
    assert [p.name for p in second.written] == ["02_more.ipynb"]
    assert not second.replaced and not second.changed_in_book and second.backup_dir is None
    after = tree(out)
    for name, content in before.items():  # every file the student had is there, unchanged
        assert after[name] == content, name
    assert "return 1 / x, 1 / y" in (out / "01_demo.ipynb").read_text()


def test_a_chapter_changed_in_the_book_is_reported_and_kept(tmp_path, capsys):
    book = book_with_two_chapters(tmp_path)
    out = tmp_path / "exercises"
    write_student_notebooks([book], out)
    student_edits(out / "01_demo.ipynb", "def grad_log_xy(x, y):\n    return 0, 0\n")
    mine = (out / "01_demo.ipynb").read_bytes()
    nb = json.loads((book / "01_demo.ipynb").read_text())  # the book gains a paragraph
    nb["cells"].insert(1, nbformat.v4.new_markdown_cell("A new paragraph."))
    (book / "01_demo.ipynb").write_text(json.dumps(nb))
    nb = json.loads((book / "02_more.ipynb").read_text())
    nb["cells"][0]["source"] = ":::{admonition} Exercise 2.1: twice, better explained\n:::"
    (book / "02_more.ipynb").write_text(json.dumps(nb))

    report = write_student_notebooks([book], out)
    assert {(p.name, edited) for p, edited in report.changed_in_book} == {
        ("01_demo.ipynb", True),
        ("02_more.ipynb", False),
    }
    assert (out / "01_demo.ipynb").read_bytes() == mine
    assert exercises_main(["student", str(book), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "note: the book changed 2 chapter(s) since your copy was written:" in text
    assert "  01_demo.ipynb: you have edited your copy" in text
    assert "  02_more.ipynb: you have not edited your copy" in text
    assert f"  To get the new one (your copy is moved to {out}/backups/ first):" in text
    assert f"-o {out} --force 01_demo.ipynb" in text


def test_the_make_command_is_suggested_for_the_usual_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    book = book_with_two_chapters(tmp_path)
    assert exercises_main(["student", "book/", "-o", "exercises/"]) == 0
    nb = json.loads((book / "02_more.ipynb").read_text())
    nb["cells"].append(nbformat.v4.new_markdown_cell("One more remark."))
    (book / "02_more.ipynb").write_text(json.dumps(nb))
    capsys.readouterr()
    assert exercises_main(["student", "book/", "-o", "exercises/"]) == 0
    assert "\n    make exercises FORCE=02_more.ipynb\n" in capsys.readouterr().out


def test_force_backs_up_the_old_notebook_first(tmp_path):
    book = book_with_two_chapters(tmp_path)
    out = tmp_path / "exercises"
    write_student_notebooks([book], out)
    student_edits(out / "01_demo.ipynb", "my answer 1")
    student_edits(out / "02_more.ipynb", "my answer 2")
    mine = {name: (out / name).read_bytes() for name in ("01_demo.ipynb", "02_more.ipynb")}

    report = write_student_notebooks([book], out, force=["02_more"])  # one chapter only
    assert [p.name for p, _ in report.replaced] == ["02_more.ipynb"]
    backup = report.replaced[0][1]
    assert backup.parent == report.backup_dir and backup.parent.parent == out / "backups"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(-\d+)?", backup.parent.name)
    assert backup.read_bytes() == mine["02_more.ipynb"]
    assert "my answer 2" not in (out / "02_more.ipynb").read_text()
    assert (out / "01_demo.ipynb").read_bytes() == mine["01_demo.ipynb"]

    again = write_student_notebooks([book], out, force=True)  # all of them, a second backup
    assert again.backup_dir != report.backup_dir
    assert (again.backup_dir / "01_demo.ipynb").read_bytes() == mine["01_demo.ipynb"]
    assert backup.read_bytes() == mine["02_more.ipynb"]  # the first backup is still there


def test_force_with_an_unknown_name_touches_nothing(tmp_path, capsys):
    book = book_with_two_chapters(tmp_path)
    out = tmp_path / "exercises"
    write_student_notebooks([book], out)
    before = tree(out)
    code = exercises_main(["student", str(book), "-o", str(out), "--force", "05_nothing"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no chapter notebook has that name" in err and "nothing was written" in err
    assert tree(out) == before


def checkout(tmp_path: Path) -> Path:
    """A clone of the course: .git, book/, a README; the place `-o .` would have emptied."""
    repo = tmp_path / "repo"
    book_with_two_chapters(repo)
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / "README.md").write_text("# the course\n")
    return repo


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        (".", "holds the book's own notebooks"),
        ("book", "holds the book's own notebooks"),
        ("book/exercises", "is inside the book's folder"),
        ("~", "is your home folder"),
        ("home_of_the_student", "is your home folder"),
        ("with_git", "is a git checkout"),
        ("not_ours", "was not created by this command"),
        ("README.md", "is a file, not a folder"),
    ],
)
def test_folders_it_did_not_create_are_refused_and_untouched(
    tmp_path, monkeypatch, capsys, out, reason
):
    repo = checkout(tmp_path)
    home = repo / "home_of_the_student"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "thesis.tex").write_text("years of work")
    monkeypatch.setenv("HOME", str(home))
    with_git = repo / "with_git"
    (with_git / ".git").mkdir(parents=True)
    (with_git / ".bplib-exercises").write_text("{}")  # even a marked folder, if it is a checkout
    (repo / "not_ours").mkdir()
    (repo / "not_ours" / "results.csv").write_text("precious")
    monkeypatch.chdir(repo)
    before = tree(tmp_path)

    assert exercises_main(["student", "book/", "-o", out]) == 2
    err = capsys.readouterr().err
    assert reason in err and "nothing was written" in err
    assert tree(tmp_path) == before


def test_an_empty_folder_is_accepted_and_marked(tmp_path):
    book = book_with_two_chapters(tmp_path)
    (tmp_path / "empty").mkdir()
    report = write_student_notebooks([book], tmp_path / "empty")
    assert report.created and (tmp_path / "empty" / ".bplib-exercises").is_file()


def test_a_folder_written_by_the_old_command_is_adopted_without_losing_anything(tmp_path):
    """Before the marker existed, `make exercises` wrote exercises/ with the notebooks, data
    and images only: such a folder is recognised and only added to."""
    book = book_with_two_chapters(tmp_path)
    out = tmp_path / "exercises"
    out.mkdir()
    old = convert_notebook(book / "01_demo.ipynb").notebook
    del old["metadata"]["bplib_exercises"]  # the old command wrote no stamp
    old["cells"][2]["source"] = "the student's answer"
    (out / "01_demo.ipynb").write_text(json.dumps(old))
    (out / "data").mkdir()
    before = (out / "01_demo.ipynb").read_bytes()

    report = write_student_notebooks([book], out)
    assert report.adopted and not report.created
    assert [p.name for p in report.kept] == ["01_demo.ipynb"]
    assert [p.name for p in report.written] == ["02_more.ipynb"]
    assert (out / "01_demo.ipynb").read_bytes() == before
    assert (out / ".bplib-exercises").is_file()


def test_make_clean_keeps_the_exercises():
    root = Path(__file__).resolve().parents[1]
    dry = subprocess.run(
        ["make", "-n", "clean"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    removals = [line for line in dry.splitlines() if line.startswith("rm ")]
    assert removals and all("_build" in r or "cache" in r for r in removals)
    assert not any("exercises" in r for r in removals)


def test_binder_writes_the_exercises_with_the_same_safe_command(tmp_path, monkeypatch):
    root = Path(__file__).resolve().parents[1]
    post_build = (root / "binder" / "postBuild").read_text()
    line = next(x for x in post_build.splitlines() if "bplib.exercises" in x)
    argv = shlex.split(line)
    assert argv[:3] == ["python", "-m", "bplib.exercises"]
    monkeypatch.chdir(tmp_path)
    book_with_two_chapters(tmp_path)
    assert exercises_main(argv[3:]) == 0  # a fresh Binder image
    assert (tmp_path / "exercises" / "01_demo.ipynb").is_file()
    assert exercises_main(argv[3:]) == 0  # and a rebuild on top of it changes nothing


def test_the_html_build_gets_fresh_student_notebooks(tmp_path):
    """The Sphinx extension writes into the build's own folder, rewritten at every build."""
    book = book_with_two_chapters(tmp_path)
    html = tmp_path / "_build" / "html" / "student"
    export_student_notebooks([book], html)
    nb = json.loads((book / "02_more.ipynb").read_text())
    nb["cells"].append(nbformat.v4.new_markdown_cell("new in the book"))
    (book / "02_more.ipynb").write_text(json.dumps(nb))
    export_student_notebooks([book], html)
    assert "new in the book" in (html / "02_more.ipynb").read_text()
