"""Reading trained weights: time and peak memory of ``prototxt-lint weights`` and of a lint
with ``--weights``, on a large model made by real Caffe from a wide net, as ratios against the
same on a small one (and, for scale, against a bare interpreter that parses the model with
protobuf, which holds every blob in memory).

    prefix=$(bash ../shared/caffe-oracle/build.sh | tail -n1)
    .venv/bin/python benchmarks/weights.py --caffe $prefix/bin/caffe [--width 7000]

The large model is ``scripts/make_weights.py --wide`` (InnerProduct width x width plus
width x 10: about 4 * width^2 bytes, 196 MB at the default width), written to a temporary
folder and deleted afterwards. Memory independent of the weights' size means a ratio near 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import REPO, Section, lint_command, machine, peak_rss_mb

SMALL = REPO / "tests" / "fixtures" / "weights" / "v2.caffemodel"
SMALL_NET = REPO / "tests" / "fixtures" / "weights" / "train_v2.prototxt"
PARSE = ("import sys\nfrom prototxt_lint.schema.caffe_pb2 import NetParameter\n"
         "NetParameter().ParseFromString(open(sys.argv[1], 'rb').read())\n")


def _best_time(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def _measure(command: list[str], runs: int) -> tuple[float, float]:
    return min(peak_rss_mb(command)[0] for _ in range(runs)), _best_time(command, runs)


def run(caffe: str, width: int = 7000, runs: int = 3) -> Section:
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "wide.caffemodel"
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_weights.py"), caffe,
                        "--wide", str(big), "--width", str(width)], check=True,
                       capture_output=True)
        sys.path.insert(0, str(REPO / "scripts"))
        from make_weights import WIDE

        net = Path(tmp) / "wide.prototxt"
        net.write_text(WIDE.format(width=width))
        rows = []
        for label, small_cmd, big_cmd in (
            ("`prototxt-lint weights MODEL`",
             [*lint_command(), "weights", str(SMALL)], [*lint_command(), "weights", str(big)]),
            ("`prototxt-lint --weights MODEL NET`",
             [*lint_command(), "--weights", str(SMALL), str(SMALL_NET)],
             [*lint_command(), "--weights", str(big), str(net)]),
            ("bare interpreter: protobuf `ParseFromString` of the model",
             [sys.executable, "-c", PARSE, str(SMALL)],
             [sys.executable, "-c", PARSE, str(big)]),
        ):
            small_rss, small_t = _measure(small_cmd, runs)
            big_rss, big_t = _measure(big_cmd, runs)
            rows.append((label, small_rss, big_rss, small_t, big_t))
        size_mb = big.stat().st_size / 1e6
    ratio = size_mb * 1e6 / SMALL.stat().st_size
    lines = [
        f"Large model: {size_mb:.0f} MB (InnerProduct {width} x {width}, written by BVLC"
        f" Caffe), {ratio:,.0f}x the small one ({SMALL.stat().st_size} bytes). {machine()}."
        f" Lowest of {runs} runs each.",
        "",
        "| Command | Peak RSS small | Peak RSS large | Memory ratio | Time ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
        *[f"| {label} | {s:.1f} MB | {b:.1f} MB | {b / s:.2f}x | {bt / st:.2f}x |"
          for label, s, b, st, bt in rows],
    ]
    return Section("Weights: memory and time on a large model (`benchmarks/weights.py`)", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--caffe", required=True, help="BVLC Caffe's caffe binary")
    parser.add_argument("--width", type=int, default=7000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(run(args.caffe, args.width, args.runs).markdown())


if __name__ == "__main__":
    main()
