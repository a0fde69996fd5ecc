"""``github``: GitHub Actions workflow commands, which the Actions runner shows as
annotations on the pull request's changed lines (chosen by default under GitHub Actions)."""

from __future__ import annotations

from collections.abc import Sequence

from prototxt_lint.findings import Finding, Severity
from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """Escape a command's message (GitHub's toolkit escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a property value (the toolkit's escapeProperty)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    props = (
        f"file={_property(finding.file)},line={finding.line},col={finding.column},"
        f"endLine={finding.end_line},endColumn={finding.end_column},"
        f"title={_property(finding.code)}"
    )
    return f"::{LEVELS[finding.severity]} {props}::{_data(finding.message)}"


def render(reports: Sequence[Reported], context: Context) -> str:
    return "".join(annotation(f) + "\n" for r in reports for f in r.findings)
