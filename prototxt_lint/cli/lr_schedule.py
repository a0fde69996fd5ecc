"""``prototxt-lint lr-schedule SOLVER``: print (and optionally plot) the learning rate Caffe
will use, computed as :mod:`prototxt_lint.caffe.lr_schedule` does (``GetLearningRate`` in float).

Kept out of :mod:`prototxt_lint.cli.command` so that the linter never imports it (nor matplotlib)
unless this command runs.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import Any

import click

from prototxt_lint.caffe.lr_schedule import (
    FORMULAS,
    Point,
    Schedule,
    analyse,
    curve,
    fmt,
    key_points,
)
from prototxt_lint.engine.loading import load_path
from prototxt_lint.extras import install_hint
from prototxt_lint.schema import bvlc_schema
from prototxt_lint.syntax.source import DEFAULT_MAX_BYTES

EXIT_OK, EXIT_NO_SCHEDULE, EXIT_ERROR = 0, 1, 2
PLOT_EXTRA = install_hint("plot")
#: Rows for the changes of a step or multistep schedule before they are thinned out.
MAX_STEPS = 24

#: The parameters each policy reads, in the order they are shown.
PARAMETERS = {
    "fixed": ("base_lr",),
    "step": ("base_lr", "gamma", "stepsize"),
    "exp": ("base_lr", "gamma"),
    "inv": ("base_lr", "gamma", "power"),
    "multistep": ("base_lr", "gamma", "stepvalue"),
    "poly": ("base_lr", "power", "max_iter"),
    "sigmoid": ("base_lr", "gamma", "stepsize"),
}


def describe(schedule: Schedule, horizon: int) -> str:
    """One line naming the policy, its formula and the values it uses."""
    values: list[str] = []
    for name in PARAMETERS[schedule.policy]:
        if name == "stepvalue":
            values.append("stepvalue " + ", ".join(str(v) for v in schedule.stepvalues))
        elif name in ("stepsize", "max_iter"):
            values.append(f"{name} {getattr(schedule, name)}")
        else:
            values.append(f"{name} {fmt(getattr(schedule, name))}")
    return (
        f'lr_policy "{schedule.policy}": lr = {FORMULAS[schedule.policy]}; '
        + ", ".join(values)
        + f"; iterations 0 to {horizon - 1}"
    )


def table(points: list[Point]) -> str:
    """The key points as aligned columns: iteration, rate (as Caffe logs it), notes."""
    width = max(len("iteration"), *(len(str(p.iteration)) for p in points))
    rate_width = max(len("lr"), *(len(fmt(p.rate)) for p in points))
    lines = [f"{'iteration':>{width}}  lr"]
    for p in points:
        note = f"  ({'; '.join(p.notes)})" if p.notes else ""
        lines.append(f"{p.iteration:>{width}}  {fmt(p.rate):<{rate_width}}{note}".rstrip())
    return "\n".join(lines)


def plot(schedule: Schedule, horizon: int, out: str, title: str) -> None:
    """Draw the schedule to ``out`` with matplotlib (the optional ``plot`` extra), without a
    display: the Agg backend is selected before pyplot is imported."""
    try:
        import matplotlib
    except ImportError:
        raise click.ClickException(f"--plot needs matplotlib: {PLOT_EXTRA}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs, ys = curve(schedule, horizon)
    finite = [y for y in ys if y == y and abs(y) != float("inf")]
    fig: Any
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    stepwise = schedule.policy in ("fixed", "step", "multistep")
    ax.plot(xs, ys, drawstyle="steps-post" if stepwise else "default", color="tab:blue",
            linewidth=1.6)
    result = analyse(schedule, horizon)
    if result.zero:
        first, last = result.zero
        ax.axvspan(first, last, color="tab:red", alpha=0.12, label="lr = 0 (float underflow)")
    if result.first_invalid:
        at, value = result.first_invalid
        ax.axvline(at, color="tab:red", linestyle="--", label=f"lr = {fmt(value)} from here")
    positive = [y for y in finite if y > 0]
    multiplicative = schedule.policy in ("step", "multistep", "exp")
    if multiplicative and positive and len(positive) == len(finite) and (
        max(positive) / min(positive) >= 100
    ):
        ax.set_yscale("log")
    ax.set_xlim(0, max(horizon - 1, 1))
    ax.set_xlabel("iteration")
    ax.set_ylabel("learning rate")
    ax.set_title(textwrap.fill(title, 90), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    if result.zero or result.first_invalid:
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(out)
    except (OSError, ValueError) as exc:  # a missing folder, no permission, unknown suffix
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlotError(f"cannot write the plot to {out}: {reason}") from None
    finally:
        plt.close(fig)


class PlotError(Exception):
    """The plot cannot be written; the message says why (one line, exit 2)."""


def _plot_folder_problem(out: str) -> str | None:
    """Why ``out`` cannot be written, found before any work (so nothing is printed first)."""
    folder = os.path.dirname(out) or "."
    if not os.path.isdir(folder):
        return f"cannot write the plot to {out}: the folder {folder} does not exist"
    return None


@click.command(
    name="lr-schedule", context_settings={"help_option_names": ["-h", "--help"]}
)
@click.argument("solver", type=click.Path(dir_okay=False))
@click.option(
    "--plot",
    "plot_path",
    metavar="OUT.png",
    default=None,
    help=f"Also draw the schedule to this image (needs matplotlib: {PLOT_EXTRA}).",
)
@click.option(
    "--max-iter",
    "max_iter",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Show N iterations instead of the solver's max_iter (for a solver driven by"
    " solver.step(N), or to look past max_iter).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=2, max=1000),
    default=10,
    show_default=True,
    help="Rows for a continuous policy (exp, inv, poly, sigmoid).",
)
def lr_schedule_command(
    solver: str, plot_path: str | None, max_iter: int | None, samples: int
) -> None:
    """Print the learning rate Caffe uses at the key iterations of SOLVER's schedule.

    The rates are computed as SGDSolver::GetLearningRate does, in 32-bit float, so they are
    the values Caffe logs ("Iteration N, lr = ..."): the start, every change of a step or
    multistep schedule, evenly spaced samples of a continuous one, where the rate underflows
    to 0 or overflows, and the last update (max_iter - 1).

    Exit codes: 0 printed, 1 the solver has no schedule Caffe can run (the reason is
    printed), 2 the file cannot be read or is not a solver, or the plot cannot be written.
    """
    problem = _plot_folder_problem(plot_path) if plot_path else None
    if problem:
        click.echo(f"prototxt-lint lr-schedule: {problem}", err=True)
        sys.exit(EXIT_ERROR)
    doc = load_path(solver, bvlc_schema(), DEFAULT_MAX_BYTES)
    if doc.kind != "solver":
        problem = doc.problems[0].message if doc.problems else f"not a solver ({doc.kind})"
        click.echo(f"prototxt-lint lr-schedule: {solver}: {problem}", err=True)
        sys.exit(EXIT_ERROR)
    if doc.parsed and doc.parsed.errors:
        click.echo(
            f"prototxt-lint lr-schedule: {solver}: the file has parse errors; the schedule uses"
            f" what could be read (run `prototxt-lint {solver}` for details)",
            err=True,
        )
    message = doc.message
    if not message.HasField("lr_policy"):
        click.echo(f"{solver}: no lr_policy: Caffe aborts at the first update with"
                   ' "Unknown learning rate policy: "')
        sys.exit(EXIT_NO_SCHEDULE)
    schedule = Schedule.from_solver(message)
    if max_iter is not None and schedule.policy != "poly":
        horizon = max_iter
    else:
        horizon = schedule.max_iter
    refusal = schedule.refusal()
    if refusal is not None:
        click.echo(f"{solver}: no schedule: {refusal}")
        sys.exit(EXIT_NO_SCHEDULE)
    if horizon <= 0:
        click.echo(
            f"{solver}: max_iter is {schedule.max_iter}: Caffe runs no training iteration"
            " (use --max-iter N to see the schedule over N iterations, e.g. for a solver"
            " driven by solver.step(N))"
        )
        sys.exit(EXIT_NO_SCHEDULE)
    if max_iter is not None and schedule.policy == "poly" and max_iter != schedule.max_iter:
        click.echo("note: poly is defined by the solver's max_iter; --max-iter is ignored",
                   err=True)
    heading = describe(schedule, horizon)
    click.echo(f"{solver}: {heading}")
    changes = sum(1 for _ in schedule.change_points(horizon))
    if changes > MAX_STEPS:
        click.echo(f"{changes} rate changes; {MAX_STEPS} of them, evenly spread, are shown")
    click.echo(table(key_points(schedule, horizon, samples=samples, max_steps=MAX_STEPS)))
    if plot_path:
        try:
            plot(schedule, horizon, plot_path, f"{os.path.basename(solver)}: {heading}")
        except PlotError as exc:
            click.echo(f"prototxt-lint lr-schedule: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        click.echo(f"plot written to {plot_path}")
    sys.exit(EXIT_OK)


def main(argv: list[str] | None = None) -> None:
    """``python -m prototxt_lint.cli.lr_schedule SOLVER`` (the same as the subcommand)."""
    lr_schedule_command.main(args=argv, prog_name="prototxt-lint lr-schedule")


if __name__ == "__main__":
    main()
