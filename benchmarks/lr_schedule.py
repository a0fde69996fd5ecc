"""Learning-rate simulation speed: the bisection of prototxt_lint.caffe.lr_schedule against a plain
loop over every iteration, and the cost of the solver rules (S2xx) per solver.

    .venv/bin/python benchmarks/lr_schedule.py
    .venv/bin/python benchmarks/lr_schedule.py --loop-iterations 200000

The loop is timed on ``--loop-iterations`` iterations and extrapolated to ``max_iter``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from prototxt_lint.caffe.lr_schedule import Schedule, analyse, f32, key_points
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules

CASES = {
    "googlenet step (10M iterations)": Schedule("step", f32(0.01), f32(0.96), stepsize=320000,
                                                max_iter=10_000_000),
    "exp gamma 0.9999999 (2^31-1)": Schedule("exp", f32(0.01), f32(0.9999999),
                                             max_iter=2**31 - 1),
    "inv power 0.75 (10M)": Schedule("inv", f32(0.01), f32(1e-4), f32(0.75),
                                     max_iter=10_000_000),
    "poly power 0.9 (2.4M)": Schedule("poly", f32(0.01), power=f32(0.9), max_iter=2_400_000),
    "sigmoid (10M)": Schedule("sigmoid", f32(0.1), f32(1e-5), stepsize=5_000_000,
                              max_iter=10_000_000),
}
SOLVERS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "solver_checks"


def best_of(repeat: int, func: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-iterations", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{'schedule':<34} {'bisection':>11} {'key points':>11} {'full loop (est.)':>17}")
    for name, schedule in CASES.items():
        horizon = schedule.max_iter
        bisect = best_of(5, lambda s=schedule, h=horizon: analyse.__wrapped__(s, h))
        points = best_of(5, lambda s=schedule, h=horizon: key_points(s, h))
        n = min(args.loop_iterations, horizon)
        loop = best_of(1, lambda s=schedule, n=n: [s.rate(i) for i in range(n)])
        print(f"{name:<34} {bisect * 1e3:>9.3f}ms {points * 1e3:>9.3f}ms "
              f"{loop * horizon / n:>15.1f}s")
    solvers = sorted(SOLVERS.glob("*.prototxt"))
    linter = Linter(load_rules(), Options(select=("S2",)))
    whole = best_of(3, lambda: [linter.lint([Input(str(p))]) for p in solvers])
    print(f"\nS2xx rules on {len(solvers)} fixture solvers: {whole * 1e3 / len(solvers):.2f} ms"
          " per solver (parsing included)")


if __name__ == "__main__":
    main()
