"""Many files: the command line on the whole corpus directory, default settings vs ``--jobs 1``.

The default lints across all cores (``--jobs 0``); the output must be byte-identical to the
serial run and in a stable order. Target on a 2-core machine: the default >= 1.6x faster
than ``--jobs 1``. Runs alternate after one warm-up of each; medians are compared. When the
command line has no ``--jobs`` option, the benchmark says so and skips.

    .venv/bin/python benchmarks/many_files.py
    .venv/bin/python benchmarks/many_files.py --runs 7 --path some/other/folder
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench_common import (
    REPO,
    Section,
    help_mentions,
    lint_command,
    machine,
    median,
    need_corpus,
    timed_cpu,
)


def count_files(path: Path) -> int:
    return sum(
        1 for _, _, files in os.walk(path) for name in files
        if name.endswith((".prototxt", ".pbtxt"))
    )


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def ceiling(workers: int, n: int = 3_000_000) -> float:
    """The speed-up this machine gives right now to perfectly parallel pure-Python work (a
    CPU burn in a process pool of ``workers``): the most ``--jobs`` can reach. Other load
    on the machine shows up here first."""
    tasks = [n] * (2 * workers)
    start = time.perf_counter()
    for task in tasks:
        _burn(task)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_burn, tasks))
    return serial / (time.perf_counter() - start)


def run(runs: int = 5, path: Path | None = None) -> Section:
    target = path or need_corpus()
    title = "Many files: whole corpus, default vs `--jobs 1` (`benchmarks/many_files.py`)"
    if not help_mentions("--jobs"):
        return Section(title, ["Skipped: this `prototxt-lint` has no `--jobs` option."])
    base = [*lint_command(), "--no-color", str(target)]
    default, serial = base, [*base[:-1], "--jobs", "1", base[-1]]
    times: dict[str, list[float]] = {"default": [], "serial": []}
    cpu: dict[str, list[float]] = {"default": [], "serial": []}
    pairs: list[tuple[tuple[int, bytes], tuple[int, bytes]]] = []  # (default, serial) per run
    for command in (default, serial):
        timed_cpu(command, cwd=REPO)  # warm the disk cache and the schema cache
    cores = os.cpu_count() or 1
    limits = [ceiling(cores)]
    for _ in range(runs):
        pair = []
        for label, command in (("default", default), ("serial", serial)):
            elapsed, seconds, code, out = timed_cpu(command, cwd=REPO)
            times[label].append(elapsed)
            cpu[label].append(seconds)
            pair.append((code, out))
        pairs.append((pair[0], pair[1]))
    # compared run by run: a rule edited while the benchmark runs changes later runs' output
    same = all(a == b for a, b in pairs)
    stable = len({a for a, _ in pairs}) == 1
    codes = sorted({a[0] for a, _ in pairs})
    fast, slow = median(times["default"]), median(times["serial"])
    speedup = slow / fast
    limits.append(ceiling(cores))
    work = median(cpu["default"]) / median(cpu["serial"])
    lines = [
        f"`prototxt-lint --no-color <corpus>` ({count_files(target)} `*.prototxt` files found by"
        f" the directory walk) with default settings against `--jobs 1`, {runs} alternating"
        f" runs each after a warm-up, medians, {cores} cores.",
        "",
        "| Run | Median | Speed-up |",
        "| --- | ---: | ---: |",
        f"| `--jobs 1` | {slow:.2f} s | 1.00x |",
        f"| default (`--jobs 0`: one process per core) | {fast:.2f} s | **{speedup:.2f}x** |",
        f"| ceiling: a pure CPU burn in a pool of {cores} (before, after) | |"
        f" {limits[0]:.2f}x, {limits[1]:.2f}x |",
        "",
        f"CPU time (user + system, all processes): {median(cpu['serial']):.2f} s serial,"
        f" {median(cpu['default']):.2f} s parallel, so the parallel run does {work:.2f}x the"
        f" work; on {cores} idle cores with balanced work that allows at most"
        f" {cores / work:.2f}x.",
        "",
        f"Output of the default run identical to the `--jobs 1` run made right after it (stdout"
        f" bytes and exit code {codes}), in every run: **{'yes' if same else 'NO'}**"
        + ("" if stable else " (the output changed between runs: was the code being edited?)")
        + ". Target >= 1.6x on 2 cores:"
        f" **{'met' if speedup >= 1.6 else 'NOT met'}** ({speedup:.2f}x). The ceiling row is"
        " what the machine allowed during the run: a speed-up near it means `--jobs` is not"
        " the limit; a ceiling well under the core count means other load, so measure again"
        " on an idle machine.",
    ]
    return Section(title, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--path", type=Path, default=None, help="folder to lint [the corpus]")
    args = parser.parse_args()
    print(machine())
    print(run(args.runs, args.path).markdown())


if __name__ == "__main__":
    main()
