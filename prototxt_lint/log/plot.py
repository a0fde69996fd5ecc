"""``prototxt-lint log --plot OUT.png``: train and test loss, learning rate and the L2 norm of
all param diffs over the iterations, with the diagnosed iterations marked (matplotlib, the
optional ``plot`` extra). The log is read a second time, streaming: only the numbers to draw
are kept."""

from __future__ import annotations

import math
from typing import Any

from prototxt_lint.extras import install_hint
from prototxt_lint.log.diagnose import Diagnosis
from prototxt_lint.log.reader import LogReader, LogSource
from prototxt_lint.log.records import Iteration, TestResult


class PlotError(Exception):
    """The plot cannot be drawn or written (exit code 2)."""


def _finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else math.nan


def plot(log: str, out: str, diagnoses: list[Diagnosis]) -> None:
    try:
        import matplotlib
    except ImportError:
        raise PlotError(f"--plot needs matplotlib: {install_hint('plot')}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train: list[tuple[int, float]] = []
    lrs: list[tuple[int, float]] = []
    norms: list[tuple[int, float]] = []
    tests: list[tuple[int, float]] = []
    for event in LogReader(LogSource.open(log)).events():
        if isinstance(event, Iteration):
            if event.loss is not None:
                train.append((event.number, _finite(event.loss)))
            if event.lr is not None:
                lrs.append((event.number, _finite(event.lr)))
            if event.norms is not None:
                norms.append((event.number, _finite(event.norms.l2_diff)))
        elif isinstance(event, TestResult):
            loss = next((o for o in event.outputs if "loss" in o.name.lower()), None)
            if loss is not None:
                tests.append((event.iteration, _finite(loss.value)))
    fig: Any
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), dpi=100, sharex=True)
    for series, label in ((train, "train loss"), (tests, "test loss")):
        if series:
            axes[0].plot(*zip(*series, strict=True), label=label, marker=".")
    axes[0].set_ylabel("loss")
    axes[0].legend(loc="best", fontsize=8)
    if lrs:
        axes[1].plot(*zip(*lrs, strict=True), color="tab:green")
    axes[1].set_ylabel("learning rate")
    if norms:
        axes[2].plot(*zip(*norms, strict=True), color="tab:purple")
        if any(v > 0 for _, v in norms):
            axes[2].set_yscale("log")
    axes[2].set_ylabel("L2 norm of param diffs")
    axes[2].set_xlabel("iteration")
    for d in diagnoses:
        if d.iteration is not None and d.severity == "error":
            for ax in axes:
                ax.axvline(d.iteration, color="tab:red", linestyle="--", alpha=0.5)
    axes[0].set_title(f"{log}: red lines mark the iterations of errors", fontsize=9)
    fig.tight_layout()
    try:
        fig.savefig(out)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlotError(f"cannot write the plot to {out}: {reason}") from None
    finally:
        plt.close(fig)
