"""Join diagnoses to the prototxt: each layer's line, and the static findings on that net.

The net is the ``--net`` file, else the ``--solver``'s net, else the net Caffe printed at
the start of the run (``Initializing net from parameters``), linted as text with line
numbers of the log.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Finding
from prototxt_lint.log.diagnose import Diagnosis
from prototxt_lint.log.records import Run

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


@dataclass
class Flag:
    """A static finding, placed where the user sees it (the file, or the log line)."""

    code: str
    file: str
    line: int
    message: str


def _flags(findings: list[Finding]) -> list[Flag]:
    return [Flag(f.code, os.path.normpath(f.file), f.line, f.message) for f in findings]


def lint_file(path: str) -> list[Flag]:
    linter = Linter(load_rules(), Options())
    return _flags([f for r in linter.lint([Input(path)]) for f in r.findings])


SOLVER_NET = re.compile(r'^(train_net|net)\s*:\s*".*"\s*$', re.M)


def lint_printed(run: Run, log_name: str, net: NetText) -> list[Flag]:
    """Lint the net and solver Caffe printed, as the solver trains the net (so a TRAIN net
    without phase rules is judged as trained), with the log's line numbers."""
    with tempfile.TemporaryDirectory(prefix="prototxt-lint-log-") as folder:
        net_path = os.path.join(folder, "net.prototxt")
        with open(net_path, "w", encoding="utf-8") as out:
            out.write(net.text)
        target = net_path
        if run.solver_text and "net_param" not in run.solver_text:
            solver = SOLVER_NET.sub("", run.solver_text)
            solver_path = os.path.join(folder, "solver.prototxt")
            with open(solver_path, "w", encoding="utf-8") as out:
                out.write(solver + '\nnet: "net.prototxt"\n')
            target = solver_path
        linter = Linter(load_rules(), Options())
        flags = []
        for report in linter.lint([Input(target)]):
            for f in report.findings:
                if os.path.basename(f.file) == "net.prototxt":
                    flags.append(Flag(f.code, log_name, f.line + net.offset, f.message))
                elif f.line <= run.solver_text.count("\n") + 1:
                    flags.append(Flag(f.code, log_name, f.line + run.solver_line - 1,
                                      f.message))
        return flags


#: Layers whose parameter blobs are never learned by gradient (their diffs are 0 by design).
NO_GRADIENT_TYPES = {"BatchNorm", "BATCHNORM"}


def drop_expected(diagnoses: list[Diagnosis], net: NetText | None) -> list[Diagnosis]:
    """Zero diffs in a BatchNorm's statistics are how BatchNorm works, not a problem."""
    if net is None:
        return diagnoses
    return [d for d in diagnoses
            if not (d.kind == "zero-gradients" and net.types.get(d.layer) in NO_GRADIENT_TYPES)]


def join(diagnoses: list[Diagnosis], net: NetText | None, findings: list[Flag]) -> None:
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
            in_net = net is not None and f.file == os.path.normpath(net.name)
            inside = in_net and span is not None and (
                span[0] + offset <= f.line <= span[1] + offset)
            wanted = f.code in RULES_FOR_KIND.get(d.kind, ()) or f.code in d.rules
            note = f"{f.code} ({f.file}:{f.line}: {f.message})"
            if inside or (wanted and (span is None or not in_net)):
                seen.add((f.code, f.line, f.message))
                codes.append(note)
        d.rules = codes or [f"{c} (the rule that predicts it; it has no finding here)"
                            for c in d.rules]
