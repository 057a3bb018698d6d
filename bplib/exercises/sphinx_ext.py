"""Sphinx extension: put the student notebooks into the built book.

Listed in ``_config.yml`` (``sphinx: extra_extensions``). When the HTML build finishes it
writes ``<html>/student/NN_chapter.ipynb`` for every notebook of ``book/``, so each chapter
page can offer its student version (solutions replaced by stubs, outputs cleared) for
download next to the full notebook, whichever way the book was built.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

from bplib.exercises.student import export_student_notebooks

logger = logging.getLogger(__name__)


def _write_student_notebooks(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    book = Path(app.srcdir) / "book"
    if book.is_dir():
        converted = export_student_notebooks([book], Path(app.outdir) / "student")
        count = sum(len(c.exercises) for c in converted)
        logger.info(f"bplib: wrote {len(converted)} student notebooks ({count} exercises)")


def setup(app):
    app.connect("build-finished", _write_student_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
