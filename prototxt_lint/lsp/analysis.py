"""Linting an editor buffer: the engine on unsaved text, under the document's real path.

Linting under the real path matters: a solver open in the editor is linted with the nets it
names (read from disk, like the CLI does) and the configuration is the one nearest to the
file. Only the document's own report is kept for diagnostics; the linked nets' reports are
for their own documents.

The configuration applies as on the command line: ``per-file-ignores`` drops its codes, and a
document that ``exclude``/``extend-exclude`` or ``.gitignore`` leaves out of a lint gets no
diagnostics at all (as ``ruff server`` does, and as pre-commit's ``--force-exclude`` run).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prototxt_lint.engine.config import (
    Config,
    ConfigError,
    find_config,
    ignores_finding,
    per_file_codes,
)
from prototxt_lint.engine.linter import FileReport, Input, Linter, Options
from prototxt_lint.findings import Finding
from prototxt_lint.lsp.incremental import BufferLoader
from prototxt_lint.lsp.positions import UTF16, LineIndex
from prototxt_lint.model import Document, NetContext
from prototxt_lint.plugin import Rule
from prototxt_lint.schema import Schema


@dataclass
class Analysis:
    """One linted version of one document, with what hover and code actions need."""

    uri: str
    version: int | None
    text: str  # exactly the text the client sent
    shift: int  # characters dropped from the front before linting (a byte-order mark)
    report: FileReport
    index: LineIndex
    rules: dict[str, Rule]
    config_error: str | None = None
    #: why the configuration leaves this document out of a lint (then: no findings)
    excluded: str | None = None
    _shapes: dict[int, Any] = field(default_factory=dict, repr=False)
    #: what hover and code actions derive from this version once (hover's span index)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def findings(self) -> list[Finding]:
        return self.report.findings

    def range_of(self, start: int, end: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """LSP (line, character) pairs of engine offsets ``start..end``."""
        return (
            self.index.position(start + self.shift),
            self.index.position(max(start, end) + self.shift),
        )

    def engine_offset(self, line: int, character: int) -> int:
        """The engine offset of an LSP position (the inverse of :meth:`range_of`)."""
        return max(0, self.index.offset(line, character) - self.shift)

    def nets(self) -> list[NetContext]:
        """The nets written in this document, as the engine built them: the file itself, or
        a solver's embedded nets (with the solver's phases and ``test_state``)."""
        return self.report.nets

    def shapes(self, ctx: NetContext) -> Any:
        """``prototxt_lint.shapes.infer_shapes(ctx)`` when that module exists, else None.
        Cached per net; any failure in it means "no shapes", never a broken hover."""
        key = id(ctx)
        if key not in self._shapes:
            result: Any = None
            try:
                module = importlib.import_module("prototxt_lint.shapes")
                infer = getattr(module, "infer_shapes", None)
                result = infer(ctx) if callable(infer) else None
            except Exception:  # absent, or failing on this net: no shapes in the hover
                result = None
            self._shapes[key] = result
        return self._shapes[key]


def uri_to_path(uri: str) -> str | None:
    """The file-system path of a ``file:`` URI, None for other schemes (untitled buffers)."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and len(path) > 2 and path[0] == "/" and path[2] == ":":
        path = path[1:]
    return path


def config_for(path: str | None) -> tuple[Config, str | None]:
    """The configuration nearest to ``path`` (as the CLI finds it), and the error message when
    that configuration is broken (the buffer is then linted with the defaults)."""
    directory = os.path.dirname(path) if path else os.getcwd()
    try:
        return find_config(directory), None
    except ConfigError as exc:
        return Config(), f"configuration error: {exc}"


#: fork schemas (config key ``proto``) by (path, mtime): compiled once per version of the file
_SCHEMAS: dict[tuple[str, int], Schema] = {}


def schema_for(config: Config) -> tuple[Schema | None, str | None]:
    """The fork schema the configuration names (None: BVLC's), and why it cannot be used."""
    proto = config.proto
    if not proto:
        return None, None
    try:
        key = (proto, os.stat(proto).st_mtime_ns)
    except OSError as exc:
        return None, f"configuration error: {config.path}: proto {proto}: {exc.strerror or exc}"
    if key not in _SCHEMAS:
        try:
            from prototxt_lint.schema.fork import load_schema

            _SCHEMAS[key] = load_schema(proto)
        except Exception as exc:  # SchemaError, or no grpcio-tools to compile it
            return None, f"configuration error: {config.path}: {exc}"
    return _SCHEMAS[key], None


def exclusion(path: str) -> str | None:
    """Why the configuration (or ``.gitignore``) excludes ``path`` from a lint, or None."""
    from prototxt_lint.engine.discovery import Discovery

    def nearest(directory: str) -> Config:
        try:
            return find_config(directory)
        except ConfigError:
            return Config()

    return Discovery(nearest).exclusion_with_parents(path, False)


def options_for(config: Config, schema: Schema | None = None) -> Options:
    """The options the command line would use for a file under ``config`` (no options)."""
    return Options.resolve(config, schema)


class _BufferLinter(Linter):
    """The engine, reading the document itself through its :class:`BufferLoader` (what the
    last edit did not touch is reused); linked files and everything else as usual."""

    def __init__(self, rules: Sequence[Rule], options: Options, buffer: Input,
                 loader: BufferLoader) -> None:
        super().__init__(rules, options)
        self.buffer = buffer
        self.loader = loader

    def _read(self, item: Input) -> Document:
        if item is self.buffer and item.data is not None \
                and len(item.data) <= self.options.max_bytes:
            doc = self.loader.load(item.path, item.data, self.schema)
            if doc is not None:
                return doc
        return super()._read(item)


def analyse(
    uri: str,
    version: int | None,
    text: str,
    rules: Sequence[Rule],
    encoding: str = UTF16,
    loader: BufferLoader | None = None,
) -> Analysis:
    """Lint ``text`` as the document at ``uri``; with ``loader`` (the document's, kept
    between versions), re-reading only what changed since its last version."""
    path = uri_to_path(uri)
    config, error = config_for(path)
    schema, schema_error = schema_for(config)
    error = error or schema_error
    shift = 1 if text.startswith("\ufeff") else 0
    # The engine strips a UTF-8 BOM itself (and reports it: Caffe refuses it), so offsets
    # in its text are one less than in the editor's.
    data = text.encode("utf-8", "replace")
    buffer = Input(path or "<untitled>", data)
    options = options_for(config, schema)
    linter = Linter(rules, options) if loader is None else _BufferLinter(
        rules, options, buffer, loader)
    report = linter.lint([buffer])[0]
    excluded = exclusion(path) if path else None
    if excluded is not None:
        report.findings = []
    elif path and config.per_file_ignores:
        codes = per_file_codes(config, path)
        report.findings = [f for f in report.findings
                           if not ignores_finding(codes, f.code, f.name)]
    return Analysis(
        uri=uri,
        version=version,
        text=text,
        shift=shift,
        report=report,
        index=LineIndex(text, encoding),
        rules=linter.all_rules,
        config_error=error,
        excluded=excluded,
    )
