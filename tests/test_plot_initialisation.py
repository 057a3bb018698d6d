"""Chapter 7's figures: titled, labelled, the data drawn as given, bad input refused."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from bplib.plot import initialisation
from bplib.plot.initialisation import plot_accuracy_grid, plot_curve_panels, plot_depth_profiles

pytestmark = pytest.mark.usefixtures("close_figures")


def labelled(ax) -> bool:
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def test_exports():
    import bplib.plot

    assert initialisation.__all__ == [
        "plot_depth_profiles",
        "plot_curve_panels",
        "plot_accuracy_grid",
    ]
    for name in initialisation.__all__:
        assert getattr(bplib.plot, name) is getattr(initialisation, name)


def test_depth_profiles_log_scale_and_skips_zeros_and_infinities():
    panels = {
        "tanh": {"a": [1.0, 0.5, 0.25], "b": [1.0, 1e20, np.inf]},
        "ReLU": {"a": [2.0, 0.0, 1e-30], "b": [1.0, 1.0, 1.0]},
        "third": {"a": [1.0]},
    }
    fig = plot_depth_profiles(panels, title="Depth")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "Depth"
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    assert len(axes) == 3 and all(labelled(ax) for ax in axes)
    assert [ax.get_title() for ax in axes] == ["tanh", "ReLU", "third"]
    assert all(ax.get_yscale() == "log" for ax in axes)
    a, b = axes[0].get_lines()[:2]
    np.testing.assert_array_equal(a.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(b.get_ydata(), [1.0, 1e20])  # inf left out
    np.testing.assert_array_equal(axes[1].get_lines()[0].get_xdata(), [1, 3])  # 0 left out
    levels = [line.get_ydata()[0] for line in axes[0].get_lines()[2:]]
    assert levels == [1e10, 1e-10]
    assert axes[0].get_legend() is not None
    fig = plot_depth_profiles({"p": {"a": [1.0, 2.0]}}, title="t", explode=None, vanish=None)
    assert len(fig.get_axes()[0].get_lines()) == 1


def test_curve_panels():
    panels = {f"γ = {g}": {"He": [0.5, 0.9], "Xavier": [0.2]} for g in (0.1, 0.3)}
    fig = plot_curve_panels(panels, title="Curves", ylabel="test accuracy (%)", ylim=(0, 100))
    axes = fig.get_axes()
    assert len(axes) == 2 and axes[0].get_ylabel() == "test accuracy (%)"
    assert all(ax.get_xlabel() == "epoch" for ax in axes)
    assert axes[1].get_ylim() == (0, 100)
    np.testing.assert_array_equal(axes[0].get_lines()[1].get_ydata(), [0.2])


@pytest.mark.parametrize(
    ("panels", "words"),
    [
        ({}, "non-empty dict"),
        ([1, 2], "non-empty dict"),
        ({"p": {}}, "panel 'p'"),
        ({"p": {"a": [[1.0, 2.0]]}}, "curve 'a' of panel 'p'"),
        ({"p": {"a": []}}, "non-empty 1-d"),
    ],
)
def test_panels_bad_input(panels, words):
    with pytest.raises(ValueError, match=words):
        plot_depth_profiles(panels, title="t")
    with pytest.raises(ValueError, match="plot_curve_panels"):
        plot_curve_panels(panels, title="t", ylabel="y")


def test_accuracy_grid_labels_every_cell():
    acc = np.array([[0.1, 0.95], [np.nan, 0.5]])
    fig = plot_accuracy_grid(acc, rows=["He", "N(0, 1)"], cols=[0.1, 0.3], title="Grid",
                             xlabel="step γ", ylabel="initialisation")  # fmt: skip
    ax = fig.get_axes()[0]
    assert labelled(ax) and ax.get_title() == "Grid"
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["10.0%", "95.0%", "diverged", "50.0%"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["He", "N(0, 1)"]
    assert fig.get_axes()[1].get_ylabel() == "accuracy (%)"  # the colour bar


@pytest.mark.parametrize(
    ("acc", "words"),
    [
        (np.zeros((2, 3)), r"must be \(R, C\) = \(2, 2\)"),
        (np.zeros(4), "got shape"),
        (np.array([[0.5, 95.0], [0.1, 0.2]]), "fractions in"),
    ],
)
def test_accuracy_grid_bad_input(acc, words):
    with pytest.raises(ValueError, match=words):
        plot_accuracy_grid(acc, rows=["a", "b"], cols=["x", "y"], title="t", xlabel="x",
                           ylabel="y")  # fmt: skip
