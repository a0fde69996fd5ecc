"""Text and JSON output of the log doctor."""

from __future__ import annotations

import json
from dataclasses import asdict

from prototxt_lint.log.diagnose import Diagnosis, Doctor


def text(log: str, diagnoses: list[Diagnosis], doctor: Doctor) -> str:
    if not diagnoses:
        return f"{log}: {doctor.healthy()}"
    out = []
    for d in diagnoses:
        where = f" [{d.where}]" if d.where else ""
        lines = ", ".join(str(n) for n in d.lines)
        head = f"{log}:{d.lines[0]}: " if d.lines else f"{log}: "
        out.append(f"{head}{d.severity} {d.kind}: {d.message}{where}")
        if len(d.lines) > 1:
            out.append(f"    evidence: lines {lines}")
        for rule in d.rules:
            out.append(f"    flagged by {rule}")
    counts = {s: sum(1 for d in diagnoses if d.severity == s) for s in ("error", "warning",
                                                                         "info")}
    out.append(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n))
    return "\n".join(out)


def as_json(log: str, diagnoses: list[Diagnosis], doctor: Doctor) -> str:
    s = doctor.summary
    data = {
        "log": log,
        "healthy": not diagnoses,
        "summary": {
            "runs": s.runs, "iterations": s.iterations, "lines": s.lines,
            "solver_threads": s.solver_threads,
            "first_loss": _num(s.first_loss), "last_loss": _num(s.last_loss),
            "last_iteration": s.last_iteration, "last_lr": _num(s.last_lr),
            "last_test": {n: _num(v) for n, v in s.last_test},
        },
        "diagnoses": [asdict(d) for d in diagnoses],
    }
    return json.dumps(data, indent=2)


def _num(value: float | None) -> float | str | None:
    if value is None or (value == value and abs(value) != float("inf")):
        return value
    return str(value)
