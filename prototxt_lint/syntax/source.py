"""Reading a file into text safely, and turning offsets into line/column positions.

Bad input (missing file, directory, binary data, invalid UTF-8, huge files) must become a clear
message with a position, never a traceback, so reading is separated from parsing and every
problem is returned as data (:class:`InputProblem`), not raised.
"""

from __future__ import annotations

import bisect
import os
import stat

from prototxt_lint.records import Record

#: Default largest file we read. The largest real prototxt seen is under 2 MB; a 100 MB file is
#: almost certainly not a hand-written net, and parsing it in Python would take minutes.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


def mib(size: int) -> str:
    """A byte count in MiB, the unit ``--max-file-size`` and ``max-file-size`` are set in."""
    return f"{size / (1024 * 1024):.1f} MiB"


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


def _utf16(data: bytes) -> str | None:
    """"UTF-16 LE" or "UTF-16 BE" when ``data`` looks like UTF-16 text (a byte order mark,
    or ASCII with every other byte NUL): what Windows editors and PowerShell's ``>`` write.
    Not a .caffemodel, and worth telling the user how to fix."""
    if data.startswith(b"\xff\xfe"):
        return "UTF-16 LE"
    if data.startswith(b"\xfe\xff"):
        return "UTF-16 BE"
    head = data[:512]
    if len(head) >= 4 and len(head) % 2 == 0:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) == len(odd) and even.count(0) == 0 and even.isascii():
            return "UTF-16 LE"
        if even.count(0) == len(even) and odd.count(0) == 0 and odd.isascii():
            return "UTF-16 BE"
    return None


def decode(path: str, data: bytes) -> tuple[Source | None, list[InputProblem]]:
    """Decode bytes as a prototxt. Invalid UTF-8 is reported but the file is still linted.

    Caffe's C++ parser reads bytes, so a Latin-1 or GBK comment does not stop Caffe; we replace
    the bad bytes with U+FFFD (one character each, so columns stay right) and warn once.
    """
    problems: list[InputProblem] = []
    utf16 = _utf16(data)
    if utf16 is not None:
        msg = f"the file is {utf16} text, not UTF-8: save it as UTF-8 (Caffe reads bytes)"
        return Source(path, ""), [InputProblem("P007", msg)]
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


def _special_kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def read_source(
    path: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Source | None, list[InputProblem]]:
    """Read ``path`` (``-`` is not handled here; the CLI passes stdin bytes to :func:`decode`)."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            return None, [InputProblem("P006", "is a directory, not a prototxt file")]
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISFIFO(st.st_mode):
            # a device (/dev/zero never ends) is refused before it is opened; a pipe is read
            # (`prototxt-lint <(...)`)
            return None, [InputProblem("P006", f"is {_special_kind(st.st_mode)}, not a"
                                       " regular file")]
        size = st.st_size
        if size > max_bytes:
            return None, [
                InputProblem(
                    "P006",
                    f"file too large ({mib(size)}; the limit is {mib(max_bytes)}, see"
                    " --max-file-size)",
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
