"""Scaling: lint time against net size, to catch work that grows faster than the file.

A synthetic ResNet-like chain (an Input, then blocks of Convolution, BatchNorm, Scale and
ReLU, each block reading the previous one) is written with 1,000 to 100,000 layers (13 MB).
For each size the full lint and a bare ``text_format.Parse`` are timed in this process (CPU
time, best of ``--repeat``; one run from 25,000 layers up), with the collector tuned as a
command-line run tunes it (``prototxt_lint/engine/gctune.py``). The growth exponent k is a
least-squares fit of time ~ n^k over all sizes (1.00 is linear): the bare parse grows
linearly; if the lint's exponent is higher, or the lint/parse ratio grows with the size,
something in the engine or a rule is superlinear (it is then named with ``--profile``).

    .venv/bin/python benchmarks/scaling.py
    .venv/bin/python benchmarks/scaling.py --sizes 1000 4000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import pstats
import time
from collections.abc import Callable, Sequence

from bench_common import Section, machine
from google.protobuf import text_format

from prototxt_lint.engine.gctune import tune_for_batch
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


SIZES = (1000, 4000, 12500, 25000, 50000, 100000)
#: from this size on, one run per size (a 100,000-layer lint takes several seconds)
ONE_RUN_FROM = 25000


def best(repeat: int, func: Callable[[], object]) -> float:
    """Lowest CPU time (this process) of ``repeat`` runs of ``func``."""
    times = []
    for _ in range(repeat):
        gc.collect()  # the previous run's garbage is not this run's
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return min(times)


def exponent(rows: Sequence[tuple[int, float]]) -> float:
    """k of the least-squares fit of log time = k log n + c."""
    xs = [math.log(n) for n, _ in rows]
    ys = [math.log(t) for _, t in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


def run(sizes: Sequence[int] = SIZES, repeat: int = 2) -> Section:
    linter = Linter(load_rules())
    linter.lint([Input("<bench>/warm.prototxt", net_text(40).encode())])  # lazy imports
    tune_for_batch()
    rows = []
    for size in sizes:
        text = net_text(size)
        data = text.encode()

        def parse_it(text: str = text) -> object:
            return text_format.Parse(text, caffe_pb2.NetParameter())

        def lint_it(data: bytes = data) -> object:
            return linter.lint([Input("<bench>/net.prototxt", data)])

        runs = 1 if size >= ONE_RUN_FROM else repeat
        parse, lint = best(runs, parse_it), best(runs, lint_it)
        rows.append((size, len(data), parse, lint))
        del text, data
    lines = [
        f"Synthetic Conv/BatchNorm/Scale/ReLU chains, CPU time, best of {repeat} runs each"
        f" (one from {ONE_RUN_FROM:,} layers), in one process, the collector tuned as a"
        " command-line run tunes it.",
        "",
        "| Layers | Size | Bare parse | Full lint | Lint / parse | Lint ms per 1,000 layers |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        *[
            f"| {size:,} | {nbytes / 1e6:.2f} MB | {parse * 1000:.0f} ms | {lint * 1000:.0f} ms |"
            f" {lint / parse:.2f}x | {lint / size * 1e6:.0f} |"
            for size, nbytes, parse, lint in rows
        ],
    ]
    if len(rows) >= 2:
        parse_k = exponent([(n, p) for n, _, p, _ in rows])
        lint_k = exponent([(n, t) for n, _, _, t in rows])
        lines += [
            "",
            f"Growth from {rows[0][0]:,} to {rows[-1][0]:,} layers (least-squares fit of"
            f" time ~ n^k over every size): the bare parse as **n^{parse_k:.2f}**, the lint"
            f" as **n^{lint_k:.2f}** (1.00 is linear).",
        ]
    return Section("Scaling: lint time against net size, to 100,000 layers"
                   " (`benchmarks/scaling.py`)", lines)


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
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="profile the largest size")
    args = parser.parse_args()
    print(machine())
    print(run(args.sizes, args.repeat).markdown())
    if args.profile:
        print(profile(max(args.sizes)))


if __name__ == "__main__":
    main()
