"""What the linter reports: a :class:`Finding` with a stable code, severity, exact span and hint."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from prototxt_lint.records import Record

if TYPE_CHECKING:
    from prototxt_lint.plugin import Fix


class Severity(enum.IntEnum):
    """Ordered so that ``severity >= fail_on`` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None


class Related(Record):
    """Another place of the same cause (1-based line and column, exclusive end column)."""

    __slots__ = ("column", "end", "end_column", "end_line", "line", "message", "start")

    def __init__(self, line: int, column: int, end_line: int, end_column: int,
                 message: str, start: int = 0, end: int = 0) -> None:
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.message = message
        self.start = start  # offsets into the text, for editors
        self.end = end

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column, "message": self.message}


class Finding(Record):
    """One reported problem, where it is, and how to fix it."""

    __slots__ = (
        "code",
        "column",
        "end",
        "end_column",
        "end_line",
        "file",
        "fix",
        "hint",
        "line",
        "message",
        "name",
        "phases",
        "related",
        "severity",
        "start",
    )

    def __init__(
        self,
        file: str,
        line: int,  # 1-based
        column: int,  # 1-based, in characters
        end_line: int,
        end_column: int,  # exclusive
        code: str,
        name: str,
        severity: Severity,
        message: str,
        hint: str = "",
        phases: tuple[str, ...] = (),  # TRAIN / TEST / deploy, where the finding applies
        start: int = 0,  # offsets into the text, for editors and suppressions
        end: int = 0,
        fix: Fix | None = None,  # the rule's own fix, when it has one
        related: tuple[Related, ...] = (),  # the other places of the same cause
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.code = code
        self.name = name
        self.severity = severity
        self.message = message
        self.hint = hint
        self.phases = phases
        self.start = start
        self.end = end
        self.fix = fix
        self.related = related

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "hint": self.hint,
            "phase": list(self.phases),
            "related": [r.to_dict() for r in self.related],
            "fix": None
            if self.fix is None
            else {
                "title": self.fix.title,
                "safe": self.fix.safe,
                "edits": [
                    {"start": e.start, "end": e.end, "new_text": e.new_text}
                    for e in self.fix.edits
                ],
            },
        }
