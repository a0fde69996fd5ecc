"""The language server driven over stdio by a real LSP client (pytest-lsp).

Each test starts ``python -m prototxt_lint.lsp`` as a subprocess and talks JSON-RPC to it,
exactly as an editor would: open, edit, hover, ask for code actions, apply them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from prototxt_lint.engine.linter import Input, Linter  # noqa: E402
from prototxt_lint.engine.registry import load_rules  # noqa: E402
from prototxt_lint.lsp.positions import LineIndex  # noqa: E402
from prototxt_lint.schema.fork import protoc_command  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "lsp"
BAD_NET = FIXTURES / "bad_net.prototxt"
SERVER = [sys.executable, "-m", "prototxt_lint.lsp", "--debounce-ms", "20"]
TIMEOUT = 30.0

RULES = {r.code: r for r in load_rules()}


def SHAPES(lines: str) -> str:
    """Hover shows shapes only where ``prototxt_lint.shapes`` (shape inference) exists. The
    shapes expected here are Caffe's: batch 32 from the data layers, 16 channels from
    conv1's num_output, image height and width unknown (they are in the database)."""
    return lines if importlib.util.find_spec("prototxt_lint.shapes") else ""

Published = tuple[str, int | None, list[types.Diagnostic]]


class RecordingClient(LanguageClient):
    """pytest-lsp's client, also recording every publishDiagnostics (with its version) in
    order and the server's client/registerCapability requests."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[Published] = []
        self.registrations: list[types.Registration] = []


def _client_factory() -> RecordingClient:
    client = RecordingClient()
    features: dict[str, Callable[..., Any]] = dict(DEFAULT_CLIENT_FEATURES)

    def publish(c: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
        c.diagnostics[params.uri] = params.diagnostics
        c.published.append((params.uri, params.version, list(params.diagnostics)))

    def register(c: RecordingClient, params: types.RegistrationParams) -> None:
        c.registrations.extend(params.registrations)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


CAPABILITIES = types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    workspace=types.WorkspaceClientCapabilities(
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True
        ),
    ),
    text_document=types.TextDocumentClientCapabilities(
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(
                    value_set=[types.CodeActionKind.QuickFix]
                )
            )
        ),
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
    ),
)


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=_client_factory)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: RecordingClient, tmp_path: Path) -> Any:
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=CAPABILITIES, root_uri=tmp_path.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


# --- helpers --------------------------------------------------------------------------------
def _open(client: RecordingClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="prototxt",
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def _change(
    client: RecordingClient,
    uri: str,
    version: int,
    new_text: str,
    rng: types.Range | None = None,
) -> None:
    change: types.TextDocumentContentChangeEvent
    if rng is None:
        change = types.TextDocumentContentChangeWholeDocument(text=new_text)
    else:
        change = types.TextDocumentContentChangePartial(range=rng, text=new_text)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )
    )


async def _published(
    client: RecordingClient, uri: str, version: int | None, after: int = 0
) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` at ``version`` (waiting for them)."""

    async def wait() -> list[types.Diagnostic]:
        while True:
            for got_uri, got_version, diags in client.published[after:]:
                if got_uri == uri and got_version == version:
                    return diags
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(wait(), TIMEOUT)


async def _next_publish(client: RecordingClient, uri: str, after: int) -> list[types.Diagnostic]:
    async def wait() -> list[types.Diagnostic]:
        while True:
            for got_uri, _, diags in client.published[after:]:
                if got_uri == uri:
                    return diags
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(wait(), TIMEOUT)


def _brief(diags: list[types.Diagnostic]) -> list[tuple[Any, ...]]:
    return [
        (
            d.code,
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
            d.severity,
        )
        for d in diags
    ]


def _pos(text: str, needle: str, delta: int = 0) -> types.Position:
    """The LSP (UTF-16) position of ``needle`` in ``text`` (+ ``delta`` characters)."""
    line, char = LineIndex(text).position(text.index(needle) + delta)
    return types.Position(line=line, character=char)


def _watchers(options: Any) -> list[types.FileSystemWatcher]:
    if isinstance(options, dict):  # the client leaves unknown option types unstructured
        return [
            types.FileSystemWatcher(glob_pattern=w["globPattern"]) for w in options["watchers"]
        ]
    return list(options.watchers)


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits as a client does (positions in UTF-16, applied back to front)."""
    index = LineIndex(text)
    spans = []
    for e in edits:
        start = index.offset(e.range.start.line, e.range.start.character)
        end = index.offset(e.range.end.line, e.range.end.character)
        spans.append((start, end, e.new_text))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _edits_of(action: types.CodeAction, uri: str, version: int) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.document_changes is not None
    (change,) = action.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == uri and change.text_document.version == version
    return [e for e in change.edits if isinstance(e, types.TextEdit)]


E = types.DiagnosticSeverity.Error
INFO = types.DiagnosticSeverity.Information

# bad_net.prototxt: the three findings with their exact ranges (0-based, UTF-16). The
# pooling layer's line has an emoji (two UTF-16 units) in the layer name before the span,
# so the N206 columns are one more than the character columns (108 and 117).
W = types.DiagnosticSeverity.Warning
BAD_NET_DIAGNOSTICS = [
    ("N252", 9, 15, 9, 35, INFO),
    ("N211", 33, 4, 33, 26, W),
    ("N206", 43, 109, 43, 118, W),
]


# --- diagnostics ----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_open_publishes_exact_diagnostics(client: RecordingClient) -> None:
    uri = _open(client, BAD_NET)
    diags = await _published(client, uri, 1)
    assert _brief(diags) == BAD_NET_DIAGNOSTICS
    assert {d.source for d in diags} == {"prototxt-lint"}
    n252, n211, n201 = diags
    assert n211.message.startswith(
        "`use_global_stats: true` in TRAIN: BatchNorm normalizes with its stored mean and"
        " variance, which training never updates;"
    )
    assert n211.message.endswith(
        " (TRAIN)\nhint: delete `use_global_stats` (Caffe uses batch statistics in TRAIN and"
        " the stored ones in TEST); keep it only when fine-tuning from weights that carry"
        " these layers' statistics (caffe train --weights)"
    )
    assert n201.message.startswith(
        "`stride: 3` is larger than the kernel (2) with pad 0 and round_mode CEIL: if the input"
        " size is one of 3, 6, 9, 12, 15, 18, ... (it is not known here)"
    )
    assert n201.message.endswith(
        " (TRAIN, TEST)\nhint: make `stride` <= 2, or add pad, or set `round_mode: FLOOR`"
    )
    assert n252.message.startswith('`Data` layer "data" reads its database in stored (key) order')
    # the whole message is the CLI's: message, phases, then the hint on its own line
    findings = Linter(load_rules()).lint([Input(str(BAD_NET))])[0].findings
    assert [d.message for d in diags] == [
        f"{f.message} ({', '.join(f.phases)})\nhint: {f.hint}" for f in findings
    ]
    assert n211.data == {
        "name": "batchnorm-global-stats-in-train",
        "fix": "Delete `use_global_stats: true` (Caffe then chooses by phase)",
        "fix_safe": False,
    }
    assert n201.data == {"name": "pooling-stride-may-empty-window", "fix": None,
                         "fix_safe": None}
    # the range covers exactly the text the engine points at
    text = BAD_NET.read_text(encoding="utf-8")
    index = LineIndex(text)
    spans = [
        text[index.offset(d.range.start.line, d.range.start.character) : index.offset(
            d.range.end.line, d.range.end.character
        )]
        for d in diags
    ]
    assert spans == ['source: "train_lmdb"', "use_global_stats: true", "stride: 3"]


@pytest.mark.asyncio
async def test_edit_updates_diagnostics(client: RecordingClient) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    uri = _open(client, BAD_NET, text)
    await _published(client, uri, 1)
    # incremental edit on the emoji line: `stride: 3` -> `stride: 2` (UTF-16 positions)
    start = _pos(text, "stride: 3", len("stride: "))
    end = types.Position(line=start.line, character=start.character + 1)
    _change(client, uri, 2, "2", types.Range(start=start, end=end))
    diags = await _published(client, uri, 2)
    assert _brief(diags) == BAD_NET_DIAGNOSTICS[:2]
    # a whole-document change: the BatchNorm fixed as well
    text = text.replace("stride: 3", "stride: 2").replace("use_global_stats: true", "eps: 1e-5")
    _change(client, uri, 3, text)
    diags = await _published(client, uri, 3)
    assert _brief(diags) == BAD_NET_DIAGNOSTICS[:1]


@pytest.mark.asyncio
async def test_latest_version_wins(client: RecordingClient) -> None:
    """A burst of edits: whatever gets published in between, versions only go forward and
    the last publication is the last version's own findings."""
    text = BAD_NET.read_text(encoding="utf-8")
    uri = _open(client, BAD_NET, text)
    await _published(client, uri, 1)
    mark = len(client.published)
    good = text.replace("stride: 3", "stride: 2")
    for version in range(2, 32):
        _change(client, uri, version, good if version % 2 else text)
    await asyncio.sleep(0)  # let the writes go out
    diags = await _published(client, uri, 31, after=mark)
    assert _brief(diags) == BAD_NET_DIAGNOSTICS[:2]  # version 31 is odd: the good stride
    await asyncio.sleep(0.5)  # nothing stale may arrive after it
    versions = [v or 0 for u, v, _ in client.published[mark:] if u == uri]
    assert versions == sorted(versions) and versions[-1] == 31
    for _, got, diags in client.published[mark:]:
        expected = BAD_NET_DIAGNOSTICS[:2] if (got or 0) % 2 else BAD_NET_DIAGNOSTICS
        assert _brief(diags) == expected, got


@pytest.mark.asyncio
async def test_save_relints(client: RecordingClient, tmp_path: Path) -> None:
    path = tmp_path / "net.prototxt"
    shutil.copy(BAD_NET, path)
    shutil.copy(FIXTURES / ".prototxt-lint.toml", tmp_path)
    uri = _open(client, path)
    await _published(client, uri, 1)
    mark = len(client.published)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert _brief(await _next_publish(client, uri, mark)) == BAD_NET_DIAGNOSTICS


@pytest.mark.asyncio
async def test_solver_is_linted_with_its_net(client: RecordingClient, tmp_path: Path) -> None:
    """An unsaved solver is linted with the net it names, read from disk: S102 (no max_iter)
    stays quiet for a script-fed net and fires once the net on disk reads a database. The
    net's own findings are never published under the solver."""
    net = tmp_path / "train_val.prototxt"
    net.write_text(
        'layer { name: "data" type: "Python" top: "data" top: "label"'
        ' python_param { module: "m" layer: "L" } }\n'
        'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"'
        " inner_product_param { num_output: 2 } }\n"
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }\n'
    )
    solver = tmp_path / "solver.prototxt"
    solver.write_text("")  # on disk: empty; the editor's buffer is what is linted
    text = 'net: "train_val.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\n'
    uri = _open(client, solver, text)
    assert await _published(client, uri, 1) == []
    net.write_text(
        net.read_text().replace(
            '"Python" top: "data" top: "label" python_param { module: "m" layer: "L" }',
            '"Data" top: "data" top: "label" transform_param { scale: 0.1 }'
            ' data_param { source: "x" batch_size: 2 }',
        )
    )
    mark = len(client.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=net.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    diags = await _next_publish(client, uri, mark)
    assert _brief(diags) == [("S102", 2, 0, 2, 18, E)]
    assert diags[0].message.startswith("`max_iter` is 0 (the default)")
    assert not [p for p in client.published if p[0] == net.as_uri()]


# --- configuration ----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_configuration_reloads(client: RecordingClient, tmp_path: Path) -> None:
    # the server asked to be told about config files (right after `initialized`)
    for _ in range(500):
        if client.registrations:
            break
        await asyncio.sleep(0.01)
    globs = [
        w.glob_pattern
        for r in client.registrations
        if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for w in _watchers(r.register_options)
    ]
    assert "**/.prototxt-lint.toml" in globs and "**/pyproject.toml" in globs
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    config = project / "pyproject.toml"
    config.write_text('[tool.prototxt-lint]\nselect = ["N2"]\nignore = ["N252"]\n')
    path = project / "models" / "net.prototxt"
    shutil.copy(BAD_NET, path)
    uri = _open(client, path)
    assert _brief(await _published(client, uri, 1)) == BAD_NET_DIAGNOSTICS[1:]
    _open(client, config)  # a client may share the config file too: it is not linted

    # changed on disk, reported by the client's file watcher
    config.write_text('[tool.prototxt-lint]\nselect = ["N2"]\nignore = ["N211"]\n')
    mark = len(client.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    diags = await _next_publish(client, uri, mark)
    assert _brief(diags) == [BAD_NET_DIAGNOSTICS[0], BAD_NET_DIAGNOSTICS[2]]

    # a new, nearer config file and no watcher event: noticed on save
    (project / "models" / ".prototxt-lint.toml").write_text('select = ["N206"]\n')
    mark = len(client.published)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert _brief(await _next_publish(client, uri, mark)) == BAD_NET_DIAGNOSTICS[2:]

    # a broken config: the user is told, the file is linted with the defaults
    (project / "models" / ".prototxt-lint.toml").write_text("select = [\n")
    mark = len(client.published)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert _brief(await _next_publish(client, uri, mark)) == BAD_NET_DIAGNOSTICS
    assert not [p for p in client.published if p[0] == config.as_uri()]
    assert any(
        m.message.startswith("prototxt-lint: configuration error: ")
        and ".prototxt-lint.toml" in m.message
        for m in client.messages
    )


@pytest.mark.asyncio
async def test_fork_schema_from_configuration(client: RecordingClient, tmp_path: Path) -> None:
    """`proto = "caffe.proto"` in the configuration: the buffer is parsed with that fork
    schema (compiled with grpcio-tools or protoc), so the fork's own field is no P002."""
    if protoc_command() is None:
        pytest.skip("--proto needs grpcio-tools or protoc on PATH")
    schema = (REPO / "proto" / "caffe.proto").read_text(encoding="utf-8")
    fork = schema.replace(
        "  optional RoundMode round_mode = 13 [default = CEIL];\n}",
        "  optional RoundMode round_mode = 13 [default = CEIL];\n"
        "  optional bool ceil_mode = 99 [default = true];\n}",
    )
    assert fork != schema
    (tmp_path / "fork.proto").write_text(fork)
    text = BAD_NET.read_text(encoding="utf-8")
    text = text.replace("stride: 3 }", "stride: 3 ceil_mode: false }")
    path = tmp_path / "net.prototxt"
    path.write_text(text)
    (tmp_path / ".prototxt-lint.toml").write_text('select = ["P"]\ndialect = "bvlc"\n')
    uri = _open(client, path)
    diags = await _published(client, uri, 1)
    assert [(d.code, d.range.start.line) for d in diags] == [("P002", 43)]
    assert diags[0].message.startswith(
        'Message type "caffe.PoolingParameter" has no field named "ceil_mode".'
    )
    # `proto` wins over `dialect`
    (tmp_path / ".prototxt-lint.toml").write_text(
        'select = ["P"]\ndialect = "bvlc"\nproto = "fork.proto"\n')
    mark = len(client.published)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert await _next_publish(client, uri, mark) == []


# --- hover ------------------------------------------------------------------------------------
async def _hover(client: RecordingClient, uri: str, pos: types.Position) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos)
    )


def _markdown(hover: types.Hover | None) -> str:
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    return hover.contents.value


@pytest.mark.asyncio
async def test_hover_on_a_diagnostic_shows_the_rule_docs(client: RecordingClient) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    uri = _open(client, BAD_NET, text)
    hover = await _hover(client, uri, _pos(text, "use_global_stats: true", 3))
    rule = RULES["N211"]
    assert _markdown(hover) == (
        f"**N211** `batchnorm-global-stats-in-train` (warning)\n\n{rule.summary}\n\n{rule.docs}"
    )
    assert rule.docs.startswith("## What it does")
    assert hover is not None and hover.range == types.Range(
        start=types.Position(line=33, character=4), end=types.Position(line=33, character=26)
    )


@pytest.mark.asyncio
async def test_hover_on_a_layer_name(client: RecordingClient) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    uri = _open(client, BAD_NET, text)
    assert _markdown(await _hover(client, uri, _pos(text, '"bn1"', 1))) == (
        "**Layer** `bn1` · type `BatchNorm`  \n  \nActive in: TRAIN, TEST  \n"
        "Bottoms: `conv1`  \nTops: `conv1`" + SHAPES("  \nShape of `conv1`: 32 × 16 × ? × ?")
    )
    # the TEST data layer: Caffe's include filter leaves it out of TRAIN
    second_data = text.index('name: "data"', text.index('name: "data"') + 1)
    line, char = LineIndex(text).position(second_data)
    hover = await _hover(client, uri, types.Position(line=line, character=char))
    assert _markdown(hover) == (
        "**Layer** `data` · type `Data`  \n  \nActive in: TEST  \nTops: `data`, `label`"
        + SHAPES("  \nShape of `data`: 32 × ? × ? × ?  \nShape of `label`: 32")
    )
    assert hover is not None and hover.range == types.Range(
        start=types.Position(line=line, character=2),
        end=types.Position(line=line, character=14),
    )


@pytest.mark.asyncio
async def test_hover_on_blobs(client: RecordingClient) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    uri = _open(client, BAD_NET, text)
    # top "conv1" of the convolution: produced there, rewritten in place by the BatchNorm,
    # read by the pooling layer
    assert _markdown(await _hover(client, uri, _pos(text, 'top: "conv1"', 6))) == (
        "**Blob** `conv1`  \n  \nProduced by: `conv1` (Convolution)  \n"
        "Rewritten in place by: `bn1` (BatchNorm), `scale1` (Scale)  \n"
        "Consumed by: `pool😀` (Pooling)" + SHAPES("  \nShape: 32 × 16 × ? × ?")
    )
    # bottom "data": two producers, one per phase
    assert _markdown(await _hover(client, uri, _pos(text, 'bottom: "data"', 9))) == (
        "**Blob** `data`  \n  \n"
        "Produced by: `data` (Data; TRAIN only), `data` (Data; TEST only)  \n"
        "Consumed by: `conv1` (Convolution)" + SHAPES("  \nShape: 32 × ? × ? × ?")
    )
    # after the emoji (UTF-16 positions): bottom "conv1" of the pooling layer
    pos = _pos(text, 'bottom: "conv1" top: "pool1"', 9)
    assert _markdown(await _hover(client, uri, pos)).startswith("**Blob** `conv1`")
    # nothing to say on a keyword
    assert await _hover(client, uri, _pos(text, "layer {")) is None


# --- code actions -----------------------------------------------------------------------------
async def _actions(
    client: RecordingClient, uri: str, rng: types.Range, diags: list[types.Diagnostic]
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=diags),
        )
    )
    assert result is not None
    return [a for a in result if isinstance(a, types.CodeAction)]


@pytest.mark.asyncio
async def test_rule_fix_applied(client: RecordingClient) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    uri = _open(client, BAD_NET, text)
    diags = await _published(client, uri, 1)
    n211 = diags[1]
    actions = await _actions(client, uri, n211.range, [n211])
    assert [(a.title, a.kind, a.is_preferred) for a in actions] == [
        (  # unsafe: it changes how a fine-tuning net trains, so never preferred
            "Delete `use_global_stats: true` (Caffe then chooses by phase) (unsafe: changes"
            " how it trains)",
            types.CodeActionKind.QuickFix,
            None,
        ),
        ("Disable N211 for this line", types.CodeActionKind.QuickFix, None),
    ]
    assert list(actions[0].diagnostics or ()) == [n211]
    fixed = _apply(text, _edits_of(actions[0], uri, 1))
    # exactly the line is gone; every other byte is the user's
    assert fixed == text.replace("    use_global_stats: true\n", "")
    _change(client, uri, 2, fixed)
    assert _brief(await _published(client, uri, 2)) == [
        BAD_NET_DIAGNOSTICS[0],
        ("N206", 42, 109, 42, 118, W),
    ]


@pytest.mark.asyncio
async def test_disable_action_applied(client: RecordingClient) -> None:
    text = BAD_NET.read_text(encoding="utf-8")
    uri = _open(client, BAD_NET, text)
    diags = await _published(client, uri, 1)
    n201 = diags[2]
    # the cursor inside the span, no diagnostics in the context (as some clients ask)
    cursor = types.Position(line=43, character=112)
    actions = await _actions(client, uri, types.Range(start=cursor, end=cursor), [])
    assert [a.title for a in actions] == ["Disable N206 for this line"]
    assert list(actions[0].diagnostics or ()) == [n201]
    edits = _edits_of(actions[0], uri, 1)
    assert len(edits) == 1 and edits[0].range.start == edits[0].range.end  # an insertion
    disabled = _apply(text, edits)
    line = "pooling_param { pool: AVE kernel_size: 2 stride: 3 } }"
    assert disabled == text.replace(line, line + "  # prototxt-lint: disable=N206")
    _change(client, uri, 2, disabled)
    assert _brief(await _published(client, uri, 2)) == BAD_NET_DIAGNOSTICS[:2]

    # a second code on a line that has a disable comment: added to that comment
    text2 = disabled.replace('"conv1" top: "pool1"', '"conv1" bottom: "conv0" top: "pool1"')
    _change(client, uri, 3, text2)
    diags = await _published(client, uri, 3)
    n261 = [d for d in diags if d.code == "N261"]
    assert _brief(n261) == [("N261", 43, 55, 43, 70, E)]  # after the emoji: +1
    actions = await _actions(client, uri, n261[0].range, n261)
    assert [a.title for a in actions] == ["Disable N261 for this line"]
    text3 = _apply(text2, _edits_of(actions[0], uri, 3))
    assert text3 == text2.replace("disable=N206", "disable=N206,N261")
    _change(client, uri, 4, text3)
    assert _brief(await _published(client, uri, 4)) == BAD_NET_DIAGNOSTICS[:2]


# --- bad input never kills the server ---------------------------------------------------------
@pytest.mark.asyncio
async def test_garbage_keeps_the_server_alive(client: RecordingClient, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.prototxt"
    text = 'layer {{{ name: "x\n}}} ]] \x00\x01 ☃ 😀 \ufffd\n' + "{" * 5000
    uri = _open(client, garbage, text)
    diags = await _published(client, uri, 1)
    assert [d.code for d in diags] == ["P007"]  # the NUL byte: binary data
    assert _brief(diags)[0][1:3] == (1, 7)
    # the same without the NUL: parse errors, each with a position
    _change(client, uri, 2, text.replace("\x00", ""))
    diags = await _published(client, uri, 2)
    assert diags and all(d.code and str(d.code).startswith("P") for d in diags)
    # requests on it, and positions past the end, answer quietly
    for pos in (types.Position(line=0, character=3), types.Position(line=999, character=999)):
        await _hover(client, uri, pos)
        rng = types.Range(start=pos, end=pos)
        await _actions(client, uri, rng, [])
    # an empty document, an untitled buffer
    _change(client, uri, 3, "")
    assert [d.code for d in await _published(client, uri, 3)] == ["P010"]
    untitled = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=untitled, language_id="prototxt", version=1, text='lr_policy: "poly"\n'
            )
        )
    )
    codes = [d.code for d in await _published(client, untitled, 1)]
    assert "S101" in codes
    # and the server still works for a real file
    good = _open(client, BAD_NET)
    assert _brief(await _published(client, good, 1)) == BAD_NET_DIAGNOSTICS
    assert not [m for m in client.log_messages if m.type == types.MessageType.Error]


@pytest.mark.asyncio
async def test_close_clears_diagnostics(client: RecordingClient) -> None:
    uri = _open(client, BAD_NET)
    await _published(client, uri, 1)
    mark = len(client.published)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert await _next_publish(client, uri, mark) == []
