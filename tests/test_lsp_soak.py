"""Issue 15: the language server under a long, random session, as an editor drives it: a real
`prototxt-lint lsp` process over a pipe, thousands of incremental edits (with the characters
Python splits lines at and LSP does not, and non-BMP text), percent-encoded `file:` URIs, and
requests at any position, valid or not. Every request is answered, the server's copy of the
text stays the client's (an edited document and the same text opened fresh get the same
diagnostics), every diagnostic lies inside its document, and memory stays flat."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import CORPUS, needs_corpus
from lsp_edits import random_edit
from lsp_stdio import StdioClient

pytest.importorskip("pygls")
if not sys.platform.startswith("linux"):
    pytest.skip("reads the server's memory from /proc", allow_module_level=True)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BREAK = re.compile(r"\r\n|\r|\n")  # LSP's line breaks, and only these
#: what random edits insert: prototxt, and what Python's str.splitlines breaks at but LSP not
SNIPPETS = ["layer {", "}", "\n", "\r\n", "\r", "# note\n", ' name: "x"', "é", "😀", "\u2028",
            "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\u0085", "top: \"data\"\n",
            "  ", "convolution_param { num_output: 8 }"]


def _units(text: str) -> int:
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def _position(text: str, offset: int) -> dict[str, int]:
    """The LSP position (UTF-16) of ``offset``."""
    line = start = 0
    for match in BREAK.finditer(text, 0, offset):
        if match.end() > offset:
            break
        line, start = line + 1, match.end()
    return {"line": line, "character": _units(text[start:offset])}


def _safe(text: str, offset: int) -> int:
    """Never between the \\r and \\n of a line break (no LSP position is there)."""
    return offset + 1 if 0 < offset < len(text) and text[offset - 1:offset + 1] == "\r\n" \
        else offset


def _uri(folder: Path, name: str) -> str:
    return "file://" + quote(str(folder / name))


def _open(client: StdioClient, uri: str, text: str, version: int = 1) -> None:
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "prototxt", "version": version, "text": text}})


def _start(tmp_path: Path) -> StdioClient:
    client = StdioClient([sys.executable, "-m", "prototxt_lint", "lsp"], cwd=str(tmp_path))
    client.answer(client.request("initialize", {
        "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}))
    client.notify("initialized", {})
    return client


def _inside(text: str, diagnostic: dict) -> bool:
    lines = BREAK.split(text)
    for end in ("start", "end"):
        pos = diagnostic["range"][end]
        if not (0 <= pos["line"] < len(lines)) or not (
                0 <= pos["character"] <= _units(lines[pos["line"]])):
            return False
    return True


def _brief(diagnostics: list[dict]) -> list[tuple]:
    return sorted((d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"],
                   d["range"]["end"]["line"], d["range"]["end"]["character"], d["message"])
                  for d in diagnostics)


def test_a_random_session_keeps_the_text_and_answers_everything(tmp_path: Path) -> None:
    rng = random.Random(15)
    client = _start(tmp_path)
    try:
        text = (EXAMPLES / "batchnorm_train.prototxt").read_text()
        uri = _uri(tmp_path, "with space+ü#1.prototxt")  # percent-escaped in the URI
        _open(client, uri, text)
        version = 1
        for step in range(1500):
            a = _safe(text, rng.randrange(len(text) + 1))
            b = _safe(text, min(len(text), a + rng.choice([0, 0, 1, 3, 12])))
            if len(text) > 4000:
                b = _safe(text, min(len(text), a + 200))
            new = "" if rng.random() < 0.3 else rng.choice(SNIPPETS)
            change = {"range": {"start": _position(text, a), "end": _position(text, b)},
                      "text": new}
            text = text[:a] + new + text[b:]
            version += 1
            client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            if step % 25 == 0:  # a request anywhere, also where no position can be
                pos = {"line": rng.randrange(-3, 80), "character": rng.randrange(-3, 200)}
                if rng.random() < 0.5:
                    rid = client.request("textDocument/hover",
                                         {"textDocument": {"uri": uri}, "position": pos})
                else:
                    rid = client.request("textDocument/codeAction", {
                        "textDocument": {"uri": uri}, "range": {"start": pos, "end": pos},
                        "context": {"diagnostics": []}})
                assert "jsonrpc" in client.answer(rid)
        edited = client.diagnostics_for(uri, version)["diagnostics"]
        assert all(_inside(text, d) for d in edited)
        fresh_uri = _uri(tmp_path, "fresh copy.prototxt")
        _open(client, fresh_uri, text)
        fresh = client.diagnostics_for(fresh_uri, 1)["diagnostics"]
        assert _brief(edited) == _brief(fresh)  # the server's text is the client's
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()


def _change(old: str, new: str) -> dict:
    """The incremental change that turns ``old`` into ``new`` (one range, as editors send)."""
    a = 0
    while a < min(len(old), len(new)) and old[a] == new[a]:
        a += 1
    b = 0
    while b < min(len(old), len(new)) - a and old[-1 - b] == new[-1 - b]:
        b += 1
    return {"range": {"start": _position(old, a), "end": _position(old, len(old) - b)},
            "text": new[a:len(new) - b]}


@needs_corpus
def test_an_edited_corpus_net_gets_a_fresh_lint_s_diagnostics(tmp_path: Path) -> None:
    """Issue 16: the server re-reads only what an edit touched. Over hundreds of edits of
    GoogLeNet (digits, strings, comments, braces and quotes deleted and put back, blocks
    copied and removed), the diagnostics of the edited document are, at every checkpoint,
    those of the same text opened fresh."""
    rng = random.Random(16)
    client = _start(tmp_path)
    try:
        original = (CORPUS / "BVLC__caffe/models/bvlc_googlenet/train_val.prototxt").read_text()
        uri = _uri(tmp_path, "googlenet.prototxt")
        _open(client, uri, original)
        text, version = original, 1
        for step in range(1, 241):
            new = random_edit(rng, text, original)
            version += 1
            client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [_change(text, new)]})
            text = new
            if step % 8:
                continue
            edited = client.diagnostics_for(uri, version)["diagnostics"]
            fresh_uri = _uri(tmp_path, f"fresh {step}.prototxt")
            _open(client, fresh_uri, text)
            fresh = client.diagnostics_for(fresh_uri, 1)["diagnostics"]
            assert _brief(edited) == _brief(fresh), step
            client.notify("textDocument/didClose", {"textDocument": {"uri": fresh_uri}})
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()


def test_memory_stays_flat_over_thousands_of_edits(tmp_path: Path) -> None:
    """The same two edits over and over (a comment line added, then removed): whatever the
    server keeps per edit shows as growth. pygls alone kept ~2 KB per edit (6 MB here)."""
    client = _start(tmp_path)
    try:
        text = (EXAMPLES / "batchnorm_train.prototxt").read_text()
        uri = _uri(tmp_path, "net.prototxt")
        _open(client, uri, text)
        last = text.count("\n")
        rss = {}
        for version in range(2, 3002):
            if version % 2:
                change = {"range": {"start": {"line": last, "character": 0},
                                    "end": {"line": last + 1, "character": 0}}, "text": ""}
            else:
                change = {"range": {"start": {"line": last, "character": 0},
                                    "end": {"line": last, "character": 0}}, "text": "# e\n"}
            client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            if version in (501, 3001):
                client.diagnostics_for(uri, version)
                client.answer(client.request("textDocument/hover", {
                    "textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}))
                rss[version] = client.rss_kb()
        growth = rss[3001] - rss[501]
        assert growth < 1500, f"resident memory grew by {growth} KB over 2,500 edits"
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
