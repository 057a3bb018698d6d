"""Book-level checks: the toc, the structure of chapters and exercises, the learner's path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from bplib.exercises.student import BEGIN, END, convert_notebook

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
CHAPTERS = [nb for nb in NOTEBOOKS if re.match(r"\d\d_", nb.name)]
EXERCISE_TITLE = re.compile(r"Exercise\s+(\d+\.\d+)")


def toc_files() -> list[str]:
    return re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text(), re.M)


def load(nb: Path) -> dict:
    return json.loads(nb.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_toc_and_book_folder_agree():
    listed = set(toc_files())
    for name in listed:
        assert any((ROOT / f"{name}{ext}").exists() for ext in (".md", ".ipynb")), (
            f"{name} is in _toc.yml but missing"
        )
    for page in sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md")):
        assert f"book/{page.stem}" in listed, (
            f"{page.name} is not in _toc.yml, so the book never shows it"
        )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_and_torch_free(nb):
    data = load(nb)
    assert data["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in data["cells"] if c["cell_type"] == "code" and source(c).strip()]
    assert code, f"{nb.name} has no code"
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unexecuted, (
        f"{nb.name}: code cells {unexecuted} have no stored output (run `make execute`)"
    )
    counts = [c["execution_count"] for c in code]
    assert counts == sorted(counts), f"{nb.name} was not executed top to bottom in one run"
    for cell in code:
        assert not re.search(r"^\s*(import|from)\s+torch\b", source(cell), re.M), (
            f"{nb.name} imports torch"
        )
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{nb.name} stores an error output"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapter_opens_with_title_and_sources_and_checks_its_derivations(nb):
    cells = load(nb)["cells"]
    first = source(cells[0])
    number = int(nb.name[:2])
    assert first.startswith(f"# {number}. "), f"{nb.name} must open with '# {number}. Title'"
    assert "{ref}`src-" in first, f"{nb.name}'s first cell must cite the seed(s) it follows"
    code = "\n".join(source(c) for c in cells if c["cell_type"] == "code")
    assert code.count("assert") >= 5, f"{nb.name} checks too few things numerically"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapter_exercises_are_hidden_and_checked(nb):
    cells = load(nb)["cells"]
    solutions = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and BEGIN in source(c)]
    assert len(solutions) >= 2, f"{nb.name} has fewer than 2 exercises"
    for i in solutions:
        assert "hide-input" in cells[i]["metadata"].get("tags", []), (
            f"{nb.name} cell {i}: solution not hidden"
        )
        assert END in source(cells[i])
        following = [c for c in cells[i + 1 : i + 4] if c["cell_type"] == "code"]
        assert any("check." in source(c) for c in following), (
            f"{nb.name} cell {i}: no check cell follows"
        )
        checked = [
            o for c in following for o in c.get("outputs", []) if "✓" in "".join(o.get("text", ""))
        ]
        assert checked, (
            f"{nb.name} cell {i}: the stored check output does not show the solution passing"
        )


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapter_links_to_its_student_notebook(nb):
    first = source(load(nb)["cells"][0])
    assert f'href="../student/{nb.name}"' in first, f"run tools/list_exercises.py ({nb.name})"


def test_intro_lists_every_exercise():
    intro = (BOOK / "intro.md").read_text(encoding="utf-8")
    listed = set(EXERCISE_TITLE.findall(intro))
    for nb in CHAPTERS:
        for number in convert_notebook(nb).exercises:
            ident = EXERCISE_TITLE.search(number).group(1)
            assert ident in listed, (
                f"the intro's list of exercises lacks Exercise {ident} ({nb.name})"
            )


def _put_solutions_back(student: dict, original: dict) -> dict:
    """Replace each stub of the student notebook by the original solution cell."""
    restored = json.loads(json.dumps(student))
    for new, old in zip(restored["cells"], original["cells"], strict=True):
        if new["cell_type"] == "code" and "raise NotImplementedError(" in source(new):
            new["source"] = old["source"]
    return restored


def test_student_notebook_with_solutions_put_back_passes_its_checks(tmp_path):
    """Executes chapter 1's student notebook twice: as given (its first check must fail with
    'not written yet') and with the solutions put back (every check passes)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    chapter = BOOK / "01_chain_rule.ipynb"
    student = convert_notebook(chapter).notebook
    nb = nbformat.reads(json.dumps(student), as_version=4)
    with pytest.raises(CellExecutionError, match="not written yet"):
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}
        ).execute()

    restored = nbformat.reads(json.dumps(_put_solutions_back(student, load(chapter))), as_version=4)
    NotebookClient(
        restored, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}
    ).execute()
    outputs = "".join(
        "".join(o.get("text", ""))
        for c in restored.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    exercises = convert_notebook(chapter).exercises
    for title in exercises:
        assert f"✓ {title.split(':')[0]}" in outputs, (
            f"{title} did not pass once its solution was put back"
        )


def test_api_reference_documents_every_public_name_of_the_design():
    """DESIGN §3's public API, each name documented by autodoc in Appendix D."""
    api = (BOOK / "appendix_api.md").read_text(encoding="utf-8")
    for module in (
        "bplib.autodiff",
        "bplib.losses",
        "bplib.network",
        "bplib.optim",
        "bplib.gradcheck",
        "bplib.data",
    ):
        assert f".. automodule:: {module}\n" in api, f"Appendix D lacks {module}"
    layers = (
        "Linear",
        "ReLU",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "Flatten",
        "Conv2d",
        "MaxPool2d",
        "AvgPool2d",
    )
    for name in layers:
        assert f".. autoclass:: {name}\n" in api, f"Appendix D lacks bplib.layers.{name}"
    import bplib.autodiff
    import bplib.layers
    import bplib.losses
    import bplib.network
    import bplib.optim

    for module, names in [
        (bplib.autodiff, ["Value"]),
        (bplib.layers, list(layers)),
        (bplib.losses, ["MSELoss", "CrossEntropyLoss"]),
        (bplib.network, ["Sequential"]),
        (bplib.optim, ["SGD"]),
    ]:
        for name in names:
            assert getattr(module, name).__doc__, f"{module.__name__}.{name} has no docstring"
