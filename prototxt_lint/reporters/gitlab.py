"""``gitlab``: a GitLab Code Quality report (a JSON array of issues), shown in merge
requests when a job publishes it as ``artifacts:reports:codequality``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from prototxt_lint.findings import Severity
from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(reports: Sequence[Reported], context: Context) -> str:
    issues = []
    seen: dict[str, int] = {}
    for report in reports:
        for f in report.findings:
            # stable while lines move: code, file and message, numbered among equal ones
            key = f"{f.code}\0{f.file}\0{f.message}"
            seen[key] = seen.get(key, 0) + 1
            digest = hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()
            issues.append({
                "description": f"{f.code} {f.message}",
                "check_name": f.code,
                "fingerprint": digest,
                "severity": SEVERITIES[f.severity],
                "location": {"path": f.file, "lines": {"begin": f.line, "end": f.end_line}},
            })
    return json.dumps(issues, indent=2) + "\n"
