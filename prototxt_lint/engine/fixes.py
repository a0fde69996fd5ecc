"""Applying rules' own fixes to files (``--fix``): atomically, and only what the fix means to.

A file is rewritten only when its text round-trips exactly (no invalid UTF-8 was replaced),
so no byte the user wrote can be lost; a UTF-8 BOM and CRLF line endings are kept. The new
content goes to a temporary file in the same folder, takes the original's owner, group and
permissions, and replaces it with ``os.replace`` (atomic on POSIX and Windows): a crash leaves
the old file. A symlink is followed and its target rewritten, so the link still points where it
did.

What cannot be rewritten that way is refused with a :class:`FixError`, never half done: a
read-only file (no write bit, even for root), a file with more than one hard link (replacing it
would split the links, and writing through the inode is not atomic: a crash mid-write would
leave neither text), a file whose owner or group the temporary file cannot take, a file that
vanished or changed since it was linted.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence

from prototxt_lint.findings import Finding
from prototxt_lint.plugin import Edit, Fix


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


class FixError(Exception):
    """Why one file was not rewritten (one line, without the path)."""


def _refusal(real: str, st: os.stat_result) -> str | None:
    """Why ``real`` must not be rewritten, if it must not."""
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if not st.st_mode & 0o222 or not os.access(real, os.W_OK):
        return "the file is read-only"
    if st.st_nlink > 1:
        return (f"the file has {st.st_nlink} hard links; rewriting it would split them"
                " (fix it by hand, or break the link first)")
    return None


def _io_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "the file vanished before it could be rewritten"
    if isinstance(exc, PermissionError):
        return "permission denied (read-only folder or immutable file?)"
    return exc.strerror or str(exc)


def fix_file(path: str, text: str, findings: Sequence[Finding]) -> int:
    """Rewrite ``path`` with the fixes of ``findings``; returns how many fixes were applied.
    ``text`` is the text the findings were computed on. Raises :class:`FixError` when the file
    is left as it was although it had fixes."""
    fixes = [f.fix for f in findings if f.fix is not None]
    if not fixes:
        return 0
    try:
        return _rewrite(os.path.realpath(path), text, fixes)
    except OSError as exc:
        raise FixError(_io_reason(exc)) from None


def _rewrite(real: str, text: str, fixes: Sequence[Fix]) -> int:
    if not stat.S_ISREG(os.stat(real).st_mode):
        raise FixError("not a regular file")  # refused before opening: a FIFO would block
    with open(real, "rb") as handle:
        st = os.fstat(handle.fileno())
        refusal = _refusal(real, st)
        if refusal is not None:
            raise FixError(refusal)
        original = handle.read()
    bom = original.startswith(b"\xef\xbb\xbf")
    body = original[3:] if bom else original
    try:
        if body.decode("utf-8") != text:
            raise FixError("the file changed since it was linted")
    except UnicodeDecodeError:
        return 0  # not faithfully decodable (reported by the lint as P008): leave it
    edits = [edit for fix in fixes for edit in fix.edits]
    new_text = apply_edits(text, edits)
    data = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8")
    folder = os.path.dirname(real) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".prototxt-lint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            made = os.fstat(handle.fileno())
        if (made.st_uid, made.st_gid) != (st.st_uid, st.st_gid):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except (OSError, AttributeError):  # not allowed, or no owners (Windows)
                raise FixError("cannot keep the file's owner and group (it belongs to another"
                               " user or group)") from None
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if _identity(real) != (st.st_dev, st.st_ino):
            raise FixError("the file changed since it was linted")
        os.replace(tmp, real)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return len(fixes)


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino
