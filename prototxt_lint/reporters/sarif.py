"""``sarif``: SARIF 2.1.0, the format of GitHub code scanning (``upload-sarif``) and most
security dashboards: every rule's metadata and documentation, then the results."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from prototxt_lint.engine.rule_pages import page_uri, readme_uri
from prototxt_lint.findings import Finding, Severity
from prototxt_lint.plugin import Rule
from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("prototxt-lint")
    except PackageNotFoundError:
        return "0"


def _uri(path: str) -> str:
    """A relative path as a relative URI reference, an absolute one as a ``file:`` URI."""
    posix = path.replace(os.sep, "/")
    if os.path.isabs(path):
        return "file://" + quote(posix)
    return quote(posix)


def _location(f: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.file)}}
    if f.line >= 1 and f.column >= 1:
        location["region"] = {
            "startLine": f.line,
            "startColumn": f.column,
            "endLine": max(f.end_line, f.line),
            "endColumn": max(f.end_column, 1),
        }
    return location


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A rule's metadata. Its whole text is in the log (``help``, as ``--explain CODE``);
    ``helpUri`` is its page (``docs/rules/CODE.md``) where that page's address is known."""
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.docs or rule.summary},
        "help": {"text": rule.docs or rule.summary, "markdown": rule.docs or rule.summary},
    }
    uri = page_uri(rule.code)
    if uri is not None:
        descriptor["helpUri"] = uri
    descriptor["defaultConfiguration"] = {"level": LEVELS[rule.severity]}
    return descriptor


def render(reports: Sequence[Reported], context: Context) -> str:
    index = {rule.code: n for n, rule in enumerate(context.rules)}
    results = []
    for report in reports:
        for f in report.findings:
            result: dict[str, Any] = {
                "ruleId": f.code,
                "level": LEVELS[f.severity],
                "message": {"text": f.message + (f"\n{f.hint}" if f.hint else "")},
                "locations": [{"physicalLocation": _location(f)}],
            }
            if f.code in index:
                result["ruleIndex"] = index[f.code]
            results.append(result)
    driver: dict[str, Any] = {"name": "prototxt-lint"}
    information = readme_uri()
    if information is not None:
        driver["informationUri"] = information
    driver["version"] = _version()
    driver["rules"] = [rule_descriptor(rule) for rule in context.rules]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"
