"""Join diagnoses to the prototxt: each layer's line, and the static findings on that net.

The net is the ``--net`` file, else the ``--solver``'s net, else the net Caffe printed at
the start of the run (``Initializing net from parameters``), linted as text with line
numbers of the log.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from prototxt_lint.findings import Finding
from prototxt_lint.linter import Input, Linter, Options
from prototxt_lint.log.diagnose import Diagnosis
from prototxt_lint.registry import load_rules

NAME = re.compile(r"""^\s*name\s*:\s*["']([^"']*)["']""")
TYPE = re.compile(r"""^\s*type\s*:\s*["']?([\w]+)["']?""")
OPEN = re.compile(r"^\s*(layer|layers)\s*\{")

#: Diagnoses without a layer, and the rules whose findings explain them.
RULES_FOR_KIND = {
    "loss-clamp": ("N211", "N231", "N422", "N423", "S201"),
    "loss-nonfinite": ("N201", "N206", "N211", "N322", "S201"),
    "first-nonfinite": ("N201", "N206", "N211", "N322", "S201"),
    "exploding-gradients": ("N422", "N423", "S201"),
    "libc-abort": ("N201", "N206"),
    "zero-iterations": ("S101", "S102"),
    "lr-invalid": ("S106", "S201"),
    "lr-constant": ("S106", "S107", "S108"),
    "loss-at-chance": ("N231", "N421", "N211"),
    "dead-relu": ("N231", "N421", "N422", "N423"),
    "zero-gradients": ("N421",),
    "test-train-gap": ("N211", "N213"),
    "accuracy-with-nan": ("N201", "N211"),
}


@dataclass
class NetText:
    name: str  # file name as reported
    text: str
    offset: int = 0  # added to line numbers (the first line of a net printed in a log - 1)
    layers: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (start, end)
    types: dict[str, str] = field(default_factory=dict)  # name -> layer type

    def __post_init__(self) -> None:
        depth = 0
        current: tuple[int, str] | None = None
        kind = ""
        for number, line in enumerate(self.text.splitlines(), 1):
            if depth == 0 and OPEN.match(line):
                current = (number, "")
            if current is not None and depth == 1:
                found = NAME.match(line)
                if found and not current[1]:
                    current = (current[0], found.group(1))
                typed = TYPE.match(line)
                if typed:
                    kind = typed.group(1)
            depth += line.count("{") - line.count("}")
            if depth <= 0 and current is not None:
                if current[1] and current[1] not in self.layers:
                    self.layers[current[1]] = (current[0], number)
                    self.types[current[1]] = kind
                current = None
                kind = ""
                depth = 0

    def line_of(self, layer: str) -> int | None:
        span = self.layers.get(layer)
        return span[0] + self.offset if span else None


def lint(net: NetText) -> list[Finding]:
    linter = Linter(load_rules(), Options())
    reports = linter.lint([Input(net.name, net.text.encode())])
    return [f for r in reports for f in r.findings]


def lint_file(path: str) -> list[Finding]:
    linter = Linter(load_rules(), Options())
    return [f for r in linter.lint([Input(path)]) for f in r.findings]


#: Layers whose parameter blobs are never learned by gradient (their diffs are 0 by design).
NO_GRADIENT_TYPES = {"BatchNorm", "BATCHNORM"}


def drop_expected(diagnoses: list[Diagnosis], net: NetText | None) -> list[Diagnosis]:
    """Zero diffs in a BatchNorm's statistics are how BatchNorm works, not a problem."""
    if net is None:
        return diagnoses
    return [d for d in diagnoses
            if not (d.kind == "zero-gradients" and net.types.get(d.layer) in NO_GRADIENT_TYPES)]


def join(diagnoses: list[Diagnosis], net: NetText | None, findings: list[Finding]) -> None:
    """Fill in ``where`` (net.prototxt:45) and the codes of the findings that explain each
    diagnosis: those in the diagnosis's layer, or anywhere for the rules of its kind."""
    offset = net.offset if net else 0
    for d in diagnoses:
        span = net.layers.get(d.layer) if net and d.layer else None
        if span and net:
            d.where = f"{net.name}:{span[0] + offset}"
        codes: list[str] = []
        seen: set[tuple[str, int, str]] = set()
        for f in findings:
            if (f.code, f.line, f.message) in seen:
                continue
            in_net = net is not None and os.path.normpath(f.file) == os.path.normpath(net.name)
            inside = in_net and span is not None and span[0] <= f.line <= span[1]
            wanted = f.code in RULES_FOR_KIND.get(d.kind, ()) or f.code in d.rules
            shift = offset if net is not None and f.file == net.name else 0
            note = f"{f.code} ({os.path.normpath(f.file)}:{f.line + shift}: {f.message})"
            if inside or (wanted and span is None):
                seen.add((f.code, f.line, f.message))
                codes.append(note)
        d.rules = codes or [f"{c} (the rule that predicts it; it has no finding here)"
                            for c in d.rules]
