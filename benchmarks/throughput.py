"""Throughput: the full lint of each corpus file against a bare ``text_format.Parse`` of it.

The bare parse into ``caffe_pb2`` is the floor any Python tool pays; the linter's own parser
(which also keeps the position of every field), the phase model and all the rules must cost
almost nothing on top. Target: total lint time <= 1.2x the total bare parse.

For every file BVLC's schema parses (PARSE_BVLC.tsv), in this process, interleaved, best of
``--repeat``: (1) ``text_format.Parse(data.decode(), NetParameter())`` (or SolverParameter),
(2) the engine's load alone (decode, tokenize, classify, parse with positions), (3) the full
lint (``Linter.lint``: load, phase model, every rule). Solvers are linted on their own text
(their net files are not read), so each side handles exactly the same bytes.

    .venv/bin/python benchmarks/throughput.py
    .venv/bin/python benchmarks/throughput.py --repeat 9 --profile   # + where lint time goes
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench_common import CORPUS, Section, bvlc_parseable, machine
from cpp_baseline import build as build_cpp
from cpp_baseline import parse_times as cpp_parse_times
from google.protobuf import text_format

from prototxt_lint.engine.linter import Input, Linter
from prototxt_lint.engine.loading import load_bytes
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.schema import bvlc_schema, caffe_pb2

#: a display name the engine cannot resolve a solver's net paths against (no disk reads)
PREFIX = "<bench>/"


@dataclass
class FileTimes:
    path: str
    size: int
    parse: float
    load: float
    lint: float


def once(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def measure(repeat: int) -> list[FileTimes]:
    linter = Linter(load_rules())
    schema = bvlc_schema()
    out = []
    gc.collect()
    for local, kind in bvlc_parseable():
        data = (CORPUS / local).read_bytes()
        cls = getattr(caffe_pb2, kind)
        name = PREFIX + local

        def parse(data: bytes = data, cls: type = cls) -> object:
            return text_format.Parse(data.decode("utf-8"), cls())

        def load(data: bytes = data, name: str = name) -> object:
            return load_bytes(name, data, schema)

        def lint(data: bytes = data, name: str = name) -> object:
            return linter.lint([Input(name, data)])

        lint()  # warm caches (rule registries, descriptor lookups) outside the timing
        times: dict[str, list[float]] = {"parse": [], "load": [], "lint": []}
        for _ in range(repeat):  # interleaved, so load on the machine hits all three alike
            times["parse"].append(once(parse))
            times["load"].append(once(load))
            times["lint"].append(once(lint))
        out.append(FileTimes(local, len(data), *(min(times[k]) for k in ("parse", "load", "lint"))))
    return out


def profile_lint(top: int = 25) -> str:
    """cProfile of one full lint pass over the same files, sorted by internal time."""
    linter = Linter(load_rules())
    inputs = [
        (PREFIX + local, (CORPUS / local).read_bytes()) for local, _ in bvlc_parseable()
    ]
    profiler = cProfile.Profile()
    profiler.enable()
    for name, data in inputs:
        linter.lint([Input(name, data)])
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


def _cpp_lines(results: list[FileTimes], cpp: dict[str, float], why: str) -> list[str]:
    """The C++ row (the same files, those C++ protobuf also parses), or why there is none."""
    if not cpp:
        return ["", why or "no C++ parse measured: C++ protobuf parsed none of the files"]
    same = [r for r in results if str(CORPUS / r.path) in cpp]
    total = sum(cpp[str(CORPUS / r.path)] for r in same)
    parse = sum(r.parse for r in same)
    lint = sum(r.lint for r in same)
    left = f"; {len(results) - len(same)} files it refuses left out" if len(same) < len(
        results) else ""
    return [
        f"| C++ `TextFormat::Parse` into Caffe's generated classes (what Caffe"
        f" runs, `benchmarks/cpp_parse.cpp`) | {total * 1000:.0f} ms | {total / parse:.3f}x |",
        "",
        f"On the {len(same)} files C++ protobuf parses{left}: the full lint takes"
        f" **{lint / total:.0f}x** the C++ parse, Python's bare parse {parse / total:.0f}x.",
    ]


def run(repeat: int = 5) -> Section:
    results = measure(repeat)
    program, why = build_cpp()
    cpp: dict[str, float] = {}
    if program is not None:
        cpp = cpp_parse_times(program, [(CORPUS / local, kind) for local, kind
                                        in bvlc_parseable()], repeat)
    parse = sum(r.parse for r in results)
    load = sum(r.load for r in results)
    lint = sum(r.lint for r in results)
    ratios = sorted((r.lint / r.parse, r) for r in results)
    median_ratio = ratios[len(ratios) // 2][0]
    worst = ratios[-3:][::-1]
    size = sum(r.size for r in results)
    verdict = "met" if lint / parse <= 1.2 else "NOT met"
    lines = [
        f"{len(results)} corpus files that BVLC's schema parses ({size / 1e6:.1f} MB), best of"
        f" {repeat} interleaved runs per file, in one process.",
        "",
        "| Measure | Total | vs bare parse |",
        "| --- | ---: | ---: |",
        f"| bare `text_format.Parse` into `caffe_pb2` (the floor) | {parse * 1000:.0f} ms"
        " | 1.00x |",
        f"| engine load only (tokenize, classify, parse with positions) | {load * 1000:.0f} ms |"
        f" {load / parse:.2f}x |",
        f"| full lint (load, phases, every rule) | {lint * 1000:.0f} ms"
        f" | **{lint / parse:.2f}x** |",
        *_cpp_lines(results, cpp, why),
        "",
        f"Target: full lint <= 1.2x the bare parse: **{verdict}**"
        f" ({lint / parse:.2f}x). Per file, the median ratio is {median_ratio:.2f}x; the highest:",
        "",
        *[
            f"- `{r.path}` ({r.size / 1000:.0f} kB): {ratio:.2f}x"
            f" ({r.lint * 1000:.1f} ms vs {r.parse * 1000:.1f} ms)"
            for ratio, r in worst
        ],
    ]
    return Section("Throughput: full lint vs bare parse (`benchmarks/throughput.py`)", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of lint")
    args = parser.parse_args()
    print(machine())
    print(run(args.repeat).markdown())
    if args.profile:
        print(profile_lint())


if __name__ == "__main__":
    main()
