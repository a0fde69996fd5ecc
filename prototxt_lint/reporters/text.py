"""``text``: each finding with its source line, a caret under the span and the hint, then
a summary (the default)."""

from __future__ import annotations

from collections.abc import Sequence

from prototxt_lint.findings import Finding, Severity
from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported, summary_line

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


_ANSI = {"red": "31", "yellow": "33", "cyan": "36"}


def _style(text: str, colour: bool, fg: str | None = None, bold: bool = False) -> str:
    """ANSI colour and bold (the same escapes click.style writes), only when ``colour``."""
    if not colour:
        return text
    codes = (["1"] if bold else []) + ([_ANSI[fg]] if fg else [])
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m" if codes else text


#: the most of a source line shown in a snippet (a generated net can be one 1 MB line)
SNIPPET_WIDTH = 120


def snippet_window(text: str, column: int) -> tuple[str, int]:
    """The part of a long line around ``column`` (1-based), and the column within it."""
    if len(text) <= SNIPPET_WIDTH:
        return text, column
    start = max(0, min(column - 1 - SNIPPET_WIDTH // 3, len(text) - SNIPPET_WIDTH))
    window = text[start : start + SNIPPET_WIDTH]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_WIDTH < len(text) else ""
    return prefix + window + suffix, column - start + len(prefix)


def render_finding(finding: Finding, report: Reported, colour: bool) -> str:
    sev = finding.severity
    phase = f" ({', '.join(finding.phases)})" if finding.phases else ""
    head = (
        _style(f"{finding.file}:{finding.line}:{finding.column}:", colour, bold=True)
        + " "
        + _style(finding.code, colour, fg=_COLOURS[sev], bold=True)
        + f" {finding.message} "
        + _style(f"[{sev.label}]", colour, fg=_COLOURS[sev])
        + phase
    )
    lines = [head]
    text = report.line_text(finding.line)
    if text.strip():
        gutter = str(finding.line)
        pad = " " * len(gutter)
        width = (
            finding.end_column - finding.column
            if finding.end_line == finding.line
            else len(text) - finding.column + 1
        )
        shown, column = snippet_window(text.expandtabs(1), finding.column)
        caret = " " * (column - 1) + "^" * max(1, min(width, SNIPPET_WIDTH))
        lines.append(f" {gutter} | {shown}")
        lines.append(f" {pad} | " + _style(caret, colour, fg=_COLOURS[sev], bold=True))
        if finding.hint:
            lines.append(f" {pad} = " + _style("hint:", colour, bold=True) + f" {finding.hint}")
    elif finding.hint:
        lines.append("   = " + _style("hint:", colour, bold=True) + f" {finding.hint}")
    if finding.related:
        lines.append("   = " + _style("also:", colour, bold=True) + " " + related_lines(finding))
    return "\n".join(lines)


#: how many of a finding's other places the text output names
RELATED_SHOWN = 8


def related_lines(finding: Finding) -> str:
    """``lines 12, 40, 77 (and 9 more)``: where else the same cause is."""
    lines = [str(r.line) for r in finding.related]
    more = len(lines) - RELATED_SHOWN
    shown = ", ".join(lines[:RELATED_SHOWN]) + (f" (and {more} more)" if more > 0 else "")
    return f"line{'s' if len(lines) > 1 else ''} {shown}"


def render(reports: Sequence[Reported], context: Context) -> str:
    blocks = [render_finding(f, r, context.colour) for r in reports for f in r.findings]
    if not context.quiet:
        blocks.append(summary_line(reports))
    return "\n\n".join(blocks) + "\n" if blocks else ""
