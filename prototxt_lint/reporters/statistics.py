"""``--statistics``: how many findings of each code, instead of the findings (as ruff does),
to see at a glance what a codebase's problems are and what ``--fix`` would fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prototxt_lint.reporters.shared import Reported


def rows(reports: Sequence[Reported]) -> list[dict[str, Any]]:
    """Per code: name, count and whether any of them has a fix; the most frequent first."""
    table: dict[str, dict[str, Any]] = {}
    for report in reports:
        for f in report.findings:
            row = table.setdefault(f.code, {"code": f.code, "name": f.name, "count": 0,
                                            "fixable": False})
            row["count"] += 1
            row["fixable"] = row["fixable"] or f.fix is not None
    return sorted(table.values(), key=lambda r: (-r["count"], r["code"]))


def render_statistics(reports: Sequence[Reported], as_json: bool) -> str:
    """``  3  S101  [*] poly-without-max-iter`` lines (``[*]``: fixable), or a JSON list."""
    found = rows(reports)
    if as_json:
        import json

        return json.dumps(found, indent=2) + "\n"
    if not found:
        return ""
    count_width = max(len(str(r["count"])) for r in found)
    code_width = max(len(r["code"]) for r in found)
    return "".join(
        f"{r['count']:>{count_width}}  {r['code']:<{code_width}}  "
        f"{'[*]' if r['fixable'] else '[ ]'} {r['name']}\n"
        for r in found
    )
