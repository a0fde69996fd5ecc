"""Run the linter's speed and memory benchmarks and (with ``--write``) put the figures in
``docs/benchmarks.md``.

Only the part between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is rewritten; the
rest of the file (the language-server latency section of ``benchmarks/lsp_latency.py``, and
anything else) is kept as it is.

    .venv/bin/python benchmarks/run_all.py            # print the figures
    .venv/bin/python benchmarks/run_all.py --write    # and update docs/benchmarks.md

Run it on an otherwise idle machine: the parallel speed-up in particular needs free cores.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cache_speed
import many_files
import memory
import scaling
import startup
import throughput
from bench_common import REPO, Section, machine

DOC = REPO / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def generated(sections: list[Section], load: tuple[float, float, float]) -> str:
    head = [
        "## Linting speed and memory",
        "",
        "Each benchmark compares two things measured in the same run, so the ratios matter more"
        " than the times. Reproduce all of them (a few minutes; the corpus `../shared/corpus` must"
        " sit beside the checkout) with",
        "",
        "```sh",
        ".venv/bin/python benchmarks/run_all.py --write   # rewrites this section",
        "```",
        "",
        "or one at a time: `benchmarks/throughput.py` (`--profile` shows where lint time goes),"
        " `benchmarks/cpp_baseline.py` (the C++ parse, built against the Caffe oracle),"
        " `benchmarks/startup.py` (`--importtime` lists the slowest imports),"
        " `benchmarks/many_files.py`, `benchmarks/memory.py`, `benchmarks/scaling.py`"
        " (`--profile`), `benchmarks/cache_speed.py` (`--only corpus|small|gc|growth`), each"
        " run with `.venv/bin/python`.",
        "",
        f"Last measured on {machine()}; load average {load[0]:.2f} when the run started"
        " (other work on the machine shows up most in the parallel speed-up).",
        "",
    ]
    return "\n".join(head) + "\n" + "\n".join(s.markdown() for s in sections)


def write(text: str) -> None:
    block = f"{START}\n{text.rstrip()}\n{END}"
    if DOC.is_file():
        current = DOC.read_text(encoding="utf-8")
        if START in current and END in current:
            before, rest = current.split(START, 1)
            _, after = rest.split(END, 1)
            new = before + block + after
        else:  # keep whatever is there (other sections) after our block
            title, _, body = current.partition("\n")
            new = f"{title}\n\n{block}\n\n{body.lstrip()}"
    else:
        new = f"# Benchmarks\n\n{block}\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(new if new.endswith("\n") else new + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test)")
    args = parser.parse_args()
    load = os.getloadavg()
    quick = args.quick
    sections = [
        throughput.run(repeat=2 if quick else 5),
        startup.run(runs=5 if quick else 21),
        many_files.run(runs=1 if quick else 5),
        memory.run(runs=1 if quick else 3, layers=2000 if quick else 10000),
        scaling.run(sizes=(1000, 4000) if quick else scaling.SIZES, repeat=1 if quick else 2),
        *cache_speed.run(quick),  # the result cache, the collector, growth to 100k layers
    ]
    text = generated(sections, load)
    print(text)
    if args.write:
        write(text)
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
