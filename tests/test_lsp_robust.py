"""The language server against awkward clients: percent-escaped `file:` URIs, line breaks
that only Python counts, requests with impossible positions, many edits to one document."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pygls.exceptions import JsonRpcException  # noqa: E402
from test_lsp import (  # noqa: E402
    BAD_NET,
    BAD_NET_DIAGNOSTICS,
    RecordingClient,
    _actions,
    _brief,
    _change,
    _hover,
    _markdown,
    _pos,
    _published,
    client,
)

__all__ = ["client"]  # the fixture, shared with test_lsp.py


def _open_uri(client: RecordingClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="prototxt", version=version,
                                             text=text)))


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["with space.prototxt", "caf\u00e9 \u7f51.prototxt",
                                  "a+b.prototxt", "a#b.prototxt", "100%.prototxt"])
async def test_percent_escaped_uris_get_everything(client: RecordingClient, tmp_path: Path,
                                                   name: str) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    assert "%" in uri
    _open_uri(client, uri, text)
    assert _brief(await _published(client, uri, 1)) == BAD_NET_DIAGNOSTICS
    hover = await _hover(client, uri, _pos(text, "use_global_stats: true", 3))
    assert _markdown(hover).startswith("**N211** `batchnorm-global-stats-in-train`")
    diags = client.diagnostics[uri]
    titles = [a.title for a in await _actions(client, uri, diags[1].range, [diags[1]])]
    assert titles[-1] == "Disable N211 for this line"
    # an edit reaches the same document
    _change(client, uri, 2, text.replace("use_global_stats: true", "eps: 1e-5"))
    assert _brief(await _published(client, uri, 2)) == [BAD_NET_DIAGNOSTICS[0],
                                                        BAD_NET_DIAGNOSTICS[2]]


@pytest.mark.asyncio
async def test_vscode_windows_uri(client: RecordingClient) -> None:
    uri = "file:///c%3A/Users/me/My%20Nets/net.prototxt"  # how VS Code writes C:\\...
    text = BAD_NET.read_text(encoding="utf-8")
    _open_uri(client, uri, text)
    assert _brief(await _published(client, uri, 1)) == BAD_NET_DIAGNOSTICS


#: characters str.splitlines breaks at, LSP does not
NOT_BREAKS = "\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"


@pytest.mark.asyncio
async def test_incremental_edits_after_characters_lsp_does_not_break_at(
        client: RecordingClient, tmp_path: Path) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    text = text.replace("\n", f" # {NOT_BREAKS}\n", 5)  # in comments on the first lines
    uri = (tmp_path / "net.prototxt").as_uri()
    _open_uri(client, uri, text)
    assert _brief(await _published(client, uri, 1)) == BAD_NET_DIAGNOSTICS
    start = _pos(text, "stride: 3", len("stride: "))  # LSP's line, after the odd characters
    end = types.Position(line=start.line, character=start.character + 1)
    _change(client, uri, 2, "2", types.Range(start=start, end=end))
    assert _brief(await _published(client, uri, 2)) == BAD_NET_DIAGNOSTICS[:2]


@pytest.mark.asyncio
@pytest.mark.parametrize("method", [types.TEXT_DOCUMENT_HOVER, types.TEXT_DOCUMENT_CODE_ACTION])
async def test_negative_position_is_answered(client: RecordingClient, tmp_path: Path,
                                             method: str) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    uri = (tmp_path / "net.prototxt").as_uri()
    _open_uri(client, uri, text)
    await _published(client, uri, 1)
    where = {"line": -1, "character": -5}
    params: dict[str, Any] = {"textDocument": {"uri": uri}}
    if method == types.TEXT_DOCUMENT_HOVER:
        params["position"] = where
    else:
        params["range"] = {"start": where, "end": where}
        params["context"] = {"diagnostics": []}
    # sent as raw JSON: the client's own types refuse a negative position
    from concurrent.futures import Future

    answer: Future[Any] = Future()
    client.protocol._request_futures["negative"] = answer
    client.protocol._send_data({"jsonrpc": "2.0", "id": "negative", "method": method,
                                "params": params})
    with pytest.raises(JsonRpcException, match="Invalid Params"):
        await asyncio.wait_for(asyncio.wrap_future(answer), 10)
    # and the server goes on answering
    hover = await _hover(client, uri, _pos(text, "use_global_stats: true", 3))
    assert _markdown(hover).startswith("**N211**")
