"""The browser check must be able to fail: broken pages are flagged, and CI never skips it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("browser_check", ROOT / "tools" / "browser_check.py")
browser_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browser_check)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def site_with(tmp_path: Path, body: str) -> tuple[Path, Path]:
    site = tmp_path / "html"
    (site / "book").mkdir(parents=True)
    (site / "index.html").write_text("<html></html>")
    (site / "book" / "fig.png").write_bytes(PNG)
    page = site / "book" / "page.html"
    page.write_text(f"<html><body>{body}</body></html>")
    return site, page


def test_a_clean_page_passes(tmp_path):
    site, page = site_with(tmp_path, '<img src="fig.png"><p>text</p>')
    assert browser_check.check_page(None, page, site) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('<div class="output traceback highlight-ipythontb">boom</div>', "error, a traceback"),
        ('<div class="output stderr">warning</div>', "stderr"),
        ('<img src="missing.png">', "image missing"),
        ('<img src="https://example.org/x.png">', "from the network"),
        ('<script src="https://cdn.example/mathjax.js"></script>', "network"),
        ('<a href="../student/01.ipynb" download>x</a>', "student notebook link is broken"),
    ],
)
def test_each_kind_of_broken_page_is_flagged(tmp_path, body, problem):
    site, page = site_with(tmp_path, body)
    problems = browser_check.check_page(None, page, site)
    assert any(problem in p for p in problems), problems


def test_an_empty_image_is_flagged(tmp_path):
    site, page = site_with(tmp_path, '<img src="empty.png">')
    (site / "book" / "empty.png").write_bytes(b"")
    assert any("empty or not an image" in p for p in browser_check.check_page(None, page, site))


def test_without_chromium_ci_fails_and_a_developer_is_warned(tmp_path, monkeypatch, capsys):
    site, _ = site_with(tmp_path, "<p>ok</p>")
    monkeypatch.setattr(browser_check, "find_chromium", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("BPLIB_REQUIRE_BROWSER", "1")
    assert browser_check.main([str(site)]) == 1
    assert "NO CHROMIUM FOUND" in capsys.readouterr().err
    monkeypatch.delenv("BPLIB_REQUIRE_BROWSER")
    monkeypatch.chdir(tmp_path)  # no _toc.yml here: only the pages themselves are checked
    assert browser_check.main([str(site)]) == 0
    assert "NO CHROMIUM FOUND" in capsys.readouterr().err
