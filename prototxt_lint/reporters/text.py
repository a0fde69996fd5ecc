"""``text``: each finding with its source line, a caret under the span and the hint, then
a summary (the default)."""

from __future__ import annotations

from collections.abc import Sequence

from prototxt_lint.output import Reported, render_finding, summary_line
from prototxt_lint.reporters import Context


def render(reports: Sequence[Reported], context: Context) -> str:
    blocks = [render_finding(f, r, context.colour) for r in reports for f in r.findings]
    if not context.quiet:
        blocks.append(summary_line(reports))
    return "\n\n".join(blocks) + "\n" if blocks else ""
