"""Reading a file into text safely, and turning offsets into line/column positions.

Bad input (missing file, directory, binary data, invalid UTF-8, huge files) must become a clear
message with a position, never a traceback, so reading is separated from parsing and every
problem is returned as data (:class:`InputProblem`), not raised.
"""

from __future__ import annotations

import bisect
import os

from prototxt_lint.records import Record

#: Default largest file we read. The largest real prototxt seen is under 2 MB; a 100 MB file is
#: almost certainly not a hand-written net, and parsing it in Python would take minutes.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


class InputProblem(Record):
    """Why a file could not be read (or could only be read in part)."""

    __slots__ = ("code", "fatal", "message", "offset")

    def __init__(
        self,
        code: str,  # finding code, see prototxt_lint.parse_codes
        message: str,
        offset: int = 0,  # where in the text it was found (0 when the file is unreadable)
        fatal: bool = True,  # nothing could be linted
    ) -> None:
        self.code = code
        self.message = message
        self.offset = offset
        self.fatal = fatal


class Source:
    """The text of one input plus the lazily built table of line starts."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._line_starts: list[int] | None = None

    def __repr__(self) -> str:
        return f"Source({self.path!r}, <{len(self.text)} characters>)"

    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of ``offset``."""
        starts = self.line_starts()
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of 1-based ``line`` without its line break."""
        starts = self.line_starts()
        if not 1 <= line <= len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def offset_of(self, line: int, col: int) -> int:
        starts = self.line_starts()
        line = max(1, min(line, len(starts)))
        return min(starts[line - 1] + col - 1, len(self.text))


def _binary_offset(data: bytes) -> int | None:
    """Offset of the first byte that cannot appear in a text file, if any."""
    nul = data.find(b"\x00")
    if nul != -1:
        return nul
    return None


def decode(path: str, data: bytes) -> tuple[Source | None, list[InputProblem]]:
    """Decode bytes as a prototxt. Invalid UTF-8 is reported but the file is still linted.

    Caffe's C++ parser reads bytes, so a Latin-1 or GBK comment does not stop Caffe; we replace
    the bad bytes with U+FFFD (one character each, so columns stay right) and warn once.
    """
    problems: list[InputProblem] = []
    bad = _binary_offset(data)
    if bad is not None:
        prefix = data[:bad].decode("utf-8", errors="replace")
        msg = (
            f"binary data (NUL byte at offset {bad}): this is not a text-format prototxt"
            " (a binary .caffemodel or .binaryproto?)"
        )
        return Source(path, prefix), [InputProblem("P007", msg, offset=len(prefix))]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # kept out of the text (positions stay those editors show), but:
        problems.append(InputProblem(
            "P001",
            "Interpreting non ascii codepoint 239. (a UTF-8 byte-order mark: protobuf's C++"
            " parser refuses it and Caffe aborts; save the file without BOM)",
            fatal=False,
        ))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        good_prefix = data[: exc.start].decode("utf-8", errors="replace")
        problems.append(
            InputProblem(
                "P008",
                f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); the file is linted with the"
                " bad bytes replaced",
                offset=len(good_prefix),
                fatal=False,
            )
        )
    return Source(path, text), problems


def read_source(
    path: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Source | None, list[InputProblem]]:
    """Read ``path`` (``-`` is not handled here; the CLI passes stdin bytes to :func:`decode`)."""
    try:
        if os.path.isdir(path):
            return None, [InputProblem("P006", "is a directory, not a prototxt file")]
        size = os.path.getsize(path)
        if size > max_bytes:
            return None, [
                InputProblem(
                    "P006",
                    f"file too large ({size / 1e6:.1f} MB; the limit is"
                    f" {max_bytes / 1e6:.1f} MB, see --max-file-size)",
                )
            ]
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return None, [InputProblem("P006", "no such file")]
    except PermissionError:
        return None, [InputProblem("P006", "permission denied")]
    except OSError as exc:
        return None, [InputProblem("P006", f"cannot read: {exc.strerror or exc}")]
    if len(data) > max_bytes:
        return None, [InputProblem("P006", "file grew past the size limit while being read")]
    return decode(path, data)
