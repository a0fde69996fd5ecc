"""Start-up: the whole ``prototxt-lint`` process on one small net against a bare Python script
that imports the same schema bindings and parses the same file with ``text_format``.

For one small file the process start dominates: the interpreter, the protobuf runtime, the
schema. What the linter adds on top (click, the rule modules, entry-point discovery, output)
must stay small. Target: median lint process <= 1.3x the median bare process.

Runs alternate (lint, bare, lint, bare, ...) after two warm-up runs of each, so both see the
same disk cache and machine load; the median of each is compared.

    .venv/bin/python benchmarks/startup.py
    .venv/bin/python benchmarks/startup.py --runs 50 --importtime   # + the slowest imports

The development venv has an editable install; to measure what users run, a regular one::

    python3 -m venv /tmp/plain && /tmp/plain/bin/pip install .
    /tmp/plain/bin/python benchmarks/startup.py

``hyperfine`` gives the same comparison with more statistics, if it is installed::

    hyperfine -N --warmup 3 '.venv/bin/prototxt-lint NET' \\
        ".venv/bin/python -c 'import sys; from google.protobuf import text_format; ...'"
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from bench_common import CORPUS, REPO, SMALL_NET, Section, lint_command, machine, median, timed
from cpp_baseline import build as build_cpp
from cpp_baseline import command as cpp_command

BARE = (
    "import sys\n"
    "from google.protobuf import text_format\n"
    "from prototxt_lint.schema import caffe_pb2\n"
    "with open(sys.argv[1], encoding='utf-8') as f:\n"
    "    text_format.Parse(f.read(), caffe_pb2.NetParameter())\n"
)


def small_net() -> Path:
    """BVLC's LeNet deploy net from the corpus, or a shipped example without the corpus."""
    net = CORPUS / SMALL_NET
    return net if net.is_file() else REPO / "examples" / "unknown_bottom.prototxt"


def measure(runs: int, cpp: list[str] | None = None
            ) -> tuple[list[float], list[float], list[float], int]:
    """Wall times of the lint, bare and (when ``cpp`` is given) C++ parse processes."""
    net = str(small_net())
    lint = [*lint_command(), "--no-color", net]
    # -P: import the installed package, not a checkout in the current folder (the console
    # script never sees the current folder either)
    bare = [sys.executable, "-P", "-c", BARE, net]
    for _ in range(2):
        timed(lint)
        timed(bare)
        if cpp:
            timed(cpp)
    lint_times, bare_times, cpp_times = [], [], []
    code = 0
    for _ in range(runs):
        elapsed, code, _ = timed(lint)
        lint_times.append(elapsed)
        elapsed, bare_code, _ = timed(bare)
        if bare_code != 0:
            raise SystemExit(f"the bare parse failed on {net}")
        bare_times.append(elapsed)
        if cpp:
            elapsed, cpp_code, _ = timed(cpp)
            if cpp_code != 0:
                raise SystemExit(f"the C++ parse failed on {net}")
            cpp_times.append(elapsed)
    return lint_times, bare_times, cpp_times, code


def slowest_imports(top: int = 12, depth: int = 2) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the slowest imports of a lint run, down to
    ``depth`` levels of nesting (1: only what the run imports itself)."""
    net = str(small_net())
    code = "from prototxt_lint.cli.entry import main; main()"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, "--no-color", net],
        capture_output=True, text=True, check=False,
    )
    found = []
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 2 * depth - 1:  # 1 space, +2 per level
            found.append((int(match.group(1)), match.group(3)))
    return sorted(found, reverse=True)[:top]


def run(runs: int = 21) -> Section:
    net = small_net()
    program, why = build_cpp()
    cpp = cpp_command(program, [(net, "NetParameter")]) if program else None
    lint_times, bare_times, cpp_times, code = measure(runs, cpp)
    lint, bare = median(lint_times), median(bare_times)
    shown = net.relative_to(CORPUS) if net.is_relative_to(CORPUS) else net.relative_to(REPO)
    imports = slowest_imports(8)
    lines = [
        f"`prototxt-lint --no-color {shown}` (exit {code}) against"
        " a C++ program parsing it as Caffe does and"
        f" `python -c` importing `prototxt_lint.schema.caffe_pb2` and running `text_format.Parse`"
        " on"
        f" the same file; {runs} alternating runs each after 2 warm-ups, medians of wall time.",
        "",
        "| Process | Median | vs bare |",
        "| --- | ---: | ---: |",
        f"| bare: import bindings + `text_format.Parse` | {bare * 1000:.0f} ms | 1.00x |",
        f"| `prototxt-lint` | {lint * 1000:.0f} ms | **{lint / bare:.2f}x** |",
        *([f"| C++: `TextFormat::Parse` into `caffe::NetParameter` (`benchmarks/cpp_parse.cpp`)"
           f" | {median(cpp_times) * 1000:.1f} ms | {median(cpp_times) / bare:.2f}x |"]
          if cpp_times else []),
        "",
        *([f"The lint process is {lint / median(cpp_times):.0f}x the C++ process, which"
           " loads only libprotobuf and Caffe's generated classes.", ""]
          if cpp_times else [why, ""]),
        f"Target <= 1.3x: **{'met' if lint / bare <= 1.3 else 'NOT met'}**"
        f" ({lint / bare:.2f}x, {1000 * (lint - bare):.0f} ms more)."
        " Slowest imports of the lint process, two levels deep (`python -X importtime`,"
        " cumulative, one run):"
        + " " + ", ".join(f"`{name}` {us / 1000:.0f} ms" for us, name in imports) + ".",
    ]
    return Section("Start-up: one small net, whole process (`benchmarks/startup.py`)", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports")
    args = parser.parse_args()
    print(machine())
    print(run(args.runs).markdown())
    if args.importtime:
        for us, name in slowest_imports(30, depth=3):
            print(f"{us / 1000:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
