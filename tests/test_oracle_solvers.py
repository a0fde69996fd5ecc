"""Real ``caffe train`` as the oracle for the solver rules' NaN and trains-nothing claims.

Each solver in ``tests/fixtures/solver_oracle/`` trains the same small net (which a sane
solver fits in a few hundred iterations) with one setting changed. Caffe's run is classed by
the losses it prints: ``nan`` (a loss is NaN or inf), ``trains`` (the last loss is below
half the first) or ``nothing`` (finite, but not learning). The linter must agree: an error
whose documented consequence is NaN ⇔ Caffe gives ``nan``; an error whose consequence is
"Trains nothing" ⇒ ``nothing`` or ``nan``; a solver with no error ⇒ ``trains``.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES
from test_oracle import CONSTRUCT
from test_rule_consequence import LABELS, SECTION, sections

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.plugin import Rule

HERE = FIXTURES / "solver_oracle"
SOLVERS = sorted(p for p in HERE.glob("*.prototxt") if p.name != "net.prototxt")
_LOSS = re.compile(r"Iteration (\d+).*?, loss = (\S+)")


def _consequence(rule: Rule) -> str:
    body = dict(sections(rule.docs))[SECTION]
    return next(label for label in LABELS if body.startswith(label + "."))


def _caffe(solver: Path, tmp: Path) -> tuple[str, list[float]]:
    shutil.copy(HERE / "net.prototxt", tmp / "net.prototxt")
    shutil.copy(solver, tmp / solver.name)
    caffe = CONSTRUCT.with_name("caffe")  # type: ignore[union-attr]
    proc = subprocess.run([str(caffe), "train", "--solver", solver.name], cwd=tmp,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-800:]
    losses = [float(m.group(2)) for m in _LOSS.finditer(proc.stderr)]
    assert len(losses) >= 3, proc.stderr[-800:]
    if any(not math.isfinite(x) for x in losses):
        return "nan", losses
    return ("trains" if losses[-1] < 0.5 * losses[0] else "nothing"), losses


@pytest.mark.parametrize("solver", SOLVERS, ids=lambda p: p.stem)
def test_caffe_trains_as_the_solver_rules_say(solver: Path, tmp_path: Path) -> None:
    rules = {rule.code: rule for rule in load_rules()}
    report = Linter(list(rules.values()), Options(dialect="bvlc")).lint([Input(str(solver))])[0]
    claims = {_consequence(rules[f.code]) for f in report.findings
              if f.severity.label == "error"}
    outcome, losses = _caffe(solver, tmp_path)
    said = f"{[(f.code, f.severity.label) for f in report.findings]}; losses {losses}"
    assert claims <= {"NaN", "Trains nothing"}, said
    if "NaN" in claims:
        assert outcome == "nan", said
    elif claims:
        assert outcome in ("nothing", "nan"), said
    else:
        assert outcome == "trains", said


def test_every_solver_fixture_is_linted_as_a_solver() -> None:
    assert len(SOLVERS) >= 15
    report = Linter(load_rules(), Options(dialect="bvlc")).lint([Input(str(SOLVERS[0]))])[0]
    assert report.document.kind == "solver"
