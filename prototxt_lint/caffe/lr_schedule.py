"""Caffe's learning-rate schedule, computed the way BVLC Caffe computes it, bit for bit.

``SGDSolver<Dtype>::GetLearningRate`` (``src/caffe/solvers/sgd_solver.cpp``, BVLC master) is
called once per iteration, for ``iter_`` = 0 .. ``max_iter - 1``, by every solver type (SGD,
Nesterov, AdaGrad, RMSProp, AdaDelta, Adam). The ``caffe`` tool and pycaffe instantiate it
with ``Dtype = float``, so the rate is a 32-bit float, and float rounding decides where a
decaying rate reaches exactly 0 or a growing one reaches ``inf``. This module reproduces that
arithmetic operation by operation:

- ``step``, ``exp`` and ``multistep`` call ``pow(float gamma, int n)``, which C++11 promotes
  to ``pow(double, double)``; ``base_lr * pow(...)`` is then a double product, rounded to
  float when assigned to ``rate``.
- ``inv``, ``poly`` and ``sigmoid`` work in float throughout: ``Dtype(iter)`` rounds the
  iteration to float (exact up to 2^24), every ``+ - * /`` rounds to float, and ``pow`` /
  ``exp`` resolve to their float overloads (``powf`` / ``expf``): ``mkl_alternate.hpp``
  includes ``<math.h>``, whose C++ wrapper brings ``std::pow(float, float)`` into scope.

Python has no float32 type, so each float ``+ - * /`` is done in double and rounded to
float32 with :func:`f32` (``struct``'s ``'f'`` format: a C cast, round to nearest even,
overflow to ``inf``); for these operations double-then-round gives exactly the float result.
``pow``, ``powf`` and ``expf`` are called from the C math library through ``ctypes`` when one
can be loaded (glibc's ``libm.so.6`` on Linux: the very functions a Caffe built there calls),
so the rates are bit for bit those Caffe logs (checked against real training logs). Without
a C math library (Windows) they are emulated as the correctly rounded double result rounded
to float, which can differ from glibc in the last float bit (about 1 call in 1000): that
changes a finding only for a rate within one float step of 0 or of the float range. numpy
is deliberately not used: its float32 ``power`` and ``exp`` have their own SIMD
implementations, and the result must not depend on whether numpy is installed.

The schedule is never evaluated iteration by iteration: for every policy the rate is a
monotone function of the iteration (Caffe checks ``gamma >= 0``), so the first iteration where
it becomes 0, infinite or NaN is found by bisection, and step-like policies are described by
their change points. Even ``max_iter: 10000000`` takes a few dozen evaluations.
"""

from __future__ import annotations

import bisect
import functools
import math
import struct
import sys
from collections.abc import Callable, Iterator
from typing import Any

from prototxt_lint.caffe.lr_policies import BVLC_POLICIES as POLICIES
from prototxt_lint.records import Record

#: How each policy computes the rate (as the comment above ``GetLearningRate`` puts it).
FORMULAS = {
    "fixed": "base_lr",
    "step": "base_lr * gamma^floor(iter/stepsize)",
    "exp": "base_lr * gamma^iter",
    "inv": "base_lr * (1 + gamma*iter)^(-power)",
    "multistep": "base_lr * gamma^(number of stepvalues passed)",
    "poly": "base_lr * (1 - iter/max_iter)^power",
    "sigmoid": "base_lr / (1 + exp(-gamma*(iter - stepsize)))",
}

_FLOAT = struct.Struct("<f")


def f32(x: float) -> float:
    """``x`` rounded to the nearest IEEE float32, as a C ``(float)`` cast does: ties to even,
    subnormals kept, overflow to ``inf``."""
    try:
        return float(_FLOAT.unpack(_FLOAT.pack(x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


def _odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == int(y) and int(y) % 2 == 1


def c_pow(x: float, y: float) -> float:
    """C's ``pow`` (C99 Annex F): ``inf`` on overflow or a zero base with a negative
    exponent, NaN for a negative base with a non-integer exponent, never an exception."""
    try:
        return math.pow(x, y)
    except OverflowError:
        return -math.inf if x < 0 and _odd_integer(y) else math.inf
    except ValueError:
        if x == 0.0 and y < 0:
            negative = math.copysign(1.0, x) < 0 and _odd_integer(y)
            return -math.inf if negative else math.inf
        return math.nan


def c_exp(x: float) -> float:
    """C's ``exp``: ``inf`` on overflow instead of an exception."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def emulated_powf(x: float, y: float) -> float:
    """``powf`` without a C library: the double result rounded to float."""
    return f32(c_pow(x, y))


def emulated_expf(x: float) -> float:
    """``expf`` without a C library: the double result rounded to float."""
    return f32(c_exp(x))


def _load_libm() -> tuple[Callable[[float, float], float], Callable[[float, float], float],
                          Callable[[float], float]] | None:
    """``pow``, ``powf`` and ``expf`` of the platform's C math library, or None."""
    import ctypes  # here, not at import: most lint runs never simulate a schedule
    import ctypes.util

    def candidates() -> Iterator[str]:
        yield from ("libm.so.6", "libm.dylib")
        found = ctypes.util.find_library("m") if sys.platform != "win32" else None
        if found:  # a slower search (it may run ldconfig), only when the usual names fail
            yield found

    for name in candidates():
        try:
            lib = ctypes.CDLL(name)
            pow_, powf_, expf_ = lib.pow, lib.powf, lib.expf
        except (OSError, AttributeError):
            continue
        pow_.restype, pow_.argtypes = ctypes.c_double, [ctypes.c_double, ctypes.c_double]
        powf_.restype, powf_.argtypes = ctypes.c_float, [ctypes.c_float, ctypes.c_float]
        expf_.restype, expf_.argtypes = ctypes.c_float, [ctypes.c_float]
        if pow_(2.0, 10.0) == 1024.0 and powf_(2.0, 3.0) == 8.0 and expf_(0.0) == 1.0:
            return pow_, powf_, expf_
    return None


_MATH: tuple[Callable[[float, float], float], Callable[[float, float], float],
             Callable[[float], float]] | None = None


def _math() -> tuple[Callable[[float, float], float], Callable[[float, float], float],
                     Callable[[float], float]]:
    """The C library's functions, loaded on first use, or the emulations without one."""
    global _MATH
    if _MATH is None:
        _MATH = _load_libm() or (c_pow, emulated_powf, emulated_expf)
    return _MATH


def pow64(x: float, y: float) -> float:
    """``pow(double, double)`` as Caffe calls it (see the module doc)."""
    return _math()[0](x, y)


def powf(x: float, y: float) -> float:
    """``powf`` as Caffe calls it."""
    return _math()[1](x, y)


def expf(x: float) -> float:
    """``expf`` as Caffe calls it."""
    return _math()[2](x)


def _int32(value: Any) -> int:
    return int(value)


class Schedule:
    """The solver fields ``GetLearningRate`` reads, as Caffe stores them (floats as float32).

    Immutable and hashable (``analyse`` caches by schedule). A plain class, not a dataclass,
    to keep start-up fast; equal only to a schedule of the same class with the same fields.
    """

    FIELDS = ("policy", "base_lr", "gamma", "power", "stepsize", "stepvalues", "max_iter")
    __slots__ = (*FIELDS, "fires")

    def __init__(
        self,
        policy: str,
        base_lr: float,
        gamma: float = 0.0,
        power: float = 0.0,
        stepsize: int = 0,
        stepvalues: tuple[int, ...] = (),
        max_iter: int = 0,
    ) -> None:
        self.policy = policy
        self.base_lr = base_lr
        self.gamma = gamma
        self.power = power
        self.stepsize = stepsize
        self.stepvalues = tuple(stepvalues)
        self.max_iter = max_iter
        self.fires = _fires(self.stepvalues)

    def _key(self) -> tuple[Any, ...]:
        return (type(self), *(getattr(self, name) for name in self.FIELDS))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({fields})"

    @classmethod
    def from_solver(cls, solver: Any) -> Schedule:
        """Read a ``SolverParameter`` (missing fields take Caffe's defaults: all 0)."""
        return cls(
            policy=solver.lr_policy,
            base_lr=f32(solver.base_lr),
            gamma=f32(solver.gamma),
            power=f32(solver.power),
            stepsize=_int32(solver.stepsize),
            stepvalues=tuple(_int32(v) for v in solver.stepvalue),
            max_iter=_int32(solver.max_iter),
        )

    def refusal(self) -> str | None:
        """Why Caffe would abort in ``GetLearningRate`` (or compute nothing meaningful) before
        producing a rate, or None when the schedule can be computed. These cases are the
        lr_policy rules' (S101, S103-S105) to report."""
        if self.policy not in POLICIES:
            return f'Caffe aborts: "Unknown learning rate policy: {self.policy}"'
        if self.policy in ("step", "sigmoid") and self.stepsize <= 0:
            return (
                f'Caffe aborts: "Check failed: this->param_.stepsize() > 0 ({self.stepsize}'
                ' vs. 0)"'
            )
        if self.policy in ("step", "exp", "inv", "multistep", "sigmoid") and self.gamma < 0:
            return f'Caffe aborts: "Check failed: this->param_.gamma() >= 0 ({self.gamma:g} vs. 0)"'
        if self.policy == "poly" and self.max_iter <= 0:
            return "`poly` needs `max_iter` > 0 (the rate is 0/0 = nan, and no iteration runs)"
        return None

    # --- the rate ------------------------------------------------------------------------
    def steps_taken(self, iteration: int) -> int:
        """The exponent of gamma at ``iteration`` for step and multistep."""
        if self.policy == "step":
            return iteration // self.stepsize
        return bisect.bisect_right(self.fires, iteration)

    def rate(self, iteration: int) -> float:
        """The learning rate Caffe uses for the update of ``iteration`` (a float32 value)."""
        policy, base = self.policy, self.base_lr
        if policy == "fixed":
            return base
        if policy in ("step", "multistep"):
            return f32(base * pow64(self.gamma, float(self.steps_taken(iteration))))
        if policy == "exp":
            return f32(base * pow64(self.gamma, float(iteration)))
        it = f32(float(iteration))
        if policy == "inv":
            grown = f32(1.0 + f32(self.gamma * it))
            return f32(base * powf(grown, -self.power))
        if policy == "poly":
            left = f32(1.0 - f32(it / f32(float(self.max_iter))))
            return f32(base * powf(left, self.power))
        if policy == "sigmoid":
            shifted = f32(it - f32(float(self.stepsize)))
            decay = expf(f32(-self.gamma * shifted))
            return f32(base * f32(1.0 / f32(1.0 + decay)))
        raise ValueError(f"unknown learning rate policy {policy!r}")

    def change_points(self, horizon: int) -> Iterator[int]:
        """Iterations (after 0, before ``horizon``) where a step-like policy changes the
        rate, in order; nothing for the continuous policies."""
        if self.policy == "step":
            yield from range(self.stepsize, horizon, self.stepsize)
        elif self.policy == "multistep":
            for fire in self.fires:
                if 0 < fire < horizon:
                    yield fire


def _fires(stepvalues: tuple[int, ...]) -> tuple[int, ...]:
    """``multistep``: the iteration at which each ``stepvalue`` takes effect.

    ``GetLearningRate`` advances ``current_step_`` (0 after ``Solver::Init``) at most once per
    call, when ``iter_ >= stepvalue(current_step_)``: entry ``j`` fires at
    ``max(stepvalue[j], fire[j-1] + 1)``, so an unsorted or repeated entry fires the iteration
    after its predecessor."""
    out: list[int] = []
    previous = -1
    for value in stepvalues:
        previous = max(value, previous + 1)
        out.append(previous)
    return tuple(out)


def invalid(rate: float) -> bool:
    """A rate that breaks the weights: NaN, infinite or negative."""
    return not math.isfinite(rate) or rate < 0


class Analysis(Record):
    """What the rate does over iterations ``0 .. horizon - 1``."""

    __slots__ = ("end", "first_invalid", "horizon", "peak", "start", "zero")

    def __init__(
        self,
        horizon: int,
        start: float,
        first_invalid: tuple[int, float] | None = None,
        zero: tuple[int, int] | None = None,
        peak: tuple[int, float] | None = None,
        end: float = 0.0,
    ) -> None:
        self.horizon = horizon
        self.start = start
        #: first iteration whose rate is NaN, infinite or negative, and that rate
        self.first_invalid = first_invalid
        #: first and last iteration of the rates that are exactly 0 (one run: a suffix for
        #: decaying policies, a prefix for sigmoid), before any invalid rate
        self.zero = zero
        #: where a growing rate first reaches its largest value, when above base_lr
        self.peak = peak
        self.end = end

    @property
    def zero_count(self) -> int:
        return self.zero[1] - self.zero[0] + 1 if self.zero else 0


def _first_true(pred: Callable[[int], bool], lo: int, hi: int) -> int:
    """The smallest ``i`` in ``lo..hi`` with ``pred(i)``, for a predicate that is false then
    true (``pred(hi)`` must hold)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


@functools.lru_cache(maxsize=256)
def analyse(schedule: Schedule, horizon: int) -> Analysis:
    """Find, without visiting every iteration, the first invalid rate, the run of zero rates
    and the peak of a growing rate over ``0 .. horizon - 1`` (``horizon`` >= 1).

    Every BVLC policy is monotone in the iteration for ``gamma >= 0``: step, exp, multistep,
    inv and poly move one way from ``base_lr`` (so 0 or inf, once reached, stays until the
    end), and sigmoid rises from near 0 towards ``base_lr`` (so its zeros come first)."""
    rate = schedule.rate
    last = horizon - 1
    start, end = rate(0), rate(last)
    if invalid(start):
        return Analysis(horizon, start, first_invalid=(0, start), end=end)
    if schedule.policy == "sigmoid":
        middle = schedule.stepsize
        if 0 < middle <= last and invalid(rate(middle)):
            # a negative base_lr, or gamma = inf, where -inf * (iter - stepsize) is NaN at
            # iter == stepsize only: either way, invalid rates are a suffix of 0..stepsize
            first = _first_true(lambda i: invalid(rate(i)), 0, middle)
            zero = (0, first - 1) if start == 0 and first > 0 else None
            return Analysis(horizon, start, first_invalid=(first, rate(first)), zero=zero, end=end)
        if start != 0:
            return Analysis(horizon, start, end=end)
        if end == 0:
            return Analysis(horizon, start, zero=(0, last), end=end)
        # rising from 0 (or from -0 with a negative base_lr, then falling)
        first = _first_true(lambda i: rate(i) != 0, 0, last)
        value = rate(first)
        bad = (first, value) if invalid(value) else None
        return Analysis(horizon, start, first_invalid=bad, zero=(0, first - 1), end=end)
    if invalid(end):
        at = _first_true(lambda i: invalid(rate(i)), 1, last)
        return Analysis(horizon, start, first_invalid=(at, rate(at)), end=end)
    zero = None
    if end == 0:
        zero = (_first_true(lambda i: rate(i) == 0, 0, last), last)
    peak = None
    if end > schedule.base_lr > 0:
        peak = (_first_true(lambda i: rate(i) >= end, 0, last), end)
    return Analysis(horizon, start, zero=zero, peak=peak, end=end)


class Point(Record):
    """One row of the printed schedule."""

    __slots__ = ("iteration", "notes", "rate")

    def __init__(
        self,
        iteration: int,
        rate: float,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.iteration = iteration
        self.rate = rate
        self.notes = notes


def fmt(rate: float) -> str:
    """A rate as Caffe logs it (``LOG(INFO) << rate``: 6 significant digits)."""
    if math.isnan(rate):
        return "nan" if math.copysign(1.0, rate) > 0 else "-nan"
    return f"{rate:g}"


def key_points(schedule: Schedule, horizon: int, samples: int = 10, max_steps: int = 24
               ) -> list[Point]:
    """The rows ``prototxt-lint lr-schedule`` prints: the start, every change of a step-like
    policy (evenly thinned when there are more than ``max_steps``), ``samples`` evenly spaced
    iterations of a continuous policy, where the rate turns 0, invalid or peaks, and the last
    update."""
    result = analyse(schedule, horizon)
    last = horizon - 1
    notes: dict[int, list[str]] = {0: ["start"]}

    def add(iteration: int, note: str = "") -> None:
        entry = notes.setdefault(iteration, [])
        if note and note not in entry:
            entry.append(note)

    if schedule.policy in ("step", "multistep"):
        changes = list(schedule.change_points(horizon))
        if len(changes) > max_steps:
            chosen = {changes[round(i * (len(changes) - 1) / (max_steps - 1))]
                      for i in range(max_steps)}
            changes = sorted(chosen)
        for iteration in changes:
            add(iteration, f"step {schedule.steps_taken(iteration)}")
    elif schedule.policy != "fixed":
        for i in range(1, samples):
            add(min(round(i * horizon / samples), last))
        if schedule.policy == "sigmoid" and 0 < schedule.stepsize < horizon:
            add(schedule.stepsize, "iter = stepsize: base_lr/2")
    if result.first_invalid:
        at, value = result.first_invalid
        add(at, "first NaN" if math.isnan(value) else "first inf" if math.isinf(value)
            else "negative")
    if result.zero:
        first, stop = result.zero
        add(first, "0 from here: float underflow" if first else "0: float underflow")
        if stop < last:
            add(stop + 1, "first non-zero")
    if result.peak:
        add(result.peak[0], f"peak: {result.peak[1] / schedule.base_lr:.3g} x base_lr"
            if schedule.base_lr > 0 else "peak")
    add(last, "last update: max_iter - 1" if last == schedule.max_iter - 1 else "last update")
    return [Point(i, schedule.rate(i), tuple(notes[i])) for i in sorted(notes)]


def curve(schedule: Schedule, horizon: int, points: int = 2000) -> tuple[list[int], list[float]]:
    """Iterations and rates to draw: every change point of a step-like policy (thinned to
    ``points``), otherwise ``points`` evenly spaced iterations plus the key points."""
    last = horizon - 1
    if schedule.policy in ("fixed", "step", "multistep"):
        changes = [0, *schedule.change_points(horizon)]
        if len(changes) > points:
            changes = sorted({changes[round(i * (len(changes) - 1) / (points - 1))]
                              for i in range(points)})
        xs = sorted({*changes, last})
    else:
        count = min(points, horizon)
        xs = sorted({round(i * last / max(count - 1, 1)) for i in range(count)}
                    | {p.iteration for p in key_points(schedule, horizon)})
    return xs, [schedule.rate(x) for x in xs]
