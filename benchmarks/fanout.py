"""Graph scaling: N301's work against the number of layers and against one blob's fan-out.

Two synthetic nets are written at growing sizes: a chain of ReLU layers (each reading the
one before, up to 100,000 layers) and a fan-out (one Input blob read by up to 12,000 layers,
which Caffe's InsertSplits gives 12,000 split copies). For each, in this process, the lint
with only N301 and a bare ``text_format.Parse`` of the same text are timed (best of
``--repeat``), and the lint's peak of Python allocations is measured with ``tracemalloc``
(in a separate run, as tracing slows it). The growth of each is reported as an exponent
between the smallest and the largest size (n^1.00 is linear). N301 was quadratic in the
fan-out (a list of the other readers per reader: 11 s and 1.25 GB at 12,000 readers).

    .venv/bin/python benchmarks/fanout.py
    .venv/bin/python benchmarks/fanout.py --chain 10000 100000 --fanout 1500 12000
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc
from collections.abc import Callable, Sequence

from bench_common import Section, machine
from google.protobuf import text_format

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.schema import caffe_pb2

HEAD = ('layer { name: "data" type: "Input" top: "data"\n'
        "  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n")


def chain(layers: int) -> str:
    return HEAD + "".join(
        f'layer {{ name: "r{i}" type: "ReLU" bottom: "{"data" if i == 0 else f"r{i - 1}"}"'
        f' top: "r{i}" }}\n' for i in range(layers))


def fanout(readers: int) -> str:
    return HEAD + "".join(
        f'layer {{ name: "r{i}" type: "ReLU" bottom: "data" top: "r{i}" }}\n'
        for i in range(readers))


def best(repeat: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(func: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def exponent(rows: list[tuple[int, float]]) -> float:
    (n0, v0), (n1, v1) = rows[0], rows[-1]
    return math.log(v1 / v0) / math.log(n1 / n0)


def series(label: str, make: Callable[[int], str], sizes: Sequence[int],
           repeat: int) -> list[str]:
    linter = Linter(load_rules(), Options(select=("N301",)))
    lint_rows, parse_rows, mem_rows, lines = [], [], [], []
    for size in sizes:
        text = make(size)
        data = text.encode()

        def lint_it(data: bytes = data) -> object:
            return linter.lint([Input("<bench>/net.prototxt", data)])

        def parse_it(text: str = text) -> object:
            return text_format.Parse(text, caffe_pb2.NetParameter())

        lint_s, parse_s, lint_mb = best(repeat, lint_it), best(repeat, parse_it), peak_mb(lint_it)
        lint_rows.append((size, lint_s))
        parse_rows.append((size, parse_s))
        mem_rows.append((size, lint_mb))
        lines.append(f"| {label} | {size} | {len(data) / 1e6:.2f} MB | {lint_s:.2f} s |"
                     f" {parse_s:.3f} s | {lint_s / parse_s:.2f}x | {lint_mb:.0f} MB |"
                     f" {lint_mb * 1e6 / len(data):.0f} |")
    if len(sizes) >= 2:
        lines.append(f"| {label}: growth | | | n^{exponent(lint_rows):.2f} |"
                     f" n^{exponent(parse_rows):.2f} | | n^{exponent(mem_rows):.2f} | |")
    return lines


def run(chain_sizes: Sequence[int] = (12500, 25000, 50000, 100000),
        fanout_sizes: Sequence[int] = (1500, 3000, 6000, 12000), repeat: int = 1) -> Section:
    rows = [*series("chain", chain, chain_sizes, repeat),
            *series("fan-out", fanout, fanout_sizes, repeat)]
    lines = [
        f"In one process: the lint with `select = N301` and a bare `text_format.Parse` of the"
        f" same text (best of {repeat}), and the lint's peak of Python allocations"
        " (`tracemalloc`, its own run). Growth is the exponent between the smallest and the"
        " largest size (n^1.00 is linear).",
        "",
        "| Net | Layers (readers) | Size | Lint | Bare parse | Lint / parse | Lint peak"
        " | Peak bytes per input byte |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
    ]
    return Section("Graph scaling: N301 against layers and fan-out (`benchmarks/fanout.py`)",
                   lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chain", type=int, nargs="+", default=[12500, 25000, 50000, 100000])
    parser.add_argument("--fanout", type=int, nargs="+", default=[1500, 3000, 6000, 12000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    print(run(args.chain, args.fanout, args.repeat).markdown())


if __name__ == "__main__":
    main()
