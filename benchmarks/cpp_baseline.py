"""The C++ baseline: protobuf's own C++ text parser, the one Caffe reads a prototxt with.

``cpp_parse.cpp`` (beside this file) parses files into ``caffe::NetParameter`` or
``caffe::SolverParameter`` with ``google::protobuf::TextFormat::Parse``, as Caffe's
``ReadProtoFromTextFile`` does. It is compiled on first use against the Caffe oracle's build
(``../shared/caffe-oracle/build.sh``: its generated ``caffe.pb.h`` and ``libcaffeproto.a``)
and Debian's ``libprotobuf``, into a cache folder (``~/.cache/prototxt-lint-bench``), and
reused while the source and the build are unchanged. Where there is no oracle build the
benchmarks leave the C++ column out and say so (:func:`build` returns the reason).

    .venv/bin/python benchmarks/cpp_baseline.py FILE...   # best-of-5 C++ parse times
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "cpp_parse.cpp"
#: where ``../shared/caffe-oracle/build.sh`` installs by default
ORACLE = Path(os.environ.get("CAFFE_ORACLE_PREFIX", Path.home() / ".cache" / "caffe-oracle"
                             / "9b891540"))
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "prototxt-lint-bench"


def _build_dir() -> Path:
    return ORACLE / "caffe-9b891540" / "build"


def build() -> tuple[Path | None, str]:
    """``(program, "")``, or ``(None, why)`` when it cannot be built here."""
    build_dir = _build_dir()
    header = build_dir / "include" / "caffe" / "proto" / "caffe.pb.h"
    library = build_dir / "lib" / "libcaffeproto.a"
    if not (header.is_file() and library.is_file()):
        return None, (f"no C++ parse measured: no Caffe oracle build at {ORACLE} (run"
                      " `../shared/caffe-oracle/build.sh`, about 10 minutes, or set"
                      " CAFFE_ORACLE_PREFIX)")
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        return None, "no C++ parse measured: no C++ compiler (g++) on PATH"
    digest = hashlib.sha256(SOURCE.read_bytes() + str(build_dir).encode()
                            + str(library.stat().st_mtime_ns).encode()).hexdigest()[:16]
    program = CACHE / f"cpp_parse-{digest}"
    if program.is_file():
        return program, ""
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = program.with_suffix(f".{os.getpid()}.tmp")
    proc = subprocess.run(
        [compiler, "-O2", "-std=gnu++14", f"-I{build_dir / 'include'}", str(SOURCE),
         "-o", str(partial), str(library), "-lprotobuf"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"no C++ parse measured: compiling {SOURCE.name} failed ({last})"
    os.replace(partial, program)  # atomic: a concurrent benchmark sees all or nothing
    return program, ""


def command(program: Path, files: Sequence[tuple[Path, str]], repeat: int = 1) -> list[str]:
    """The command that parses each ``(file, message name)`` ``repeat`` times."""
    kinds = {"NetParameter": "N", "SolverParameter": "S"}
    return [str(program), str(repeat), *(f"{kinds[kind]}:{path}" for path, kind in files)]


def parse_times(program: Path, files: Sequence[tuple[Path, str]],
                repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` C++ parse time (seconds) of each file, by path; files C++ protobuf
    refuses are left out."""
    proc = subprocess.run(command(program, files, repeat), capture_output=True, text=True,
                          check=False)
    times = {}
    for line in proc.stdout.splitlines():
        ns, ok, path = line.split("\t", 2)
        if ok == "1":
            times[path] = int(ns) / 1e9
    return times


def main() -> None:
    program, why = build()
    if program is None:
        raise SystemExit(why)
    files = [(Path(arg), "NetParameter") for arg in sys.argv[1:]]
    for path, seconds in parse_times(program, files, 5).items():
        print(f"{seconds * 1000:8.3f} ms  {path}")


if __name__ == "__main__":
    main()
