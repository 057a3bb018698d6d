"""Rewrite the list of exercises in book/intro.md from the chapter notebooks.

    python tools/list_exercises.py          # rewrites the block between the markers

The block sits between ``<!-- exercises:start -->`` and ``<!-- exercises:end -->``;
``tests/test_book.py`` fails when a chapter has an exercise the intro does not list.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bplib.exercises.student import convert_notebook

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- exercises:start -->", "<!-- exercises:end -->"


def chapter_title(nb: Path) -> str:
    first = "".join(json.loads(nb.read_text())["cells"][0]["source"])
    return first.splitlines()[0].lstrip("# ").strip()


def exercise_block(book: Path) -> str:
    lines = []
    for nb in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        exercises = convert_notebook(nb).exercises
        if not exercises:
            continue
        lines.append(f"- {{doc}}`{nb.stem}` — {chapter_title(nb)}")
        for title in exercises:
            number, _, rest = title.partition(":")
            lines.append(f"  - **{number}**{':' if rest else ''}{rest}")
    return "\n".join(lines)


def main() -> int:
    intro = ROOT / "book" / "intro.md"
    text = intro.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"error: {intro} has no {START} ... {END} block", file=sys.stderr)
        return 1
    block = exercise_block(ROOT / "book")
    new = re.sub(
        re.escape(START) + r".*?" + re.escape(END), f"{START}\n{block}\n{END}", text, flags=re.S
    )
    intro.write_text(new, encoding="utf-8")
    print(f"listed {block.count('**Exercise')} exercises in {intro}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
