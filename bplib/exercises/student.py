"""Write the student notebooks: every solution replaced by a stub, every output cleared.

A solution is the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (markers
included) in a code cell. It becomes ``raise NotImplementedError("Exercise N.M: title")`` at
the indentation of the ``BEGIN`` marker, where "Exercise N.M: title" is taken from the last
markdown cell before it that names an exercise. Check cells are kept, so a student runs a
check and is told what is wrong.

Every notebook is converted in memory first; if any of them is malformed (an unbalanced
``BEGIN``/``END`` pair, a solution with no exercise before it) nothing is written.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_EXERCISE = re.compile(r"Exercise\s+(\d+\.\d+)(?:\s*[:—–-]\s*([^\n`]*))?")


class SolutionMarkerError(ValueError):
    """A notebook whose solution markers cannot be processed safely."""


@dataclass
class StudentNotebook:
    source: Path
    notebook: dict
    exercises: list[str]


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _exercise_title(markdown: str) -> str | None:
    matches = list(_EXERCISE.finditer(markdown))
    if not matches:
        return None
    match = matches[-1]  # the last exercise named in the cell is the one its code belongs to
    number, title = match.group(1), (match.group(2) or "").strip().rstrip(":")
    return f"Exercise {number}: {title}" if title else f"Exercise {number}"


def strip_solutions(source: str, exercise: str | None, *, where: str) -> tuple[str, int]:
    """Return ``source`` with each solution block replaced by a stub, and how many there were."""
    out: list[str] = []
    inside = False
    count = 0
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise SolutionMarkerError(
                    f"{where}: line {number} opens a solution inside another one "
                    f"(a second '{BEGIN}' before '{END}')."
                )
            if exercise is None:
                raise SolutionMarkerError(
                    f"{where}: line {number} starts a solution, but no markdown cell before it "
                    f"names an exercise ('Exercise N.M: title')."
                )
            inside = True
            count += 1
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}raise NotImplementedError("{exercise}")')
        elif stripped.startswith(END):
            if not inside:
                raise SolutionMarkerError(
                    f"{where}: line {number} closes a solution that was never opened "
                    f"('{END}' without '{BEGIN}')."
                )
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{where}: '{BEGIN}' is never closed by '{END}'.")
    return "\n".join(out), count


def convert_notebook(path: Path) -> StudentNotebook:
    """Build the student version of one notebook (in memory)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    student = copy.deepcopy(nb)
    current_exercise: str | None = None
    exercises: list[str] = []
    for index, cell in enumerate(student.get("cells", [])):
        text = _cell_source(cell)
        if cell.get("cell_type") == "markdown":
            current_exercise = _exercise_title(text) or current_exercise
            continue
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = []
        cell["execution_count"] = None
        if BEGIN not in text and END not in text:
            continue
        new_text, count = strip_solutions(text, current_exercise, where=f"{path} (cell {index})")
        if count:
            exercises.append(current_exercise)
            tags = [
                t
                for t in cell.get("metadata", {}).get("tags", [])
                if t not in ("hide-input", "hide-cell", "remove-input")
            ]
            cell.setdefault("metadata", {})["tags"] = tags
        lines = new_text.split("\n")
        cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    return StudentNotebook(Path(path), student, exercises)


def _notebooks(sources: list[Path]) -> list[Path]:
    found: list[Path] = []
    for src in sources:
        if src.is_dir():
            found.extend(
                p
                for p in sorted(src.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts
            )
        elif src.suffix == ".ipynb" and src.exists():
            found.append(src)
        else:
            raise FileNotFoundError(f"student: {src} is neither a folder nor a notebook.")
    return found


def write_student_notebooks(sources: list[Path], out_dir: Path) -> list[StudentNotebook]:
    """Convert every notebook under ``sources`` and write them to ``out_dir``, all or nothing."""
    sources = [Path(s) for s in sources]
    out_dir = Path(out_dir)
    converted = [convert_notebook(p) for p in _notebooks(sources)]  # raises before writing
    roots = [s if s.is_dir() else s.parent for s in sources]
    staging = Path(
        tempfile.mkdtemp(prefix="student-", dir=out_dir.parent if out_dir.parent.exists() else None)
    )
    try:
        for item in converted:
            root = next(r for r in roots if item.source.is_relative_to(r))
            target = staging / item.source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                json.dumps(item.notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        # the notebooks read data and images relative to themselves: carry those along
        for root in roots:
            for extra in ("data", "images"):
                if (root / extra).is_dir():
                    shutil.copytree(root / extra, staging / extra, dirs_exist_ok=True)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return converted
