"""Applying rules' own fixes to files (``--fix``): atomically, and only what the fix means to.

A file is rewritten only when its text round-trips exactly (no invalid UTF-8 was replaced),
so no byte the user wrote can be lost; a UTF-8 BOM and CRLF line endings are kept. The new
content goes to a temporary file in the same folder, takes the original's permissions, and
replaces it with ``os.replace`` (atomic on POSIX and Windows): a crash leaves the old file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence

from prototxt_lint.findings import Finding
from prototxt_lint.plugin import Edit


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (offsets into ``text``); overlapping ones are skipped."""
    out = []
    last = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < last:
            continue  # overlaps an edit already taken: leave it for the next run
        out.append(text[last : edit.start])
        out.append(edit.new_text)
        last = edit.end
    out.append(text[last:])
    return "".join(out)


def fix_file(path: str, text: str, findings: Sequence[Finding]) -> int:
    """Rewrite ``path`` with the fixes of ``findings``; returns how many fixes were applied.
    ``text`` is the text the findings were computed on."""
    fixes = [f.fix for f in findings if f.fix is not None]
    if not fixes:
        return 0
    real = os.path.realpath(path)
    with open(real, "rb") as handle:
        original = handle.read()
    bom = original.startswith(b"\xef\xbb\xbf")
    body = original[3:] if bom else original
    try:
        if body.decode("utf-8") != text:
            return 0  # changed since it was linted, or not faithfully decodable: leave it
    except UnicodeDecodeError:
        return 0
    edits = [edit for fix in fixes for edit in fix.edits]
    new_text = apply_edits(text, edits)
    data = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8")
    folder = os.path.dirname(real) or "."
    mode = stat.S_IMODE(os.stat(real).st_mode)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".prototxt-lint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(fixes)
