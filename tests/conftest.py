"""Shared test set-up: a non-interactive matplotlib backend and seeded generators.

Hypothesis settings are set per test (``max_examples`` 20-30, ``deadline=None``) so that the
whole suite stays fast on a small machine; nothing global is changed here.
"""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed, so every test is reproducible."""
    return np.random.default_rng(1234)


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test opened (they would pile up otherwise)."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
