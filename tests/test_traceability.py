"""Equation <-> code traceability.

- Every equation label cited in bplib (``eq-...`` in a docstring or comment) exists in the book.
- Where the book says code implements an equation (a markdown cell with a labelled equation
  and an "Implemented by {py:meth}`bplib...`" line), that code's docstring cites the label.
- Chapter pages show bplib's own source (``literalinclude`` of ``../bplib/...`` or
  ``inspect.getsource``), or code that the tests run (``SHOWN_TEST_CODE``), and the files and
  objects they include exist.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABEL_DEF = re.compile(r"\$\$\s*\((eq-[A-Za-z0-9_-]+)\)|^\((eq-[A-Za-z0-9_-]+)\)=", re.MULTILINE)
LABEL_USE = re.compile(r"(?<![\w-])(eq-[a-z0-9][A-Za-z0-9_-]*[A-Za-z0-9])")
IMPLEMENTED_BY = re.compile(r"Implemented by\b(.*)", re.IGNORECASE)
PY_REF = re.compile(r"\{py:(?:func|meth|class|attr)\}`~?([\w.]+)`")
LITERALINCLUDE = re.compile(r"```\{literalinclude\}\s+(\S+)\s*\n((?::[\w-]+:.*\n)*)")
# Code a page may show besides bplib's: files the tests import and run (chapter 10's PyTorch
# twin, run by tests/test_torch_crosscheck_cnn.py), so what is shown is still what is checked.
SHOWN_TEST_CODE = {ROOT / "tests" / "torch_models.py"}


@dataclass
class BookLabels:
    defined: dict[str, str] = field(default_factory=dict)  # label -> page
    implemented_by: list[tuple[str, str, list[str]]] = field(
        default_factory=list
    )  # page, label, refs


def markdown_cells(path: Path) -> list[str]:
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def book_pages(book: Path) -> list[Path]:
    return sorted(p for p in book.glob("*") if p.suffix in (".md", ".ipynb"))


def collect_book_labels(book: Path) -> BookLabels:
    labels = BookLabels()
    for page in book_pages(book):
        for cell in markdown_cells(page):
            here = [a or b for a, b in LABEL_DEF.findall(cell)]
            for label in here:
                labels.defined.setdefault(label, page.name)
            refs = [r for line in IMPLEMENTED_BY.findall(cell) for r in PY_REF.findall(line)]
            for label in here if refs else []:
                labels.implemented_by.append((page.name, label, refs))
    return labels


def code_citations(package: Path) -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        for label in set(LABEL_USE.findall(path.read_text(encoding="utf-8"))):
            cited.setdefault(label, []).append(str(path.relative_to(package.parent)))
    return cited


def resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def traceability_problems(book: Path, package: Path) -> list[str]:
    """Everything that breaks equation <-> code traceability, as readable sentences."""
    labels = collect_book_labels(book)
    problems = []
    for label, files in sorted(code_citations(package).items()):
        if label not in labels.defined:
            problems.append(f"{', '.join(files)} cite {label}, which no page of the book defines")
    for page, label, refs in labels.implemented_by:
        docs = []
        for ref in refs:
            try:
                docs.append(resolve(ref).__doc__ or "")
            except (ImportError, AttributeError):
                problems.append(f"{page}: 'Implemented by' names {ref}, which does not exist")
        if docs and not any(label in doc for doc in docs):
            problems.append(
                f"{page}: {label} is implemented by {', '.join(refs)}, "
                f"whose docstring does not cite it"
            )
    return problems


def test_every_cited_label_exists_and_every_implementation_cites_its_label():
    problems = traceability_problems(ROOT / "book", ROOT / "bplib")
    assert not problems, "\n".join(problems)


def test_the_code_cites_equations_of_the_book():
    cited = code_citations(ROOT / "bplib")
    defined = collect_book_labels(ROOT / "book").defined
    assert len(set(cited) & set(defined)) >= 10, (
        "bplib's docstrings should cite the book's equations"
    )


def test_a_broken_label_is_caught(tmp_path):
    """The check itself can fail: a docstring citing a label the book lacks, and an
    implementation whose docstring forgets its label."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "ch.md").write_text(
        "$$ y = 2x $$ (eq-double)\n\nImplemented by {py:func}`bplib.gradcheck.relative_error`.\n"
    )
    package = tmp_path / "bplib"
    package.mkdir()
    (package / "m.py").write_text('"""Implements eq-tripple (book)."""\n')
    problems = traceability_problems(book, package)
    assert any("eq-tripple" in p and "no page" in p for p in problems)
    assert any("eq-double" in p and "does not cite" in p for p in problems)


def test_shown_code_is_bplib_own_source():
    """literalinclude targets exist and their :pyobject: is a real object of that file."""
    for page in book_pages(ROOT / "book"):
        for cell in markdown_cells(page):
            for target, options in LITERALINCLUDE.findall(cell):
                path = (ROOT / "book" / target).resolve()
                assert path.exists(), f"{page.name}: literalinclude of missing file {target}"
                assert path.is_relative_to(ROOT / "bplib") or path in SHOWN_TEST_CODE, (
                    f"{page.name}: shows {target}, not bplib"
                )
                match = re.search(r":pyobject:\s*(\S+)", options)
                if match:
                    tree = ast.parse(path.read_text())
                    names = {
                        node.name
                        for node in ast.walk(tree)
                        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                    }
                    for part in match.group(1).split("."):
                        assert part in names, f"{page.name}: {target} has no {match.group(1)}"
