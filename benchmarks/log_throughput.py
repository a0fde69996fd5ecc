"""`prototxt-lint log` on a large log: throughput and peak memory, side by side with
`grep -c Iteration` on the same file in the same run.

    .venv/bin/python benchmarks/log_throughput.py              # 25 MB and 100 MB
    .venv/bin/python benchmarks/log_throughput.py --mb 50 400
    .venv/bin/python benchmarks/log_throughput.py --profile    # where the reading time goes
    .venv/bin/python benchmarks/log_throughput.py --write      # and update docs/benchmarks.md

The log is a real debug_info log written by Caffe (../shared/caffe-logs/healthy_debug.log,
else tests/fixtures/logs/healthy/caffe.log) repeated until it has the size asked for: each
copy is one more run in the file, as a log appended to by several `caffe train` runs is.
Each command runs --repeat times, interleaved, and the fastest run counts (the machine is
shared: the slower runs measure the other jobs). Peak memory that does not grow from the
small to the large file is the streaming claim. The goal: 30 MB/s or more.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import textwrap
from pathlib import Path

from bench_common import machine, peak_rss_mb, timed_cpu

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO.parent / "shared" / "caffe-logs" / "healthy_debug.log",
           REPO / "tests" / "fixtures" / "logs" / "healthy" / "caffe.log"]
DOC = REPO / "docs" / "benchmarks.md"
HEADING = "## Training-log doctor (`benchmarks/log_throughput.py`)"
GOAL = 30.0  # MB/s


def source() -> Path:
    return next(p for p in SOURCES if p.is_file())


def build(path: Path, megabytes: int) -> int:
    data = source().read_bytes()
    target = megabytes * 1024 * 1024
    with open(path, "wb") as out:
        written = 0
        while written < target:
            out.write(data)
            written += len(data)
    return written


def best(command: list[str], repeat: int) -> tuple[float, float]:
    """The fastest (wall, CPU) of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        wall, cpu, code, _ = timed_cpu(command)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(command)} exited {code}")
        runs.append((wall, cpu))
    return min(runs)


def measure(sizes: list[int], repeat: int) -> list[str]:
    doctor = [sys.executable, "-m", "prototxt_lint", "log"]
    rows = ["| log | `prototxt-lint log` | MB/s | CPU | MB/s of CPU | `grep -c Iteration` |"
            " ratio | peak RSS | grep's RSS |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as folder:
        for megabytes in sizes:
            path = Path(folder) / f"big{megabytes}.log"
            mb = build(path, megabytes) / 1024 / 1024
            wall, cpu = best([*doctor, str(path)], repeat)
            grep, _ = best(["grep", "-c", "Iteration", str(path)], repeat)
            rss, _ = peak_rss_mb([*doctor, str(path)])
            grep_rss, _ = peak_rss_mb(["grep", "-c", "Iteration", str(path)])
            rows.append(f"| {mb:.0f} MB | {wall:.2f} s | {mb / wall:.1f} | {cpu:.2f} s |"
                        f" {mb / cpu:.1f} | {grep:.3f} s | {wall / grep:.0f}x | {rss:.1f} MB |"
                        f" {grep_rss:.1f} MB |")
            print(rows[-1], flush=True)
            path.unlink()
    return rows


def profile(megabytes: int) -> None:
    """cProfile of reading and diagnosing one log in this process (no start-up)."""
    from prototxt_lint.log.examine import examine

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.log"
        build(path, megabytes)
        profiler = cProfile.Profile()
        profiler.runcall(examine, str(path))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def section(rows: list[str], load: float) -> str:
    size = source().stat().st_size
    where = os.path.relpath(source(), REPO)
    intro = (
        "`prototxt-lint log` on a large log made by repeating a real debug_info log written by"
        f" BVLC Caffe (`{where}`, {size / 1024:.0f} KB, so each copy is one more run in the"
        " file), side by side with `grep -c Iteration` on the same file in the same run: the"
        " fastest of several interleaved runs of each, the whole process (start-up, reading,"
        f" diagnosing, linting the printed net). Goal: {GOAL:.0f} MB/s. Measured on"
        f" {machine()}, load average {load:.2f} when the run started (the 2 cores are shared"
        " with other jobs), with `.venv/bin/python benchmarks/log_throughput.py --write`:"
    )
    outro = (
        "Peak memory does not grow with the log (the lines are read 256 KB at a time; only the"
        " iteration being assembled and the last run's printed solver and net are kept). On a"
        " busy machine the wall time is often 2x the CPU time and varies between runs; the CPU"
        " time and the ratio to grep are the steadier figures. Where the time goes:"
        " `benchmarks/log_throughput.py --profile`. Most lines of a debug_info log are"
        " `[Forward]`/`[Backward]` values: one regular expression reads each whole line, and"
        " the doctor checks an iteration whose lines come in the run's usual order with list"
        " operations (`prototxt_lint/log/layout.py`) rather than value by value."
    )
    return "\n".join([HEADING, "", textwrap.fill(intro, 95), "", *rows, "",
                      textwrap.fill(outro, 95), ""])


def write(text: str) -> None:
    """Replace the log section of docs/benchmarks.md (up to the next ``## `` heading)."""
    current = DOC.read_text(encoding="utf-8")
    if HEADING in current:
        before, rest = current.split(HEADING, 1)
        after = rest.split("\n## ", 1)
        tail = "\n## " + after[1] if len(after) == 2 else ""
        new = before + text.rstrip() + "\n" + tail
    else:
        new = current.rstrip() + "\n\n" + text
    DOC.write_text(new if new.endswith("\n") else new + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, nargs="+", default=[25, 100])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="profile reading a log of the first size instead")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if args.profile:
        profile(args.mb[0])
        return
    load = os.getloadavg()[0]
    print(machine())
    rows = measure(args.mb, args.repeat)
    text = section(rows, load)
    if args.write:
        write(text)
        print(f"wrote {DOC}")
    else:
        print(text)


if __name__ == "__main__":
    main()
