"""Findings as LSP diagnostics.

The rule code goes in ``code``, with ``codeDescription`` linking to the rule's page where its
address is known (``prototxt_lint.engine.rule_pages``); the rule's name travels in ``data`` and its
full documentation is shown by hover on the diagnostic's span.
"""

from __future__ import annotations

from lsprotocol import types

from prototxt_lint.engine.rule_pages import page_uri
from prototxt_lint.findings import Finding, Severity
from prototxt_lint.lsp.analysis import Analysis

SOURCE = "prototxt-lint"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

#: the code of an unused suppression comment: the editor greys it out
UNUSED_SUPPRESSION = "X001"


def lsp_range(analysis: Analysis, start: int, end: int) -> types.Range:
    (sl, sc), (el, ec) = analysis.range_of(start, end)
    return types.Range(types.Position(sl, sc), types.Position(el, ec))


def message_of(finding: Finding) -> str:
    """The message as the CLI prints it (with the phases), then the hint on its own line."""
    text = finding.message
    if finding.phases:
        text += f" ({', '.join(finding.phases)})"
    if finding.hint:
        text += f"\nhint: {finding.hint}"
    return text


def to_diagnostic(analysis: Analysis, finding: Finding) -> types.Diagnostic:
    page = page_uri(finding.code)
    return types.Diagnostic(
        range=lsp_range(analysis, finding.start, finding.end),
        message=message_of(finding),
        severity=SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=page) if page is not None else None,
        source=SOURCE,
        tags=[types.DiagnosticTag.Unnecessary] if finding.code == UNUSED_SUPPRESSION else None,
        related_information=[
            types.DiagnosticRelatedInformation(
                types.Location(analysis.uri, lsp_range(analysis, r.start, r.end)), r.message
            )
            for r in finding.related
        ] or None,
        data={
            "name": finding.name,
            "fix": finding.fix.title if finding.fix is not None else None,
            "fix_safe": finding.fix.safe if finding.fix is not None else None,
        },
    )


def diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    return [to_diagnostic(analysis, f) for f in analysis.findings]
