"""Write the student notebooks: every solution replaced by a stub, every output cleared.

A solution is the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (markers
included) in a code cell. It becomes ``raise NotImplementedError("Exercise N.M: title")`` at
the indentation of the ``BEGIN`` marker, where "Exercise N.M: title" is taken from the last
markdown cell before it that names an exercise. Check cells are kept, so a student runs a
check and is told what is wrong.

A student's work is never destroyed (:func:`write_student_notebooks`):

- only the notebooks that are missing are written; every existing one is kept, and the
  report says which;
- each student notebook records a digest of the book's version it was made from (metadata
  ``bplib_exercises``), so a later run says which chapters changed in the book since, and
  whether the student has edited their copy;
- replacing a notebook is explicit (``force``) and moves the old file into
  ``backups/<date>_<time>/`` inside the folder first; nothing is ever deleted;
- the output folder must be one this module created (it holds a marker file, ``.bplib-
  exercises``) or a new or empty folder: a checkout (``.git``), the book's own folder, a
  folder that holds the sources, the home folder, or any other non-empty folder is refused
  before anything is touched.

Every notebook is converted in memory first; if any of them is malformed (an unbalanced
``BEGIN``/``END`` pair, a solution with no exercise before it) nothing is written.
"""

from __future__ import annotations

import copy
import filecmp
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
MARKER = ".bplib-exercises"
BACKUPS = "backups"
METADATA = "bplib_exercises"
SUPPORT_FOLDERS = ("data", "images")  # the notebooks read these relative to themselves
_EXERCISE = re.compile(r"Exercise\s+(\d+\.\d+)(?:\s*[:—–-]\s*([^\n`]*))?")


class SolutionMarkerError(ValueError):
    """A notebook whose solution markers cannot be processed safely."""


class OutputFolderError(ValueError):
    """An output folder the generator must not write into (nothing was touched)."""


@dataclass
class StudentNotebook:
    source: Path
    notebook: dict
    exercises: list[str]
    digest: str = ""


@dataclass
class StudentReport:
    """What :func:`write_student_notebooks` did, for the command to tell the student."""

    out_dir: Path
    notebooks: list[StudentNotebook]
    created: bool = False  # the folder did not exist (or was empty)
    adopted: bool = False  # a folder written by an older version of the command, now marked
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    changed_in_book: list[tuple[Path, bool | None]] = field(default_factory=list)  # (path, edited)
    replaced: list[tuple[Path, Path]] = field(default_factory=list)  # (path, its backup)
    support_differs: list[Path] = field(default_factory=list)
    backup_dir: Path | None = None


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


def notebook_digest(nb: dict) -> str:
    """A digest of a notebook's cells (kind and source only: outputs, ids, metadata and the
    way Jupyter splits lines do not count), to tell whether two versions differ."""
    cells = [[c.get("cell_type", ""), _cell_source(c)] for c in nb.get("cells", [])]
    text = json.dumps(cells, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def convert_notebook(path: Path) -> StudentNotebook:
    """Build the student version of one notebook (in memory), stamped with its digest."""
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
    digest = notebook_digest(student)
    student.setdefault("metadata", {})[METADATA] = {
        "book_notebook": Path(path).name,
        "book_digest": digest,
        "written_by": "python -m bplib.exercises student",
    }
    return StudentNotebook(Path(path), student, exercises, digest)


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


def _convert_all(sources: list[Path]) -> tuple[list[StudentNotebook], list[Path], list[Path]]:
    """Convert every notebook (raises before anything is written); return them with the
    relative target path of each and the source roots."""
    converted = [convert_notebook(p) for p in _notebooks(sources)]
    roots = [s if s.is_dir() else s.parent for s in sources]
    targets = []
    for item in converted:
        root = next(r for r in roots if item.source.is_relative_to(r))
        targets.append(item.source.relative_to(root))
    return converted, targets, roots


def _support_files(roots: list[Path]) -> list[tuple[Path, Path]]:
    """(source file, relative target) of the data and images the notebooks read."""
    files = []
    for root in roots:
        for folder in SUPPORT_FOLDERS:
            base = root / folder
            if base.is_dir():
                files.extend(
                    (p, p.relative_to(root)) for p in sorted(base.rglob("*")) if p.is_file()
                )
    return files


def _write_json(path: Path, nb: dict) -> None:
    """Write a notebook atomically: a half-written file never replaces a whole one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_output_folder(out_dir: Path, sources: list[Path], names: Collection[str] = ()) -> str:
    """Refuse an output folder the generator must not write into; return its state:
    "new" (missing or empty), "ours" (has the marker) or "legacy" (an older version's
    ``exercises/``: only the book's notebooks, ``data``, ``images``).

    Raises:
        OutputFolderError: naming the folder and why, before anything is touched.
    """
    shown = "'.' (the current folder)" if str(out_dir) in (".", "./") else str(out_dir)
    out = Path(os.path.abspath(Path(out_dir).expanduser()))
    real = out.resolve()
    if real == Path.home().resolve():
        raise OutputFolderError(
            f"{shown} is your home folder: give a folder of its own, e.g. -o exercises/."
        )
    if real == Path(real.anchor):
        raise OutputFolderError(f"{shown} is the root of the file system.")
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{shown} is a file, not a folder.")
    for src in sources:
        root = Path(src).resolve()
        root = root if root.is_dir() else root.parent
        if real == root or root.is_relative_to(real):
            raise OutputFolderError(
                f"{shown} holds the book's own notebooks ({src}): writing the student "
                "notebooks there would mix them with the solutions. Give a folder of its own, "
                "e.g. -o exercises/."
            )
        if real.is_relative_to(root):
            raise OutputFolderError(
                f"{shown} is inside the book's folder {src}: the next run would read the "
                "student notebooks as chapters. Give a folder outside it, e.g. -o exercises/."
            )
    if (out / ".git").exists():
        raise OutputFolderError(f"{shown} is a git checkout (it holds .git): never written into.")
    if not out.exists():
        return "new"
    if (out / MARKER).is_file():
        return "ours"
    entries = [e for e in out.iterdir()]
    if not entries:
        return "new"
    allowed = set(names) | set(SUPPORT_FOLDERS) | {".ipynb_checkpoints"}
    if all(e.name in allowed for e in entries) and any(e.name in names for e in entries):
        return "legacy"
    listed = ", ".join(sorted(e.name for e in entries)[:5]) + (", …" if len(entries) > 5 else "")
    raise OutputFolderError(
        f"{shown} already exists, is not empty ({listed}) and was not created by this command "
        f"(it has no {MARKER} file): nothing was written. Give a new folder, e.g. -o exercises/."
    )


def _force_set(force: bool | Collection[str], converted, targets) -> set[Path]:
    """The relative targets that ``force`` asks to replace (validated before any write)."""
    if force is True:
        return set(targets)
    if not force:
        return set()
    chosen: set[Path] = set()
    by_name = {}
    for target in targets:
        by_name[target.name] = target
        by_name[target.stem] = target
        by_name[str(target)] = target
    for name in force:
        key = Path(str(name)).name
        if key not in by_name:
            known = ", ".join(sorted(t.name for t in targets))
            raise OutputFolderError(
                f"--force {name}: no chapter notebook has that name (they are: {known})."
            )
        chosen.add(by_name[key])
    return chosen


def _backup_dir(out: Path) -> Path:
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    candidate, n = out / BACKUPS / stamp, 1
    while candidate.exists():
        n += 1
        candidate = out / BACKUPS / f"{stamp}-{n}"
    return candidate


def _student_state(path: Path, item: StudentNotebook) -> tuple[bool, bool | None]:
    """(the book changed since this copy was written, the student edited it (None: unknown))."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None  # unreadable: keep it, say nothing we cannot know
    stamp = nb.get("metadata", {}).get(METADATA, {})
    own = notebook_digest(nb)
    if not stamp.get("book_digest"):  # written by an older version: compare what we can
        return (own != item.digest), (None if own != item.digest else False)
    return stamp["book_digest"] != item.digest, own != stamp["book_digest"]


def write_student_notebooks(
    sources: list[Path], out_dir: Path, *, force: bool | Collection[str] = False
) -> StudentReport:
    """Write the student notebooks of ``sources`` into ``out_dir`` without destroying anything.

    Missing notebooks are written; existing ones are kept (and reported when the book has
    changed since); with ``force`` (True: all, or a collection of notebook names) the chosen
    existing ones are first moved into ``out_dir/backups/<date>_<time>/``, then rewritten.
    The data and images the notebooks read are copied when missing.

    Raises:
        SolutionMarkerError: a malformed notebook (nothing written).
        OutputFolderError: a folder this command must not write into (nothing touched).
        FileNotFoundError: a source that does not exist.
    """
    sources = [Path(s) for s in sources]
    out = Path(out_dir)
    converted, targets, roots = _convert_all(sources)  # raises before anything is written
    names = {t.parts[0] for t in targets}
    state = check_output_folder(out, sources, names)
    replace = _force_set(force, converted, targets)
    report = StudentReport(out, converted, created=(state == "new"), adopted=(state == "legacy"))

    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    if not marker.exists():
        marker.write_text(
            json.dumps(
                {
                    "written_by": "python -m bplib.exercises student",
                    "purpose": "marks a folder of student notebooks that the command may add "
                    "to; it never deletes anything here (replaced notebooks go to backups/)",
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )

    def backup(path: Path, relative: Path) -> Path:
        if report.backup_dir is None:
            report.backup_dir = _backup_dir(out)
        saved = report.backup_dir / relative
        saved.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), saved)  # a move, never a delete: the old file lives on
        return saved

    for item, relative in zip(converted, targets, strict=True):
        path = out / relative
        if path.exists() and relative in replace:
            report.replaced.append((path, backup(path, relative)))
            _write_json(path, item.notebook)
        elif path.exists():
            report.kept.append(path)
            changed, edited = _student_state(path, item)
            if changed:
                report.changed_in_book.append((path, edited))
        else:
            _write_json(path, item.notebook)
            report.written.append(path)

    for source_file, relative in _support_files(roots):
        path = out / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_file, path)
        elif not filecmp.cmp(source_file, path, shallow=False):
            if force is True:
                backup(path, relative)
                shutil.copy2(source_file, path)
            else:
                report.support_differs.append(path)
    return report


def export_student_notebooks(sources: list[Path], out_dir: Path) -> list[StudentNotebook]:
    """Write fresh student notebooks into a build folder (``_build/html/student``), which the
    build owns: files there are rewritten at every build, nothing else is touched."""
    sources = [Path(s) for s in sources]
    converted, targets, _ = _convert_all(sources)
    for item, relative in zip(converted, targets, strict=True):
        _write_json(Path(out_dir) / relative, item.notebook)
    return converted
