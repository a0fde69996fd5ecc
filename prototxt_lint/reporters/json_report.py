"""``json``: one object with every finding, what each file is, and a summary."""

from __future__ import annotations

from collections.abc import Sequence

from prototxt_lint.output import Reported, render_json
from prototxt_lint.reporters import Context


def render(reports: Sequence[Reported], context: Context) -> str:
    return render_json(reports) + "\n"
