"""What the server does once at start-up so that the first keystroke and the first hover
cost what the next ones cost."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol

from prototxt_lint.lsp.analysis import Analysis, analyse
from prototxt_lint.lsp.diagnostics import diagnostics, lsp_range
from prototxt_lint.lsp.hover import hover_at, prepare
from prototxt_lint.lsp.incremental import BufferLoader
from prototxt_lint.plugin import Rule

log = logging.getLogger(__name__)

#: linted once at start-up so that the schema, the rules' lazy imports and their caches are
#: loaded before the first keystroke (and frozen out of the garbage collector's way)
_WARM_UP = (
    'layer { name: "data" type: "Input" top: "data"'
    " input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n"
    'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"'
    " convolution_param { num_output: 2 kernel_size: 3 } }\n"
)


def _warm_messages(protocol: LanguageServerProtocol, warm: Analysis) -> None:
    """Read and write each kind of message once: pygls's converter builds its code for a
    type on first use (3 ms for hover's request and answer, the first hover's whole
    budget)."""
    converter = getattr(protocol, "_converter", None)
    found = hover_at(warm, _WARM_UP.index('"conv"') + 1)
    if converter is None or found is None:
        return
    where = {"textDocument": {"uri": warm.uri}, "position": {"line": 0, "character": 0}}
    span = {"start": where["position"], "end": where["position"]}
    try:
        for method, params in (
            (types.TEXT_DOCUMENT_HOVER, where),
            (types.TEXT_DOCUMENT_CODE_ACTION, {"textDocument": where["textDocument"],
                                               "range": span, "context": {"diagnostics": []}}),
        ):
            protocol.structure_message(
                {"jsonrpc": "2.0", "id": 0, "method": method, "params": params})
        hover = types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
            range=lsp_range(warm, found.start, found.end))
        converter.unstructure(types.HoverResponse(id=0, result=hover))
        converter.unstructure(types.PublishDiagnosticsNotification(
            params=types.PublishDiagnosticsParams(uri=warm.uri, diagnostics=diagnostics(warm),
                                                  version=0)))
    except Exception:  # only a warm-up: the real messages report their own problems
        log.exception("warm-up of the message converters failed")


def warm_up(protocol: LanguageServerProtocol, rules: Sequence[Rule]) -> None:
    """Lint a small net (the schema, the rules' lazy imports and their caches), prepare its
    hover, and read and write each kind of message once."""
    try:
        warm = analyse("untitled:warm-up", 0, _WARM_UP, rules, loader=BufferLoader())
        while not prepare(warm):
            pass
    except Exception:  # a broken rule shows up on the first real lint, with its message
        log.exception("warm-up lint failed")
    else:
        _warm_messages(protocol, warm)


__all__ = ["warm_up"]
