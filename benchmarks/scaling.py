"""Scaling: lint time against net size, to catch work that grows faster than the file.

A synthetic ResNet-like chain (an Input, then blocks of Convolution, BatchNorm, Scale and
ReLU, each block reading the previous one) is written with 500 to 8000 layers. For each size
the full lint and a bare ``text_format.Parse`` are timed in this process (best of
``--repeat``). The bare parse grows linearly; if the lint/parse ratio grows with the size,
something in the engine or a rule is quadratic (it is then named with ``--profile``).

    .venv/bin/python benchmarks/scaling.py
    .venv/bin/python benchmarks/scaling.py --sizes 1000 4000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import time
from collections.abc import Callable, Sequence

from bench_common import Section, machine
from google.protobuf import text_format

from prototxt_lint.engine.linter import Input, Linter
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.schema import caffe_pb2

BLOCK = """layer {{ name: "conv{i}" type: "Convolution" bottom: "{prev}" top: "conv{i}"
  param {{ lr_mult: 1 decay_mult: 1 }}
  convolution_param {{ num_output: 16 kernel_size: 3 pad: 1 bias_term: false
    weight_filler {{ type: "msra" }} }} }}
layer {{ name: "bn{i}" type: "BatchNorm" bottom: "conv{i}" top: "conv{i}"
  batch_norm_param {{ use_global_stats: true }} }}
layer {{ name: "scale{i}" type: "Scale" bottom: "conv{i}" top: "conv{i}"
  scale_param {{ bias_term: true }} }}
layer {{ name: "relu{i}" type: "ReLU" bottom: "conv{i}" top: "conv{i}" }}
"""
HEAD = (
    'layer { name: "data" type: "Input" top: "data"\n'
    "  input_param { shape { dim: 1 dim: 3 dim: 32 dim: 32 } } }\n"
)


def net_text(layers: int) -> str:
    blocks = [BLOCK.format(i=i, prev="data" if i == 0 else f"conv{i - 1}")
              for i in range(max(1, layers // 4))]
    return HEAD + "".join(blocks)


def best(repeat: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def run(sizes: Sequence[int] = (500, 1000, 2000, 4000, 8000), repeat: int = 2) -> Section:
    linter = Linter(load_rules())
    rows = []
    for size in sizes:
        text = net_text(size)
        data = text.encode()

        def parse_it(text: str = text) -> object:
            return text_format.Parse(text, caffe_pb2.NetParameter())

        def lint_it(data: bytes = data) -> object:
            return linter.lint([Input("<bench>/net.prototxt", data)])

        parse, lint = best(repeat, parse_it), best(repeat, lint_it)
        rows.append((size, len(data), parse, lint))
    lines = [
        "Synthetic Conv/BatchNorm/Scale/ReLU chains, best of"
        f" {repeat} runs each, in one process.",
        "",
        "| Layers | Size | Bare parse | Full lint | Lint / parse |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *[
            f"| {size} | {nbytes / 1000:.0f} kB | {parse * 1000:.0f} ms | {lint * 1000:.0f} ms |"
            f" {lint / parse:.2f}x |"
            for size, nbytes, parse, lint in rows
        ],
    ]
    if len(rows) >= 2:
        (s0, _, p0, l0), (s1, _, p1, l1) = rows[0], rows[-1]
        grow = math.log(s1 / s0)
        lines += [
            "",
            f"Growth from {s0} to {s1} layers: the bare parse as n^{math.log(p1 / p0) / grow:.2f},"
            f" the lint as n^{math.log(l1 / l0) / grow:.2f} (1.00 is linear).",
        ]
    return Section("Scaling: lint time against net size (`benchmarks/scaling.py`)", lines)


def profile(size: int, top: int = 20) -> str:
    linter = Linter(load_rules())
    data = net_text(size).encode()
    profiler = cProfile.Profile()
    profiler.enable()
    linter.lint([Input("<bench>/net.prototxt", data)])
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(top)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000, 8000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="profile the largest size")
    args = parser.parse_args()
    print(machine())
    print(run(args.sizes, args.repeat).markdown())
    if args.profile:
        print(profile(max(args.sizes)))


if __name__ == "__main__":
    main()
