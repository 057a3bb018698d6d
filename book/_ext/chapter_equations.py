"""Number display equations per chapter: (8.1), (8.2), … in chapter 8, (A.1), … in Appendix A.

Sphinx numbers equations (``numfig`` + ``math_numfig``) by section numbers, and without a
numbered toctree it counts across the whole book (chapter 8 started at (44)). The chapters'
headings are numbered by hand ("# 8. Pooling", "# Appendix A. Errata of the sources"), so this
extension takes the chapter from the document's title and renumbers its equations in order,
right after Sphinx has assigned its own numbers. Equation numbers and ``{eq}`` references both
read ``env.toc_fignumbers``, so they show the same "(8.3)". A document whose title has no
chapter number (the introduction) numbers its equations (1), (2), …
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

CHAPTER = re.compile(r"^\s*(?:Appendix\s+)?([0-9]+|[A-Z])\.\s")


def chapter_of(title: str) -> tuple[int | str, ...]:
    """``"8. Pooling"`` -> ``(8,)``; ``"Appendix A. Errata"`` -> ``("A",)``; else ``()``."""
    match = CHAPTER.match(title)
    if not match:
        return ()
    number = match.group(1)
    return (int(number),) if number.isdigit() else (number,)


def renumber(app: Sphinx, env: BuildEnvironment) -> list[str]:
    for docname, numbers in env.toc_fignumbers.items():
        equations = numbers.get("displaymath")
        if not equations:
            continue
        title = env.titles[docname].astext() if docname in env.titles else ""
        prefix = chapter_of(title)
        # the dict is in document order: Sphinx walks each doctree from the top
        for n, equation_id in enumerate(equations, start=1):
            equations[equation_id] = (*prefix, n)
    return []


def setup(app: Sphinx) -> dict:
    # after sphinx's TocTreeCollector (priority 500) has assigned the book-wide numbers
    app.connect("env-get-updated", renumber, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
