"""``python -m bplib.exercises student book/ -o exercises/``: write the student notebooks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bplib.exercises.student import SolutionMarkerError, write_student_notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bplib.exercises", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="write notebooks with the solutions replaced by stubs")
    student.add_argument("sources", nargs="+", type=Path, help="notebooks or folders of notebooks")
    student.add_argument("-o", "--out", type=Path, required=True, help="output folder (replaced)")
    args = parser.parse_args(argv)
    try:
        converted = write_student_notebooks(args.sources, args.out)
    except (SolutionMarkerError, FileNotFoundError) as exc:
        print(f"error: {exc}\nnothing was written.", file=sys.stderr)
        return 2
    total = sum(len(c.exercises) for c in converted)
    for c in converted:
        if c.exercises:
            print(f"{c.source.name}: {len(c.exercises)} exercise(s): " + "; ".join(c.exercises))
    print(f"wrote {len(converted)} student notebook(s) with {total} exercise(s) to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
