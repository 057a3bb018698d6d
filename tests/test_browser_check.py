"""The browser check must be able to fail: each rule flags a small page that breaks it.

The rules read from the built files run everywhere. The rules measured in the page's DOM run in
one headless Chromium session shared by this module (selenium); without Chromium they are
skipped on a developer's machine and fail in CI (``BPLIB_REQUIRE_BROWSER=1`` or ``CI``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("browser_check", ROOT / "tools" / "browser_check.py")
browser_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browser_check)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
WIDE = "x" * 200


def site_with(tmp_path: Path, body: str, head: str = "") -> tuple[Path, Path]:
    site = tmp_path / "html"
    (site / "book").mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_text("<html></html>")
    (site / "book" / "fig.png").write_bytes(PNG)
    page = site / "book" / "page.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}</head>'
        f'<body style="margin:0"><article class="bd-article">{body}</article></body></html>'
    )
    return site, page


# ---------------------------------------------------------------------------------------------
# rules read from the built files
# ---------------------------------------------------------------------------------------------


def test_a_clean_page_passes(tmp_path):
    site, page = site_with(tmp_path, '<img src="fig.png" alt="a figure"><p>text</p>')
    assert browser_check.check_files(page, site) == []


@pytest.mark.parametrize(
    ("body", "rule", "problem"),
    [
        (
            '<div class="output traceback highlight-ipythontb">boom</div>',
            "error-output",
            "traceback",
        ),
        ('<div class="output stderr">warning</div>', "error-output", "stderr"),
        ('<img src="missing.png">', "image", "image missing"),
        ('<img src="https://example.org/x.png">', "offline", "from the network"),
        ('<script src="https://cdn.example/mathjax.js"></script>', "offline", "network"),
        ('<a href="../student/01.ipynb" download>x</a>', "student-link", "link is broken"),
        (
            '<div class="math notranslate nohighlight">\\[x = 1 $$ \\frac{1}{\\]</div>',
            "unterminated-math",
            "never closed",
        ),
    ],
)
def test_each_kind_of_broken_file_is_flagged(tmp_path, body, rule, problem):
    site, page = site_with(tmp_path, body)
    problems = browser_check.check_files(page, site)
    assert any(p.rule == rule and problem in p.message for p in problems), problems


def test_an_empty_image_is_flagged(tmp_path):
    site, page = site_with(tmp_path, '<img src="empty.png">')
    (site / "book" / "empty.png").write_bytes(b"")
    problems = browser_check.check_files(page, site)
    assert any("empty or not an image" in p.message for p in problems)


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


def test_a_rule_not_yet_enforced_is_reported_without_failing(tmp_path, monkeypatch, capsys):
    site, _ = site_with(tmp_path, '<div class="output stderr">warning</div>')
    monkeypatch.setattr(browser_check, "find_chromium", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BPLIB_REQUIRE_BROWSER", raising=False)
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "report.txt"
    assert browser_check.main([str(site), "--report", str(report)]) == 1
    assert browser_check.main([str(site), "--not-enforced", "error-output"]) == 0
    assert "todo   book/page.html [error-output]" in capsys.readouterr().out
    assert "FAIL   book/page.html [error-output]" in report.read_text()
    assert browser_check.main([str(site), "--not-enforced", "no-such-rule"]) == 2


def test_a_page_states_its_exceptions_in_one_visible_place():
    problems = [browser_check.Problem("wide", "a table scrolls")]
    kinds = browser_check.split_enforced(problems, exempt={"wide"}, not_enforced=set())
    assert kinds["exempt"] == problems and not kinds["FAIL"]


# ---------------------------------------------------------------------------------------------
# rules measured in Chromium
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def driver():
    required = os.environ.get("BPLIB_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))
    if browser_check.find_chromium() is None or browser_check.find_chromedriver() is None:
        if required:
            pytest.fail("Chromium and chromedriver are required (BPLIB_REQUIRE_BROWSER / CI)")
        pytest.skip("no Chromium/chromedriver: the DOM rules are not tested here")
    pytest.importorskip("selenium")
    session = browser_check.start_browser()
    yield session
    session.quit()


def mathjax_head() -> str:
    """The book's offline MathJax, configured as Sphinx does (only ``.math`` is typeset)."""
    dist = importlib.metadata.distribution("sphinx-mathjax-offline")
    script = Path(dist.locate_file("sphinx-mathjax-offline/static/mathjax/tex-chtml.js"))
    if not script.exists():
        pytest.skip("sphinx-mathjax-offline's MathJax is not installed")
    return (
        '<script>window.MathJax = {options: {processHtmlClass: "math", '
        'ignoreHtmlClass: "mathjax_ignore"}};</script>'
        f'<script defer src="{script.as_uri()}"></script>'
    )


def measured(driver, tmp_path, body, head="") -> tuple[list, list]:
    site, page = site_with(tmp_path, body, head)
    desktop, phone, _ = browser_check.check_in_browser(driver, page, site)
    return desktop, phone


def rules(problems) -> set[str]:
    return {p.rule for p in problems}


def test_a_clean_page_passes_in_the_browser(driver, tmp_path):
    body = "<section><h1>1. Title</h1><p>Short text.</p><pre>print(1)</pre></section>"
    assert measured(driver, tmp_path, body) == ([], [])


@pytest.mark.parametrize(
    "body",
    [
        f'<pre style="overflow:auto">{WIDE}</pre>',  # code that scrolls sideways
        f'<div class="cell_output"><div class="output"><pre style="overflow:hidden">{WIDE}'
        "</pre></div></div>",  # an output cut at the right edge
        '<div class="pst-scrollable-table-container" style="overflow-x:auto"><table>'
        f"<tr><td>{WIDE}</td><td>{WIDE}</td></tr></table></div>",  # a table that scrolls
        f'<p><code style="white-space:nowrap">{WIDE}</code></p>',  # prose spilling out
    ],
)
def test_content_wider_than_its_box_is_flagged_at_1280(driver, tmp_path, body):
    desktop, _ = measured(driver, tmp_path, f"<section><h1>1. T</h1>{body}</section>")
    assert "wide" in rules(desktop), desktop


def test_code_that_fits_at_1280_but_not_in_a_narrower_desktop_layout_is_flagged(driver, tmp_path):
    # a column 60 % of the window: 768 px at 1280, 720 at 1200, 576 at 960; the code is 700 px
    code = '<span style="display:inline-block;width:700px">x = 1</span>'
    body = f'<div style="width:60vw"><pre style="overflow:auto">{code}</pre></div>'
    desktop, _ = measured(driver, tmp_path, f"<section><h1>1. T</h1>{body}</section>")
    assert [p.message.split(":")[0] for p in desktop if p.rule == "wide"] == ["at 960 px"]


def test_on_a_phone_code_may_scroll_in_its_box_but_nothing_is_hidden(driver, tmp_path):
    code = "y = 1  # " + "a comment that is long, " * 3  # fits 1280 px, not 390 px
    scrolls = f'<div class="highlight"><pre style="overflow:auto">{code}</pre></div>'
    _, phone = measured(driver, tmp_path, scrolls)
    assert phone == []
    hidden = f'<div style="overflow:hidden"><p style="white-space:nowrap">{code}</p></div>'
    _, phone = measured(driver, tmp_path, hidden)
    assert any(p.rule == "phone" and "hidden" in p.message for p in phone), phone


def test_a_page_wider_than_the_phone_is_flagged(driver, tmp_path):
    _, phone = measured(driver, tmp_path, '<div style="width:600px;height:10px"></div>')
    assert any(p.rule == "phone" and "page is" in p.message for p in phone), phone


def test_a_display_equation_under_its_number_is_flagged(driver, tmp_path):
    eq = " + ".join(f"a_{{{i}}}" for i in range(30))
    body = (
        '<section class="mathjax_ignore"><div class="math notranslate nohighlight" '
        'style="position:relative;width:500px">'
        '<span class="eqno" style="position:absolute;right:0;top:0">(1.1)</span>'
        f"\\[{eq}\\]</div></section>"
    )
    desktop, _ = measured(driver, tmp_path, body, mathjax_head())
    assert "eqno" in rules(desktop), desktop


def test_raw_tex_in_the_text_is_flagged_and_code_is_not(driver, tmp_path):
    desktop, _ = measured(driver, tmp_path, "<p>so the rate is \\frac{1}{2} here</p>")
    assert "raw-tex" in rules(desktop), desktop
    desktop, _ = measured(driver, tmp_path, "<p>« ∂E/∂c₁ w_{i1} »</p>")
    assert "raw-tex" in rules(desktop), desktop
    desktop, _ = measured(driver, tmp_path, "<p><code>w_{i1} = \\frac{1}{2}</code></p>")
    assert "raw-tex" not in rules(desktop), desktop


def test_an_unterminated_display_math_is_flagged(driver, tmp_path):
    desktop, _ = measured(driver, tmp_path, "<p>$$\\frac{1}{</p><p>More text.</p>")
    assert "unterminated-math" in rules(desktop), desktop


def test_an_undefined_macro_drawn_in_red_is_flagged(driver, tmp_path):
    body = (
        '<section class="mathjax_ignore"><p>the value '
        '<span class="math notranslate nohighlight">\\(\\undefinedmacro{x} + 1\\)</span></p>'
        "</section>"
    )
    desktop, _ = measured(driver, tmp_path, body, mathjax_head())
    assert "math-red" in rules(desktop), desktop
    assert "\\undefinedmacro" in " ".join(p.message for p in desktop)


def test_math_left_untypeset_is_flagged(driver, tmp_path):
    body = '<p>the value <span class="math notranslate nohighlight">\\(x\\)</span></p>'
    desktop, _ = measured(driver, tmp_path, body)  # no MathJax on the page
    assert "math" in rules(desktop), desktop


@pytest.mark.parametrize(
    "output",
    [
        '<div class="output stream"><pre>Traceback (most recent call last):\n'
        '  File "a.py", line 1, in &lt;module&gt;\nValueError: no</pre></div>',
        '<div class="output text_plain"><pre>Cell In[3], line 2\n    1/0</pre></div>',
        '<div class="output text_html"><div><p>Traceback (most recent call last):</p></div></div>',
    ],
)
def test_a_traceback_in_any_output_is_flagged(driver, tmp_path, output):
    desktop, _ = measured(driver, tmp_path, f'<div class="cell_output">{output}</div>')
    assert "traceback" in rules(desktop), desktop


@pytest.mark.parametrize(
    ("img", "flagged"),
    [
        ('<img src="fig.png">', True),
        ('<img src="fig.png" alt="">', True),
        ('<img src="../_images/fig.png" alt="../_images/fig.png">', True),  # myst-nb's default
        ('<img src="fig.png" alt="The loss falls from 2.3 to 0.1 in ten epochs">', False),
    ],
)
def test_an_image_without_alt_text_is_flagged(driver, tmp_path, img, flagged):
    desktop, _ = measured(driver, tmp_path, f"<figure>{img}</figure>")
    assert ("alt-text" in rules(desktop)) == flagged, desktop


def plot_png(background) -> bytes:
    """A 200×120 "figure": black axes and a black curve on ``background`` (RGBA)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (200, 120), background)
    draw = ImageDraw.Draw(image)
    draw.line([(10, 110), (190, 110)], fill="black", width=3)
    draw.line([(10, 10), (10, 110)], fill="black", width=3)
    draw.line([(10, 100), (100, 30), (190, 60)], fill="black", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


DARK_THEME = "<style>html[data-theme=dark] body { background: #121212; color: #ddd; }</style>"


@pytest.mark.parametrize(
    ("background", "css", "flagged"),
    [
        ((255, 255, 255, 0), "", True),  # transparent: black ink on the dark page
        ((255, 255, 255, 255), "", False),  # matplotlib's white facecolor
        # the book's rule: white paper behind every figure in dark mode
        ((255, 255, 255, 0), "html[data-theme=dark] .bd-article img {background: #fff}", False),
    ],
)
def test_dark_mode_figures_must_not_be_dark_on_dark(driver, tmp_path, background, css, flagged):
    site, page = site_with(
        tmp_path, '<img src="plot.png" alt="a curve">', DARK_THEME + f"<style>{css}</style>"
    )
    (site / "book" / "plot.png").write_bytes(plot_png(background))
    problems = browser_check.check_dark_mode(driver, page)
    assert (any(p.rule == "dark-figure" for p in problems)) == flagged, problems


def test_exceptions_come_from_one_visible_box_on_the_page(driver, tmp_path):
    box = (
        '<div class="admonition layout-exception"><p>This page\'s table is wider than the '
        "column (rule <code>wide</code>) because …</p></div>"
    )
    _, page = site_with(tmp_path, box)
    browser_check.load(driver, page)
    assert browser_check.exceptions_of(driver) == ({"wide"}, [])
    _, page = site_with(tmp_path, box + box)
    browser_check.load(driver, page)
    exempt, problems = browser_check.exceptions_of(driver)
    assert [p.rule for p in problems] == ["exception"]
    _, page = site_with(tmp_path, box.replace('class="', 'style="display:none" class="'))
    browser_check.load(driver, page)
    assert browser_check.exceptions_of(driver)[0] == set()
