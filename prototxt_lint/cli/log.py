"""``prototxt-lint log LOG``: the training-log doctor (see :mod:`prototxt_lint.log`).

Kept out of :mod:`prototxt_lint.cli.command` so that the linter never imports it unless this
command runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import click

from prototxt_lint.log.examine import examine
from prototxt_lint.log.reader import LogError
from prototxt_lint.log.report import as_json, text

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _progress_bar(log: str) -> Callable[[int], None] | None:
    """A percentage on stderr for a log of 16 MB or more read on a terminal."""
    if log == "-" or not sys.stderr.isatty():
        return None
    try:
        size = os.path.getsize(log)
    except OSError:
        return None
    if size < 16 * 1024 * 1024:
        return None

    def show(done: int) -> None:  # a gzip'd log reads more bytes than its size: capped
        click.echo(f"\rreading {log}: {min(done / size, 1.0):4.0%}", err=True, nl=False)

    return show


@click.command(name="log", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("log", type=click.Path(allow_dash=True))
@click.option("--net", "net", default=None, metavar="NET",
              help="The net the run trained (default: the net printed in the log).")
@click.option("--solver", "solver", default=None, metavar="SOLVER",
              help="The solver of the run: it is linted and joined too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--plot", "plot_path", default=None, metavar="OUT.png",
              help="Also draw loss, lr, gradient norms and (debug_info) per-layer data/diff"
              " norms (needs matplotlib: the 'plot' extra).")
def log_command(log: str, net: str | None, solver: str | None, fmt: str,
                plot_path: str | None) -> None:
    """Say what went wrong in a Caffe training run, from its log (`caffe train` stderr;
    '-' reads stdin; gzip'd logs are read as they are).

    Exit codes: 0 a healthy run, 1 diagnoses, 2 the log (or NET/SOLVER) cannot be read.
    """
    for path in (net, solver):
        if path and not os.path.isfile(path):
            click.echo(f"prototxt-lint log: {path}: no such file", err=True)
            sys.exit(EXIT_ERROR)
    progress = _progress_bar(log)
    try:
        result = examine(log, net=net, solver=solver, progress=progress)
    except LogError as exc:
        click.echo(f"prototxt-lint log: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    finally:
        if progress is not None:
            click.echo("\r" + " " * 40 + "\r", err=True, nl=False)
    diagnoses = result.diagnoses
    render = as_json if fmt == "json" else text
    click.echo(render(result.name, diagnoses, result.doctor))
    if plot_path:
        from prototxt_lint.log.plot import PlotError, plot

        try:
            plot(log, plot_path, diagnoses)
        except PlotError as exc:
            click.echo(f"prototxt-lint log: {exc}", err=True)
            sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if diagnoses else EXIT_OK)
