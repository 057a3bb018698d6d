"""Keep the learner's path in step with the chapters.

    python tools/list_exercises.py

- rewrites the list of exercises in book/intro.md (between ``<!-- exercises:start -->`` and
  ``<!-- exercises:end -->``) from the chapter notebooks;
- makes sure the opening cell of every chapter with exercises links to its student notebook,
  which the build writes to ``student/`` (``bplib.exercises.sphinx_ext``).

``tests/test_book.py`` fails when the intro or a chapter's link is out of step.
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
        lines.append(f"- {{doc}}`{nb.stem}`")  # the link shows the chapter's title
        for title in exercises:
            number, _, rest = title.partition(":")
            lines.append(f"  - **{number}**{':' if rest else ''}{rest}")
    return "\n".join(lines)


STUDENT_LINK = (
    '**Exercises without the answers:** <a href="../student/{name}" download>download the '
    "student notebook</a> (solutions replaced by stubs, checks kept), or open "
    "`exercises/{name}` in Binder."
)


def add_student_link(nb: Path) -> bool:
    """Append the student-notebook link to the chapter's first cell; True if it changed."""
    data = json.loads(nb.read_text(encoding="utf-8"))
    first = data["cells"][0]
    text = "".join(first["source"])
    if "../student/" in text:
        return False
    text = text.rstrip("\n") + "\n\n" + STUDENT_LINK.format(name=nb.name)
    lines = text.split("\n")
    first["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    nb.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


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
    for nb in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        if convert_notebook(nb).exercises and add_student_link(nb):
            print(f"linked {nb.name} to its student notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
