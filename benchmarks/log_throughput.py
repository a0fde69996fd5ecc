"""`prototxt-lint log` on a large log: throughput and peak memory, side by side with
`grep -c Iteration` on the same file in the same run.

    .venv/bin/python benchmarks/log_throughput.py            # 25 MB and 100 MB
    .venv/bin/python benchmarks/log_throughput.py --mb 50 400

The log is a real debug_info log written by Caffe (../shared/caffe-logs/healthy_debug.log,
else tests/fixtures/logs/healthy/caffe.log) repeated until it has the size asked for: each
copy is one more run in the file, as a log appended to by several `caffe train` runs is.
Peak memory that does not grow from the small to the large file is the streaming claim.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench_common import machine, peak_rss_mb, timed

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO.parent / "shared" / "caffe-logs" / "healthy_debug.log",
           REPO / "tests" / "fixtures" / "logs" / "healthy" / "caffe.log"]


def build(path: Path, megabytes: int) -> int:
    source = next(p for p in SOURCES if p.is_file()).read_bytes()
    target = megabytes * 1024 * 1024
    with open(path, "wb") as out:
        written = 0
        while written < target:
            out.write(source)
            written += len(source)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, nargs="+", default=[25, 100])
    args = parser.parse_args()
    doctor = [sys.executable, "-m", "prototxt_lint", "log"]
    print(machine())
    print(f"{'log':>8} {'doctor':>9} {'MB/s':>7} {'grep -c':>9} {'ratio':>7}"
          f" {'peak RSS':>9} {'grep RSS':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for megabytes in args.mb:
            path = Path(folder) / f"big{megabytes}.log"
            size = build(path, megabytes)
            wall, code, _ = timed([*doctor, str(path)])
            if code not in (0, 1):
                raise SystemExit(f"prototxt-lint log exited {code}")
            grep, _, _ = timed(["grep", "-c", "Iteration", str(path)])
            rss, _ = peak_rss_mb([*doctor, str(path)])
            grep_rss, _ = peak_rss_mb(["grep", "-c", "Iteration", str(path)])
            mb = size / 1024 / 1024
            print(f"{mb:>6.0f}MB {wall:>8.2f}s {mb / wall:>7.1f} {grep:>8.3f}s"
                  f" {wall / grep:>6.0f}x {rss:>7.1f}MB {grep_rss:>7.1f}MB")
            path.unlink()


if __name__ == "__main__":
    main()
