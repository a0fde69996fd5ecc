"""What every output format shares: the report a reporter reads, and the counts and summary line
of a run. Each format is one module in ``prototxt_lint/reporters/``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from prototxt_lint.findings import Finding, Severity


class Reported(Protocol):
    """A linted file as the renderers see it (FileReport or batch.SlimReport)."""

    path: str
    findings: list[Finding]

    def line_text(self, line: int) -> str: ...


def counts(reports: Sequence[Reported]) -> dict[Severity, int]:
    result = {sev: 0 for sev in Severity}
    for report in reports:
        for finding in report.findings:
            result[finding.severity] += 1
    return result


def summary_line(reports: Sequence[Reported]) -> str:
    c = counts(reports)
    total = sum(c.values())
    files = len(reports)
    noun = "file" if files == 1 else "files"
    if not total:
        return f"No problems found in {files} {noun}."
    parts = [
        f"{c[Severity.ERROR]} error{'s' if c[Severity.ERROR] != 1 else ''}",
        f"{c[Severity.WARNING]} warning{'s' if c[Severity.WARNING] != 1 else ''}",
        f"{c[Severity.INFO]} info",
    ]
    plural = "s" if total != 1 else ""
    return f"Found {total} problem{plural} ({', '.join(parts)}) in {files} {noun}."
