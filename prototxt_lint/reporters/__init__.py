"""Output formats (``--output-format``): one module per format, each with one function
``render(reports, context) -> str`` (the whole output, ending in a newline, or empty).

Only the module of the format in use is imported, so a plain run never loads json, xml or
hashlib for a format it does not print.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol

from prototxt_lint.plugin import Rule
from prototxt_lint.records import Record
from prototxt_lint.reporters.shared import Reported

#: format name -> module under prototxt_lint.reporters
REPORTERS = {
    "text": "text",
    "concise": "concise",
    "json": "json_report",
    "json-lines": "json_lines",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
    "junit": "junit",
}


class Context(Record):
    """What a reporter may need besides the reports."""

    __slots__ = ("colour", "quiet", "rules")

    def __init__(self, rules: Sequence[Rule] = (), colour: bool = False,
                 quiet: bool = False) -> None:
        self.rules = rules  # every loaded rule (SARIF lists their metadata)
        self.colour = colour
        self.quiet = quiet  # no summary line ("No problems found", "Found 3 problems")


class Reporter(Protocol):
    def render(self, reports: Sequence[Reported], context: Context) -> str: ...


def reporter(name: str) -> Reporter:
    """The module that renders format ``name`` (a key of :data:`REPORTERS`)."""
    module: Reporter = importlib.import_module(f"prototxt_lint.reporters.{REPORTERS[name]}")
    return module
