"""`prototxt-lint log --plot`: the figure's series, read from the matplotlib objects (not
pixels), on real logs written by Caffe (tests/fixtures/logs, scripts/make_logs.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from prototxt_lint.log import plot as log_plot
from prototxt_lint.log.examine import examine

LOGS = Path(__file__).parent / "fixtures" / "logs"

pytest.importorskip("matplotlib", reason="--plot needs the 'plot' extra (matplotlib)")


def drawn(case: str) -> tuple[Any, list[Any]]:
    log = str(LOGS / case / "caffe.log")
    fig = log_plot.figure(log, examine(log).diagnoses)
    return fig, fig.get_axes()


def series(ax: Any) -> dict[str, list[tuple[float, float]]]:
    return {line.get_label(): list(zip(line.get_xdata(), line.get_ydata(), strict=True))
            for line in ax.get_lines() if not line.get_label().startswith("_")}


def test_per_layer_norms_and_where_the_explosion_starts() -> None:
    import matplotlib.pyplot as plt

    fig, axes = drawn("huge_lr_mult")
    try:
        assert [ax.get_ylabel() for ax in axes] == [
            "loss", "learning rate", "L2 norm of param diffs",
            "mean |data| of each\nlayer's tops (forward)",
            "mean |diff| of each\nlayer's params (backward)",
        ]
        data, diff = series(axes[3]), series(axes[4])
        assert list(data) == ["data", "data: label", "conv1", "relu1: conv1", "pool1", "ip1",
                              "relu2: ip1", "ip2", "loss", "exploding-gradients: ip1"]
        assert list(diff) == ["ip2 param 0", "ip2 param 1", "ip1 param 0", "ip1 param 1",
                              "conv1 param 0", "conv1 param 1"]
        # ip1's mean |top data| per iteration, as the log has it (lines 449, 480, 511)
        assert data["ip1"][:3] == [(0, 0.8656), (1, 1408.11), (2, 907.151)]
        assert len(data["ip1"]) == 11  # iterations 0-10 (10: the final forward)
        assert data["exploding-gradients: ip1"] == [(2, 907.151)]
        assert diff["conv1 param 0"][0] == (0, 0.0321759)
        assert axes[3].get_yscale() == axes[4].get_yscale() == "log"
        # the red lines: loss-clamp at 1, the explosion at 2
        red = sorted({line.get_xdata()[0] for line in axes[3].get_lines()
                      if line.get_linestyle() == "--"})
        assert red == [1, 2]
    finally:
        plt.close(fig)


def test_first_nan_is_marked_at_the_height_of_the_last_finite_value() -> None:
    import matplotlib.pyplot as plt

    fig, axes = drawn("huge_lr")
    try:
        data = series(axes[3])
        assert data["first-nonfinite: ip2"] == [(3, 2.16352e20)]  # at the height of iteration 2
        assert math.isnan(data["ip2"][3][1])  # iteration 3: ip2 data inf, drawn as a gap
        assert data["exploding-gradients: ip1"] == [(1, 134056.0)]
    finally:
        plt.close(fig)


def test_without_debug_info_no_layer_axes() -> None:
    import matplotlib.pyplot as plt

    fig, axes = drawn("huge_lr_nodebug")
    try:
        assert len(axes) == 3
        assert [x for x, _ in series(axes[0])["train loss"]] == list(range(11))
    finally:
        plt.close(fig)


def test_runs_in_one_log_are_not_joined() -> None:
    """The resume log: iterations 0-8, then a second run from the snapshot, 4-8. The line
    breaks (a nan) between the runs instead of going back from 8 to 4."""
    import matplotlib.pyplot as plt

    fig, axes = drawn("resume")
    try:
        loss = series(axes[0])["train loss"]
        assert [x for x, _ in loss] == [*range(9), 8, *range(4, 9)]
        assert math.isnan(loss[9][1]) and not any(math.isnan(v) for _, v in loss[:9])
    finally:
        plt.close(fig)


def test_long_series_are_thinned() -> None:
    points = log_plot.Series()
    for n in range(3 * log_plot.MAX_POINTS):
        points.add(n, float(n))
    assert len(points.points) < log_plot.MAX_POINTS
    assert points.points[:3] == [(0, 0.0), (4, 4.0), (8, 8.0)]
