"""Memory: peak resident set size of ``prototxt-lint`` on the largest corpus file.

Each figure is the peak RSS of one child process (``os.wait4``), best (lowest) of
``--runs``. For scale, the same is measured for a bare interpreter that only imports the
schema bindings, and for one that also parses the file with ``text_format``.

    .venv/bin/python benchmarks/memory.py
    .venv/bin/python benchmarks/memory.py --file path/to/big.prototxt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench_common import CORPUS, Section, largest_file, lint_command, machine, peak_rss_mb

IMPORT_ONLY = ("from google.protobuf import text_format\n"
               "from prototxt_lint.schema import caffe_pb2\n")
PARSE = IMPORT_ONLY + (
    "import sys\n"
    "with open(sys.argv[1], encoding='utf-8') as f:\n"
    "    text_format.Parse(f.read(), caffe_pb2.NetParameter())\n"
)


def run(runs: int = 3, path: Path | None = None) -> Section:
    target = path or CORPUS / largest_file()
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
    lint = peaks["`prototxt-lint` on the file"]
    parse = peaks["bare interpreter + `text_format.Parse` of the file"]
    shown = target.relative_to(CORPUS) if target.is_relative_to(CORPUS) else target
    lines = [
        f"Largest corpus file: `{shown}` ({target.stat().st_size / 1000:.0f} kB,"
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
    return Section("Memory: peak RSS on the largest corpus file (`benchmarks/memory.py`)", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", type=Path, default=None)
    args = parser.parse_args()
    print(machine())
    print(run(args.runs, args.file).markdown())


if __name__ == "__main__":
    main()
