"""Inline suppressions: ``# prototxt-lint: disable=CODE[,CODE]`` and ``disable-file=CODE``.

At the end of a line it covers that line; alone on a line it covers the next line with
content. A suppression that silences nothing is itself reported (X001), so stale ones go.
"""

from __future__ import annotations

import re

from prototxt_lint.syntax.source import Source
from prototxt_lint.syntax.tokenizer import Comment

_DIRECTIVE = re.compile(r"prototxt-lint:\s*(disable-file|disable)\s*=\s*([A-Za-z0-9_\-, ]+)")


class Suppression:
    """One ``disable``/``disable-file`` comment, and which of its codes silenced something."""

    def __init__(self, codes: list[str], line: int | None, start: int, end: int) -> None:
        self.codes = codes
        self.line = line  # None: whole file
        self.start = start  # offset of the comment, for the unused-suppression finding
        self.end = end
        self.used: set[str] = set()


def find_suppressions(source: Source, comments: list[Comment]) -> list[Suppression]:
    found = []
    for comment in comments:
        if "prototxt-lint" not in comment.text:
            continue
        match = _DIRECTIVE.search(comment.text)
        if not match:
            continue
        codes = [c.strip() for c in match.group(2).split(",") if c.strip()]
        end = comment.offset + 1 + len(comment.text)
        if match.group(1) == "disable-file":
            found.append(Suppression(codes, None, comment.offset, end))
            continue
        line, col = source.line_col(comment.offset)
        before = source.line_text(line)[: col - 1]
        target = line
        if not before.strip():  # alone on its line: covers the next line with content
            total = len(source.line_starts())
            target = line + 1
            while target <= total and (
                not source.line_text(target).strip()
                or source.line_text(target).lstrip().startswith("#")
            ):
                target += 1
        found.append(Suppression(codes, target, comment.offset, end))
    return found


def matches(code: str, name: str, wanted: str) -> bool:
    return wanted in (code, name, "all")
