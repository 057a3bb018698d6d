"""Every labelled equation of the book has a check that runs, or says it is a definition.

The convention (CONTRIBUTING.md, "Equation labels"):

- an equation is labelled ``$$ ... $$ (eq-foo)`` (or a ``{math}`` block with ``:label: eq-foo``);
- a code cell **of the same page** verifies it: it carries a comment ``# checks eq-foo``
  (several labels may share one comment: ``# checks eq-foo, eq-bar``) and asserts something:
  an ``assert`` statement, or a call to the exercise checks (``check.something(...)``) or to a
  ``check_...`` function;
- an equation that is a definition, with nothing to derive, is followed right after its block by
  the line ``*(a definition, not derived)*`` instead.

LaTeX in markdown is never executed, so this is what makes "every formula is checked" a fact
the test suite can verify: a labelled equation with no check cell fails the build.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABEL = r"eq-[A-Za-z0-9][A-Za-z0-9_-]*"
DEFINITION_MARK = "*(a definition, not derived)*"
# `$$ ... $$ (eq-foo)`: the label right after the closing $$, on the same line
DOLLAR_LABEL = re.compile(r"\$\$[ \t]*\((" + LABEL + r")\)[ \t]*$", re.MULTILINE)
# a ```{math} (or :::{math}) block with a `:label: eq-foo` option
MATH_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{math\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
MATH_LABEL = re.compile(r"^:label:[ \t]*(" + LABEL + r")[ \t]*$", re.MULTILINE)
CHECKS_COMMENT = re.compile(r"#\s*checks\s+(.*)", re.IGNORECASE)
MYST_CODE_CELL = re.compile(
    r"^(?P<fence>`{3,})\{code-cell\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass
class Page:
    name: str
    markdown: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)


@dataclass
class Report:
    labels: dict[str, str] = field(default_factory=dict)  # label -> page
    definitions: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        neither = set(self.labels) - self.checked - self.definitions
        return (
            f"{len(self.labels)} labels: {len(self.checked)} checked, "
            f"{len(self.definitions)} marked definitions "
            f"({len(self.definitions & self.checked)} of them checked too), "
            f"{len(neither)} neither"
        )


def read_page(path: Path) -> Page:
    page = Page(path.name)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        for cell in json.loads(text)["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                page.markdown.append(source)
            elif cell["cell_type"] == "code":
                page.code.append(source)
    else:  # a MyST markdown page: its {code-cell} blocks are its code
        page.code = [m.group("body") for m in MYST_CODE_CELL.finditer(text)]
        page.markdown = [MYST_CODE_CELL.sub("", text)]
    return page


def next_line_after(text: str, end: int) -> str:
    """The first non-blank line after position `end`, the end of an equation block."""
    return next((line.strip() for line in text[end:].splitlines() if line.strip()), "")


def labelled_equations(markdown: str) -> list[tuple[str, bool]]:
    """(label, marked as a definition) for every equation labelled in one markdown cell."""
    found = []
    for match in DOLLAR_LABEL.finditer(markdown):
        found.append((match.group(1), next_line_after(markdown, match.end()) == DEFINITION_MARK))
    for block in MATH_BLOCK.finditer(markdown):
        for label in MATH_LABEL.findall(block.group("body")):
            found.append((label, next_line_after(markdown, block.end()) == DEFINITION_MARK))
    return found


def without_magics(code: str) -> str:
    # IPython lines (%matplotlib inline, !pip ...) are not Python: blank them for ast
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in code.splitlines())


def labels_named_in_comments(code: str) -> set[str]:
    """Labels after '# checks' in real comments (not in strings)."""
    named: set[str] = set()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(without_magics(code)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return named
    for token in tokens:
        if token.type == tokenize.COMMENT:
            match = CHECKS_COMMENT.match(token.string)
            if match:
                named.update(re.findall(LABEL, match.group(1)))
    return {label.rstrip("-_") for label in named}


def asserts_something(code: str) -> bool:
    """An assert statement, check.<name>(...), or a call to a check_... function."""
    try:
        tree = ast.parse(without_magics(code))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if func.value.id == "check" or func.attr.startswith("check_"):
                    return True
            if isinstance(func, ast.Name) and func.id.startswith("check_"):
                return True
    return False


def equation_report(book: Path) -> Report:
    report = Report()
    pages = [read_page(p) for p in sorted(book.glob("*")) if p.suffix in (".md", ".ipynb")]
    for page in pages:
        here: dict[str, bool] = {}
        for cell in page.markdown:
            for label, is_definition in labelled_equations(cell):
                if label in report.labels:
                    report.problems.append(
                        f"{page.name}: {label} is defined twice "
                        f"(also in {report.labels[label]})"
                    )
                    continue
                report.labels[label] = page.name
                here[label] = is_definition
        checking = {}  # label -> does one of the cells naming it assert something?
        for code in page.code:
            for label in labels_named_in_comments(code):
                checking[label] = checking.get(label, False) or asserts_something(code)
        for label, is_definition in here.items():
            if is_definition:
                report.definitions.add(label)
            if label in checking and not checking[label]:
                report.problems.append(
                    f"{page.name}: the cell with '# checks {label}' asserts nothing "
                    f"(no assert, no check.…(), no check_…() call)"
                )
            elif label in checking:
                report.checked.add(label)
            elif not is_definition:
                report.problems.append(
                    f"{page.name}: {label} has no code cell with '# checks {label}' "
                    f"(or mark it '{DEFINITION_MARK}' on the line after its equation)"
                )
        for label in sorted(set(checking) - set(here)):
            where = report.labels.get(label) or next(
                (p.name for p in pages for cell in p.markdown
                 if any(lab == label for lab, _ in labelled_equations(cell))), None
            )
            report.problems.append(
                f"{page.name}: '# checks {label}' names "
                + (f"an equation of {where}: check it there" if where else
                   "an equation no page defines")
            )
    return report


def test_every_labelled_equation_is_checked_or_a_definition():
    report = equation_report(ROOT / "book")
    print(report.summary())
    assert len(report.labels) >= 40, "the book's labelled equations were not found"
    assert not report.problems, report.summary() + "\n" + "\n".join(report.problems)


# --- the test can fail: fake books ------------------------------------------------------------


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> None:
    path.write_text(json.dumps({
        "cells": [{"cell_type": kind, "metadata": {}, "source": text.splitlines(True),
                   **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                  for kind, text in cells],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }))


CHAPTER = [
    ("markdown", "$$\ny = 2x\n$$ (eq-double)\n\nand\n\n$$\ny = x^2\n$$ (eq-square)\n"),
    ("code", "%matplotlib inline\nimport numpy as np\n"),
    ("code", "x = 3.0\n# checks eq-double\nassert 2 * x == 6.0\n"),
    ("markdown", "$$ f = g $$ (eq-def)\n\n*(a definition, not derived)*\n"),
    ("markdown", "```{math}\n:label: eq-block\nz = 1\n```\n"),
    ("code", "check.square(square)  # checks eq-square, eq-block\n"),
]
PAGE = (
    "# Page\n\n$$ a = b + c $$ (eq-sum)\n\n"
    "```{code-cell} ipython3\n# checks eq-sum\nassert 1 + 1 == 2\n```\n"
)


def fake_book(tmp_path: Path, edit_chapter=None, page: str = PAGE) -> Path:
    """A book of two pages; edit_chapter(old, new) pairs change the notebook's cells."""
    book = tmp_path / "book"
    book.mkdir(parents=True)
    cells = list(CHAPTER)
    for old, new in edit_chapter or []:
        edited = [(kind, text.replace(old, new)) for kind, text in cells]
        assert edited != cells, f"the fake chapter has no {old!r}"
        cells = edited
    write_notebook(book / "01_ch.ipynb", cells)
    (book / "02_page.md").write_text(page)
    return book


def test_a_complete_fake_book_passes(tmp_path):
    report = equation_report(fake_book(tmp_path))
    assert not report.problems, report.problems
    assert set(report.labels) == {"eq-double", "eq-square", "eq-def", "eq-block", "eq-sum"}
    assert report.checked == {"eq-double", "eq-square", "eq-block", "eq-sum"}
    assert report.definitions == {"eq-def"}


def test_a_definition_may_be_checked_too_but_not_by_a_cell_that_asserts_nothing(tmp_path):
    checked = fake_book(tmp_path / "a", [("# checks eq-square, eq-block",
                                          "# checks eq-square, eq-block, eq-def")])
    report = equation_report(checked)
    assert not report.problems and {"eq-def"} <= report.definitions & report.checked
    idle = fake_book(tmp_path / "b", [("import numpy as np\n",
                                       "import numpy as np  # checks eq-def\n")])
    problems = equation_report(idle).problems
    assert any("eq-def" in p and "asserts nothing" in p for p in problems), problems


def test_a_missing_check_is_caught(tmp_path):
    book = fake_book(tmp_path, [("# checks eq-double", "# eq-double")])
    problems = equation_report(book).problems
    assert len(problems) == 1 and "eq-double has no code cell" in problems[0], problems


def test_a_check_that_asserts_nothing_is_caught(tmp_path):
    book = fake_book(tmp_path, [("assert 2 * x == 6.0", "print(2 * x == 6.0)")])
    problems = equation_report(book).problems
    assert len(problems) == 1 and "eq-double" in problems[0] and "asserts nothing" in problems[0]


def test_a_label_in_a_string_or_another_page_does_not_count(tmp_path):
    book = fake_book(
        tmp_path,
        [("# checks eq-double", "# checks eq-double, eq-sum")],
        page=PAGE.replace("# checks eq-sum\n", 'print("# checks eq-sum")\n'),
    )
    problems = equation_report(book).problems
    assert any("02_page.md: eq-sum has no code cell" in p for p in problems), problems
    assert any("01_ch.ipynb: '# checks eq-sum'" in p and "02_page.md" in p for p in problems)


def test_the_definition_mark_must_follow_its_equation(tmp_path):
    book = fake_book(tmp_path, [("(eq-def)\n\n", "(eq-def)\n\nSome prose.\n\n")])
    problems = equation_report(book).problems
    assert len(problems) == 1 and "eq-def has no code cell" in problems[0], problems


def test_a_label_defined_twice_is_caught(tmp_path):
    book = fake_book(tmp_path, page=PAGE + "\n$$ y = 2x $$ (eq-double)\n")
    problems = equation_report(book).problems
    assert any("eq-double is defined twice" in p for p in problems), problems
