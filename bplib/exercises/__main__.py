"""The exercises' command line.

python -m bplib.exercises student book/ -o exercises/ [--force [NOTEBOOK ...]]
    write the student notebooks that are missing (never overwrites: --force backs up first)
python -m bplib.exercises status exercises/ [MORE_FOLDERS ...] [--csv FILE]
    run every student notebook's checks and print ✓ / ✗ + hint / not started per exercise
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from bplib.exercises.student import (
    OutputFolderError,
    SolutionMarkerError,
    StudentReport,
    write_student_notebooks,
)


def _names(paths: list[Path], out: Path) -> str:
    names = ", ".join(str(p.relative_to(out)) for p in paths)
    return "\n" + textwrap.fill(names, 78, initial_indent="  ", subsequent_indent="  ")


def _force_command(out: Path, sources: list[Path], name: str) -> str:
    usual = [str(s).rstrip("/") for s in sources] == ["book"]
    if usual and out.as_posix().rstrip("/") == "exercises":
        return f"make exercises FORCE={name}"
    joined = " ".join(str(s) for s in sources)
    return f"python -m bplib.exercises student {joined} -o {out} --force {name}"


def print_report(report: StudentReport, sources: list[Path]) -> None:
    out = report.out_dir
    total = sum(len(n.exercises) for n in report.notebooks)
    if report.created:
        print(
            f"{out}/: a new folder for your exercises ({total} exercises in "
            f"{len(report.notebooks)} notebooks)."
        )
    if report.adopted:
        print(
            f"{out}/: written by an earlier version of this command; from now on it is "
            "only ever added to."
        )
    if report.written:
        print(f"wrote {len(report.written)} notebook(s):{_names(report.written, out)}")
    if report.kept:
        print(
            f"kept {len(report.kept)} notebook(s) you already have, untouched: "
            f"{_names(report.kept, out)}"
        )
    for path, backup in report.replaced:
        print(
            f"replaced {path.relative_to(out)} by the book's current version; your copy is "
            f"in {backup}"
        )
    if report.changed_in_book:
        count = len(report.changed_in_book)
        print(f"note: the book changed {count} chapter(s) since your copy was written:")
        for path, edited in report.changed_in_book:
            whose = {
                True: "you have edited your copy",
                False: "you have not edited your copy",
                None: "written by an earlier version of this command",
            }[edited]
            print(f"  {path.relative_to(out)}: {whose}")
        names = " ".join(str(p.relative_to(out)) for p, _ in report.changed_in_book[:1])
        print(f"  To get the new one (your copy is moved to {out}/backups/ first):")
        print(f"    {_force_command(out, sources, names)}")
        if count > 1:
            print("  (name one chapter or several; FORCE=1 / --force alone replaces them all)")
    if report.support_differs:
        shown = ", ".join(str(p.relative_to(out)) for p in report.support_differs[:3])
        print(
            f"note: {len(report.support_differs)} data file(s) differ from the book's "
            f"({shown}{', …' if len(report.support_differs) > 3 else ''}); --force updates them."
        )
    if not report.written and not report.replaced:
        print("nothing to write: every notebook is there (your work is never overwritten).")


def _student(args) -> int:
    force = True if args.force == [] else (args.force or False)
    try:
        report = write_student_notebooks(args.sources, args.out, force=force)
    except (SolutionMarkerError, OutputFolderError, FileNotFoundError) as exc:
        print(f"error: {exc}\nnothing was written.", file=sys.stderr)
        return 2
    print_report(report, args.sources)
    return 0


def _status(args) -> int:
    from bplib.exercises.status import main_status

    return main_status(args.folders, csv_path=args.csv, timeout=args.timeout, full=args.full)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bplib.exercises",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser(
        "student",
        help="write the student notebooks that are missing (solutions replaced by stubs)",
    )
    student.add_argument("sources", nargs="+", type=Path, help="notebooks or folders of notebooks")
    student.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        help="output folder: a new one, or one this command created (it is only added to)",
    )
    student.add_argument(
        "--force",
        nargs="*",
        metavar="NOTEBOOK",
        help="replace these existing notebooks (all if none named) by the book's version; "
        "each old file is moved to OUT/backups/<date>_<time>/ first",
    )
    status = sub.add_parser(
        "status", help="run the student notebooks' checks; print a table of the exercises"
    )
    status.add_argument("folders", nargs="+", type=Path, help="folders of student notebooks")
    status.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    status.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds a cell may run before it is stopped (default 300)",
    )
    status.add_argument(
        "--full",
        action="store_true",
        help="run every cell of each notebook (default: the exercises and what they use)",
    )
    args = parser.parse_args(argv)
    return _student(args) if args.command == "student" else _status(args)


if __name__ == "__main__":
    sys.exit(main())
