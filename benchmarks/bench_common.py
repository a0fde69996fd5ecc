"""Shared pieces of the benchmarks: where the corpus is, which files to use, how to time.

Benchmarks compare two things measured in the same run (ratios, not absolute times), so a
slower or busier machine changes the figures less than it changes the clock.
"""

from __future__ import annotations

import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: the benchmarks time linting, not the result cache (``cache_speed.py`` measures that, with
#: its own environment)
os.environ.setdefault("PROTOTXT_LINT_NO_CACHE", "1")
CORPUS = Path(os.environ.get("PROTOTXT_CORPUS", REPO.parent / "shared" / "corpus"))
SMALL_NET = "BVLC__caffe/examples/mnist/lenet.prototxt"


def need_corpus() -> Path:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        raise SystemExit(f"no corpus at {CORPUS} (set PROTOTXT_CORPUS)")
    return CORPUS


def rows(name: str) -> list[dict[str, str]]:
    with open(need_corpus() / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def bvlc_parseable() -> list[tuple[str, str]]:
    """(corpus-relative path, message name) of every file BVLC's schema parses."""
    return [
        (r["local_path"], r["parsed_as"])
        for r in rows("PARSE_BVLC.tsv")
        if r["parses_with_bvlc_proto"] == "yes"
    ]


def largest_file() -> str:
    """The largest data file of the manifest (corpus-relative)."""
    files = [r["local_path"] for r in rows("MANIFEST.tsv") if r["kind"] != "proto"]
    return max(files, key=lambda p: (CORPUS / p).stat().st_size)


def lint_command() -> list[str]:
    """The installed console script next to this interpreter (what users run)."""
    script = shutil.which("prototxt-lint", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "prototxt_lint"]


def help_mentions(option: str) -> bool:
    """Whether ``prototxt-lint --help`` lists ``option`` (benchmarks skip what is not there)."""
    proc = subprocess.run([*lint_command(), "--help"], capture_output=True, text=True, check=False)
    return option in proc.stdout


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(command: Sequence[str], cwd: Path | None = None) -> tuple[float, int, bytes]:
    """Wall time, exit code and stdout of one run of ``command``."""
    start = time.perf_counter()
    proc = subprocess.run(list(command), capture_output=True, cwd=cwd, check=False)
    return time.perf_counter() - start, proc.returncode, proc.stdout


#: Started with ``python -S`` (small), it forks and execs the command and reports the child's
#: peak RSS. Why not ``os.wait4`` on a direct child: on Linux the peak survives ``execve``, and
#: ``subprocess`` starts children with ``vfork``, so a direct child reports at least the
#: benchmark process's own peak (every figure came out the same). A fork of a small
#: interpreter starts from a small peak instead.
_RSS_WRAPPER = """
import os, sys
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def timed_cpu(command: Sequence[str], cwd: Path | None = None) -> tuple[float, float, int, bytes]:
    """Wall time, CPU time (user + system, the process and every child it waited for), exit
    code and stdout of one run of ``command``."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(command), stdout=out, stderr=subprocess.DEVNULL, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, proc.returncode, out.read()


def peak_rss_mb(command: Sequence[str]) -> tuple[float, int]:
    """Peak resident set size (MB) and exit code of one run of ``command`` in a fresh process
    (``ru_maxrss`` of ``os.wait4``; a floor of ~5 MB, the forked wrapper's own size)."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _RSS_WRAPPER, *command],
        capture_output=True, text=True, check=True,
    )
    kib, code = proc.stdout.split()
    return int(kib) / 1024, int(code)  # ru_maxrss is in KiB on Linux


def machine() -> str:
    import google.protobuf
    from google.protobuf.internal import api_implementation

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, protobuf {google.protobuf.__version__}"
        f" ({api_implementation.Type()} backend)"
    )


@dataclass
class Section:
    """One benchmark's result for docs/benchmarks.md."""

    title: str
    lines: list[str]

    def markdown(self) -> str:
        return "\n".join([f"### {self.title}", "", *self.lines, ""])
