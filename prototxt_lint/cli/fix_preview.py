"""What ``--fix`` would change, without writing anything: ``--diff`` prints it as a unified
diff, ``--show-fixes`` lists the fixes. Uses the same edits as :func:`fixes.fix_file`."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from prototxt_lint.engine.fixes import apply_edits
from prototxt_lint.findings import Finding


def fixable(findings: Sequence[Finding], unsafe: bool) -> list[Finding]:
    """The findings whose fix ``--fix`` applies (the unsafe ones only when ``unsafe``)."""
    return [f for f in findings if f.fix is not None and (unsafe or f.fix.safe)]


def unified_diff(path: str, text: str, findings: Sequence[Finding]) -> str:
    """The diff from ``text`` to ``text`` with the findings' fixes applied ('' for none)."""
    edits = [edit for f in findings if f.fix is not None for edit in f.fix.edits]
    if not edits:
        return ""
    new_text = apply_edits(text, edits)
    lines = difflib.unified_diff(text.splitlines(keepends=True),
                                 new_text.splitlines(keepends=True),
                                 fromfile=path, tofile=path)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def fix_line(finding: Finding) -> str:
    """``path:line:col: CODE title``, and whether it is unsafe, for --show-fixes."""
    assert finding.fix is not None
    unsafe = "" if finding.fix.safe else " (unsafe: needs --unsafe-fixes)"
    where = f"{finding.file}:{finding.line}:{finding.column}"
    return f"{where}: {finding.code} {finding.fix.title}{unsafe}"
