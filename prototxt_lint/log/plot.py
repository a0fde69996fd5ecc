"""``prototxt-lint log --plot OUT.png``: train and test loss, learning rate, the L2 norm of
all param diffs and, with debug_info, every layer's mean |data| (forward, top blobs) and mean
|diff| (backward, param blobs) over the iterations, with the diagnosed iterations marked
(red lines; the layer an explosion or the first nan starts in, a red marker on its series).
Matplotlib, the optional ``plot`` extra. The log is read a second time, streaming: only the
numbers to draw are kept, thinned to at most :data:`MAX_POINTS` per series."""

from __future__ import annotations

import math
from typing import Any

from prototxt_lint.extras import install_hint
from prototxt_lint.log.diagnose import Diagnosis
from prototxt_lint.log.reader import LogReader, LogSource
from prototxt_lint.log.records import Iteration, TestResult

#: A series longer than this keeps every other point (then every fourth ...): a log of any
#: length draws in bounded memory.
MAX_POINTS = 4000
#: Diagnoses marked on a layer's series.
MARKED = ("exploding-gradients", "first-nonfinite", "first-nonfinite-layer")


class PlotError(Exception):
    """The plot cannot be drawn or written (exit code 2)."""


def _finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else math.nan


class Series:
    """(iteration, value) points, thinned by half whenever there are MAX_POINTS."""

    def __init__(self) -> None:
        self.points: list[tuple[int, float]] = []
        self.stride = 1
        self._seen = 0

    def add(self, iteration: int, value: float) -> None:
        if self._seen % self.stride == 0:
            self.points.append((iteration, value))
            if len(self.points) >= MAX_POINTS:
                self.points = self.points[::2]
                self.stride *= 2
        self._seen += 1

    def gap(self) -> None:
        """Break the line here (a new run in the log starts again from its own iteration)."""
        if self.points and not math.isnan(self.points[-1][1]):
            self.points.append((self.points[-1][0], math.nan))


class Collected:
    """What the plot draws, read from the log."""

    def __init__(self) -> None:
        self.train = Series()
        self.test = Series()
        self.lr = Series()
        self.norm = Series()
        self.data: dict[str, Series] = {}  # "conv1" or "relu1: conv1" -> mean |top data|
        self.diff: dict[str, Series] = {}  # "conv1 param 0" -> mean |param diff|
        self.run = 0

    def _all(self) -> list[Series]:
        return [self.train, self.test, self.lr, self.norm, *self.data.values(),
                *self.diff.values()]

    def iteration(self, it: Iteration) -> None:
        if it.run != self.run:
            self.run = it.run
            for drawn in self._all():
                drawn.gap()
        if it.loss is not None:
            self.train.add(it.number, _finite(it.loss))
        if it.lr is not None:
            self.lr.add(it.number, _finite(it.lr))
        if it.norms is not None:
            self.norm.add(it.number, _finite(it.norms.l2_diff))
        for b in it.blobs:
            if b.direction == "forward" and b.role == "top" and b.kind == "data":
                label, table = (b.layer if b.blob == b.layer else f"{b.layer}: {b.blob}"), self.data
            elif b.direction == "backward" and b.role == "param" and b.kind == "diff":
                label, table = f"{b.layer} param {b.blob}", self.diff
            else:
                continue
            series = table.get(label)
            if series is None:
                series = table[label] = Series()
            series.add(it.number, _finite(b.value))

    def test_result(self, test: TestResult) -> None:
        loss = next((o for o in test.outputs if "loss" in o.name.lower()), None)
        if loss is not None:
            self.test.add(test.iteration, _finite(loss.value))


def collect(log: str) -> Collected:
    collected = Collected()
    for event in LogReader(LogSource.open(log)).events():
        if isinstance(event, Iteration):
            collected.iteration(event)
        elif isinstance(event, TestResult):
            collected.test_result(event)
    return collected


def _label(d: Diagnosis) -> str:
    """The series a diagnosis is about: a layer's top blob, or one of its param blobs."""
    if d.blob.startswith("param blob "):
        return f"{d.layer} param {d.blob.rpartition(' ')[2]}"
    return d.layer if d.blob == d.layer else f"{d.layer}: {d.blob}"


def _draw_layers(ax: Any, table: dict[str, Series], diagnoses: list[Diagnosis],
                 ylabel: str) -> None:
    for label, series in table.items():
        ax.plot(*zip(*series.points, strict=True), label=label, linewidth=1)
    if any(v > 0 for s in table.values() for _, v in s.points):
        ax.set_yscale("log")
    ax.set_ylabel(ylabel, fontsize=8)
    for d in diagnoses:
        marked = table.get(_label(d)) if d.kind in MARKED else None
        if marked is None or d.iteration is None:
            continue
        before = [v for n, v in marked.points if n <= d.iteration and math.isfinite(v)]
        if before:  # at the value then, or at the last finite value before a nan
            ax.plot([d.iteration], [before[-1]], marker="o", markersize=9, color="tab:red",
                    fillstyle="none", linestyle="none", label=f"{d.kind}: {_label(d)}")
    if table:
        ax.legend(loc="best", fontsize=6, ncol=2 if len(table) > 8 else 1)


def figure(log: str, diagnoses: list[Diagnosis]) -> Any:
    """The matplotlib figure of ``log`` (closed by the caller)."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError(f"--plot needs matplotlib: {install_hint('plot')}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    collected = collect(log)
    layers = bool(collected.data or collected.diff)
    rows = 5 if layers else 3
    fig, axes = plt.subplots(rows, 1, figsize=(8, 2.7 * rows), dpi=100, sharex=True)
    for series, label in ((collected.train, "train loss"), (collected.test, "test loss")):
        if series.points:
            axes[0].plot(*zip(*series.points, strict=True), label=label, marker=".")
    axes[0].set_ylabel("loss")
    axes[0].legend(loc="best", fontsize=8)
    if collected.lr.points:
        axes[1].plot(*zip(*collected.lr.points, strict=True), color="tab:green")
    axes[1].set_ylabel("learning rate")
    norms = collected.norm.points
    if norms:
        axes[2].plot(*zip(*norms, strict=True), color="tab:purple")
        if any(v > 0 for _, v in norms):
            axes[2].set_yscale("log")
    axes[2].set_ylabel("L2 norm of param diffs")
    if layers:
        _draw_layers(axes[3], collected.data, diagnoses,
                     "mean |data| of each\nlayer's tops (forward)")
        _draw_layers(axes[4], collected.diff, diagnoses,
                     "mean |diff| of each\nlayer's params (backward)")
    axes[-1].set_xlabel("iteration")
    for d in diagnoses:
        if d.iteration is not None and d.severity == "error":
            for ax in axes:
                ax.axvline(d.iteration, color="tab:red", linestyle="--", alpha=0.5)
    axes[0].set_title(f"{log}: red lines mark the iterations of errors", fontsize=9)
    fig.tight_layout()
    return fig


def plot(log: str, out: str, diagnoses: list[Diagnosis]) -> None:
    fig = figure(log, diagnoses)
    import matplotlib.pyplot as plt

    try:
        fig.savefig(out)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlotError(f"cannot write the plot to {out}: {reason}") from None
    finally:
        plt.close(fig)
