"""The book's layout tools: equation numbers per chapter, and the PDF's text check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


chapter_equations = load("chapter_equations", ROOT / "book" / "_ext" / "chapter_equations.py")
book_pdf = load("book_pdf", ROOT / "tools" / "book_pdf.py")


@pytest.mark.parametrize(
    ("title", "prefix"),
    [
        ("8. Pooling", (8,)),
        ("10. Training a CNN", (10,)),
        ("Appendix A. Errata of the sources", ("A",)),
        ("Backprop, derived and verified", ()),
        ("1.5 Why reverse mode", ()),  # a section, not a chapter
    ],
)
def test_the_chapter_of_an_equation_comes_from_the_page_title(title, prefix):
    assert chapter_equations.chapter_of(title) == prefix


def test_every_page_of_the_toc_has_a_title_to_find_in_the_pdf():
    titles = book_pdf.toc_titles()
    toc = (ROOT / "_toc.yml").read_text()
    assert len(titles) == toc.count("file:") + toc.count("root:")
    assert "4. Losses and softmax" in titles
    assert any(t.startswith("Appendix A.") for t in titles)


def test_the_pdf_text_check_flags_a_missing_title_and_raw_tex():
    titles = ["1. The chain rule", "Appendix A. Errata"]
    good = "1. The chain\nrule …\n\nAppendix A.  Errata of the sources"
    assert book_pdf.text_problems(good, titles) == []
    problems = book_pdf.text_problems("1. The chain rule, then $$\\frac{1}{", titles)
    assert any("Appendix A. Errata" in p for p in problems)
    assert any("'$$'" in p for p in problems)
    assert any("frac" in p for p in problems)


def test_without_poppler_ci_fails_and_a_developer_is_warned(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(book_pdf.shutil, "which", lambda tool: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BPLIB_REQUIRE_BROWSER", raising=False)
    assert book_pdf.check_pdf(tmp_path / "book.pdf") == 0
    assert "NOT made or checked" in capsys.readouterr().err
    monkeypatch.setenv("BPLIB_REQUIRE_BROWSER", "1")
    assert book_pdf.check_pdf(tmp_path / "book.pdf") == 1
