"""``prototxt-lint shapes NET``: every layer's output shapes per phase, as Caffe computes them
while it sets the net up (what Netscope shows), from :mod:`prototxt_lint.shapes`.

Kept out of :mod:`prototxt_lint.cli.command` so that linting never imports it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from prototxt_lint.engine.config import ConfigError, find_config
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.model import TEST, TRAIN, NetContext
from prototxt_lint.roles import build_net_context
from prototxt_lint.schema import Schema
from prototxt_lint.schema.fork import SchemaError
from prototxt_lint.shapes import PhaseShapes, format_shape, net_shapes

EXIT_OK, EXIT_ERROR = 0, 2

#: What each failure kind is reported as by the linter (rules/shape_checks.py).
FAILURE_CODES = {
    "conv-output": "N401",
    "pool-output": "N402",
    "concat": "N403",
    "eltwise": "N404",
    "reshape": "N405",
    "label-count": "N406",
    "group": "N407",
    "slice": "N408",
    "crop": "N409",
}


def rows(phase: PhaseShapes) -> list[tuple[str, str, str, str, str]]:
    """(layer, type, top, shape, note) for every top of every layer, in net order."""
    out: list[tuple[str, str, str, str, str]] = []
    for shapes in phase.layers:
        layer = shapes.layer
        notes = [f"Caffe aborts here ({FAILURE_CODES.get(f.kind, f.kind)})"
                 for f in shapes.failures]
        if shapes.note and not shapes.failures:
            notes.append(shapes.note)
        note = "; ".join(dict.fromkeys(notes))
        if not layer.tops:
            out.append((layer.name, layer.type, "-", "", note))
        for top, shape in zip(layer.tops, shapes.tops, strict=True):
            out.append((layer.name, layer.type, top, format_shape(shape), note))
    return out


def table(phase: PhaseShapes) -> str:
    """The phase's rows as aligned columns."""
    header = ("layer", "type", "top", "shape", "")
    body = rows(phase)
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(4)]
    lines = []
    for row in (header, *body):
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        line = "  ".join(cells)
        if row[4]:
            line += f"  ({row[4]})"
        lines.append(line.rstrip())
    return "\n".join(lines)


def as_json(label: str, phases: list[PhaseShapes]) -> dict[str, Any]:
    return {
        "net": label,
        "phases": [
            {
                "phase": phase.phase.name,
                "layers": [
                    {
                        "name": s.layer.name,
                        "type": s.layer.type,
                        "tops": [
                            {"name": top, "shape": None if shape is None else list(shape)}
                            for top, shape in zip(s.layer.tops, s.tops, strict=True)
                        ],
                        "note": s.note,
                        "failures": [
                            {"code": FAILURE_CODES.get(f.kind, f.kind), "message": f.message}
                            for f in s.failures
                        ],
                    }
                    for s in phase.layers
                ],
            }
            for phase in phases
        ],
    }


def contexts(path: str, schema: Schema | None = None
             ) -> tuple[list[tuple[str, NetContext]], str | None]:
    """The nets to show for ``path``: the net itself, or the nets a solver names (linked
    files and embedded nets), each with its phases. The second value explains a failure."""
    linter = Linter([], Options(schema=schema))  # parse and link only: no rules
    reports = linter.lint([Input(path)])
    first = reports[0]
    doc = first.document
    if doc.kind in ("unreadable", "empty", "unrecognised", "labelmap"):
        problem = doc.problems[0].message if doc.problems else f"not a net ({doc.kind})"
        return [], problem
    found: list[tuple[str, NetContext]] = []
    if first.net is not None:
        found.append((first.path, first.net))
    if doc.kind == "solver":
        for report in reports[1:]:
            if report.net is not None:
                found.append((report.path, report.net))
        # the nets the solver embeds, as the engine built them (its phases and states)
        for ctx in first.nets:
            field, *index = ctx.root
            found.append((f"{first.path}: {field}" + "".join(f"[{i}]" for i in index), ctx))
        if not found:
            return [], "a solver whose nets could not be found (lint it to see why)"
    return found, None


def _schema(net: str, proto: str | None) -> Schema | None:
    """The schema to read ``net`` with: ``--proto``, else the configuration's ``proto``."""
    if proto is None:
        proto = find_config(os.path.dirname(os.path.abspath(net))).proto
    if not proto:
        return None
    from prototxt_lint.schema.fork import load_schema

    return load_schema(proto)


@click.command(
    "shapes",
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Print every layer's output shapes per phase, as Caffe computes them (NET may also"
    " be a solver: its nets are shown). '?' is a dimension the file does not fix (database"
    " channels, image sizes) or the output of a layer whose shapes are unknown (Python and"
    " fork layers).",
)
@click.argument("net", type=click.Path(dir_okay=False, allow_dash=False))
@click.option("--phase", "phase_names", multiple=True, metavar="PHASE",
              help="Only this phase (TRAIN, TEST or deploy); repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--proto", default=None, metavar="CAFFE_PROTO",
              type=click.Path(dir_okay=False),
              help="Read the net with this caffe.proto (a fork's schema); default: the"
              " `proto` of the configuration, else BVLC Caffe's.")
def shapes_command(net: str, phase_names: tuple[str, ...], fmt: str, proto: str | None
                   ) -> None:
    try:
        schema = _schema(net, proto)
    except (SchemaError, ConfigError) as exc:
        click.echo(f"prototxt-lint shapes: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    found, problem = contexts(net, schema)
    if problem is not None:
        click.echo(f"prototxt-lint shapes: {net}: {problem}", err=True)
        sys.exit(EXIT_ERROR)
    wanted = {p.lower() for p in phase_names}
    results = []
    for label, ctx in found:
        asked = tuple(p for p in (TRAIN, TEST) if p.lower() in wanted)
        if asked and not ctx.phases_from_solver and any(ctx.phase(p) is None for p in asked):
            # asked for by name: build that phase even if the file's role has no such net
            ctx = build_net_context(ctx.doc, ctx.net, ctx.root, asked)
        phases = [p for p in net_shapes(ctx) if not wanted or p.phase.name.lower() in wanted]
        results.append((label, phases))
    if fmt == "json":
        click.echo(json.dumps([as_json(label, phases) for label, phases in results], indent=2))
        sys.exit(EXIT_OK)
    blocks = []
    for label, phases in results:
        if not phases:
            blocks.append(f"{label}: no such phase (it has "
                          + ", ".join(p.phase.name for p in net_shapes(dict(found)[label]))
                          + ")")
        for phase in phases:
            blocks.append(f"{label} ({phase.phase.name})\n{table(phase)}")
    click.echo("\n\n".join(blocks))
    sys.exit(EXIT_OK)


__all__ = ["as_json", "rows", "shapes_command", "table"]
