"""Offsets into a document <-> LSP positions.

The engine reports character offsets into the text; LSP wants 0-based lines (split at
``\\r\\n``, ``\\n`` and ``\\r``) and columns in the code units the client negotiated, UTF-16 by
default. A column counted in characters is wrong after any character outside the BMP (an
emoji in a comment), so every conversion goes through :class:`LineIndex`.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate, count
from operator import add

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"

_BREAK = re.compile(r"\r\n|\r|\n")


def units(text: str, encoding: str = UTF16) -> int:
    """Length of ``text`` in the code units of ``encoding``."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _char_units(ch: str, encoding: str) -> int:
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        return len(ch.encode("utf-8", "surrogatepass"))
    return 2 if ord(ch) > 0xFFFF else 1


def line_starts(text: str) -> list[int]:
    """0, then the offset after each LSP line break (``\r\n``, ``\n``, ``\r``): a 400 KB
    net has 12,000 lines, and a match object per line cost milliseconds on every edit."""
    if "\r" in text:
        return [0] + [m.end() for m in _BREAK.finditer(text)]
    parts = text.split("\n")
    parts.pop()
    return [0, *map(add, accumulate(map(len, parts)), count(1))]


class LineIndex:
    """Line starts of one text, for conversions both ways in one encoding."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding if encoding in (UTF8, UTF16, UTF32) else UTF16
        self.starts = line_starts(text)

    def line_end(self, line: int) -> int:
        """Offset of the end of 0-based ``line``, before its line break."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            brk = self.text[end - 2 : end]
            return end - (2 if brk == "\r\n" else 1)
        return len(self.text)

    def position(self, offset: int) -> tuple[int, int]:
        """0-based (line, character) of character ``offset``."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        # an offset between the \r and \n of one break belongs to the end of that line
        offset = min(offset, self.line_end(line))
        return line, units(self.text[start:offset], self.encoding)

    def offset(self, line: int, character: int) -> int:
        """Character offset of a 0-based LSP position, clamped to the line's end (a position
        past the end of a line means its end, per the LSP specification)."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self.line_end(line)
        if self.encoding == UTF32 or self.text[start:end].isascii():
            return min(start + max(character, 0), end)
        count = 0
        pos = start
        while pos < end and count < character:
            count += _char_units(self.text[pos], self.encoding)
            pos += 1
        return pos
