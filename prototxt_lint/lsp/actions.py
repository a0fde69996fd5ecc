"""Quick fixes: the rule's own fix where it has one, and "Disable CODE for this line".

Edits are minimal insertions or replacements at engine offsets; the user's other text is
never rewritten. A disable edit is only offered when the engine would honour it: the new
line is tokenized and must end in a ``# prototxt-lint: disable=...`` comment after code (a
``#`` inside a string, or a trailing ``disable-file`` directive that would hide ours, make
the action pointless, so it is not offered).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prototxt_lint.engine.suppressions import _DIRECTIVE
from prototxt_lint.findings import Finding
from prototxt_lint.lsp.analysis import Analysis
from prototxt_lint.plugin import Edit
from prototxt_lint.syntax.tokenizer import tokenize

#: findings a line suppression cannot silence: unused suppressions are judged after
#: suppressions are applied
_UNSUPPRESSIBLE = frozenset({"X001"})


@dataclass(frozen=True)
class Action:
    title: str
    finding: Finding
    edits: tuple[Edit, ...]
    preferred: bool = False


def _line_bounds(text: str, offset: int) -> tuple[int, int]:
    """Start and end (before ``\\r\\n``/``\\n``) of the engine line holding ``offset``: the
    engine numbers lines by ``\\n``, so suppressions do too."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    if end == -1:
        end = len(text)
    if end > start and text[end - 1] == "\r":
        end -= 1
    return start, end


def _honoured(line: str, code: str) -> bool:
    """Does ``line`` carry a trailing ``disable`` directive naming ``code``?"""
    _, comments = tokenize(line)
    for comment in comments:
        match = _DIRECTIVE.search(comment.text)
        if match is None or match.group(1) != "disable":
            continue
        codes = [c.strip() for c in match.group(2).split(",")]
        if code in codes and line[: comment.offset].strip():
            return True
    return False


def disable_edit(text: str, finding: Finding) -> Edit | None:
    """The insertion that suppresses ``finding`` on its line, or None when no comment on
    that line could (the code is then reported by the engine as it stands)."""
    if finding.code in _UNSUPPRESSIBLE:
        return None
    start, end = _line_bounds(text, min(finding.start, len(text)))
    line = text[start:end]
    edit: Edit | None = None
    _, comments = tokenize(line)
    if comments:
        comment = comments[-1]
        match = _DIRECTIVE.search(comment.text)
        if match is not None and match.group(1) == "disable" and line[: comment.offset].strip():
            codes = match.group(2).rstrip()
            if finding.code in [c.strip() for c in codes.split(",")]:
                return None
            at = comment.offset + 1 + match.start(2) + len(codes)
            sep = "" if codes.endswith(",") else ","
            edit = Edit(start + at, start + at, f"{sep}{finding.code}")
    if edit is None:
        if not line.strip():
            return None
        sep = "" if line.endswith("  ") else " " if line.endswith((" ", "\t")) else "  "
        edit = Edit(end, end, f"{sep}# prototxt-lint: disable={finding.code}")
    at = edit.start - start
    if not _honoured(line[:at] + edit.new_text + line[at:], finding.code):
        return None
    return edit


def actions_for(analysis: Analysis, findings: Iterable[Finding]) -> list[Action]:
    """Fixes first (preferred), then one disable action per code and line."""
    fixes: list[Action] = []
    disables: list[Action] = []
    doc = analysis.report.document
    text = doc.source.text
    seen: set[tuple[str, int]] = set()
    for finding in findings:
        if finding.fix is not None and finding.fix.edits:
            fix = finding.fix
            # an unsafe fix changes behaviour: say so, and never offer it as the preferred one
            title = fix.title if fix.safe else f"{fix.title} (unsafe: changes how it trains)"
            fixes.append(Action(title, finding, fix.edits, preferred=fix.safe))
        if doc.parsed is None or (finding.code, finding.line) in seen:
            continue
        seen.add((finding.code, finding.line))
        edit = disable_edit(text, finding)
        if edit is not None:
            disables.append(Action(f"Disable {finding.code} for this line", finding, (edit,)))
    return fixes + disables


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied (for tests and the benchmark)."""
    out = text
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        out = out[: edit.start] + edit.new_text + out[edit.end :]
    return out
