"""Open every built page in headless Chromium and check what a reader would see.

    python tools/browser_check.py _build/html

For each page of the book it fails if
- a math node stays untypeset (fewer ``<mjx-container>`` than ``class="math ..."`` nodes) or
  MathJax shows an error (an ``<mjx-merror>`` element);
- MathJax (or any script) would come from the network instead of ``_static/`` (offline book);
- a notebook output is an error, a traceback, or stderr;
- an image is missing, empty, or not an image;
- a page listed in ``_toc.yml`` was not built.

Without Chromium it says so loudly and skips the browser part (exit 0), unless the environment
sets ``BPLIB_REQUIRE_BROWSER=1`` or ``CI``, as ``.ci/run`` does: CI never skips it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlparse

MATH_NODE = re.compile(r'class="math notranslate nohighlight"')
MJX = re.compile(r"<mjx-container")
MJX_ERROR = re.compile(r"<mjx-merror")
ERROR_OUTPUT = re.compile(r'class="output (traceback|error|stderr)')
STUDENT_HREF = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]*student/[^\"]+\.ipynb)\"")
IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.IGNORECASE)
REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"(https?:)?//[^\"]+\"", re.IGNORECASE)
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"<svg", b"<?xml", b"RIFF")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=20000",
    "--run-all-compositor-stages-before-draw",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def toc_pages(root: Path) -> list[str]:
    """The html files the toc promises (``book/intro`` -> ``book/intro.html``)."""
    toc = root / "_toc.yml"
    if not toc.exists():
        return []
    names = re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)", toc.read_text(), re.MULTILINE)
    return [re.sub(r"\.(md|ipynb)$", "", n) + ".html" for n in names]


def dump_dom(chromium: str, page: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    if result.returncode != 0 or "<html" not in result.stdout:
        raise RuntimeError(f"chromium could not render {page}: {result.stderr[-500:]}")
    return result.stdout


def check_images(page: Path, html: str, site: Path) -> list[str]:
    problems = []
    for src in sorted(set(IMG_SRC.findall(html))):
        if src.startswith("data:"):
            continue
        url = urlparse(src)
        if url.scheme in ("http", "https"):
            problems.append(f"image loads from the network (offline readers see nothing): {src}")
            continue
        target = (page.parent / unquote(url.path)).resolve()
        if not target.is_relative_to(site.resolve()) or not target.exists():
            problems.append(f"image missing: {src}")
        elif target.stat().st_size == 0 or not target.read_bytes()[:64].lstrip().startswith(
            IMAGE_MAGIC
        ):
            problems.append(f"image is empty or not an image: {src}")
    return problems


def check_page(chromium: str | None, page: Path, site: Path) -> list[str]:
    raw = page.read_text(encoding="utf-8", errors="replace")
    problems = []
    if REMOTE_SCRIPT.search(raw):
        problems.append("a script is loaded from the network (the book must work offline)")
    if ERROR_OUTPUT.search(raw):
        problems.append("a notebook output on this page is an error, a traceback or stderr")
    problems += check_images(page, raw, site)
    for href in STUDENT_HREF.findall(raw):
        if not (page.parent / unquote(href)).resolve().exists():
            problems.append(f"student notebook link is broken: {href}")
    expected_math = len(MATH_NODE.findall(raw))
    if chromium is not None:
        dom = dump_dom(chromium, page)
        typeset = len(MJX.findall(dom))
        if typeset < expected_math:
            problems.append(
                f"math not typeset: {typeset} of {expected_math} math nodes rendered by MathJax"
            )
        if MJX_ERROR.search(dom):
            problems.append("MathJax reports an error in a formula (<mjx-merror>)")
        problems += [p for p in check_images(page, dom, site) if p not in problems]
    return problems


def main(argv: list[str]) -> int:
    site = Path(argv[0] if argv else "_build/html")
    if not (site / "index.html").exists():
        print(
            f"browser check: {site}/index.html does not exist; build the book first.",
            file=sys.stderr,
        )
        return 1
    required = os.environ.get("BPLIB_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))
    chromium = find_chromium()
    if chromium is None:
        banner = "!" * 78
        print(
            f"{banner}\n!! browser check: NO CHROMIUM FOUND. Math typesetting is NOT checked.\n"
            f"!! Install it (Debian: apt-get install chromium) to run this check.\n{banner}",
            file=sys.stderr,
        )
        if required:
            print("browser check: CI requires the browser check; failing.", file=sys.stderr)
            return 1
    missing = [p for p in toc_pages(Path.cwd()) if not (site / p).exists()]
    pages = sorted(
        p
        for p in site.rglob("*.html")
        if p.name not in SKIP_PAGES and "_static" not in p.parts and "_sources" not in p.parts
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda p: (p, check_page(chromium, p, site)), pages))
    failures = len(missing)
    for page in missing:
        print(f"FAIL {page}: listed in _toc.yml but not built")
    for page, problems in results:
        rel = page.relative_to(site)
        if problems:
            failures += 1
            for problem in problems:
                print(f"FAIL {rel}: {problem}")
        else:
            print(f"ok   {rel}")
    mode = "in Chromium" if chromium else "statically (no Chromium)"
    bad_pages = sum(1 for _, problems in results if problems)
    print(
        f"browser check {mode}: {len(pages) - bad_pages} of {len(pages)} pages ok"
        + (f", {len(missing)} page(s) of the toc missing" if missing else "")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
