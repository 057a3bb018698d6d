"""Open every built page in headless Chromium and check what a reader would see.

    python tools/browser_check.py _build/html [--report FILE] [--not-enforced RULE,RULE]

Every rule has a name; a failure prints ``FAIL page [rule]: what and where``.

Read from the built files (also without Chromium):
  ``offline``          a script or image would come from the network (the book works offline);
  ``error-output``     a notebook output is an error, a traceback or stderr;
  ``image``            an image is missing, empty or not an image;
  ``student-link``     a student notebook link is broken;
  ``toc``              a page listed in ``_toc.yml`` was not built;
  ``unterminated-math`` a formula's source holds a ``$$`` (a ``$$`` that was never closed).
Measured in the page's DOM, in one Chromium session (selenium), at 1280 px and at 390 px:
  ``math``             a formula stays untypeset, or MathJax reports an error;
  ``math-red``         MathJax shows an undefined macro (it draws ``\\foo`` in red);
  ``raw-tex``          TeX in the text a reader sees (``\\frac``, ``\\partial``, ``_{``, ``^{``);
  ``unterminated-math`` a ``$$`` in the text (outside math, code and outputs' ``<pre>``);
  ``wide``             at 1280 px (and at 960 and 1200 px, the narrowest desktop layouts): a code
                       block, output, table or display equation is wider than its box (cut, or
                       needs sideways scrolling), or any text spills out of its column, or the
                       page is wider than the window;
  ``phone``            at 390 px: code, outputs, tables and formulas may scroll inside their own
                       box (78 characters never fit a phone), but nothing is hidden, no prose
                       spills out of its column and nothing makes the page wider than the screen;
  ``eqno``             a display equation's box overlaps its equation number;
  ``traceback``        a traceback in any output (stdout, a text result, HTML);
  ``alt-text``         an image without alt text (a file name is not alt text);
  ``dark-figure``      in the theme's dark mode, a figure is dark ink on a dark background
                       (checked on the page with the most figures, from screenshots).

Exceptions live in the page, never here: a page may hold one visible admonition with the class
``layout-exception`` (```:class: layout-exception``` in MyST) that names the rules it exempts in
backquotes and says why, e.g. "The table of §A.3 is wider than the column (rule ``wide``) because
…". Those rules are then reported as exempt on that page only.

``--not-enforced`` (the Makefile's ``BROWSER_RULES_NOT_YET_ENFORCED``, empty now: the book
passes every rule) lists rules that are reported (``todo``) but do not fail the check yet, for
the time it takes to fix the pages a newly added rule finds.
``--report FILE`` also writes every problem, page by page, to FILE.

Without Chromium it says so loudly and runs only the file checks (exit 0), unless the environment
sets ``BPLIB_REQUIRE_BROWSER=1`` or ``CI``, as ``.ci/run`` does: CI never skips it.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlparse

MATH_NODE = re.compile(r'class="math notranslate nohighlight"')
MATH_SOURCE = re.compile(r'<(div|span) class="math notranslate nohighlight"[^>]*>(.*?)</\1>', re.S)
ERROR_OUTPUT = re.compile(r'class="output (traceback|error|stderr)')
STUDENT_HREF = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]*student/[^\"]+\.ipynb)\"")
IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.IGNORECASE)
REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"(https?:)?//[^\"]+\"", re.IGNORECASE)
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.IGNORECASE)
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"<svg", b"<?xml", b"RIFF")

DESKTOP = (1280, 900)
# The narrowest desktop layouts: where the navigation column appears (960 px) and where the
# page's contents column appears beside it (1200 px). The ``wide`` rule is measured there too.
NARROW_DESKTOPS = (960, 1200)
PHONE = (390, 844)
RULES = (
    "offline error-output image student-link toc math math-red raw-tex unterminated-math "
    "wide phone eqno traceback alt-text dark-figure exception"
).split()
CHROMEDRIVER = "/usr/bin/chromedriver"


class Problem(tuple):
    """``(rule, message)``; the rule names which check found it."""

    def __new__(cls, rule: str, message: str):
        assert rule in RULES, rule
        return super().__new__(cls, (rule, message))

    rule = property(lambda self: self[0])
    message = property(lambda self: self[1])

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


# ---------------------------------------------------------------------------------------------
# Checks that read the built files
# ---------------------------------------------------------------------------------------------


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def find_chromedriver() -> str | None:
    return shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)


def toc_pages(root: Path) -> list[str]:
    """The html files the toc promises (``book/intro`` -> ``book/intro.html``)."""
    toc = root / "_toc.yml"
    if not toc.exists():
        return []
    names = re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)", toc.read_text(), re.MULTILINE)
    return [re.sub(r"\.(md|ipynb)$", "", n) + ".html" for n in names]


def check_images(page: Path, html: str, site: Path) -> list[Problem]:
    problems = []
    for src in sorted(set(IMG_SRC.findall(html))):
        if src.startswith("data:"):
            continue
        url = urlparse(src)
        if url.scheme in ("http", "https"):
            problems.append(
                Problem(
                    "offline", f"image loads from the network (offline readers see nothing): {src}"
                )
            )
            continue
        target = (page.parent / unquote(url.path)).resolve()
        if not target.is_relative_to(site.resolve()) or not target.exists():
            problems.append(Problem("image", f"image missing: {src}"))
        elif target.stat().st_size == 0 or not target.read_bytes()[:64].lstrip().startswith(
            IMAGE_MAGIC
        ):
            problems.append(Problem("image", f"image is empty or not an image: {src}"))
    return problems


def check_files(page: Path, site: Path) -> list[Problem]:
    """What the built HTML file itself shows, without a browser."""
    raw = page.read_text(encoding="utf-8", errors="replace")
    problems = []
    if REMOTE_SCRIPT.search(raw):
        problems.append(
            Problem("offline", "a script is loaded from the network (the book must work offline)")
        )
    if ERROR_OUTPUT.search(raw):
        problems.append(
            Problem(
                "error-output", "a notebook output on this page is an error, a traceback or stderr"
            )
        )
    problems += check_images(page, raw, site)
    for href in STUDENT_HREF.findall(raw):
        if not (page.parent / unquote(href)).resolve().exists():
            problems.append(Problem("student-link", f"student notebook link is broken: {href}"))
    for _, source in MATH_SOURCE.findall(raw):
        if "$$" in source:
            text = re.sub(r"<[^>]+>", "", source)
            problems.append(
                Problem(
                    "unterminated-math",
                    f"a formula holds a '$$' (one was never closed): {shorten(text, 70)!r}",
                )
            )
    return problems


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Checks in the browser
# ---------------------------------------------------------------------------------------------

WAIT_FOR_MATHJAX_JS = r"""
const done = arguments[arguments.length - 1];
const settle = () => requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
// the load event has fired: a page without MathJax has none coming (the layout rules say so)
if (!window.MathJax) { settle(); return; }
let tries = 0;
(function wait() {
  const m = window.MathJax;
  if (m && m.startup && m.startup.promise) {
    m.startup.promise.then(() => document.fonts.ready).then(settle, settle);
  } else if (tries++ < 200) { setTimeout(wait, 25); } else { done(false); }
})();
"""

# Returns [[rule, message], ...] for the page as laid out now. arguments[0]: "desktop" or
# "phone". At 1280 px nothing may be wider than its box; on a phone, code, outputs, tables and
# display equations may scroll inside their own box (78 characters never fit in 390 px).
LAYOUT_JS = r"""
const phone = arguments[0] === 'phone';
const out = [];
const add = (rule, msg) => out.push([rule, msg]);
const root = document.querySelector('article.bd-article') || document.querySelector('main')
  || document.body;
const squash = s => (s || '').replace(/\s+/g, ' ').trim();
// Array.from: never cut a character outside the BMP in half (the result would not serialise).
const cut = (s, n) => {
  const c = Array.from(squash(s));
  return c.length > n ? c.slice(0, n - 1).join('') + '…' : c.join('');
};
function where(el) {
  const parent = s => s.parentElement && s.parentElement.closest('section');
  for (let s = el.closest('section'); s; s = parent(s)) {
    const h = s.querySelector(':scope > h1, :scope > h2, :scope > h3, :scope > h4');
    if (h) return '§ "' + cut(h.textContent.replace(/#\s*$/, ''), 50) + '"';
  }
  return 'top of page';
}
function kind(el) {
  if (el.closest('.cell_output, .output')) return 'output';
  if (el.closest('pre, div.highlight, .cell_input')) return 'code';
  if (el.closest('table, .pst-scrollable-table-container')) return 'table';
  if (el.closest('div.math')) return 'display equation';
  if (el.closest('span.math')) return 'inline formula';
  if (el.closest('p, li, dt, dd')) return 'text';
  return '<' + el.tagName.toLowerCase() + '>';
}
function what(el) {
  const pre = el.matches('pre') ? el : el.querySelector('pre');
  if (pre) {
    const lines = pre.textContent.split('\n');
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
    return `longest line ${longest.length} chars: "${cut(longest, 60)}"`;
  }
  const math = el.closest('div.math') || el.querySelector('div.math');
  if (math) {
    const no = math.querySelector('.eqno');
    const mml = math.querySelector('mjx-assistive-mml');
    return (no ? 'eq. ' + squash(no.textContent).replace(/#$/, '') + ' ' : '')
      + '"' + cut(mml ? mml.textContent : math.textContent, 50) + '"';
  }
  if (el.matches('table') || el.querySelector('table')) {
    const t = el.matches('table') ? el : el.querySelector('table');
    const head = t.querySelector('tr');
    return 'table starting "' + cut(head ? head.textContent : t.textContent, 50) + '"';
  }
  return '"' + cut(el.innerText || el.textContent, 60) + '"';
}
const px = n => Math.round(n) + ' px';
// MathJax's assistive MathML (for screen readers) is clipped to nothing but still counts in
// its box's scroll width: measure without it.
const quiet = document.createElement('style');
quiet.textContent = 'mjx-assistive-mml { display: none !important; }';
document.head.appendChild(quiet);

// 1. Boxes whose content is wider than the box: hidden, scrolled, or spilling out.
const OWN_SCROLL_BOX = 'pre, div.highlight, .cell_output, .cell_output .output, '
  + '.pst-scrollable-table-container, div.math, div.math > mjx-container, '
  + 'mjx-container[display="true"], span.math, .table-wrapper';
const spilling = [];
// every element of the article, but not MathJax's thousands of inner ones
const boxes = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT, {
  acceptNode: e => (e.parentElement && e.parentElement.tagName === 'MJX-CONTAINER'
    ? NodeFilter.FILTER_REJECT
    : e.matches('.headerlink, button, script, style, mjx-assistive-mml')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
});
for (let el = boxes.nextNode(); el; el = boxes.nextNode()) {
  if (el.clientWidth === 0) continue;
  const over = el.scrollWidth - el.clientWidth;
  // MathJax draws accents and italic corrections up to 3 px outside a formula's box (z̄):
  // invisible, and not what this rule is after
  if (over <= (el.matches('span.math, mjx-container') ? 3 : 1)) continue;
  const ox = getComputedStyle(el).overflowX;
  const where_ = `${kind(el)} in ${where(el)}, ${what(el)}`;
  if (ox === 'hidden' || ox === 'clip') {
    add('wide', `${where_}: ${px(over)} of its content is hidden (cut at the right edge)`);
  } else if (ox === 'auto' || ox === 'scroll') {
    if (!(phone && el.matches(OWN_SCROLL_BOX))) {
      add('wide', `${where_}: wider than its box by ${px(over)} (scrolls sideways)`);
    }
  } else {
    spilling.push([el, over]);
  }
}
// Content spilling out of a box with visible overflow makes every ancestor overflow too:
// name the innermost box only.
for (const [el, over] of spilling) {
  if (spilling.some(([other]) => other !== el && el.contains(other))) continue;
  add('wide', `${kind(el)} in ${where(el)}, ${what(el)}: spills ${px(over)} out of its column`);
}
// A phone shrinks a page wider than its screen (or one without <meta name="viewport">) to fit:
// its layout viewport then grows past the screen's width.
const page = document.scrollingElement || document.documentElement;
const screenWidth = phone ? screen.width : window.innerWidth;
const pageWidth = Math.max(page.scrollWidth, window.innerWidth);
if (pageWidth > screenWidth + 1) {
  add('wide', `the page is ${px(pageWidth)} wide on a ${px(screenWidth)} screen`);
}

// 2. A display equation whose visible box overlaps its number.
for (const m of root.querySelectorAll('div.math')) {
  const no = m.querySelector('.eqno');
  const box = m.querySelector('mjx-container');
  const math = box && box.querySelector('mjx-math');
  if (!no || !math) continue;
  const n = no.getBoundingClientRect(), b = box.getBoundingClientRect();
  const r = math.getBoundingClientRect();
  const left = Math.max(b.left, r.left), right = Math.min(b.right, r.right);
  const top = Math.max(b.top, r.top), bottom = Math.min(b.bottom, r.bottom);
  if (left < n.right - 1 && right > n.left + 1 && top < n.bottom - 1 && bottom > n.top + 1) {
    add('eqno', `display equation in ${where(m)}, ${what(m)}: overlaps its number by `
      + px(Math.min(right, n.right) - Math.max(left, n.left)));
  }
}

// The text-level rules do not depend on the width: run them once, on the desktop pass.
if (!phone) {
  // 3. Raw TeX and unterminated $$ in the text a reader sees.
  const SKIP = 'script, style, pre, code, kbd, samp, tt, textarea, mjx-container, .math, '
    + '.highlight, .headerlink';
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const text = t.nodeValue;
    if (!/[$\\_^]/.test(text) || !t.parentElement || t.parentElement.closest(SKIP)) continue;
    const block = t.parentElement.closest('p, li, dt, dd, td, th, h1, h2, h3, h4, h5, h6, div')
      || t.parentElement;
    const context = cut(block.textContent, 70);
    let m;
    if ((m = /\$\$/.exec(text))) {
      const key = 'u' + context;
      if (!seen.has(key)) {
        seen.add(key);
        add('unterminated-math', `a '$$' in the text of ${where(t.parentElement)}: "${context}"`);
      }
    } else if ((m = /\\[A-Za-z]{2,}|[_^]\{/.exec(text))) {
      const key = 't' + context;
      if (!seen.has(key)) {
        seen.add(key);
        add('raw-tex', `raw TeX "${m[0]}" in the text of ${where(t.parentElement)}: "${context}"`);
      }
    }
  }

  // 4. MathJax's own complaints: errors, and undefined macros it draws in red.
  const typeset = document.querySelectorAll('mjx-container').length;
  const expected = document.querySelectorAll('.math').length;
  if (window.MathJax && typeset < expected) {
    add('math', `math not typeset: ${typeset} of ${expected} math nodes rendered by MathJax`);
  } else if (!window.MathJax && expected) {
    add('math', `MathJax never loaded: ${expected} formulas are shown as TeX source`);
  }
  for (const e of root.querySelectorAll('mjx-merror')) {
    add('math', `MathJax reports an error in a formula of ${where(e)}: `
      + `"${cut(e.textContent, 60)}"`);
  }
  const red = new Set();
  for (const e of root.querySelectorAll('mjx-container')) {
    for (const t of e.querySelectorAll('mtext[mathcolor="red"], mjx-mtext[style*="color: red"]')) {
      const name = squash(t.textContent);
      if (name.startsWith('\\') && !red.has(name)) {
        red.add(name);
        add('math-red', `undefined macro ${name} drawn in red in ${where(e)}`);
      }
    }
  }

  // 5. Tracebacks in any output, whatever its kind.
  const TB = new RegExp(['Traceback \\(most recent call last\\)', 'Cell In\\[\\d*\\], line \\d+',
    '^\\s*File "[^"\\n]+", line \\d+'].join('|'), 'm');
  for (const o of root.querySelectorAll('.cell_output, div.output')) {
    if (o.parentElement && o.parentElement.closest('.cell_output, div.output')) continue;
    const m = TB.exec(o.textContent);
    if (m) add('traceback', `a traceback in an output of ${where(o)}: "${cut(m[0], 60)}"`);
  }

  // 6. Images without alt text; the file name myst-nb puts there is not alt text.
  for (const img of root.querySelectorAll('img')) {
    const alt = squash(img.getAttribute('alt'));
    const src = img.getAttribute('src') || '';
    if (!alt || alt === src || /\.(png|jpe?g|gif|svg|webp)$/i.test(alt)) {
      const name = cut(src.split('/').pop(), 40);
      add('alt-text', `an image in ${where(img)} has no alt text (${name})`);
    }
  }
}
quiet.remove();
return out;
"""

# The one visible place where a page states its exceptions.
EXCEPTION_JS = r"""
const boxes = [...document.querySelectorAll('.layout-exception')];
return boxes.map(b => [b.offsetParent !== null && b.getClientRects().length > 0,
                       (b.innerText || b.textContent)]);
"""

IMAGES_JS = r"""
const root = document.querySelector('article.bd-article') || document.body;
return [...root.querySelectorAll('img')].filter(i => i.naturalWidth > 40 && i.naturalHeight > 40);
"""

DARK_JS = r"""
const done = arguments[arguments.length - 1];
const html = document.documentElement;
html.dataset.theme = 'dark';
html.dataset.mode = 'dark';
try { localStorage.setItem('theme', 'dark'); localStorage.setItem('mode', 'dark'); } catch (e) {}
setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(
  () => done(getComputedStyle(document.body).backgroundColor))), 400);
"""


def start_browser():
    """One headless Chromium session, driven by selenium, reused for every page."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    chromium = find_chromium()
    if chromium:
        options.binary_location = chromium
    driver = webdriver.Chrome(service=Service(find_chromedriver()), options=options)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    return driver


def set_width(driver, size: tuple[int, int], mobile: bool) -> None:
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def load(driver, page: Path) -> bool:
    """Open ``page`` and wait until MathJax has typeset it; False if it never started."""
    driver.get(page.resolve().as_uri())
    return bool(driver.execute_async_script(WAIT_FOR_MATHJAX_JS))


def settle(driver) -> None:
    driver.execute_async_script(
        "const d = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => d()));"
    )


def exceptions_of(driver) -> tuple[set[str], list[Problem]]:
    """The rules the page itself exempts, from its one visible ``layout-exception`` box."""
    boxes = driver.execute_script(EXCEPTION_JS)
    if not boxes:
        return set(), []
    problems = []
    if len(boxes) > 1:
        problems.append(
            Problem("exception", f"{len(boxes)} layout-exception boxes: a page states them in one")
        )
    visible, text = boxes[0]
    if not visible:
        problems.append(Problem("exception", "the layout-exception box is not visible"))
        return set(), problems
    named = set(re.findall(r"\brule\s+[`'\"]?([a-z][a-z0-9-]+)", text))
    unknown = named - set(RULES)
    if unknown or not named:
        problems.append(
            Problem(
                "exception",
                "the layout-exception box must name the rules it exempts ('rule wide'); "
                f"unknown: {sorted(unknown)}",
            )
        )
    return named & set(RULES), problems


def check_in_browser(driver, page: Path, site: Path) -> tuple[list[Problem], list[Problem], int]:
    """Problems on a desktop and at 390 px (in that order) and the number of article figures.

    The page is loaded once at 1280 px, measured, laid out again at the narrow desktop widths
    (``wide`` only) and at 390 px, and measured each time:
    MathJax's CHTML output needs no second typesetting for a new width.
    """
    driver.get("about:blank")  # so that the width change below lays out an empty page
    set_width(driver, DESKTOP, mobile=False)
    desktop = []
    if not load(driver, page):
        desktop.append(Problem("math", "MathJax is configured but never started (5 s)"))
    desktop += [Problem(rule, msg) for rule, msg in driver.execute_script(LAYOUT_JS, "desktop")]
    sources = driver.execute_script("return [...document.images].map(i => i.getAttribute('src'))")
    dom = "".join(f'<img src="{src}">' for src in sources if src)
    desktop += [p for p in check_images(page, dom, site) if p.rule == "image"]
    figures = len(driver.execute_script(IMAGES_JS))
    for width in NARROW_DESKTOPS:
        set_width(driver, (width, DESKTOP[1]), mobile=False)
        settle(driver)
        desktop += [
            Problem(rule, f"at {width} px: {msg}")
            for rule, msg in driver.execute_script(LAYOUT_JS, "desktop")
            if rule == "wide"
        ]
    set_width(driver, PHONE, mobile=True)
    settle(driver)
    phone = [
        Problem("phone" if rule == "wide" else rule, f"at {PHONE[0]} px: {msg}")
        for rule, msg in driver.execute_script(LAYOUT_JS, "phone")
    ]
    return desktop, phone, figures


def luminance_spread(png: bytes) -> tuple[float, float]:
    """(median luminance, largest distance of the darkest/lightest 2 % from it), in [0, 1].

    A readable figure has ink far from its background: dark on light or light on dark. Dark
    axes and labels on a dark page leave every pixel near the median.
    """
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float) / 255.0
    lum = rgb @ np.array([0.2126, 0.7152, 0.0722])
    low, median, high = np.percentile(lum, [1, 50, 99])
    return float(median), float(max(median - low, high - median))


def check_dark_mode(driver, page: Path, limit: int = 6) -> list[Problem]:
    """Screenshot the figures of ``page`` in the theme's dark mode: none may be dark on dark."""
    driver.get("about:blank")
    set_width(driver, DESKTOP, mobile=False)
    load(driver, page)
    driver.execute_async_script(DARK_JS)
    problems = []
    images = driver.execute_script(IMAGES_JS)
    if not images:
        return [Problem("dark-figure", "the dark-mode check found no figure on this page")]
    for img in images[:limit]:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", img)
        median, spread = luminance_spread(img.screenshot_as_png)
        if spread < 0.35:
            src = (img.get_attribute("src") or "").rsplit("/", 1)[-1]
            problems.append(
                Problem(
                    "dark-figure",
                    f"in dark mode the figure {src[:40]} is unreadable: its ink is within "
                    f"{spread:.2f} of its background's luminance {median:.2f}",
                )
            )
    return problems


# ---------------------------------------------------------------------------------------------
# The whole book
# ---------------------------------------------------------------------------------------------


def book_pages(site: Path) -> list[Path]:
    return sorted(
        p
        for p in site.rglob("*.html")
        if p.name not in SKIP_PAGES and "_static" not in p.parts and "_sources" not in p.parts
    )


def split_enforced(
    problems: Iterable[Problem], exempt: set[str], not_enforced: set[str]
) -> dict[str, list[Problem]]:
    sorted_ = {"FAIL": [], "todo": [], "exempt": []}
    for p in problems:
        if p.rule in exempt:
            sorted_["exempt"].append(p)
        elif p.rule in not_enforced:
            sorted_["todo"].append(p)
        else:
            sorted_["FAIL"].append(p)
    return sorted_


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", default="_build/html", type=Path)
    parser.add_argument("--report", type=Path, help="also write every problem to this file")
    parser.add_argument(
        "--not-enforced",
        default="",
        help="comma-separated rules reported as 'todo' without failing the check",
    )
    args = parser.parse_args(argv)
    site: Path = args.site
    not_enforced = {r for r in args.not_enforced.replace(" ", ",").split(",") if r}
    if unknown := not_enforced - set(RULES):
        print(f"browser check: unknown rule(s) {sorted(unknown)}; rules: {RULES}", file=sys.stderr)
        return 2
    if not (site / "index.html").exists():
        print(
            f"browser check: {site}/index.html does not exist; build the book first.",
            file=sys.stderr,
        )
        return 1
    required = os.environ.get("BPLIB_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))
    in_browser = find_chromium() is not None and find_chromedriver() is not None
    if not in_browser:
        banner = "!" * 78
        print(
            f"{banner}\n!! browser check: NO CHROMIUM FOUND. Math and layout are NOT checked.\n"
            f"!! Install it (Debian: apt-get install chromium chromium-driver) to run this check."
            f"\n{banner}",
            file=sys.stderr,
        )
        if required:
            print("browser check: CI requires the browser check; failing.", file=sys.stderr)
            return 1
    start = time.monotonic()
    pages = book_pages(site)
    results: dict[Path, dict[str, list[Problem]]] = {}
    for missing in toc_pages(Path.cwd()):
        if not (site / missing).exists():
            results[site / missing] = {"FAIL": [Problem("toc", "listed in _toc.yml, not built")]}
    checked = {"1280": 0, "390": 0}
    driver = start_browser() if in_browser else None
    try:
        figures: dict[Path, int] = {}
        for page in pages:
            problems = check_files(page, site)
            exempt: set[str] = set()
            redirect = REDIRECT.search(page.read_text(encoding="utf-8", errors="replace"))
            if redirect:  # index.html only sends the reader on: its target is checked
                if not (page.parent / unquote(redirect.group(1))).exists():
                    problems.append(Problem("toc", f"redirects to {redirect.group(1)}, not built"))
            elif driver is not None:
                desktop, phone, figures[page] = check_in_browser(driver, page, site)
                exempt, stated = exceptions_of(driver)
                problems += stated + desktop + phone
                checked["1280"] += 1
                checked["390"] += 1
            results[page] = split_enforced(problems, exempt, not_enforced)
        if driver is not None and any(figures.values()):
            darkest = max(figures, key=lambda p: (figures[p], str(p)))
            dark = check_dark_mode(driver, darkest)
            for kind, found in split_enforced(dark, set(), not_enforced).items():
                results[darkest].setdefault(kind, []).extend(found)
            print(
                f"dark mode: checked the {min(figures[darkest], 6)} first figures of "
                f"{darkest.relative_to(site)}"
            )
    finally:
        if driver is not None:
            driver.quit()

    lines = []
    for page, kinds in results.items():
        rel = page.relative_to(site) if page.is_relative_to(site) else page
        for kind in ("FAIL", "todo", "exempt"):
            for problem in kinds.get(kind, []):
                lines.append(f"{kind:<6} {rel} {problem}")
        if not any(kinds.values()):
            lines.append(f"ok     {rel}")
    print("\n".join(lines))
    failed = sum(1 for kinds in results.values() if kinds.get("FAIL"))
    todo = sum(len(k.get("todo", [])) for k in results.values())
    mode = "in Chromium" if driver is not None else "statically (no Chromium)"
    summary = (
        f"browser check {mode}: {len(results) - failed} of {len(results)} pages ok "
        f"({checked['1280']} pages at 1280 px (and at "
        f"{' and '.join(map(str, NARROW_DESKTOPS))} px for width), {checked['390']} at 390 px, "
        f"{time.monotonic() - start:.0f} s)"
    )
    if todo:
        summary += (
            f"; {todo} problem(s) of rules not yet enforced ({', '.join(sorted(not_enforced))})"
        )
    print(summary)
    if args.report:
        args.report.write_text("\n".join([summary, *lines]) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
