"""``json``: one object with every finding, what each file is, and a summary."""

from __future__ import annotations

from collections.abc import Sequence

from prototxt_lint.findings import Severity
from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported, counts


def render_json(reports: Sequence[Reported]) -> str:
    import json  # only for --format json
    c = counts(reports)
    payload = {
        "findings": [f.to_dict() for r in reports for f in r.findings],
        "files": [
            {"file": r.path, "dialect": getattr(r, "dialect", None),
             "nets": getattr(r, "roles", [])} for r in reports
        ],
        "summary": {
            "files": len(reports),
            "error": c[Severity.ERROR],
            "warning": c[Severity.WARNING],
            "info": c[Severity.INFO],
        },
    }
    return json.dumps(payload, indent=2)


def render(reports: Sequence[Reported], context: Context) -> str:
    return render_json(reports) + "\n"
