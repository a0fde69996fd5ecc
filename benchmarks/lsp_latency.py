"""Language-server latency: from ``didChange`` to the ``publishDiagnostics`` of that version.

Starts ``python -m prototxt_lint.lsp`` (the server an editor would run) as a subprocess,
opens a net, then makes one small edit at a time (a digit of a ``num_output`` toggled back
and forth, sent as an incremental change, as editors do) and times each edit until the
diagnostics of that version arrive. Isolated edits are linted at once; a burst of edits is
also timed (from its last change to the diagnostics of the last version), and so are hovers
on layer names and blobs spread over the file, with the server idle. For scale, between two
edits (the server idle) this process times protobuf's own ``text_format.Parse`` of the same
text, the engine's load alone (parse with positions, no rules), the whole lint, and the
language server's incremental lint of the same edit (``prototxt_lint.lsp.analysis.analyse``
with the document's ``BufferLoader``), so that all the series see the same background load.

    .venv/bin/python benchmarks/lsp_latency.py            # small, GoogLeNet, largest, 400 KB
    .venv/bin/python benchmarks/lsp_latency.py --edits 200 path/to/net.prototxt
    git worktree add /tmp/base main   # the server before a change, timed in the same run:
    .venv/bin/python benchmarks/lsp_latency.py --baseline /tmp/base

The corpus is ``../shared/corpus`` beside the checkout (its MANIFEST.tsv names the nets); the
400 KB net is ``benchmarks/scaling.py``'s ResNet-like chain of ``--generated-layers`` layers
(deep ResNets, SENet-154 and generated nets are that large; the largest corpus net is a fork's).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import text_format
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from prototxt_lint.engine.linter import Input, Linter
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.lsp.analysis import analyse
from prototxt_lint.lsp.incremental import BufferLoader
from prototxt_lint.lsp.positions import LineIndex
from prototxt_lint.schema import bvlc_schema

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
SMALL = CORPUS / "BVLC__caffe" / "examples" / "mnist" / "lenet_train_test.prototxt"
GOOGLENET = CORPUS / "BVLC__caffe" / "models" / "bvlc_googlenet" / "train_val.prototxt"


def largest_net() -> Path:
    """The largest net (train or deploy) in the corpus manifest, by file size."""
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle, delimiter="\t") if r["kind"] in ("net", "deploy")
        ]
    return max((CORPUS / r["local_path"] for r in rows), key=lambda p: p.stat().st_size)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def timed(func: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


@dataclass
class Result:
    path: Path
    size: int
    findings: int
    edit: list[float]
    burst: list[float]
    hover: list[float]
    parse: list[float] | None  # text_format.Parse; None when protobuf refuses the file
    engine_parse: list[float]
    lint: list[float]
    incremental: list[float]  # the server's lint of the edited text, in this process
    baseline: list[float] | None  # edit -> diagnostics of the --baseline checkout's server


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("lsp-latency", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.counts: dict[tuple[str, int | None], int] = {}
        self.waiters: dict[tuple[str, int | None], asyncio.Future[float]] = {}

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            key = (params.uri, params.version)
            now = time.perf_counter()  # stamped on arrival, before any waiter wakes up
            self.arrived[key] = now
            self.counts[key] = len(params.diagnostics)
            waiter = self.waiters.pop(key, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

    async def wait_for(self, uri: str, version: int, timeout: float = 60.0) -> float:
        key = (uri, version)
        if key in self.arrived:
            return self.arrived[key]
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[key] = waiter
        return await asyncio.wait_for(waiter, timeout)


def edit_site(text: str) -> tuple[int, str, str]:
    """Offset of one character to toggle, and its two values: a digit of the first
    ``num_output`` (the net stays the same net), else a trailing space on line 1."""
    at = text.find("num_output:")
    if at != -1:
        digit = at + len("num_output:")
        while digit < len(text) and not text[digit].isdigit():
            digit += 1
        if digit < len(text):
            old = text[digit]
            return digit, old, "7" if old != "7" else "8"
    end = text.find("\n")
    return (end if end != -1 else len(text)), "", " "


def hover_sites(text: str, count: int) -> list[tuple[int, int]]:
    """LSP positions of ``count`` layer names and blobs spread evenly over the file."""
    index = LineIndex(text)
    found = [m.start() + 1 for m in re.finditer(r'(?:name|top|bottom): *"', text)]
    found = [text.index('"', at) + 1 for at in found]
    step = max(1, len(found) // max(1, count))
    return [index.position(at) for at in found[::step][:count]]


def server_env(checkout: Path | None) -> dict[str, str] | None:
    """The server's environment: this checkout's code, or (``--baseline``) another
    checkout's ``prototxt_lint`` (a worktree of main: the server before a change), with the
    same interpreter and installed packages (it also starts in that checkout, which Python
    puts first on the path)."""
    if checkout is None:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(checkout), env.get("PYTHONPATH", "")) if p)
    return env


async def measure_lsp(
    path: Path, edits: int, bursts: int, hovers: int, debounce_ms: int,
    between: Callable[[str], None], checkout: Path | None = None,
) -> tuple[list[float], list[float], list[float], int]:
    client = Client()
    await client.start_io(
        sys.executable, "-m", "prototxt_lint.lsp", "--debounce-ms", str(debounce_ms),
        env=server_env(checkout), cwd=str(checkout) if checkout else None,
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=path.parent.as_uri()
        )
    )
    client.initialized(types.InitializedParams())
    text = path.read_text(encoding="utf-8", errors="replace")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="prototxt", version=1, text=text
            )
        )
    )
    await client.wait_for(uri, 1)
    findings = client.counts[(uri, 1)]
    offset, old, new = edit_site(text)
    index = LineIndex(text)
    line, char = index.position(offset)
    version = 1
    current = old

    def change() -> str:
        nonlocal version, current, text
        version += 1
        replacement = new if current == old else old
        start = types.Position(line=line, character=char)
        end = types.Position(line=line, character=char + len(current))
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=start, end=end), text=replacement
                    )
                ],
            )
        )
        text = text[:offset] + replacement + text[offset + len(current):]
        current = replacement
        return text

    single: list[float] = []
    for i in range(edits + 5):
        sent = time.perf_counter()
        edited = change()
        got = await client.wait_for(uri, version)
        if i >= 5:  # warm-up
            single.append(got - sent)
            # between edits, while the server is idle: the in-process references, so that
            # every series sees the same background load
            between(edited)
    burst: list[float] = []
    for _ in range(bursts):
        for i in range(10):  # ten keystrokes 5 ms apart
            if i:
                await asyncio.sleep(0.005)
            sent = time.perf_counter()
            change()
        got = await client.wait_for(uri, version)
        burst.append(got - sent)
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # the server idle, hover's index of the last version built
    hover: list[float] = []
    sites = hover_sites(text, hovers)
    # this process holds the in-process references' big nets: its own collector, not the
    # server, took up to 30 ms of a hover's round trip
    gc.collect()
    gc.disable()
    for i, (line, char) in enumerate([sites[0], *sites] if sites else []):
        sent = time.perf_counter()
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=char),
            )
        )
        if i:  # the first warms this client's own message converters up
            hover.append(time.perf_counter() - sent)
    gc.enable()
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return single, burst, hover, findings


def measure(path: Path, edits: int, bursts: int, hovers: int, debounce_ms: int,
            baseline: Path | None = None) -> Result:
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    cls = bvlc_schema().message_class("NetParameter")
    parses: bool
    try:
        text_format.Parse(text, cls())
        parses = True
    except text_format.ParseError:
        parses = False
    rules = load_rules()
    name = str(path)
    parse: list[float] = []
    engine_parse: list[float] = []
    lint: list[float] = []
    incremental: list[float] = []
    loader = BufferLoader()
    uri = "untitled:" + path.name  # no configuration lookup: the engine's work only
    analyse(uri, 0, text, rules, loader=loader)

    def between(edited: str) -> None:
        if parses:
            parse.extend(timed(lambda: text_format.Parse(text, cls()), 1))
        engine_parse.extend(timed(lambda: Linter([]).lint([Input(name, data)]), 1))
        lint.extend(timed(lambda: Linter(rules).lint([Input(name, data)]), 1))
        incremental.extend(timed(lambda: analyse(uri, 1, edited, rules, loader=loader), 1))

    single, burst, hover, findings = asyncio.run(
        measure_lsp(path, edits, bursts, hovers, debounce_ms, between))
    before = None
    if baseline is not None:  # right after, so that both servers see the same load
        before = asyncio.run(
            measure_lsp(path, edits, 0, 0, debounce_ms, lambda edited: None, baseline))[0]
    return Result(path, len(data), findings, single, burst, hover, parse if parses else None,
                  engine_parse, lint, incremental, before)


def ms(values: list[float] | None, q: float | None = None) -> str:
    if not values:
        return "n/a"
    value = statistics.median(values) if q is None else percentile(values, q)
    return f"{value * 1000:.1f}"


def report(results: list[Result], debounce_ms: int) -> str:
    baseline = any(r.baseline for r in results)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python"
        f" {platform.python_version()}, {platform.system()}; load average after the run"
        f" {load}; server debounce {debounce_ms} ms.",
        "",
        "| Net | Size | Findings | Edit → diagnostics median / p95 (ms) | Burst of 10 →"
        " diagnostics median / p95 (ms) | Hover median / p95 (ms) | `text_format.Parse`"
        " median (ms) | Engine parse median (ms) | Whole lint median / p95 (ms) |"
        " Incremental lint median / p95 (ms) | Incremental / whole (medians) |"
        + (" Baseline server: edit → diagnostics median / p95 (ms) |" if baseline else ""),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        + (" ---: |" if baseline else ""),
    ]
    for r in results:
        try:
            shown = r.path.relative_to(CORPUS)
        except ValueError:
            shown = r.path
        lines.append(
            f"| `{shown}` | {r.size / 1000:.1f} KB | {r.findings}"
            f" | {ms(r.edit)} / {ms(r.edit, 0.95)} ({len(r.edit)} edits)"
            f" | {ms(r.burst)} / {ms(r.burst, 0.95)} ({len(r.burst)} bursts)"
            f" | {ms(r.hover)} / {ms(r.hover, 0.95)} ({len(r.hover)} hovers)"
            f" | {ms(r.parse)} | {ms(r.engine_parse)} | {ms(r.lint)} / {ms(r.lint, 0.95)}"
            f" | {ms(r.incremental)} / {ms(r.incremental, 0.95)}"
            f" | {statistics.median(r.incremental) / statistics.median(r.lint):.2f} |"
            + (f" {ms(r.baseline)} / {ms(r.baseline, 0.95)} |" if baseline else "")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="nets to time (default: three)")
    parser.add_argument("--edits", type=int, default=100, help="isolated edits per net")
    parser.add_argument("--bursts", type=int, default=20, help="bursts of 10 edits per net")
    parser.add_argument("--hovers", type=int, default=40, help="hovers per net")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout (a worktree of main) whose server is timed"
                        " on the same isolated edits right after this one's")
    parser.add_argument("--generated-layers", type=int, default=3000,
                        help="layers of the generated net (3,000: 396 KB); 0: none")
    parser.add_argument("--debounce-ms", type=int, default=50, help="the server's setting")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.paths or [SMALL, GOOGLENET, largest_net()]
        if not args.paths and args.generated_layers:
            sys.path.insert(0, str(Path(__file__).parent))
            from scaling import net_text

            generated = Path(tmp) / f"generated_{args.generated_layers}_layers.prototxt"
            generated.write_text(net_text(args.generated_layers), encoding="utf-8")
            paths.append(generated)
        results = []
        for path in paths:
            print(f"timing {path} ...", file=sys.stderr)
            results.append(measure(path, args.edits, args.bursts, args.hovers,
                                   args.debounce_ms, args.baseline))
        print(report(results, args.debounce_ms))


if __name__ == "__main__":
    main()
