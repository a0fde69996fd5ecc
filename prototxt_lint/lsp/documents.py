"""The server's copy of each open document: pygls's text document, with lines split where
LSP splits them and changes spliced in.

pygls splits a document's lines with ``str.splitlines``, which also breaks at U+2028, U+2029,
U+0085, \\v, \\f and \\x1c-\\x1e; LSP counts only \\n, \\r\\n and \\r, so after one of those
an incremental edit landed on the wrong line. pygls also rebuilt the whole text line by line
for every change (11 ms a keystroke in a 400 KB net).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import overload

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from prototxt_lint.lsp.positions import line_starts

_LSP_BREAK = re.compile(r"(\r\n|\r|\n)")


class Lines(Sequence[str]):
    """A text's LSP lines (each with its line break), cut out only when asked for: an edit
    needs the one or two lines it touches, not 12,000 strings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)
        if len(self.starts) > 1 and self.starts[-1] == len(text):
            self.starts.pop()  # a final line break ends the last line; no empty line after
        if not text:
            self.starts = []

    def __len__(self) -> int:
        return len(self.starts)

    def start(self, i: int) -> int:
        return self.starts[i] if i < len(self.starts) else len(self.text)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self.starts):
            raise IndexError(i)
        return self.text[self.starts[i]:self.start(i + 1)]


class LspTextDocument(TextDocument):
    """A text document whose lines are LSP's, and into which a change is spliced, with
    pygls's own conversion of the range (so that odd ranges land where pygls put them)."""

    @property
    def lines(self) -> tuple[str, ...]:
        parts = _LSP_BREAK.split(self.source)
        lines = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
        if parts[-1]:
            lines.append(parts[-1])
        return tuple(lines)

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        source = self.source
        lines = Lines(source)
        span = self._position_codec.range_from_client_units(lines, change.range)
        first, last = span.start.line, span.end.line
        if first == len(lines):  # pygls: an edit at the very end of the file
            self._source = source + change.text
            return
        if first > last:  # pygls writes every line back unchanged (and drops the text)
            return
        self._source = (source[:lines.start(first)] + lines[first][:span.start.character]
                        + change.text + lines[last][span.end.character:]
                        + source[lines.start(last + 1):])


class LspWorkspace(Workspace):
    """A workspace whose documents are :class:`LspTextDocument`."""

    def _create_text_document(self, doc_uri: str, source: str | None = None,
                              version: int | None = None,
                              language_id: str | None = None) -> TextDocument:
        return LspTextDocument(doc_uri, source=source, version=version,
                               language_id=language_id, sync_kind=self._sync_kind,
                               position_codec=self._position_codec)


__all__ = ["Lines", "LspTextDocument", "LspWorkspace"]
