"""Memory: peak resident set size of ``prototxt-lint`` on the largest corpus file that BVLC's
schema parses, and memory per 1,000 layers of a generated net.

Each figure is the peak RSS of one child process (``os.wait4``), best (lowest) of
``--runs``. For scale, the same is measured for a bare interpreter that only imports the
schema bindings, and for one that also parses the file with ``text_format``. Per layer: the
same three processes on ``benchmarks/scaling.py``'s generated chain of ``--layers`` layers
(peak RSS above the import-only process, per 1,000 layers), and the peak of the lint's
Python allocations (``tracemalloc``, in this process) per 1,000 layers.

    .venv/bin/python benchmarks/memory.py
    .venv/bin/python benchmarks/memory.py --file path/to/big.prototxt --layers 20000
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import tracemalloc
from pathlib import Path

from bench_common import CORPUS, Section, bvlc_parseable, lint_command, machine, peak_rss_mb
from scaling import net_text

IMPORT_ONLY = ("from google.protobuf import text_format\n"
               "from prototxt_lint.schema import caffe_pb2\n")
PARSE = IMPORT_ONLY + (
    "import sys\n"
    "with open(sys.argv[1], encoding='utf-8') as f:\n"
    "    text_format.Parse(f.read(), caffe_pb2.NetParameter())\n"
)


def largest_parseable() -> Path:
    """The largest corpus file BVLC's schema parses (a bare parse of it must succeed)."""
    return max((CORPUS / local for local, _ in bvlc_parseable()), key=lambda p: p.stat().st_size)


def _peaks(target: Path, runs: int) -> dict[str, float]:
    commands = {
        "bare interpreter importing `prototxt_lint.schema.caffe_pb2`": [
            sys.executable, "-c", IMPORT_ONLY,
        ],
        "bare interpreter + `text_format.Parse` of the file": [
            sys.executable, "-c", PARSE, str(target),
        ],
        "`prototxt-lint` on the file": [*lint_command(), "--no-color", str(target)],
    }
    peaks = {}
    for label, command in commands.items():
        results = [peak_rss_mb(command) for _ in range(runs)]
        if label.startswith("bare") and any(code != 0 for _, code in results):
            raise SystemExit(f"{label} failed on {target}")
        peaks[label] = min(mb for mb, _ in results)
    return peaks


def traced_peak_per_1000(layers: int) -> float:
    """Peak of the lint's Python allocations (MiB) per 1,000 layers of a generated net."""
    from prototxt_lint.engine.linter import Input, Linter
    from prototxt_lint.engine.registry import load_rules

    linter = Linter(load_rules())
    linter.lint([Input("<bench>/warm.prototxt", net_text(40).encode())])
    data = net_text(layers).encode()
    gc.collect()
    tracemalloc.start()
    linter.lint([Input("<bench>/net.prototxt", data)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20 / (layers / 1000)


def run(runs: int = 3, path: Path | None = None, layers: int = 10000) -> Section:
    target = path or largest_parseable()
    peaks = _peaks(target, runs)
    lint = peaks["`prototxt-lint` on the file"]
    parse = peaks["bare interpreter + `text_format.Parse` of the file"]
    shown = target.relative_to(CORPUS) if target.is_relative_to(CORPUS) else target
    lines = [
        f"Largest corpus file that BVLC's schema parses: `{shown}`"
        f" ({target.stat().st_size / 1000:.0f} kB,"
        f" {target.read_text(encoding='utf-8', errors='replace').count(chr(10))} lines)."
        f" Peak RSS of one child process, lowest of {runs} runs.",
        "",
        "| Process | Peak RSS |",
        "| --- | ---: |",
        *[f"| {label} | {mb:.1f} MB |" for label, mb in peaks.items()],
        "",
        f"The linter needs {lint - parse:.1f} MB more than the bare parse"
        f" ({lint / parse:.2f}x the bare process's peak).",
    ]
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp:
        generated = Path(tmp) / f"generated_{layers}.prototxt"
        generated.write_text(net_text(layers), encoding="utf-8")
        size = generated.stat().st_size
        gen = _peaks(generated, runs)
    base = gen["bare interpreter importing `prototxt_lint.schema.caffe_pb2`"]
    per = {label: (mb - base) / (layers / 1000) for label, mb in gen.items()}
    lint_per = per["`prototxt-lint` on the file"]
    parse_per = per["bare interpreter + `text_format.Parse` of the file"]
    traced = traced_peak_per_1000(layers)
    lines += [
        "",
        f"Per layer, on `benchmarks/scaling.py`'s generated chain of {layers:,} layers"
        f" ({size / 1e6:.1f} MB): peak RSS"
        " above the import-only process, per 1,000 layers, lowest of"
        f" {runs} runs, and the peak of the lint's Python allocations (`tracemalloc`).",
        "",
        "| Per 1,000 layers | Memory |",
        "| --- | ---: |",
        f"| bare `text_format.Parse` (RSS) | {parse_per:.2f} MB |",
        f"| `prototxt-lint` (RSS) | {lint_per:.2f} MB ({lint_per / parse_per:.1f}x the bare"
        " parse) |",
        f"| `prototxt-lint`, Python allocations (`tracemalloc` peak) | **{traced:.2f} MiB** |",
    ]
    return Section("Memory: peak RSS on the largest corpus file, and per layer"
                   " (`benchmarks/memory.py`)", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--layers", type=int, default=10000)
    args = parser.parse_args()
    print(machine())
    print(run(args.runs, args.file, args.layers).markdown())


if __name__ == "__main__":
    main()
