"""Plots: each returns a titled Figure with labelled axes, and checks its input."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from bplib.plot import curves
from bplib.plot.curves import (
    plot_confusion_matrix,
    plot_feature_maps,
    plot_history,
    plot_kernels,
)
from bplib.train import History

pytestmark = pytest.mark.usefixtures("close_figures")


def labelled(ax) -> bool:
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def test_exports():
    assert sorted(curves.__all__) == sorted(
        ["plot_history", "plot_kernels", "plot_feature_maps", "plot_confusion_matrix"]
    )
    import bplib.plot

    for name in curves.__all__:
        assert getattr(bplib.plot, name) is getattr(curves, name)


def test_plot_history_classification():
    h = History(loss=[1.0, 0.5, 0.3], train_acc=[0.5, 0.8, 0.9], val_loss=[1.1, 0.6, 0.4],
                val_acc=[0.4, 0.7, 0.85], seconds=[0.1] * 3)  # fmt: skip
    fig = plot_history(h)
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 2 and all(labelled(ax) for ax in axes)
    assert fig._suptitle.get_text() == "Training history"
    assert axes[1].get_ylabel() == "accuracy (%)"
    np.testing.assert_allclose(axes[1].get_lines()[0].get_ydata(), [50, 80, 90])
    assert len(axes[0].get_lines()) == 2


def test_plot_history_regression_dict():
    fig = plot_history({"loss": [3.0, 2.0]}, title="MSE")
    axes = fig.get_axes()
    assert len(axes) == 1 and labelled(axes[0]) and fig._suptitle.get_text() == "MSE"
    with pytest.raises(ValueError, match="plot_history"):
        plot_history({"loss": []})


@pytest.mark.parametrize(("shape", "images"), [((6, 1, 5, 5), 6), ((4, 3, 3, 3), 12),
                                               ((5, 3, 3), 5)])  # fmt: skip
def test_plot_kernels(shape, images, rng):
    fig = plot_kernels(rng.standard_normal(shape))
    assert isinstance(fig, Figure)
    drawn = [ax for ax in fig.get_axes() if ax.get_images()]
    assert len(drawn) == images
    assert all(ax.get_xlabel() for ax in drawn)
    assert "Convolution kernels" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="plot_kernels"):
        plot_kernels(np.ones((2, 2)))


@pytest.mark.parametrize(("shape", "images"), [((4, 6, 6), 4), ((2, 3, 5, 5), 6),
                                               ((9, 2, 4, 4), 8)])  # fmt: skip
def test_plot_feature_maps(shape, images, rng):
    fig = plot_feature_maps(rng.standard_normal(shape))
    drawn = [ax for ax in fig.get_axes() if ax.get_images()]
    assert len(drawn) == images  # a batch of 9 is cut to max_examples = 4 rows
    assert all(ax.get_xlabel() for ax in drawn) and fig._suptitle.get_text()
    with pytest.raises(ValueError, match="plot_feature_maps"):
        plot_feature_maps(np.ones(3))


def test_plot_confusion_matrix():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    fig = plot_confusion_matrix(y_true, y_pred, labels=["a", "b", "c"])
    ax = fig.get_axes()[0]
    assert labelled(ax) and "accuracy 71.4%" in ax.get_title()
    cm = ax.get_images()[0].get_array()
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert sorted(t.get_text() for t in ax.texts) == [
        "1",
        "1",
        "1",
        "2",
        "2",
    ]  # zeros are left blank


def test_plot_confusion_matrix_bad_input():
    with pytest.raises(ValueError, match="plot_confusion_matrix"):
        plot_confusion_matrix(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError, match="plot_confusion_matrix"):
        plot_confusion_matrix(np.array([0.0, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="2 labels for 3 classes"):
        plot_confusion_matrix(np.array([0, 2]), np.array([0, 1]), labels=["x", "y"])
