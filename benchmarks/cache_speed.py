"""The result cache, the collector tuning and growth to 100,000 layers, as ratios measured in
one run (issue 16):

- cold against warm over the whole corpus (``prototxt-lint CORPUS``), text and json, with the
  output checked byte for byte against ``--no-cache``;
- an unchanged small file answered from the cache against ``python -c pass`` (interpreter
  start-up), the group cache alone (``PROTOTXT_LINT_RUN_CACHE=0``), ``--no-cache`` and a bare
  ``text_format.Parse`` process;
- the whole lint process with the default collector (``PROTOTXT_LINT_DEFAULT_GC=1``) against
  the tuned one (``prototxt_lint/engine/gctune.py``) and a bare parse, on ResNet-152 deploy,
  LeNet and a generated net;
- the growth exponent of lint time (in process, tuned and default collector) on generated nets
  up to 100,000 layers, and peak memory per 1,000 layers (tracemalloc).

The C++ parse (protobuf's ``TextFormat::Parse`` into Caffe's classes) is measured by
``throughput.py`` and ``startup.py`` (``cpp_baseline.py``); growth in one process, to 100,000
layers, by ``scaling.py``.

    .venv/bin/python benchmarks/cache_speed.py            # print
    .venv/bin/python benchmarks/cache_speed.py --quick    # smaller sizes, fewer runs
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import shutil
import sys
import tempfile
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import (
    CORPUS,
    SMALL_NET,
    Section,
    lint_command,
    machine,
    median,
    need_corpus,
    timed_cpu,
)
from cpp_baseline import build as build_cpp
from cpp_baseline import command as cpp_command
from scaling import net_text

RESNET = "KaimingHe__deep-residual-networks/prototxt/ResNet-152-deploy.prototxt"
BARE = (
    "import sys\n"
    "from google.protobuf import text_format\n"
    "from prototxt_lint.schema import caffe_pb2\n"
    "text_format.Parse(open(sys.argv[1]).read(), caffe_pb2.NetParameter())\n"
)


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROTOTXT_LINT_")}
    env.pop("GITHUB_ACTIONS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users' runs load cached bytecode
    for key, value in changes.items():
        if value is not None:
            env[key] = value
    return env


def _cpu(command: Sequence[str], env: dict[str, str]) -> tuple[float, int, bytes]:
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        _, cpu, code, out = timed_cpu(command)
    finally:
        os.environ.clear()
        os.environ.update(old)
    return cpu, code, out


def corpus_cold_warm(cache: Path, warm_runs: int) -> Section:
    corpus = str(need_corpus())
    env = _env(PROTOTXT_LINT_CACHE_DIR=str(cache))
    base = [*lint_command(), "--no-color"]
    cold, code, cold_out = _cpu([*base, corpus], env)
    warm = []
    for _ in range(warm_runs):
        cpu, _, warm_out = _cpu([*base, corpus], env)
        warm.append(cpu)
        assert warm_out == cold_out, "warm text output differs from cold"
    json_warm, _, json_out = _cpu([*base, "--format", "json", corpus], env)
    json_fresh, _, json_ref = _cpu([*base, "--no-cache", "--format", "json", corpus], env)
    identical = json_out == json_ref
    text_ref = _cpu([*base, "--no-cache", corpus], env)[2] if warm_runs > 1 else cold_out
    w = median(warm)
    lines = [
        f"`prototxt-lint --no-color {CORPUS.name}/` over the whole corpus (exit {code}), CPU"
        " time of the whole process (user + system, workers included): a cold run into an"
        f" empty cache, then {warm_runs} warm runs (median). The json run is answered from the"
        " entries the text run stored (the cache holds findings, not text).",
        "",
        "| Run | CPU | vs cold |",
        "| --- | ---: | ---: |",
        f"| cold (empty cache) | {cold:.2f} s | 1.00x |",
        f"| warm, text | {w:.2f} s | **{cold / w:.1f}x faster** |",
        f"| warm, `--format json` | {json_warm:.2f} s | {cold / json_warm:.1f}x faster |",
        f"| `--no-cache --format json` | {json_fresh:.2f} s | |",
        "",
        f"Byte-identical output: text warm = cold = `--no-cache`:"
        f" **{'yes' if text_ref == cold_out else 'NO'}**; json warm = `--no-cache`:"
        f" **{'yes' if identical else 'NO'}**. Goal >= 5x:"
        f" **{'met' if cold / w >= 5 else 'NOT met'}**.",
    ]
    return Section("Result cache: the whole corpus, cold and warm"
                   " (`benchmarks/cache_speed.py`)", lines)


def small_file(cache: Path, runs: int) -> Section:
    corpus = need_corpus()
    net = str(corpus / SMALL_NET)
    lint = [*lint_command(), "--no-color", net]
    variants = {
        "`python -c pass` (interpreter start-up)": ([sys.executable, "-c", "pass"], _env()),
        "warm, whole run replayed (`run_cache.py`)":
            (lint, _env(PROTOTXT_LINT_CACHE_DIR=str(cache))),
        "warm, group cache only (`PROTOTXT_LINT_RUN_CACHE=0`)":
            (lint, _env(PROTOTXT_LINT_CACHE_DIR=str(cache), PROTOTXT_LINT_RUN_CACHE="0")),
        "`--no-cache` (a lint)": ([*lint_command(), "--no-color", "--no-cache", net], _env()),
        "bare: import bindings + `text_format.Parse`": ([sys.executable, "-c", BARE, net],
                                                         _env()),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for command, env in variants.values():  # warm-ups (and the cache entries)
        _cpu(command, env)
        _cpu(command, env)
    for _ in range(runs):  # alternating, so that load changes hit every variant alike
        for name, (command, env) in variants.items():
            times[name].append(_cpu(command, env)[0])
    base = median(times["`python -c pass` (interpreter start-up)"])
    lines = [
        f"`prototxt-lint --no-color {SMALL_NET}`, unchanged since the last run: CPU time of"
        f" the whole process, {runs} alternating runs after 2 warm-ups, medians.",
        "",
        "| Process | CPU | vs `python -c pass` |",
        "| --- | ---: | ---: |",
    ]
    for name, values in times.items():
        lines.append(f"| {name} | {median(values) * 1000:.1f} ms |"
                     f" {median(values) / base:.2f}x |")
    replay = median(times["warm, whole run replayed (`run_cache.py`)"]) / base
    lines += ["", f"Goal <= 1.5x `python -c pass`: **{'met' if replay <= 1.5 else 'NOT met'}**"
              f" ({replay:.2f}x)."]
    return Section("Result cache: one small unchanged file (`benchmarks/cache_speed.py`)",
                   lines)


def gc_effect(runs: int, generated_layers: int, small_runs: int = 11) -> Section:
    """Whole processes; ``small_runs`` alternating runs for the two corpus files (a
    difference of a few per cent needs more than three), ``runs`` for the generated net."""
    corpus = need_corpus()
    program, why = build_cpp()
    tmp = Path(tempfile.mkdtemp(prefix="gc-bench-"))
    big = tmp / f"generated_{generated_layers}.prototxt"
    big.write_text(net_text(generated_layers))
    files = [("ResNet-152 deploy", corpus / RESNET), ("LeNet", corpus / SMALL_NET),
             (f"generated, {generated_layers:,} layers", big)]
    lines = [
        "Whole processes, `--no-cache`, CPU time, medians of"
        f" {small_runs} alternating runs ({runs} for the generated net): the default collector"
        " (`PROTOTXT_LINT_DEFAULT_GC=1`) against the tuned one (`gc.freeze()` after start-up,"
        " thresholds (100000, 50, 100)), a bare `text_format.Parse` process of the same file"
        " and the C++ parse as Caffe does it (`benchmarks/cpp_parse.cpp`).",
        "",
        "| File | C++ parse | bare parse | lint, default GC | lint, tuned GC | tuned vs default |"
        " tuned vs bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, path in files:
        cmds = {
            "bare": ([sys.executable, "-c", BARE, str(path)], _env()),
            "default": ([*lint_command(), "--no-color", "--no-cache", str(path)],
                        _env(PROTOTXT_LINT_DEFAULT_GC="1")),
            "tuned": ([*lint_command(), "--no-color", "--no-cache", str(path)], _env()),
        }
        if program is not None:
            cmds["cpp"] = (cpp_command(program, [(path, "NetParameter")]), _env())
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for command, env in cmds.values():
            _cpu(command, env)
        for _ in range(runs if path == big else small_runs):
            for key, (command, env) in cmds.items():
                times[key].append(_cpu(command, env)[0])
        bare, default, tuned = (median(times[k]) for k in ("bare", "default", "tuned"))
        cpp = f"{median(times['cpp']) * 1000:.1f} ms" if times.get("cpp") else "-"
        lines.append(f"| {label} | {cpp} | {bare * 1000:.0f} ms | {default * 1000:.0f} ms |"
                     f" {tuned * 1000:.0f} ms | {tuned / default:.2f}x |"
                     f" **{tuned / bare:.2f}x** |")
    shutil.rmtree(tmp, ignore_errors=True)
    lines += ["", "Goals (issue 16): ResNet-152 deploy <= 1.0x a bare parse, LeNet <= 1.2x."
              + ("" if program is not None else f" ({why}.)")]
    return Section("Collector tuning (`benchmarks/cache_speed.py`)", lines)


def _exponent(rows: list[tuple[int, float]]) -> float:
    xs = [math.log(n) for n, _ in rows]
    ys = [math.log(t) for _, t in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


_GROWTH_PROBE = """
import gc, sys, time
sys.path.insert(0, sys.argv[1])
from cpp_baseline import build as build_cpp
from cpp_baseline import command as cpp_command
from scaling import net_text
from prototxt_lint.engine.gctune import tune_for_batch
from prototxt_lint.engine.linter import Input, Linter
from prototxt_lint.engine.registry import load_rules
rules = load_rules()
data = net_text(int(sys.argv[2])).encode()
if sys.argv[3] == "tuned":
    tune_for_batch()
start = time.process_time()
for _ in Linter(rules).lint([Input("generated.prototxt", data)]):
    pass
print(time.process_time() - start)
"""


def growth(sizes: Sequence[int], memory_size: int) -> Section:
    """Lint time per size, each in a fresh process, with the default and the tuned collector;
    peak memory per layer in this process."""
    import subprocess

    from prototxt_lint.engine.linter import Input, Linter
    from prototxt_lint.engine.registry import load_rules

    here = str(Path(__file__).resolve().parent)
    results: dict[str, list[tuple[int, float]]] = {"default": [], "tuned": []}
    for size in sizes:
        for mode in ("default", "tuned"):
            out = subprocess.run([sys.executable, "-c", _GROWTH_PROBE, here, str(size), mode],
                                 capture_output=True, text=True, check=True, env=_env()).stdout
            results[mode].append((size, float(out.split()[-1])))
    rules = load_rules()
    data = net_text(memory_size).encode()
    gc.collect()
    tracemalloc.start()
    for _ in Linter(rules).lint([Input("generated.prototxt", data)]):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines = [
        "Lint time (CPU of the lint itself, one fresh process per size and collector) of"
        " generated ResNet-like nets (`benchmarks/scaling.py`'s chain of Convolution,"
        " BatchNorm, Scale, ReLU), and the exponent k of a least-squares fit time ~ n^k"
        " (1.00 is linear).",
        "",
        "| Layers | default GC | tuned GC | ms per 1,000 layers (tuned) |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for (size, d), (_, t) in zip(results["default"], results["tuned"], strict=True):
        lines.append(f"| {size:,} | {d:.2f} s | {t:.2f} s | {t / size * 1e6:.0f} |")
    lines += [
        "",
        f"Exponent {sizes[0]:,} -> {sizes[-1]:,} layers: default GC"
        f" **{_exponent(results['default']):.2f}**, tuned GC"
        f" **{_exponent(results['tuned']):.2f}**. Peak traced memory (tracemalloc) of"
        f" a {memory_size:,}-layer lint: {peak / 2**20:.1f} MiB,"
        f" **{peak / 2**20 / (memory_size / 1000):.2f} MiB per 1,000 layers**.",
    ]
    return Section("Growth to 100,000 layers and memory per layer"
                   " (`benchmarks/cache_speed.py`)", lines)


def run(quick: bool = False) -> list[Section]:
    cache = Path(tempfile.mkdtemp(prefix="prototxt-lint-bench-cache-"))
    try:
        sections = [
            corpus_cold_warm(cache / "corpus", 1 if quick else 3),
            small_file(cache / "small", 5 if quick else 15),
            gc_effect(1 if quick else 3, 8000 if quick else 20000),
            growth((2500, 5000, 10000) if quick else (12500, 25000, 50000, 100000),
                   4000 if quick else 10000),
        ]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--only", choices=["corpus", "small", "gc", "growth"], default=None)
    args = parser.parse_args()
    print(f"Measured on {machine()}, load average {os.getloadavg()[0]:.2f}\n")
    if args.only:
        cache = Path(tempfile.mkdtemp(prefix="prototxt-lint-bench-cache-"))
        section = {
            "corpus": lambda: corpus_cold_warm(cache, 1 if args.quick else 3),
            "small": lambda: small_file(cache, 5 if args.quick else 15),
            "gc": lambda: gc_effect(1 if args.quick else 3, 8000 if args.quick else 20000),
            "growth": lambda: growth((2500, 5000, 10000) if args.quick
                                     else (12500, 25000, 50000, 100000),
                                     4000 if args.quick else 10000),
        }[args.only]()
        shutil.rmtree(cache, ignore_errors=True)
        print(section.markdown())
        return
    for section in run(args.quick):
        print(section.markdown())


if __name__ == "__main__":
    main()
