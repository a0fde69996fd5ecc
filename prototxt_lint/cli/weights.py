"""``prototxt-lint weights MODEL``: a trained model's layers, types and blob shapes (what users
otherwise need pycaffe for), read by :mod:`prototxt_lint.syntax.caffemodel` without loading the
data.

Kept out of :mod:`prototxt_lint.cli.command` so that linting never imports it.
"""

from __future__ import annotations

import json
import sys

import click

from prototxt_lint.syntax.caffemodel import Weights, WeightsError, read_weights

EXIT_OK, EXIT_ERROR = 0, 2


def table(model: Weights) -> str:
    """One row per layer: name, type, blob shapes (``Blob::shape_string``)."""
    rows = [(w.name, w.type or "?", "  ".join(b.shape_string() for b in w.blobs)
             + ("  [statistics all 0]" if w.stats_zero else ""))
            for w in model.layers]
    widths = [max(len(r[i]) for r in [("layer", "type", ""), *rows]) for i in range(2)]
    head = f"{model.path}: {model.format} model" + (f" '{model.name}'" if model.name else "")
    lines = [head, f"{'layer':<{widths[0]}}  {'type':<{widths[1]}}  blobs"]
    lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows]
    return "\n".join(lines)


@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Print a trained model's layers, types and blob shapes (.caffemodel, V1 or V2;"
    " .caffemodel.h5 with h5py). Blob data is skipped, not loaded.",
)
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="Output format.")
def weights_command(models: tuple[str, ...], fmt: str) -> None:
    read = []
    for path in models:
        try:
            read.append(read_weights(path))
        except WeightsError as exc:
            click.echo(f"prototxt-lint weights: {exc}", err=True)
            sys.exit(EXIT_ERROR)
    if fmt == "json":
        click.echo(json.dumps([m.as_json() for m in read], indent=2))
    else:
        click.echo("\n\n".join(table(m) for m in read))
    sys.exit(EXIT_OK)
