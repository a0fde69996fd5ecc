"""The learning rate a solver produces: invalid, underflowing to 0, growing, stepping past the
end, or never set (S201-S204, S218).

S201-S204 run the schedule as ``SGDSolver<Dtype>::GetLearningRate`` computes it in float
(:mod:`prototxt_lint.caffe.lr_schedule`) and report only what the ``lr_policy`` rules (S101-S109)
do not: they stay silent wherever Caffe would abort before producing a rate (unknown policy,
missing stepsize, negative gamma, poly without max_iter) and where S106/S108 already explain a
constant or zero rate. The schedule simulator is imported inside the functions that use it: a
run that lints only nets, the usual pre-commit and editor case, does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prototxt_lint.caffe.lr_policies import ignores_base_lr
from prototxt_lint.caffe.solver import (
    has_field,
)
from prototxt_lint.model import SolverContext
from prototxt_lint.plugin import Report, Severity, solver_rule
from prototxt_lint.solver_fields import anchor

if TYPE_CHECKING:
    from prototxt_lint.caffe.lr_schedule import Schedule


#: A run of zero rates shorter than this share of max_iter is left alone (a poly schedule
#: rounding to 0 in its last iterations is doing what it was asked to).
ZERO_SHARE = 0.01


def _schedule(ctx: SolverContext) -> tuple[Schedule, int] | None:
    """The schedule and how many iterations it runs, or None when the lr_policy rules
    already say why there is no schedule (S101, S103, S104, S105)."""
    from prototxt_lint.caffe.lr_schedule import Schedule

    if not has_field(ctx.solver, "lr_policy"):
        return None
    schedule = Schedule.from_solver(ctx.solver)
    if schedule.refusal() is not None:
        return None
    return schedule, max(schedule.max_iter, 1)


def _cause(schedule: Schedule) -> str:
    """The field that makes a rate invalid, zero or growing."""
    if not math.isfinite(schedule.base_lr) or schedule.base_lr < 0:
        return "base_lr"
    if schedule.policy in ("inv", "poly") and (
        schedule.policy == "poly" or math.isfinite(schedule.gamma)
    ):
        return "power"
    return "gamma"


def _percent(count: int, total: int) -> str:
    share = count / total
    text = f"{share:.0%}"
    return f"{share:.2%}" if text == "100%" and count < total else text


@solver_rule(
    "S201",
    "learning-rate-invalid",
    Severity.ERROR,
    "The learning rate Caffe computes becomes negative, infinite or NaN.",
)
def learning_rate_invalid(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Computes the learning rate of every iteration from 0 to `max_iter - 1` exactly as
    Caffe does (in 32-bit float) and flags the first iteration whose rate is negative,
    infinite or NaN: a negative `base_lr`, a `gamma` above 1 with `exp`, `step` or
    `multistep` that overflows the float range, `inv` or `poly` with a negative `power`, a
    parameter written as `inf` or `nan`.

    ## Why is this bad?
    `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) returns the rate with no
    check, and every solver's `ComputeUpdateValue` multiplies the gradient by it. A negative
    rate climbs the gradient, so the loss rises; an infinite or NaN rate turns the weights
    into inf/NaN at that very update, and the loss prints `nan` from then on. Caffe computes
    the rate in float (`Dtype = float`): `0.01 * 1.5^iter` passes 3.4e38, the largest float,
    at iteration 231. When `max_iter` is not set (a solver driven by `solver.step(n)`), only
    iteration 0 is checked.

    ## Consequence
    NaN. From the first iteration whose rate is infinite or NaN, the update turns the weights
    into inf/NaN and the loss prints `nan` from then on. Trains nothing with a negative
    `base_lr`: every update climbs the gradient, so the loss rises.

    ## Example
    ```
    base_lr: 0.01
    lr_policy: "exp"
    gamma: 1.5
    max_iter: 10000
    ```

    ## Use instead
    ```
    base_lr: 0.01
    lr_policy: "exp"
    gamma: 0.9995
    max_iter: 10000
    ```

    ## Fix
    Use a positive `base_lr`, a `gamma` below 1 and a positive `power`, so that the rate
    decays; `prototxt-lint lr-schedule SOLVER` prints the schedule.
    """
    from prototxt_lint.caffe.lr_schedule import FORMULAS, analyse, fmt

    found = _schedule(ctx)
    if found is None:
        return
    schedule, horizon = found
    result = analyse(schedule, horizon)
    if result.first_invalid is None:
        return
    at, rate = result.first_invalid
    cause = _cause(schedule)
    policy = schedule.policy
    if cause == "base_lr" and rate < 0:
        yield Report(
            ("base_lr",),
            f"`base_lr: {schedule.base_lr:g}` is negative: the learning rate is {fmt(rate)}"
            f" from iteration {at}, so every update moves the weights up the gradient (Caffe"
            " subtracts rate * gradient) and the loss grows instead of falling",
            hint="use a positive base_lr",
        )
        return
    what = "NaN" if math.isnan(rate) else "beyond the float range (3.4e38)"
    of = f" (of {schedule.max_iter})" if schedule.max_iter > 0 else ""
    hints = {
        "base_lr": "base_lr must be a finite positive number",
        "gamma": "use a gamma below 1 to decay the rate (above 1 it grows)"
        if math.isfinite(schedule.gamma)
        else "gamma must be a finite number below 1",
        "power": f"use a positive power ({'0.9 or 1' if policy == 'poly' else '0.75'} is usual):"
        f" a negative one makes {policy} grow",
    }
    yield Report(
        anchor(ctx, cause, "lr_policy"),
        f"the learning rate becomes {fmt(rate)} at iteration {at}{of}: `lr_policy:"
        f' "{policy}"` computes {FORMULAS[policy]} in float, which is {what} there with'
        f" `{cause}: {getattr(schedule, cause):g}`; Caffe applies it unchecked, so from that"
        " update on the weights are inf/NaN",
        hint=hints[cause],
    )


@solver_rule(
    "S202",
    "learning-rate-underflow",
    Severity.WARNING,
    "The learning rate underflows to 0 in float long before `max_iter`: nothing moves.",
)
def learning_rate_underflow(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Computes the learning rate of every iteration exactly as Caffe does (in 32-bit float) and
    flags a schedule whose rate is exactly 0 for at least 1% of the run: an `exp` or `step`
    gamma far below 1, a huge `power`, or a `sigmoid` whose rise starts below the smallest
    float. The zero rates that S106 (gamma 0) explains, and a `poly` rounding to 0 in its very
    last iterations, are left alone.

    ## Why is this bad?
    `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) computes the rate as a
    float, and a float below about 1.4e-45 is 0. With `exp` and `gamma: 0.1`, `0.001 *
    0.1^iter` is 0 from iteration 43: every later iteration runs forward and backward and
    changes nothing (Caffe logs `lr = 0`). Caffe's `sigmoid` only rises (`gamma` must be
    >= 0), from `base_lr / (1 + exp(gamma * stepsize))`: with `gamma * stepsize` above about
    88 that start is 0 in float, and the rate stays 0 until the curve comes back into range.

    ## Consequence
    Likely wrong. If training is meant to go on until `max_iter`, it does not: for the
    iterations whose float rate is 0 (at least 1% of the run), every forward and backward pass
    changes nothing (Caffe logs `lr = 0`).

    ## Example
    ```
    base_lr: 0.001
    lr_policy: "exp"
    gamma: 0.1
    stepsize: 20000
    max_iter: 600000
    ```

    ## Use instead
    ```
    base_lr: 0.001
    lr_policy: "step"
    gamma: 0.1
    stepsize: 200000
    max_iter: 600000
    ```

    ## Fix
    For `exp`, use a gamma just below 1 (0.9999); for a rate that drops every N iterations
    use `step` with `stepsize: N`. `prototxt-lint lr-schedule SOLVER` prints the schedule.
    """
    from prototxt_lint.caffe.lr_schedule import FORMULAS, analyse

    found = _schedule(ctx)
    if found is None:
        return
    schedule, horizon = found
    policy = schedule.policy
    if schedule.max_iter <= 0 or not schedule.base_lr > 0:
        return  # no known run length; a 0 base_lr is S218's (or deliberate), < 0 S201's
    if schedule.gamma == 0 and policy in ("step", "exp", "multistep"):
        return  # S106
    result = analyse(schedule, horizon)
    if result.zero is None or result.zero_count < ZERO_SHARE * horizon:
        return
    first, last = result.zero
    count, share = result.zero_count, _percent(result.zero_count, horizon)
    if policy == "sigmoid":
        product = schedule.gamma * schedule.stepsize
        yield Report(
            anchor(ctx, "gamma", "stepsize", "lr_policy"),
            f"the learning rate is 0 from iteration 0 to {last} ({count} of"
            f" {schedule.max_iter} iterations, {share}): `lr_policy: \"sigmoid\"` computes"
            f" {FORMULAS[policy]}, which rises from base_lr / (1 + exp(gamma*stepsize)) to"
            f" base_lr, and with gamma*stepsize = {product:g} it is 0 in float until iteration"
            f" {last + 1}, so those updates change nothing",
            hint="Caffe's sigmoid only rises (gamma must be >= 0): to decay the rate use step,"
            " multistep or poly; to warm up, keep gamma*stepsize small (e.g. below 20)",
        )
        return
    hints = {
        "exp": "exp multiplies the rate by gamma at every iteration: use a gamma just below 1"
        " (e.g. 0.9999)"
        + (
            '; `stepsize` is set but exp ignores it: did you mean `lr_policy: "step"`?'
            if schedule.stepsize > 0
            else ""
        ),
        "step": "each step multiplies the rate by gamma: use a larger stepsize or a gamma"
        " closer to 1",
        "multistep": "each stepvalue multiplies the rate by gamma: use fewer steps or a gamma"
        " closer to 1",
        "inv": "use a smaller power or gamma",
        "poly": "a large power flattens poly to 0 long before max_iter: 0.9 or 1 is usual",
    }
    cause = "power" if policy in ("inv", "poly") else "gamma"
    yield Report(
        anchor(ctx, cause, "lr_policy"),
        f"the learning rate underflows to 0 at iteration {first} and stays 0 for the last"
        f" {count} of {schedule.max_iter} iterations ({share}): `lr_policy: \"{policy}\"`"
        f" computes {FORMULAS[policy]} in float, where anything below 1.4e-45 is 0, so those"
        " updates change nothing",
        hint=hints[policy],
    )


@solver_rule(
    "S203",
    "learning-rate-grows",
    Severity.WARNING,
    "The learning rate grows above `base_lr` (gamma above 1 or a negative power).",
)
def learning_rate_grows(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a schedule whose rate rises above `base_lr` during the run (while staying finite;
    S201 reports one that overflows): `step`, `exp` or `multistep` with `gamma` above 1, `inv`
    or `poly` with a negative `power`.

    ## Why is this bad?
    These policies are meant to decay the rate (`SGDSolver::GetLearningRate`,
    `src/caffe/solvers/sgd_solver.cpp`): `base_lr * gamma^n` shrinks only for gamma below 1,
    `(1 + gamma*iter)^(-power)` and `(1 - iter/max_iter)^power` only for a positive power.
    The other way round the rate ends many times larger than `base_lr`, with no warning from
    Caffe, and training that was stable at the start diverges later (loss `nan`).

    ## Consequence
    Likely wrong. If the rate is meant to decay, as these policies are, it grows: it ends many
    times larger than `base_lr`, with no warning from Caffe, and training that was stable at the
    start diverges later (loss `nan`).

    ## Example
    ```
    ~ net: "train_val.prototxt"
    ~ base_lr: 0.01
    ~ max_iter: 30000
    lr_policy: "multistep"
    gamma: 10
    stepvalue: 10000
    stepvalue: 20000
    ```

    ## Use instead
    ```
    lr_policy: "multistep"
    gamma: 0.1
    stepvalue: 10000
    stepvalue: 20000
    ```

    ## Fix
    Use a gamma below 1 (or a positive power).
    """
    from prototxt_lint.caffe.lr_schedule import FORMULAS, analyse, fmt

    found = _schedule(ctx)
    if found is None:
        return
    schedule, horizon = found
    if schedule.max_iter <= 0:
        return
    result = analyse(schedule, horizon)
    if result.first_invalid is not None or result.peak is None:
        return
    at, peak = result.peak
    cause = "power" if schedule.policy in ("inv", "poly") else "gamma"
    why = "above 1" if cause == "gamma" else "below 0"
    yield Report(
        anchor(ctx, cause, "lr_policy"),
        f"the learning rate grows from base_lr {fmt(schedule.base_lr)} to {fmt(peak)}"
        f" ({peak / schedule.base_lr:.3g} times) by iteration {at}: with `{cause}:"
        f" {getattr(schedule, cause):g}` {why}, `lr_policy: \"{schedule.policy}\"`"
        f" ({FORMULAS[schedule.policy]}) rises instead of decaying",
        hint="use a gamma below 1 to decay the rate"
        if cause == "gamma"
        else "use a positive power to decay the rate",
    )


@solver_rule(
    "S204",
    "stepvalue-beyond-max-iter",
    Severity.WARNING,
    "A `stepvalue` beyond `max_iter`: that learning-rate drop never happens.",
)
def stepvalue_beyond_max_iter(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a `stepvalue` of a `multistep` solver that is beyond `max_iter` (the first one; the
    others are related places of the same cause). A `stepvalue` equal to `max_iter` is left
    alone: generators such as SSD's `ssd_pascal.py` write it to mark the end, and it gives
    exactly the schedule of leaving it out.

    ## Why is this bad?
    Training runs iterations 0 to `max_iter - 1` (`Solver::Solve`, `src/caffe/solver.cpp`),
    and `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) takes a step when
    the iteration reaches `stepvalue`: a value beyond `max_iter` is never reached, so the
    drop the schedule lists never happens (a common slip when `max_iter` was lowered).

    ## Consequence
    Likely wrong. If the listed drop is meant to happen, it does not: training ends at iteration
    `max_iter - 1`, before it.

    ## Example
    ```
    lr_policy: "multistep"
    stepvalue: 16000
    stepvalue: 32000
    max_iter: 28000
    ```

    ## Use instead
    ```
    lr_policy: "multistep"
    stepvalue: 16000
    stepvalue: 24000
    max_iter: 28000
    ```

    ## Fix
    Move the stepvalue below `max_iter`, raise `max_iter`, or delete the entry.
    """
    solver = ctx.solver
    if solver.lr_policy != "multistep" or solver.max_iter <= 0:
        return
    late = [(i, v) for i, v in enumerate(solver.stepvalue) if v > solver.max_iter]
    if not late:
        return
    # one cause (max_iter shorter than the schedule): the first late drop, the others related
    (index, value), rest = late[0], late[1:]
    more = (f" (and {len(rest)} more stepvalue{'s' if len(rest) > 1 else ''} beyond it)"
            if rest else "")
    yield Report(
        ("stepvalue", index),
        f"`stepvalue: {value}` is beyond `max_iter: {solver.max_iter}`: the last"
        f" update is iteration {solver.max_iter - 1}, so this learning-rate drop never"
        f" happens{more}",
        hint="move it below max_iter, raise max_iter, or delete it",
        related=tuple((("stepvalue", i), f"`stepvalue: {v}`") for i, v in rest),
    )


@solver_rule(
    "S218",
    "missing-base-lr",
    Severity.ERROR,
    "`base_lr` missing: it defaults to 0, so the weights never change.",
)
def missing_base_lr(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver without `base_lr` (a `base_lr: 0` written out is taken as deliberate, as
    is a solver with `max_iter: 0` written out, which only tests).

    ## Why is this bad?
    `base_lr` has no default in `caffe.proto`, so it is 0, and every policy of
    `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) multiplies by it:
    Caffe logs `lr = 0` at every iteration, runs the whole training, and the snapshot holds
    the initial weights. No error is printed.

    ## Consequence
    Trains nothing. The rate is 0 at every iteration (Caffe logs `lr = 0`): the whole training
    runs, no error is printed, and the snapshot holds the initial weights.

    ## Example
    ```
    lr_policy: "step"
    gamma: 0.1
    stepsize: 10000
    ```

    ## Use instead
    ```
    base_lr: 0.01
    lr_policy: "step"
    gamma: 0.1
    stepsize: 10000
    ```

    ## Fix
    Add `base_lr` (0.01 is a common start for SGD, 0.001 for Adam).
    """
    solver = ctx.solver
    if has_field(solver, "base_lr"):
        return
    if has_field(solver, "max_iter") and solver.max_iter == 0:
        return  # evaluation only: no update is made
    if ignores_base_lr(solver.lr_policy, ctx.schema):
        return  # a fork's policy that takes its rates from its own fields (stagelr)
    yield Report(
        anchor(ctx, "lr_policy", "max_iter"),
        "no `base_lr`: it defaults to 0, so the learning rate is 0 at every iteration (Caffe"
        " logs `lr = 0`) and the weights never change",
        hint="add `base_lr` (0.01 is a common start for SGD, 0.001 for Adam)",
    )

