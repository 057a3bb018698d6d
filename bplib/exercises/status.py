"""Where a student stands: ``python -m bplib.exercises status exercises/ [MORE ...] [--csv FILE]``.

Each student notebook of each folder runs in a fresh Jupyter kernel (``nbclient``), with a
time limit per cell, errors allowed (a wrong exercise does not stop the next one's check).
Each exercise is then ✓ (its check passed), ✗ (with the first line of the check's hint), or
· not started (its stub is still there); ``?`` when it could not run (a time limit, a kernel
that died). A teacher passes several folders (one per student) and gets one row per student.

To be quick, only the cells the exercises need are run: every cell of the exercises section
(the student's helpers included) and, before it, the cells that define a name those cells
use (imports, a helper of the chapter), found by reading the code (:mod:`symtable`). When an
exercise still meets a ``NameError`` (a dependency that reading cannot see), the whole
notebook is run again from the top; ``--full`` always runs everything.
"""

from __future__ import annotations

import ast
import copy
import csv
import json
import re
import subprocess
import symtable
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bplib.exercises.student import _cell_source, _exercise_title

_CHECK_CALL = re.compile(r"\bcheck\.\w+\s*\(")
_HEADING = re.compile(r"\{admonition\}\s*Exercise\s+\d+\.\d+")
_NUMBER = re.compile(r"Exercise\s+(\d+)\.(\d+)")
SYMBOLS = {"passed": "✓", "failed": "✗", "not started": "·", "not run": "?"}


@dataclass
class ExerciseResult:
    folder: Path
    notebook: str
    number: str  # "4.1"
    title: str  # "the softmax Jacobian-vector product"
    status: str = "not run"  # passed, failed, not started, not run
    detail: str = ""  # the hint (failed) or why it did not run


@dataclass
class _Exercise:
    number: str
    title: str
    cells: list[int] = field(default_factory=list)  # code cells from its heading to the next
    checks: list[int] = field(default_factory=list)  # the cells that call check.<name>(...)


# --- reading a notebook ---------------------------------------------------------------------


def _exercises(nb: dict) -> tuple[list[_Exercise], int | None]:
    """The exercises of a notebook in order, and the index of the first exercise heading."""
    found: list[_Exercise] = []
    first = None
    current: _Exercise | None = None
    for index, cell in enumerate(nb.get("cells", [])):
        text = _cell_source(cell)
        if cell.get("cell_type") == "markdown":
            # an exercise starts at its box, ":::{admonition} Exercise 4.2: title" (the text
            # may mention an exercise elsewhere: that is not where it starts)
            title = _exercise_title(text) if _HEADING.search(text) else None
            if title:
                number, _, rest = title.partition(":")
                current = _Exercise(number.replace("Exercise", "").strip(), rest.strip())
                found.append(current)
                first = index if first is None else first
            continue
        if cell.get("cell_type") == "code" and current is not None:
            current.cells.append(index)
            if _CHECK_CALL.search(text):
                current.checks.append(index)
    return found, first


def _python(source: str) -> str:
    """The cell as plain Python (IPython's %magics and !commands translated)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - no IPython: drop the magic lines
        return "\n".join(
            line for line in source.split("\n") if not line.lstrip().startswith(("%", "!"))
        )


def _names(source: str) -> tuple[set[str], set[str]] | None:
    """(names the cell binds or modifies at top level, names it reads from the globals, its
    functions' bodies included); None when the cell is not valid Python."""
    code = _python(source)
    try:
        table = symtable.symtable(code, "<cell>", "exec")
        tree = ast.parse(code)
    except SyntaxError:
        return None
    defined: set[str] = set()
    used: set[str] = set()
    for symbol in table.get_symbols():
        if symbol.is_assigned() or symbol.is_imported():
            defined.add(symbol.get_name())
        if symbol.is_referenced():
            used.add(symbol.get_name())

    def free_globals(scope: symtable.SymbolTable) -> None:
        for child in scope.get_children():
            for symbol in child.get_symbols():
                if symbol.is_global() or symbol.is_free():
                    used.add(symbol.get_name())
            free_globals(child)

    free_globals(table)
    # `x[...] = v`, `x.a = v`, `x += v` change x: a cell that does so belongs to x's story
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            while isinstance(target, (ast.Subscript, ast.Attribute)):
                target = target.value
            if isinstance(target, ast.Name):
                defined.add(target.id)
    return defined, used


def plan(nb: dict) -> list[int]:
    """The indices of the code cells to run: the exercises section whole, and before it the
    cells that define what the section (and what they themselves) use."""
    cells = nb.get("cells", [])
    _, first = _exercises(nb)
    if first is None:
        return []
    section = [i for i in range(first, len(cells)) if cells[i].get("cell_type") == "code"]
    needed: set[str] = set()
    for i in section:
        names = _names(_cell_source(cells[i]))
        if names:
            needed |= names[1]
    chosen: list[int] = []
    for i in range(first - 1, -1, -1):
        if cells[i].get("cell_type") != "code":
            continue
        names = _names(_cell_source(cells[i]))
        if names and names[0] & needed:
            chosen.append(i)
            needed |= names[1]
    return sorted(chosen) + section


# --- running it -----------------------------------------------------------------------------


def _execute(nb: dict, folder: Path, indices: list[int], timeout: float) -> tuple[dict, str]:
    """Run the chosen cells in a fresh kernel; return the notebook with their outputs (cells
    not chosen keep none) and why the run stopped early ("" when it did not)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    run = copy.deepcopy(nb)
    for cell in run["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    sub = nbformat.reads(json.dumps(run), as_version=4)  # sources as strings, as nbclient wants
    sub.cells = [sub.cells[i] for i in indices]
    client = NotebookClient(
        sub,
        timeout=timeout,
        interrupt_on_timeout=True,  # a cell that never ends is stopped; the next ones still run
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    stopped = ""
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log lines are noise here
    except CellTimeoutError:
        stopped = f"a cell ran longer than {timeout:g} s and was stopped"
    except DeadKernelError:
        stopped = "the kernel died (out of memory?)"
    except Exception as exc:  # noqa: BLE001 - report it in the table, never crash the view
        stopped = f"could not run: {type(exc).__name__}: {exc}"
    for index, cell in zip(indices, sub.cells, strict=True):
        run["cells"][index]["outputs"] = [dict(o) for o in cell.get("outputs", [])]
        run["cells"][index]["execution_count"] = cell.get("execution_count")
    return run, stopped


def _first_hint(message: str) -> str:
    """The hint line of a failure message, or its first line."""
    for line in message.split("\n"):
        if line.strip().startswith("hint:"):
            return line.split("hint:", 1)[1].strip()
    return message.split("\n", 1)[0]


def _error_text(out: dict, timeout: float) -> str:
    if out.get("ename") == "KeyboardInterrupt":
        return f"ran longer than {timeout:g} s and was stopped"
    return f"raised {out.get('ename')}: {out.get('evalue', '')}"


def _judge_exercise(exercise: _Exercise, nb: dict, stopped: str, timeout: float) -> tuple[str, str]:
    """(status, detail) of one exercise from the outputs of its cells."""
    cells = nb["cells"]
    if not exercise.checks:
        return "not run", "its check cell is missing (run it again from the book's version?)"
    crashed = ""
    for index in exercise.cells:
        if index in exercise.checks:
            continue
        for out in cells[index].get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") != "ExerciseFailed":
                crashed = f"your cell {_error_text(out, timeout)}"
    passed_all = True
    for index in exercise.checks:
        cell = cells[index]
        if cell.get("execution_count") is None and not cell.get("outputs"):
            return "not run", stopped or "its check cell did not run"
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            passed_all = False
            name, value = out.get("ename", ""), out.get("evalue", "")
            if name == "ExerciseFailed":
                if "not written yet" in value.split("\n", 1)[0]:
                    return "not started", ""
                return "failed", _first_hint(value)
            if crashed:
                return "failed", crashed
            return "failed", f"the check cell {_error_text(out, timeout)}"
        text = "".join(
            "".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("name") == "stdout"
        )
        if f"✓ Exercise {exercise.number}" not in text:
            passed_all = False
    if passed_all:
        return "passed", ""
    return "not run", stopped or "its check printed no result"


def _name_error(nb: dict, exercises: list[_Exercise]) -> bool:
    """Whether an exercise met a NameError: a dependency the reading of the code missed."""
    for exercise in exercises:
        for index in exercise.cells:
            for out in nb["cells"][index].get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                if out.get("ename") == "NameError" or "raised NameError" in out.get("evalue", ""):
                    return True
    return False


def notebook_results(
    path: Path, *, timeout: float = 300.0, full: bool = False
) -> list[ExerciseResult]:
    """Run one student notebook's exercises and judge each."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    exercises, _ = _exercises(nb)
    if not exercises:
        return []
    code = [i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code"]
    indices = code if full else plan(nb)
    run, stopped = _execute(nb, Path(path).parent, indices, timeout)
    verdicts = [_judge_exercise(e, run, stopped, timeout) for e in exercises]
    if not full and _name_error(run, exercises):
        run, stopped = _execute(nb, Path(path).parent, code, timeout)  # run it all, as a student
        verdicts = [_judge_exercise(e, run, stopped, timeout) for e in exercises]
    return [
        ExerciseResult(Path(path).parent, Path(path).name, e.number, e.title, status, detail)
        for e, (status, detail) in zip(exercises, verdicts, strict=True)
    ]


def student_notebooks(folder: Path) -> list[Path]:
    """The notebooks of a folder that hold exercises (backups and checkpoints are in
    subfolders, left out)."""
    found = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _exercises(nb)[0]:
            found.append(path)
    return found


def folder_results(
    folder: Path, *, timeout: float = 300.0, full: bool = False
) -> list[ExerciseResult]:
    results: list[ExerciseResult] = []
    for path in student_notebooks(folder):
        results.extend(notebook_results(path, timeout=timeout, full=full))
    return results


# --- showing it -----------------------------------------------------------------------------


def _chapter_of(number: str) -> int:
    return int(number.split(".")[0])


def format_table(folder: Path, results: list[ExerciseResult], width: int = 78) -> str:
    """Chapter by exercise for one folder, then the first line of each ✗'s hint."""
    lines = []
    counts = {s: sum(r.status == s for r in results) for s in SYMBOLS}
    lines.append(
        f"{folder}: {counts['passed']} ✓, {counts['failed']} ✗, "
        f"{counts['not started']} not started"
        + (f", {counts['not run']} could not run" if counts["not run"] else "")
        + f" (of {len(results)} exercises)"
    )
    chapters: dict[int, list[ExerciseResult]] = {}
    for r in results:
        chapters.setdefault(_chapter_of(r.number), []).append(r)
    most = max((len(v) for v in chapters.values()), default=0)
    lines.append("  chapter   " + " ".join(f".{i + 1:<2}" for i in range(most)) + " notebook")
    for chapter, rows in sorted(chapters.items()):
        marks = {int(r.number.split(".")[1]): SYMBOLS[r.status] for r in rows}
        cells = " ".join(f"{marks.get(i + 1, ' '):<3}" for i in range(most))
        lines.append(f"  {chapter:>7}   {cells} {rows[0].notebook}")
    for r in results:
        if r.status in ("failed", "not run") and r.detail:
            lead = f"  {SYMBOLS[r.status]} {r.number} "
            text = (
                r.detail
                if len(lead) + len(r.detail) <= width
                else (r.detail[: width - len(lead) - 1] + "…")
            )
            lines.append(lead + text)
    lines.append("  (✓ passed, ✗ failed, · not started, ? could not run)")
    return "\n".join(lines)


def format_class(per_folder: dict[Path, list[ExerciseResult]]) -> str:
    """One row per folder (a student), one mark per exercise, grouped by chapter."""
    numbers = sorted(
        {r.number for rows in per_folder.values() for r in rows},
        key=lambda n: tuple(int(p) for p in n.split(".")),
    )
    chapters: dict[int, list[str]] = {}
    for n in numbers:
        chapters.setdefault(_chapter_of(n), []).append(n)
    name_width = max(len(str(f)) for f in per_folder) + 2
    head = " " * name_width + " ".join(f"{c:<{len(v)}}" for c, v in chapters.items())
    lines = [head]
    for folder, rows in per_folder.items():
        status = {r.number: SYMBOLS[r.status] for r in rows}
        marks = " ".join("".join(status.get(n, " ") for n in v) for v in chapters.values())
        done = sum(r.status == "passed" for r in rows)
        lines.append(f"{str(folder):<{name_width}}{marks}  {done}/{len(numbers)}")
    return "\n".join(lines)


def write_csv(path: Path, results: list[ExerciseResult]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["folder", "notebook", "exercise", "title", "status", "detail"])
        for r in results:
            writer.writerow([str(r.folder), r.notebook, r.number, r.title, r.status, r.detail])


def main_status(
    folders: list[Path],
    *,
    csv_path: Path | None = None,
    timeout: float = 300.0,
    full: bool = False,
) -> int:
    per_folder: dict[Path, list[ExerciseResult]] = {}
    started = time.monotonic()
    for folder in folders:
        if not Path(folder).is_dir():
            print(f"error: {folder} is not a folder.", file=sys.stderr)
            return 2
        results = folder_results(Path(folder), timeout=timeout, full=full)
        if not results:
            print(f"{folder}: no student notebook with exercises here.")
            continue
        per_folder[Path(folder)] = results
        print(format_table(Path(folder), results))
        print()
    if len(per_folder) > 1:
        print(format_class(per_folder))
    if csv_path is not None:
        write_csv(csv_path, [r for rows in per_folder.values() for r in rows])
        print(f"wrote {csv_path}")
    print(f"({time.monotonic() - started:.0f} s)")
    return 0
