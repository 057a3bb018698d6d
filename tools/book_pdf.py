"""The whole book as one PDF, offline: the single-page HTML build printed by Chromium.

    python tools/book_pdf.py print _build/singlehtml _build/pdf/book.pdf
    python tools/book_pdf.py check _build/pdf/book.pdf

``print`` opens the single-page HTML build (``jupyter-book build . --builder singlehtml``) in
the headless Chromium of ``tools/browser_check.py``, waits until MathJax has typeset every
formula, and saves the page with Chromium's own ``Page.printToPDF`` (A4, page numbers). The
layout for paper is the ``@media print`` part of ``book/_static/book.css``.

``check`` asserts what a reader of the PDF needs: ``pdftotext`` finds the title of every page of
``_toc.yml`` (the book, each chapter, each appendix), no ``$$`` and no ``\\frac`` is left
untypeset, the figures are in it, and its first pages render (``pdftoppm``, PNGs next to the
PDF, to look at).
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES_RENDERED = 3

FOOTER = (
    '<div style="font-size:8px; width:100%; text-align:center; color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def browser_check():
    spec = importlib.util.spec_from_file_location(
        "browser_check", ROOT / "tools" / "browser_check.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def single_page(site: Path) -> Path:
    """The one page of a singlehtml build, copied to the build's root.

    Sphinx writes it under the root document's name (``book/intro.html``) with links relative
    to the build's root (``_static/…``, ``_images/…``): next to them, every link resolves.
    """
    index = (site / "index.html").read_text(encoding="utf-8")
    redirect = re.search(r'url=([^"]+)"', index)
    source = site / redirect.group(1) if redirect else site / "index.html"
    html = source.read_text(encoding="utf-8")
    # light theme on paper, whatever the reader chose on screen
    html = html.replace('data-theme="dark"', 'data-theme="light"')
    target = site / "book-print.html"
    target.write_text(html, encoding="utf-8")
    return target


def required() -> bool:
    return os.environ.get("BPLIB_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))


def missing_tool(what: str, install: str) -> int:
    """As in the browser check: a developer is warned and the step skipped; CI fails."""
    banner = "!" * 78
    print(
        f"{banner}\n!! book_pdf: NO {what} FOUND: the PDF is NOT made or checked.\n"
        f"!! Install it (Debian: apt-get install {install}).\n{banner}",
        file=sys.stderr,
    )
    return 1 if required() else 0


def print_pdf(site: Path, out: Path) -> int:
    bc = browser_check()
    if bc.find_chromium() is None or bc.find_chromedriver() is None:
        return missing_tool("CHROMIUM", "chromium chromium-driver")
    page = single_page(site)
    start = time.monotonic()
    driver = bc.start_browser()
    # printing some 300 pages takes minutes on a busy machine: wait for it
    driver.command_executor.client_config.timeout = 900
    try:
        driver.set_script_timeout(600)
        if not bc.load(driver, page):
            sys.exit("book_pdf: MathJax never started on the single page")
        typeset = time.monotonic()
        driver.execute_script(
            "document.documentElement.dataset.theme = 'light';"
            "document.documentElement.dataset.mode = 'light';"
        )
        untypeset = driver.execute_script(
            "return document.querySelectorAll('.math').length"
            " - document.querySelectorAll('.math mjx-container').length"
        )
        if untypeset:
            sys.exit(f"book_pdf: {untypeset} formulas were not typeset by MathJax")
        # every image decoded before printing
        driver.execute_async_script(
            "const done = arguments[0];"
            "Promise.all([...document.images].map(i => i.decode().catch(() => null)))"
            ".then(() => done(true));"
        )
        result = driver.execute_cdp_cmd(
            "Page.printToPDF",
            {
                "paperWidth": 8.27,  # A4, in inches
                "paperHeight": 11.69,
                "marginTop": 0.6,
                "marginBottom": 0.6,
                "marginLeft": 0.55,
                "marginRight": 0.55,
                "printBackground": True,
                "scale": 0.85,  # about 10.5 pt text: a book, not a screen
                "displayHeaderFooter": True,
                "headerTemplate": "<div></div>",
                "footerTemplate": FOOTER,
            },
        )
    finally:
        driver.quit()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(result["data"]))
    print(
        f"book_pdf: wrote {out} ({out.stat().st_size / 1e6:.1f} MB): "
        f"{typeset - start:.0f} s to load and typeset, "
        f"{time.monotonic() - typeset:.0f} s to print"
    )
    return 0


def toc_titles(root: Path = ROOT) -> list[str]:
    """The first heading of every file of ``_toc.yml``: the titles the PDF must contain."""
    titles = []
    names = re.findall(
        r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)", (root / "_toc.yml").read_text(), re.MULTILINE
    )
    for name in names:
        base = root / name
        if base.with_suffix(".ipynb").exists():
            cells = json.loads(base.with_suffix(".ipynb").read_text())["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        else:
            text = base.with_suffix(".md").read_text()
        heading = re.search(r"^# (.+)$", text, re.MULTILINE)
        if heading:
            titles.append(heading.group(1).strip())
    return titles


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def text_problems(text: str, titles: list[str]) -> list[str]:
    """What is wrong with the PDF's text: missing titles, TeX left untypeset."""
    flat = squash(text)
    problems = [f"chapter title not found: {t!r}" for t in titles if squash(t) not in flat]
    for raw in ("$$", "\\frac", "\\partial"):
        if raw in text:
            where = text.index(raw)
            problems.append(
                f"raw TeX {raw!r} in the PDF: {squash(text[where - 40 : where + 40])!r}"
            )
    return problems


def check_pdf(pdf: Path) -> int:
    for tool in ("pdftotext", "pdftoppm", "pdfinfo", "pdfimages"):
        if shutil.which(tool) is None:
            return missing_tool(tool.upper(), "poppler-utils")
    if not pdf.exists():
        if browser_check().find_chromium() is None and not required():
            return 0  # print_pdf said why, loudly
        print(f"book_pdf: {pdf} does not exist; run make pdf", file=sys.stderr)
        return 1
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    titles = toc_titles()
    problems = text_problems(text, titles)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    images = listing.stdout.splitlines()[2:]  # below its two header lines
    for old in pdf.parent.glob("page-*.png"):
        old.unlink()
    prefix = pdf.parent / "page"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            str(PAGES_RENDERED),
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    rendered = sorted(pdf.parent.glob("page-*.png"))
    if len(rendered) != min(PAGES_RENDERED, pages):
        problems.append(f"pdftoppm rendered {len(rendered)} of the first {PAGES_RENDERED} pages")
    for png in rendered:
        if blank(png):
            problems.append(f"{png.name} is blank")
    if not images:
        problems.append("the PDF holds no image: the figures are missing")
    for problem in problems:
        print(f"FAIL {pdf}: {problem}")
    print(
        f"book_pdf check: {pdf} has {pages} pages, {pdf.stat().st_size / 1e6:.1f} MB, "
        f"{len(images)} images; "
        f"{len(titles) - sum('title not found' in p for p in problems)} of {len(titles)} titles "
        f"found; first pages rendered to {', '.join(p.name for p in rendered)}"
    )
    return 1 if problems else 0


def blank(png: Path) -> bool:
    import numpy as np
    from PIL import Image

    gray = np.asarray(Image.open(png).convert("L"), dtype=float)
    return float(gray.std()) < 1.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("print", help="print the singlehtml build to a PDF")
    p.add_argument("site", type=Path)
    p.add_argument("pdf", type=Path)
    c = sub.add_parser("check", help="check a printed PDF")
    c.add_argument("pdf", type=Path)
    args = parser.parse_args(argv)
    if args.command == "print":
        return print_pdf(args.site, args.pdf)
    return check_pdf(args.pdf)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
