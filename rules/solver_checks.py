"""Solver settings that Caffe refuses at start-up, or that train nothing or diverge.

The learning-rate rules (S201-S204) run the schedule as ``SGDSolver<Dtype>::GetLearningRate``
computes it in float (:mod:`prototxt_lint.lr_schedule`) and report only what the
``lr_policy`` rules (S101-S109) do not: they stay silent wherever Caffe would abort before
producing a rate (unknown policy, missing stepsize, negative gamma, poly without max_iter) and
where S106/S108 already explain a constant or zero rate. The other rules mirror the solver
classes of ``include/caffe/sgd_solvers.hpp`` and ``src/caffe/solvers/*.cpp``,
``Solver::Init``/``InitTestNets`` (``src/caffe/solver.cpp``) and ``UpgradeSolverAsNeeded``
(``src/caffe/util/upgrade_proto.cpp``), BVLC master.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prototxt_lint.caffe.lr_policies import ignores_base_lr
from prototxt_lint.caffe.solver import test_net_instances
from prototxt_lint.model import SolverContext, values
from prototxt_lint.parser import Path
from prototxt_lint.plugin import Edit, Fix, Report, Severity, solver_rule

if TYPE_CHECKING:
    from prototxt_lint.lr_schedule import Schedule

# The schedule simulator (prototxt_lint.lr_schedule) is imported inside the functions that use
# it: a run that lints only nets, the usual pre-commit and editor case, does not load it.

#: The solver types BVLC Caffe registers (``REGISTER_SOLVER_CLASS``), in the order Caffe lists
#: them (``SolverRegistry::SolverTypeListString``: a sorted std::map).
SOLVER_TYPES = ("AdaDelta", "AdaGrad", "Adam", "Nesterov", "RMSProp", "SGD")
#: ``UpgradeSolverType``: the deprecated ``solver_type`` enum and the ``type`` it becomes.
UPGRADED_TYPES = {
    "SGD": "SGD",
    "NESTEROV": "Nesterov",
    "ADAGRAD": "AdaGrad",
    "RMSPROP": "RMSProp",
    "ADADELTA": "AdaDelta",
    "ADAM": "Adam",
}
#: Solvers whose update divides by a running root mean square plus ``delta``.
ADAPTIVE = ("AdaGrad", "RMSProp", "AdaDelta", "Adam")
#: Where each solver type computes its update.
UPDATE_FUNCTION = {
    "SGD": "SGDSolver::ComputeUpdateValue",
    "Nesterov": "NesterovSolver::ComputeUpdateValue",
    "AdaGrad": "AdaGradSolver::ComputeUpdateValue",
    "RMSProp": "RMSPropSolver::ComputeUpdateValue",
    "AdaDelta": "AdaDeltaSolver::ComputeUpdateValue",
    "Adam": "AdamSolver::ComputeUpdateValue",
}
#: A run of zero rates shorter than this share of max_iter is left alone (a poly schedule
#: rounding to 0 in its last iterations is doing what it was asked to).
ZERO_SHARE = 0.01


def _has(msg: Any, name: str) -> bool:
    """HasField that is False, not an error, for a field the schema in use lacks (older forks
    have no `SolverParameter.type`)."""
    return name in msg.DESCRIPTOR.fields_by_name and bool(msg.HasField(name))


# --- helpers ---------------------------------------------------------------------------------
def _written(ctx: SolverContext, name: str) -> bool:
    return ctx.doc.loc((name,)) is not None


def _anchor(ctx: SolverContext, *names: str) -> Path:
    """The first of ``names`` written in the file (where a finding should point)."""
    for name in names:
        if _written(ctx, name):
            return (name,)
    return ()


def _solver_type(ctx: SolverContext) -> str | None:
    """The solver type Caffe builds: ``type``, or the deprecated ``solver_type`` enum as
    ``UpgradeSolverType`` converts it. None when both are given (Caffe aborts, S212)."""
    solver = ctx.solver
    has_type = ctx.schema.has_field("SolverParameter", "type")
    if _has(solver, "solver_type"):
        if has_type and _has(solver, "type"):
            return None
        enum = ctx.schema.descriptor("SolverParameter").fields_by_name["solver_type"].enum_type
        name = enum.values_by_number[solver.solver_type].name
        return UPGRADED_TYPES.get(name, name)
    return str(solver.type) if has_type else "SGD"


def _type_anchor(ctx: SolverContext) -> Path:
    return _anchor(ctx, "type", "solver_type")


def _type_text(ctx: SolverContext, kind: str) -> str:
    """The solver type as the file gives it (or as the default)."""
    if _written(ctx, "type"):
        return f'`type: "{kind}"`'
    if not _written(ctx, "solver_type"):
        return f'the default `type: "{kind}"`'
    start, end = ctx.doc.span(("solver_type",))
    return f"`{ctx.doc.source.text[start:end]}`"


def _value(ctx: SolverContext, name: str) -> float:
    return float(getattr(ctx.solver, name))


def _state(ctx: SolverContext, name: str) -> str:
    value = getattr(ctx.solver, name)
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if _written(ctx, name):
        return f"`{name}: {shown}`"
    return f"`{name}` missing (it defaults to {shown})"


def _schedule(ctx: SolverContext) -> tuple[Schedule, int] | None:
    """The schedule and how many iterations it runs, or None when the lr_policy rules
    already say why there is no schedule (S101, S103, S104, S105)."""
    from prototxt_lint.lr_schedule import Schedule

    if not _has(ctx.solver, "lr_policy"):
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


# --- the learning-rate schedule ----------------------------------------------------------------
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
    from prototxt_lint.lr_schedule import FORMULAS, analyse, fmt

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
        _anchor(ctx, cause, "lr_policy"),
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
    from prototxt_lint.lr_schedule import FORMULAS, analyse

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
            _anchor(ctx, "gamma", "stepsize", "lr_policy"),
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
        _anchor(ctx, cause, "lr_policy"),
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
    from prototxt_lint.lr_schedule import FORMULAS, analyse, fmt

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
        _anchor(ctx, cause, "lr_policy"),
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


# --- momentum and the adaptive solvers ---------------------------------------------------------
def _momentum_effect(kind: str, momentum: float) -> tuple[bool, str]:
    """What ``momentum >= 1`` does to this solver's update: (it blows up to NaN, how).
    Measured with ``caffe train`` on a small net (``tests/test_oracle_solvers.py``)."""
    if kind in ("SGD", "Nesterov"):
        head = (f"{kind} keeps history = momentum * history + rate * gradient and moves the"
                " weights by it")
        if momentum == 1:
            return False, (f"{head}, so old gradients never fade: the steps do not shrink, and"
                           " the weights oscillate unless every gradient keeps one direction")
        return True, (f"{head}, so old gradients grow {momentum:g} times per iteration: the"
                      " steps grow without bound and the weights turn into inf and NaN")
    if kind == "Adam":
        if momentum == 1:
            return True, ("Adam uses it as beta1, and its bias correction divides by 1 -"
                          " beta1^t = 0: the first update is 0 * inf = NaN")
        return False, ("Adam uses it as beta1, and its first-moment average then grows"
                       " without bound, weighted towards the oldest gradients")
    if momentum == 1:
        return False, ("AdaDelta uses it as the decay of its running averages, which then stay"
                       " 0: every update is just base_lr * gradient (plain SGD at a rate meant"
                       " for AdaDelta)")
    return True, ("AdaDelta uses it as the decay of its running averages, which then turn"
                  " negative: their square root is NaN at the first update")


def _momentum_report(ctx: SolverContext, blows_up: bool) -> Iterator[Report]:
    kind = _solver_type(ctx)
    if kind not in ("SGD", "Nesterov", "Adam", "AdaDelta"):
        return
    momentum = _value(ctx, "momentum")
    if momentum < 1:
        return
    nan, effect = _momentum_effect(kind, momentum)
    if nan != blows_up:
        return
    yield Report(
        ("momentum",),
        f"`momentum: {momentum:g}` with {_type_text(ctx, kind)} is not below 1: {effect}"
        f" (`{UPDATE_FUNCTION[kind]}`)",
        hint="use a momentum below 1 (0.9 is usual)",
    )


@solver_rule(
    "S205",
    "momentum-not-below-one",
    Severity.ERROR,
    "`momentum` that blows the update up to NaN (SGD/Nesterov above 1, Adam at 1, AdaDelta"
    " above 1).",
)
def momentum_not_below_one(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a `momentum` that makes the solver's update grow without bound or divide by 0:
    above 1 with SGD or Nesterov, exactly 1 with Adam, above 1 with AdaDelta. The other
    cases of `momentum` >= 1 (1 with SGD, Nesterov or AdaDelta; above 1 with Adam) are
    S219. AdaGrad and RMSProp refuse any momentum: S206.

    ## Why is this bad?
    Caffe takes `momentum` as given. SGD and Nesterov keep `history = momentum * history +
    rate * gradient` and move the weights by it (`SGDSolver::ComputeUpdateValue` in
    `src/caffe/solvers/sgd_solver.cpp`, `NesterovSolver::ComputeUpdateValue` in
    `nesterov_solver.cpp`): above 1 every old gradient is amplified at every iteration.
    Adam uses `momentum` as beta1 (`AdamSolver::ComputeUpdateValue`, `adam_solver.cpp`): at
    1 its bias correction divides by `1 - beta1^t = 0`. AdaDelta uses it as the decay of its
    running averages (`AdaDeltaSolver::ComputeUpdateValue`, `adadelta_solver.cpp`): above 1
    they turn negative and their square root is NaN.

    ## Consequence
    NaN. Measured with `caffe train` on a small net that trains with momentum 0.9: SGD at
    momentum 1.1 prints `loss = -nan` from about iteration 500 (the steps grow 1.1 times per
    iteration), Adam at momentum 1 and AdaDelta at 1.1 from the first display on.

    ## Example
    ```
    type: "SGD"
    momentum: 1.9
    ```

    ## Use instead
    ```
    type: "SGD"
    momentum: 0.9
    ```

    ## Fix
    Use a momentum below 1 (0.9 is usual; 0.99 for very small learning rates).
    """
    yield from _momentum_report(ctx, blows_up=True)


@solver_rule(
    "S219",
    "momentum-never-decays",
    Severity.WARNING,
    "`momentum` 1 with SGD, Nesterov or AdaDelta, or above 1 with Adam: old gradients never"
    " fade.",
)
def momentum_never_decays(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `momentum: 1` with the SGD, Nesterov or AdaDelta solver, and a `momentum` above 1
    with Adam: settings where old gradients never fade but the update does not blow up
    (those are S205).

    ## Why is this bad?
    With SGD or Nesterov at momentum 1 (`SGDSolver::ComputeUpdateValue`,
    `src/caffe/solvers/sgd_solver.cpp`) the history is the sum of every gradient so far:
    the steps never shrink, so the weights overshoot and oscillate around a minimum instead
    of settling. AdaDelta at 1 keeps its running averages at 0 and becomes plain SGD at its
    `base_lr`, which for AdaDelta is usually 1 (`adadelta_solver.cpp`). Adam above 1 makes
    its first-moment average grow without bound, weighted towards the oldest gradients
    (`adam_solver.cpp`). Momentum is almost always meant to be 0.9 or 0.99.

    ## Consequence
    Likely wrong. If the net is meant to settle into a minimum, the steps never shrink, so
    on real nets they overshoot. Not an abort and not certain divergence: measured with
    `caffe train` on a small, easy net, SGD and Nesterov at momentum 1, AdaDelta at 1 and Adam
    at 1.1 all still reduced the loss.

    ## Example
    ```
    type: "SGD"
    momentum: 1
    ```

    ## Use instead
    ```
    type: "SGD"
    momentum: 0.9
    ```

    ## Fix
    Use a momentum below 1 (0.9 is usual; 0.99 for very small learning rates).
    """
    yield from _momentum_report(ctx, blows_up=False)


@solver_rule(
    "S206",
    "momentum-not-allowed",
    Severity.ERROR,
    "`momentum` with AdaGrad or RMSProp: Caffe aborts at start-up.",
)
def momentum_not_allowed(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a non-zero `momentum` with the AdaGrad or RMSProp solver.

    ## Why is this bad?
    Their constructors (`AdaGradSolver` / `RMSPropSolver::constructor_sanity_check`,
    `include/caffe/sgd_solvers.hpp`) check `CHECK_EQ(0, this->param_.momentum())`, so Caffe
    aborts once the nets are built, before the first iteration:
    `Check failed: 0 == this->param_.momentum() (0 vs. 0.9) Momentum cannot be used with
    AdaGrad.`

    ## Consequence
    Aborts at set-up. The solver's `constructor_sanity_check` fails `CHECK_EQ(0,
    this->param_.momentum())` once the nets are built, before the first iteration.

    ## Example
    ```
    type: "RMSProp"
    momentum: 0.9
    ```

    ## Use instead
    ```
    type: "RMSProp"
    rms_decay: 0.98
    ```

    ## Fix
    Delete `momentum` (or set it to 0); use SGD, Nesterov or Adam for momentum.
    """
    kind = _solver_type(ctx)
    momentum = _value(ctx, "momentum")
    if kind not in ("AdaGrad", "RMSProp") or momentum == 0:
        return
    yield Report(
        ("momentum",),
        f"`momentum: {momentum:g}` with {_type_text(ctx, kind)}: Caffe aborts at start-up with"
        f' "Check failed: 0 == this->param_.momentum() (0 vs. {momentum:g}) Momentum cannot'
        f' be used with {kind}."',
        hint=f"delete `momentum` ({kind} scales each step itself; use SGD, Nesterov or Adam"
        " for momentum)",
    )


@solver_rule(
    "S207",
    "adam-without-momentum",
    Severity.WARNING,
    "Adam with `momentum` 0 (its beta1): no first-moment average, not really Adam.",
)
def adam_without_momentum(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags the Adam solver with `momentum` missing or 0.

    ## Why is this bad?
    Caffe's Adam takes beta1 from `momentum`, whose default is 0, not Adam's usual 0.9
    (`AdamSolver::ComputeUpdateValue`, `src/caffe/solvers/adam_solver.cpp`; only `momentum2`,
    beta2, has an Adam default: 0.999). With beta1 = 0 the first moment is just the current
    gradient, so each step is the raw gradient divided by its running RMS: RMSProp with a
    bias correction, noisier than Adam and often unstable at Adam's learning rates. Caffe
    prints nothing about it.

    ## Consequence
    Likely wrong. If Adam is meant (its usual beta1 is 0.9), it is not what runs: with beta1 = 0
    each step is the raw gradient divided by its running RMS, RMSProp with a bias correction,
    noisier and often unstable at Adam's learning rates; Caffe prints nothing.

    ## Example
    ```
    type: "Adam"
    base_lr: 0.001
    ```

    ## Use instead
    ```
    type: "Adam"
    base_lr: 0.001
    momentum: 0.9
    momentum2: 0.999
    ```

    ## Fix
    Add `momentum: 0.9`.
    """
    if _solver_type(ctx) != "Adam" or _value(ctx, "momentum") != 0:
        return
    yield Report(
        _anchor(ctx, "momentum", "type", "solver_type"),
        f"{_type_text(ctx, 'Adam')} with {_state(ctx, 'momentum')}: Caffe's Adam takes its"
        " beta1 from `momentum`, so there is no first-moment average: each step is the raw"
        " gradient divided by its running RMS (RMSProp with a bias correction), not Adam",
        hint="add `momentum: 0.9` (Adam's beta1; `momentum2`, beta2, defaults to 0.999)",
    )


@solver_rule(
    "S208",
    "adam-momentum2-out-of-range",
    Severity.ERROR,
    "Adam's `momentum2` (beta2) outside [0, 1): no update, or NaN weights.",
)
def adam_momentum2_out_of_range(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags the Adam solver with `momentum2` below 0 or not below 1.

    ## Why is this bad?
    `momentum2` is Adam's beta2 (`AdamSolver::ComputeUpdateValue`,
    `src/caffe/solvers/adam_solver.cpp`). The step is scaled by the bias correction
    `sqrt(1 - beta2^t)`: at beta2 = 1 that is 0 (and the squared-gradient average never
    leaves 0), so every update is 0 and nothing is learned; above 1 it is the square root of
    a negative number, NaN. Below 0 the squared-gradient average can go negative, and its
    square root is NaN.

    ## Consequence
    Trains nothing. Measured with `caffe train` on a small net that Adam trains at 0.999: at
    `momentum2: 1` the bias correction is 0 and the loss never moves; at 1.1 the loss never
    moves either (this OpenBLAS build turns the NaN-scaled step into no update); at -0.5 the
    loss is `-nan` from the first display on.

    ## Example
    ```
    type: "Adam"
    momentum: 0.9
    momentum2: 1
    ```

    ## Use instead
    ```
    type: "Adam"
    momentum: 0.9
    momentum2: 0.999
    ```

    ## Fix
    Use a `momentum2` just below 1 (0.999 is the default).
    """
    if _solver_type(ctx) != "Adam" or not ctx.schema.has_field("SolverParameter", "momentum2"):
        return
    beta2 = _value(ctx, "momentum2")
    if 0 <= beta2 < 1:
        return
    if beta2 == 1:
        effect = ("the squared-gradient average never leaves 0 and the bias correction"
                  " sqrt(1 - momentum2^t) is 0, so every update is 0 and the weights never"
                  " change")
    elif beta2 > 1:
        effect = ("the bias correction sqrt(1 - momentum2^t) is the square root of a"
                  " negative number (NaN): measured, the weights then never change")
    else:
        effect = ("the squared-gradient average momentum2 * v + (1 - momentum2) * g^2 can go"
                  " negative, and its square root is NaN")
    yield Report(
        ("momentum2",),
        f"`momentum2: {beta2:g}` (Adam's beta2) is outside [0, 1): {effect}",
        hint="use a momentum2 just below 1 (0.999 is the default)",
    )


def _delta(ctx: SolverContext, adadelta: bool) -> Iterator[Report]:
    kind = _solver_type(ctx)
    if kind not in ADAPTIVE or not ctx.schema.has_field("SolverParameter", "delta"):
        return
    if (kind == "AdaDelta") != adadelta:
        return
    delta = _value(ctx, "delta")
    if delta > 0:
        return
    if kind == "AdaDelta":
        effect = ("AdaDelta's step is gradient * sqrt((update history + delta) / (gradient"
                  " history + delta)): " + (
                      "the update history starts at 0 and stays 0, so no weight ever moves"
                      if delta == 0 else
                      "with a negative delta the first ratio is negative, and its square root"
                      " is NaN"))
    else:
        effect = (f"{kind} divides each step by sqrt(history) + delta, so a weight whose"
                  " gradient has been exactly 0 from the start (a dead ReLU unit, an input"
                  " pixel that is always 0, an unused output) gets 0/0 = NaN, and the NaN"
                  " spreads through the net")
    yield Report(
        ("delta",),
        f"`delta: {delta:g}` with {_type_text(ctx, kind)}: {effect}"
        f" (`{UPDATE_FUNCTION[kind]}`)",
        hint="use a small positive delta (1e-8 is the default"
        + ("; AdaDelta examples use 1e-6)" if kind == "AdaDelta" else ")"),
    )


@solver_rule(
    "S209",
    "delta-not-positive",
    Severity.WARNING,
    "`delta` 0 or negative with AdaGrad, RMSProp or Adam: 0/0 = NaN on a zero gradient.",
)
def delta_not_positive(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `delta` <= 0 with the AdaGrad, RMSProp or Adam solver (AdaDelta: S220).

    ## Why is this bad?
    These solvers divide each step by a running root mean square plus `delta` (default
    1e-8), which is only there to keep the division away from 0 (`ComputeUpdateValue` in
    `src/caffe/solvers/adagrad_solver.cpp`, `rmsprop_solver.cpp`, `adam_solver.cpp`). With
    `delta: 0`, a weight whose gradient has been exactly 0 from the start (a dead ReLU unit,
    an input pixel that is always 0 such as MNIST's border, an unused output) gets 0/0 =
    NaN, and the NaN spreads through the net. A negative delta can make the divisor 0 or flip
    its sign.

    ## Consequence
    Likely wrong. If some weight's gradient is exactly 0 from the start, which is common but
    not certain, its first update is 0/0 = NaN and the loss turns `nan`. Measured with
    `caffe train` on a small dense net where every gradient is non-zero, AdaGrad, RMSProp and
    Adam with `delta: 0` or `-1e-8` trained normally.

    ## Example
    ```
    type: "AdaGrad"
    delta: 0
    ```

    ## Use instead
    ```
    type: "AdaGrad"
    delta: 1e-8
    ```

    ## Fix
    Use a small positive delta (1e-8 is the default).
    """
    yield from _delta(ctx, adadelta=False)


@solver_rule(
    "S220",
    "adadelta-delta-not-positive",
    Severity.ERROR,
    "AdaDelta with `delta` 0 (no weight ever moves) or negative (NaN).",
)
def adadelta_delta_not_positive(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `delta` <= 0 with the AdaDelta solver.

    ## Why is this bad?
    AdaDelta's step is `gradient * sqrt((update history + delta) / (gradient history +
    delta))` (`AdaDeltaSolver::ComputeUpdateValue`, `src/caffe/solvers/adadelta_solver.cpp`).
    The update history starts at 0, so with `delta: 0` the first step is 0, the history stays
    0, and no weight ever moves. With a negative delta the first ratio is negative and its
    square root is NaN.

    ## Consequence
    Trains nothing. Measured with `caffe train` on a small net that AdaDelta trains at
    `delta: 1e-6`: at `delta: 0` the loss never moves; at `-1e-6` it is `-nan` from the first
    display on.

    ## Example
    ```
    type: "AdaDelta"
    momentum: 0.95
    delta: 0
    ```

    ## Use instead
    ```
    type: "AdaDelta"
    momentum: 0.95
    delta: 1e-6
    ```

    ## Fix
    Use a small positive delta (AdaDelta examples use 1e-6).
    """
    yield from _delta(ctx, adadelta=True)


@solver_rule(
    "S210",
    "rms-decay-out-of-range",
    Severity.ERROR,
    "RMSProp `rms_decay` outside [0, 1): Caffe aborts at start-up.",
)
def rms_decay_out_of_range(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags the RMSProp solver with `rms_decay` below 0 or not below 1.

    ## Why is this bad?
    `RMSPropSolver::constructor_sanity_check` (`include/caffe/sgd_solvers.hpp`) checks
    `CHECK_GE(rms_decay, 0)` and `CHECK_LT(rms_decay, 1)`, so Caffe aborts once the nets are
    built: `Check failed: this->param_.rms_decay() < 1 (1 vs. 1) rms_decay should lie between
    0 and 1.`

    ## Consequence
    Aborts at set-up. `RMSPropSolver::constructor_sanity_check` fails `CHECK_GE(rms_decay, 0)`
    or `CHECK_LT(rms_decay, 1)` once the nets are built.

    ## Example
    ```
    type: "RMSProp"
    rms_decay: 1
    ```

    ## Use instead
    ```
    type: "RMSProp"
    rms_decay: 0.98
    ```

    ## Fix
    Use an rms_decay between 0 and 1 (the default is 0.99).
    """
    if _solver_type(ctx) != "RMSProp" or not ctx.schema.has_field("SolverParameter", "rms_decay"):
        return
    decay = _value(ctx, "rms_decay")
    if 0 <= decay < 1:
        return
    check = f"< 1 ({decay:g} vs. 1)" if decay >= 1 else f">= 0 ({decay:g} vs. 0)"
    yield Report(
        ("rms_decay",),
        f'`rms_decay: {decay:g}` with {_type_text(ctx, "RMSProp")}: Caffe aborts at start-up'
        f' with "Check failed: this->param_.rms_decay() {check} rms_decay should lie between'
        ' 0 and 1."',
        hint="use an rms_decay between 0 and 1 (the default is 0.99)",
    )


# --- the solver type ---------------------------------------------------------------------------
@solver_rule(
    "S211",
    "deprecated-solver-type",
    Severity.INFO,
    "Deprecated `solver_type` enum: Caffe upgrades it to `type` on every load.",
)
def deprecated_solver_type(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags the enum field `solver_type` (`solver_type: ADAM`) when the schema has the string
    field `type` that replaced it, and offers the replacement as a fix.

    ## Why is this bad?
    `UpgradeSolverAsNeeded` (`src/caffe/util/upgrade_proto.cpp`) converts it on every load
    (`UpgradeSolverType`: SGD, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM become "SGD",
    "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam") and logs "Note that future Caffe
    releases will only support 'type' field (string) for a solver's type." It still works;
    writing `type` keeps the file valid for the Caffe versions to come.

    ## Consequence
    Reminder. It works: `UpgradeSolverAsNeeded` converts it on every load and logs that future
    releases will only support `type`.

    ## Example
    ```
    solver_type: ADAM
    ```

    ## Use instead
    ```
    type: "Adam"
    ```

    ## Fix
    Replace `solver_type: ENUM` with the `type: "Name"` given in the message (automatic fix).
    """
    solver = ctx.solver
    if not _has(solver, "solver_type") or not ctx.schema.has_field("SolverParameter", "type"):
        return
    if _has(solver, "type"):
        return  # S212
    kind = _solver_type(ctx)
    loc = ctx.doc.loc(("solver_type",))
    written = ctx.doc.source.text[loc.start:loc.end] if loc else "solver_type"
    fix = Fix(f'Replace with `type: "{kind}"`', (Edit(
        loc.start, loc.end, ctx.doc.comments_before(loc.start, loc.end) + f'type: "{kind}"'),)
              ) if loc else None
    yield Report(
        ("solver_type",),
        f'`{written}` is deprecated: Caffe upgrades it to `type: "{kind}"` on every load'
        " (UpgradeSolverAsNeeded)",
        hint=f'write `type: "{kind}"` instead',
        fix=fix,
    )


@solver_rule(
    "S212",
    "solver-type-conflict",
    Severity.ERROR,
    "Both `solver_type` and `type`: Caffe refuses to load the solver.",
)
def solver_type_conflict(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver that gives both the deprecated enum `solver_type` and the string `type`.

    ## Why is this bad?
    `UpgradeSolverType` (`src/caffe/util/upgrade_proto.cpp`) checks that only one is set,
    even when they agree, so Caffe aborts while reading the solver file:
    `Check failed: !solver_param->has_solver_type() || !solver_param->has_type() Failed to
    upgrade solver: old solver_type field (enum) and new type field (string) cannot be both
    specified in solver proto text.`

    ## Consequence
    Aborts at load. `UpgradeSolverType`, which runs while Caffe reads the solver file
    (`ReadSolverParamsFromTextFileOrDie`), fails its `CHECK` even when the two agree.

    ## Example
    ```
    solver_type: ADAM
    type: "Adam"
    ```

    ## Use instead
    ```
    type: "Adam"
    ```

    ## Fix
    Delete `solver_type`.
    """
    solver = ctx.solver
    if not ctx.schema.has_field("SolverParameter", "type"):
        return
    if _has(solver, "solver_type") and _has(solver, "type"):
        yield Report(
            ("solver_type",),
            "`solver_type` and `type` are both given: Caffe aborts while reading the solver"
            ' with "Check failed: !solver_param->has_solver_type() || !solver_param->has_type()'
            " Failed to upgrade solver: old solver_type field (enum) and new type field"
            ' (string) cannot be both specified in solver proto text."',
            hint="delete `solver_type` (the deprecated enum)",
        )


def _near_type(name: str) -> str | None:
    """The BVLC solver type ``name`` was meant to be: same letters in another case, or a
    misspelling that is not just a longer name (``AdamW`` is a fork's solver, not a typo)."""
    lowered = {t.lower(): t for t in SOLVER_TYPES}
    if name.lower() in lowered:
        return lowered[name.lower()]
    import difflib  # only for an unknown type

    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    if close and not name.lower().startswith(close[0]):
        return lowered[close[0]]
    return None


def _unknown_type_message(name: str) -> str:
    return (
        f'Caffe aborts at start-up with "Check failed: registry.count(type) == 1 (0 vs. 1)'
        f' Unknown solver type: {name} (known types: {", ".join(SOLVER_TYPES)})"'
    )


@solver_rule(
    "S213",
    "unknown-solver-type",
    Severity.ERROR,
    "A misspelled solver `type` (names are case-sensitive): Caffe aborts at start-up.",
)
def unknown_solver_type(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver `type` that is a misspelling of one BVLC Caffe registers (`"adam"`,
    `"Adagrad"`, `"RMSprop"`: the names are case-sensitive).

    ## Why is this bad?
    `SolverRegistry::CreateSolver` (`include/caffe/solver_factory.hpp`) looks the name up
    exactly, before any net is built: `Check failed: registry.count(type) == 1 (0 vs. 1)
    Unknown solver type: adam (known types: AdaDelta, AdaGrad, Adam, Nesterov, RMSProp,
    SGD)`.

    ## Consequence
    Aborts at set-up. `SolverRegistry::CreateSolver` fails `Check failed: registry.count(type)
    == 1 (0 vs. 1) Unknown solver type: ...` before any net is built.

    ## Example
    ```
    type: "adam"
    ```

    ## Use instead
    ```
    type: "Adam"
    ```

    ## Fix
    Use the name in the did-you-mean hint.
    """
    if not _has(ctx.solver, "type") or not ctx.schema.has_field("SolverParameter", "type"):
        return
    name = ctx.solver.type
    guess = _near_type(name) if name not in SOLVER_TYPES else None
    if guess:
        yield Report(
            ("type",),
            f'unknown solver `type: "{name}"`: {_unknown_type_message(name)}',
            hint=f'did you mean "{guess}"? (solver type names are case-sensitive)',
        )


@solver_rule(
    "S214",
    "fork-solver-type",
    Severity.WARNING,
    "A solver `type` BVLC Caffe does not have: only a fork that registers it can run this.",
)
def fork_solver_type(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver `type` that BVLC Caffe does not register and that is not a misspelling of
    one of its types (those are S213): a solver only some fork provides, or a mistake.

    ## Why is this bad?
    BVLC Caffe knows AdaDelta, AdaGrad, Adam, Nesterov, RMSProp and SGD
    (`REGISTER_SOLVER_CLASS` in `src/caffe/solvers/`); `SolverRegistry::CreateSolver`
    (`include/caffe/solver_factory.hpp`) aborts at start-up on any other name with
    `Unknown solver type: ...`. A fork that registers the solver runs it.

    ## Consequence
    Likely wrong. If the solver runs on BVLC Caffe or any build that does not register the type,
    it aborts at set-up in `SolverRegistry::CreateSolver` with `Unknown solver type: ...`; a
    fork that registers it runs it.

    ## Example
    ```
    type: "Lookahead"
    ```

    ## Use instead
    ```
    type: "SGD"
    ```

    ## Fix
    Use a BVLC solver type, or suppress this finding when your Caffe fork provides the
    solver (`# prototxt-lint: disable=S214`).
    """
    if not _has(ctx.solver, "type") or not ctx.schema.has_field("SolverParameter", "type"):
        return
    name = ctx.solver.type
    if name in SOLVER_TYPES or _near_type(name):
        return
    yield Report(
        ("type",),
        f'`type: "{name}"` is not a solver type BVLC Caffe registers: BVLC'
        f" {_unknown_type_message(name)}; only a Caffe fork that registers it can run this"
        " solver",
        hint="use one of AdaDelta, AdaGrad, Adam, Nesterov, RMSProp, SGD, or suppress this"
        " finding if your Caffe fork provides the solver",
    )


# --- testing, snapshots, base_lr ---------------------------------------------------------------
def _test_instances(ctx: SolverContext) -> int | None:
    """How many test nets ``Solver::InitTestNets`` builds, or None when it aborts before."""
    return test_net_instances(ctx.solver, ctx.schema.scalar_test_iter)


@solver_rule(
    "S215",
    "test-interval-missing",
    Severity.ERROR,
    "Test nets without a positive `test_interval`: Caffe aborts at start-up.",
)
def test_interval_missing(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver that has test nets (one per `test_iter` entry) but no positive
    `test_interval`.

    ## Why is this bad?
    `Solver::InitTestNets` (`src/caffe/solver.cpp`) checks
    `CHECK_GT(param_.test_interval(), 0)` whenever there is a test net, and `test_interval`
    defaults to 0, so Caffe aborts at start-up, after building the train net:
    `Check failed: param_.test_interval() > 0 (0 vs. 0)`. (S110 covers `test_iter` counts
    that do not match the test nets, which Caffe checks first.)

    ## Consequence
    Aborts at set-up. `Solver::InitTestNets` fails `CHECK_GT(param_.test_interval(), 0)` after
    building the train net.

    ## Example
    ```
    net: "train_val.prototxt"
    test_iter: 100
    ```

    ## Use instead
    ```
    net: "train_val.prototxt"
    test_iter: 100
    test_interval: 1000
    ```

    ## Fix
    Add `test_interval: N`. To test only rarely, use an interval larger than `max_iter`
    (the test then runs at the start and the end); to never test, remove `test_iter`.
    """
    instances = _test_instances(ctx)
    interval = ctx.solver.test_interval
    if not instances or interval > 0:
        return
    nets = f"{instances} test net{'s' if instances != 1 else ''}"
    yield Report(
        _anchor(ctx, "test_interval") or ("test_iter", 0),
        f"{nets} (one per `test_iter`) but {_state(ctx, 'test_interval')}: Caffe aborts at"
        f' start-up with "Check failed: param_.test_interval() > 0 ({interval} vs. 0)"',
        hint="add `test_interval: N` (iterations between test passes); to never test, remove"
        " `test_iter`",
    )


@solver_rule(
    "S216",
    "tests-never-run",
    Severity.WARNING,
    "`test_interval` with a generic `net` but no `test_iter`: nothing is ever tested.",
)
def tests_never_run(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver with a generic `net` (or `net_param`), a positive `test_interval`, and no
    `test_iter` nor test net.

    ## Why is this bad?
    With a generic net, `Solver::InitTestNets` (`src/caffe/solver.cpp`) builds one test
    instance of it per `test_iter` entry. Without any, no test net exists: the solver asks
    for a test every `test_interval` iterations and `TestAll` silently does nothing, so the
    TEST phase of the net (its accuracy) is never reported.

    ## Consequence
    Likely wrong. If the TEST phase is meant to be evaluated, it never is: no test net exists,
    and `TestAll` silently does nothing every `test_interval` iterations.

    ## Example
    ```
    net: "train_val.prototxt"
    test_interval: 1000
    ```

    ## Use instead
    ```
    net: "train_val.prototxt"
    test_iter: 100
    test_interval: 1000
    ```

    ## Fix
    Add `test_iter: N` (the number of test batches per test pass), or delete
    `test_interval`.
    """
    solver = ctx.solver
    generic = _has(solver, "net") or _has(solver, "net_param")
    if not generic or solver.test_interval <= 0 or values(solver, "test_iter"):
        return
    if values(solver, "test_net") or solver.test_net_param:
        return  # S110
    yield Report(
        ("test_interval",),
        f"`test_interval: {solver.test_interval}` but no `test_iter`: with a generic"
        f" `{'net' if _has(solver, 'net') else 'net_param'}`, Caffe builds one test net per"
        " `test_iter` entry (Solver::InitTestNets), so there is none and nothing is ever"
        " tested",
        hint="add `test_iter: N` (test batches per test pass), or delete `test_interval`",
    )


@solver_rule(
    "S217",
    "snapshot-without-prefix",
    Severity.WARNING,
    "`snapshot` without `snapshot_prefix`: older Caffe aborts, master names it after the file.",
)
def snapshot_without_prefix(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `snapshot: N` (N > 0) with no `snapshot_prefix`.

    ## Why is this bad?
    Caffe 1.0 and older, and the forks based on them (SSD, py-faster-rcnn, ...), abort at
    start-up in `Solver::CheckSnapshotWritePermissions` (`src/caffe/solver.cpp`):
    `Check failed: param_.has_snapshot_prefix() In solver params, snapshot is specified but
    snapshot_prefix is not`. BVLC master (since early 2018, PR #6123) instead sets the prefix
    to the solver file's path without its extension (`UpgradeSnapshotPrefixProperty` in
    `src/caffe/util/upgrade_proto.cpp`), so snapshots land beside the solver file as
    `solver_iter_N.caffemodel`, wherever that is.

    ## Consequence
    Likely wrong. If the solver runs on Caffe 1.0 or older, or a fork based on them, it aborts
    at set-up in `Solver::CheckSnapshotWritePermissions`; BVLC master writes the snapshots
    beside the solver file instead.

    ## Example
    ```
    snapshot: 10000
    ```

    ## Use instead
    ```
    snapshot: 10000
    snapshot_prefix: "snapshots/mynet"
    ```

    ## Fix
    Add `snapshot_prefix` (a path prefix; master also accepts an existing directory).
    """
    solver = ctx.solver
    if solver.snapshot <= 0 or _has(solver, "snapshot_prefix"):
        return
    stem = os.path.splitext(os.path.basename(ctx.doc.path))[0] or "solver"
    yield Report(
        ("snapshot",),
        f"`snapshot: {solver.snapshot}` without `snapshot_prefix`: Caffe 1.0 and older (and"
        " forks based on them) abort at start-up with \"Check failed:"
        " param_.has_snapshot_prefix() In solver params, snapshot is specified but"
        " snapshot_prefix is not\"; BVLC master writes the snapshots beside the solver file as"
        f" {stem}_iter_{solver.snapshot}.caffemodel",
        hint='add `snapshot_prefix: "snapshots/name"` (snapshots are written as'
        " <prefix>_iter_N.caffemodel)",
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
    if _has(solver, "base_lr"):
        return
    if _has(solver, "max_iter") and solver.max_iter == 0:
        return  # evaluation only: no update is made
    if ignores_base_lr(solver.lr_policy, ctx.schema):
        return  # a fork's policy that takes its rates from its own fields (stagelr)
    yield Report(
        _anchor(ctx, "lr_policy", "max_iter"),
        "no `base_lr`: it defaults to 0, so the learning rate is 0 at every iteration (Caffe"
        " logs `lr = 0`) and the weights never change",
        hint="add `base_lr` (0.01 is a common start for SGD, 0.001 for Adam)",
    )
