"""``concise``: one line per finding, ``path:line:col: CODE message``, for grep and editors'
error-format parsers; then the summary."""

from __future__ import annotations

from collections.abc import Sequence

from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported, summary_line


def render(reports: Sequence[Reported], context: Context) -> str:
    lines = [f"{f.file}:{f.line}:{f.column}: {f.code} {f.message}"
             for r in reports for f in r.findings]
    if not context.quiet:
        lines.append(summary_line(reports))
    return "".join(line + "\n" for line in lines)
