"""Execute notebooks in place, in their own folder, so their stored outputs are fresh.

    python tools/execute_notebooks.py book                 # every notebook of book/
    python tools/execute_notebooks.py book/01_chain_rule.ipynb

Strict nbval then proves that re-running them reproduces those outputs. Execution uses the
same kernel as nbval and myst-nb (the current Python's ``python3`` kernel).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,  # timestamps in cell metadata would only add noise to diffs
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    targets: list[Path] = []
    for arg in argv or ["book"]:
        p = Path(arg)
        if p.is_dir():
            targets += sorted(q for q in p.glob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            targets.append(p)
    for nb in targets:
        seconds = execute(nb)
        print(f"executed {nb} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
