"""The pygls language server: diagnostics, hover and quick fixes for prototxt files.

Scheduling. Linting runs in one worker thread, so the event loop keeps answering while a big
net is linted, and the engine is never run twice at once. Per document at most one lint is in
flight: a change that arrives meanwhile marks the document dirty, and when the lint finishes
the server waits ``debounce`` seconds (letting a burst of keystrokes settle) and lints the
latest text. An isolated edit is therefore linted at once, a burst costs at most two lints,
and a result is published only if it belongs to the document's current version, so a stale
lint can never overwrite a newer one (the "latest version wins" rule). Each lint reads the
document through its :class:`~prototxt_lint.lsp.incremental.BufferLoader`, which tokenizes and
parses again only the blocks the edit touched. Once a version is published and no edit is
waiting, the worker builds hover's index of it, so a hover is answered without a walk of the
net.

Robustness. Every handler is wrapped: an exception is logged to the client with
``window/logMessage`` and the request answers ``null``; the server keeps running.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument, Workspace

from prototxt_lint.engine.registry import RuleLoadError, load_rules
from prototxt_lint.lsp.actions import Action, actions_for
from prototxt_lint.lsp.analysis import Analysis, analyse, uri_to_path
from prototxt_lint.lsp.config_watch import WATCH_GLOBS, ConfigWatch, is_config_path
from prototxt_lint.lsp.diagnostics import SOURCE, diagnostics, lsp_range
from prototxt_lint.lsp.documents import LspWorkspace
from prototxt_lint.lsp.hover import hover_at, prepare
from prototxt_lint.lsp.incremental import BufferLoader
from prototxt_lint.lsp.warm_up import warm_up
from prototxt_lint.plugin import Rule

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE = 0.05  # seconds between the lints of a burst of edits
NET_GLOBS = ("**/*.prototxt", "**/*.pbtxt")

T = TypeVar("T")


def _version() -> str:
    try:
        return version("prototxt-lint")
    except PackageNotFoundError:
        return "0"


class _Protocol(LanguageServerProtocol):
    """A request whose parameters do not fit the protocol's types (a negative position) is
    answered with an Invalid Params error; pygls only logged it, and the client waited."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                self._send_response(data["id"], None, exc.to_response_error())
            raise


class PrototxtLanguageServer(LanguageServer):
    def __init__(self, debounce: float = DEFAULT_DEBOUNCE) -> None:
        super().__init__(
            "prototxt-lint",
            _version(),
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=_Protocol,
        )
        self.debounce = debounce
        self.rule_error: str | None = None
        try:
            self.rules: list[Rule] = load_rules()
        except RuleLoadError as exc:  # a broken plugin: lint with the engine's own codes
            self.rules = []
            self.rule_error = str(exc)
        self.analyses: dict[str, Analysis] = {}
        #: each open document's chunks, kept between versions (what an edit did not touch
        #: is not tokenized or parsed again); used only in the worker thread
        self.loaders: dict[str, BufferLoader] = {}
        self.runners: dict[str, asyncio.Task[None]] = {}
        self.dirty: set[str] = set()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prototxt-lint")
        self.watch = ConfigWatch()
        self.reported: set[str] = set()  # configuration errors already shown
        #: each open document's URI as the client wrote it, by pygls's key for it (pygls
        #: keeps documents under the percent-decoded URI; diagnostics must go to the
        #: client's own spelling, and paths are decoded from it exactly once)
        self.client_uris: dict[str, str] = {}

    # --- messages to the client -----------------------------------------------------------
    def log_error(self, what: str, exc: BaseException | None = None) -> None:
        text = what
        if exc is not None:
            text += "\n" + "".join(traceback.format_exception(exc))
        log.error(text)
        try:
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=text)
            )
        except Exception:  # no client to tell (not initialized, pipe closed)
            log.exception("cannot send window/logMessage")

    def show_once(self, text: str) -> None:
        if text in self.reported:
            return
        self.reported.add(text)
        self.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"prototxt-lint: {text}"
            )
        )
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Warning, message=text)
        )

    # --- documents --------------------------------------------------------------------------
    def open_document(self, uri: str) -> TextDocument | None:
        docs = self.workspace.text_documents
        return docs.get(unquote(uri))

    def opened(self, uri: str) -> None:
        self.client_uris[unquote(uri)] = uri

    def open_uris(self) -> list[str]:
        """The open documents, by the URIs the client gave them."""
        return [self.client_uris.get(key, key) for key in list(self.workspace.text_documents)]

    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    def _directories(self) -> list[str]:
        dirs = []
        for uri in self.open_uris():
            path = uri_to_path(uri)
            dirs.append(os.path.dirname(path) if path else os.getcwd())
        return dirs

    async def analyse(self, uri: str, doc_version: int | None, text: str) -> Analysis:
        """Lint one version of a document in the worker thread (config checked first)."""
        loop = asyncio.get_running_loop()
        directories = self._directories()
        encoding = self.encoding
        loader = self.loaders.setdefault(uri, BufferLoader())

        def job() -> tuple[Analysis, bool, float]:
            started = time.perf_counter()
            changed = self.watch.check(directories)
            result = analyse(uri, doc_version, text, self.rules, encoding, loader)
            return result, changed, time.perf_counter() - started

        queued = time.perf_counter()
        analysis, config_changed, took = await loop.run_in_executor(self.executor, job)
        log.debug(
            "linted %s version %s in %.1f ms (%.1f ms with the wait for the worker; %s)",
            uri, doc_version, took * 1000, (time.perf_counter() - queued) * 1000, loader.last,
        )
        stored = self.analyses.get(uri)
        if stored is None or (stored.version or 0) <= (doc_version or 0):
            self.analyses[uri] = analysis
        if analysis.config_error:
            self.show_once(analysis.config_error)
        if config_changed:
            self.lint_all(except_uri=uri)
        return analysis

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the document as it is now (linting it if need be)."""
        doc = self.open_document(uri)
        if doc is None:
            return None
        stored = self.analyses.get(uri)
        if stored is not None and stored.version == doc.version and stored.text == doc.source:
            return stored
        return await self.analyse(uri, doc.version, doc.source)

    def publish(self, analysis: Analysis) -> bool:
        """Publish if ``analysis`` is of the document's current text; a stale one is dropped."""
        doc = self.open_document(analysis.uri)
        if doc is None or doc.version != analysis.version or doc.source != analysis.text:
            return False
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=analysis.uri, diagnostics=diagnostics(analysis), version=analysis.version
            )
        )
        return True

    def forget_finished_handlers(self) -> None:
        """Drop the futures of handlers that have finished. pygls 2.x files the future of
        every notification's handler in ``protocol._request_futures`` under a fresh uuid
        (``JsonRPCProtocol._handle_notification`` and ``_run_generator``) and never removes
        it: about 2 KB per keystroke, forever (tests/test_lsp_soak.py measures it). A request
        still running keeps its future, which ``$/cancelRequest`` needs."""
        futures = getattr(self.protocol, "_request_futures", None)
        if isinstance(futures, dict) and len(futures) > 16:
            for key in [k for k, f in futures.items() if f.done()]:
                del futures[key]

    def request_lint(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path is not None and is_config_path(path):
            return  # a pyproject.toml the client happens to share with us is not a prototxt
        runner = self.runners.get(uri)
        if runner is not None and not runner.done():
            self.dirty.add(uri)
            return
        self.dirty.discard(uri)
        self.runners[uri] = asyncio.ensure_future(self._lint_loop(uri))

    def lint_all(self, except_uri: str | None = None) -> None:
        for uri in self.open_uris():
            if uri != except_uri:
                self.request_lint(uri)

    async def _lint_loop(self, uri: str) -> None:
        try:
            while True:
                doc = self.open_document(uri)
                if doc is None:
                    return
                analysis = await self.analyse(uri, doc.version, doc.source)
                published = self.publish(analysis)
                if uri not in self.dirty:
                    if published:
                        await self.prepare_hover(uri, analysis)
                    if uri not in self.dirty:
                        return
                    self.dirty.discard(uri)  # typed while hover was prepared: lint it now
                    continue
                await asyncio.sleep(self.debounce)
                self.dirty.discard(uri)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.log_error(f"linting {uri} failed", exc)

    async def prepare_hover(self, uri: str, analysis: Analysis) -> None:
        """Build hover's index of the version just published, in the worker while the
        user reads the diagnostics, in steps of about a millisecond: an edit that comes
        meanwhile is linted after the current step, not after the whole index (tens of
        milliseconds in a 3,000-layer net)."""
        loop = asyncio.get_running_loop()
        try:
            while uri not in self.dirty:
                if await loop.run_in_executor(self.executor, prepare, analysis):
                    return
        except Exception as exc:  # hover then builds it itself, and reports what fails
            self.log_error(f"preparing hover of {analysis.uri} failed", exc)

    def close(self, uri: str) -> None:
        runner = self.runners.pop(uri, None)
        if runner is not None:
            runner.cancel()
        self.dirty.discard(uri)
        self.analyses.pop(uri, None)
        self.loaders.pop(uri, None)
        self.client_uris.pop(unquote(uri), None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


def _guard(server: PrototxtLanguageServer, name: str) -> Callable[[Callable[..., T]], Any]:
    """Wrap a handler so that no exception escapes it: log it and answer ``null``."""

    def decorate(func: Callable[..., Any]) -> Any:
        if asyncio.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(params: Any) -> Any:
                server.forget_finished_handlers()
                try:
                    return await func(params)
                except Exception as exc:
                    server.log_error(f"{name} failed", exc)
                    return None

            return run_async

        @functools.wraps(func)
        def run(params: Any) -> Any:
            server.forget_finished_handlers()
            try:
                return func(params)
            except Exception as exc:
                server.log_error(f"{name} failed", exc)
                return None

        return run

    return decorate


def _workspace_edit(
    server: PrototxtLanguageServer, analysis: Analysis, action: Action
) -> types.WorkspaceEdit:
    edits: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = [
        types.TextEdit(range=lsp_range(analysis, e.start, e.end), new_text=e.new_text)
        for e in action.edits
    ]
    caps = server.client_capabilities.workspace
    document_changes = bool(
        caps and caps.workspace_edit and caps.workspace_edit.document_changes
    )
    if document_changes:
        # versioned: the client refuses the edit if the document changed since
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=analysis.uri, version=analysis.version
                    ),
                    edits=edits,
                )
            ]
        )
    return types.WorkspaceEdit(changes={analysis.uri: edits})  # type: ignore[dict-item]


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def create_server(debounce: float = DEFAULT_DEBOUNCE) -> PrototxtLanguageServer:
    server = PrototxtLanguageServer(debounce)
    warm_up(server.protocol, server.rules)

    def feature(method: str, options: Any = None) -> Callable[[Callable[..., Any]], Any]:
        def register(func: Callable[..., Any]) -> Any:
            return server.feature(method, options)(_guard(server, method)(func))

        return register

    @feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        # Caffe resolves a solver's net paths against the directory it runs from, usually
        # the project root: run from the workspace root, as the CLI is run from there.
        if type(server.workspace) is Workspace:
            server.workspace.__class__ = LspWorkspace  # documents split lines as LSP does
        root = server.workspace.root_path
        if root and os.path.isdir(root):
            os.chdir(root)

    @feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        if server.rule_error:
            server.show_once(server.rule_error)
        caps = server.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if not (watched and watched.dynamic_registration):
            return
        watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS + NET_GLOBS]
        await server.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="prototxt-lint-watch",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=watchers
                        ),
                    )
                ]
            )
        )

    @feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.opened(params.text_document.uri)
        server.request_lint(params.text_document.uri)

    @feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        server.request_lint(params.text_document.uri)

    @feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        # a saved net changes what open solvers see; a saved config changes everything
        uri = params.text_document.uri
        path = uri_to_path(uri)
        if path and is_config_path(path):
            server.watch.invalidate()
        server.request_lint(uri)
        server.lint_all(except_uri=uri)

    @feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.close(params.text_document.uri)

    @feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(params: types.DidChangeWatchedFilesParams) -> None:
        paths = [uri_to_path(change.uri) or "" for change in params.changes]
        if any(is_config_path(p) for p in paths):
            server.watch.invalidate()
        server.lint_all()

    @feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        analysis = await server.current(params.text_document.uri)
        if analysis is None:
            return None
        pos = params.position
        offset = analysis.engine_offset(pos.line, pos.character)
        # in the worker: shape inference of a big net must not stall the event loop
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(server.executor, hover_at, analysis, offset)
        if found is None:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
            range=lsp_range(analysis, found.start, found.end),
        )

    @feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        only = params.context.only
        if only and not any(
            types.CodeActionKind.QuickFix.value.startswith(str(getattr(k, "value", k)))
            for k in only
        ):
            return None
        analysis = await server.current(params.text_document.uri)
        if analysis is None:
            return None
        pairs = zip(analysis.findings, diagnostics(analysis), strict=True)
        by_finding = {id(f): d for f, d in pairs}
        # the findings under the requested range, and those the client names in its context
        named = {
            (str(d.code), d.range.start.line, d.range.start.character, d.range.end.line,
             d.range.end.character)
            for d in params.context.diagnostics
            if d.source == SOURCE
        }

        def wanted_finding(diag: types.Diagnostic) -> bool:
            r = diag.range
            key = (str(diag.code), r.start.line, r.start.character, r.end.line, r.end.character)
            return key in named or _overlaps(r, params.range)

        wanted = [f for f in analysis.findings if wanted_finding(by_finding[id(f)])]
        result = []
        for action in actions_for(analysis, wanted):
            result.append(
                types.CodeAction(
                    title=action.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[by_finding[id(action.finding)]],
                    is_preferred=action.preferred or None,
                    edit=_workspace_edit(server, analysis, action),
                )
            )
        return result

    return server
