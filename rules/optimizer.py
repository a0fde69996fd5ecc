"""The optimizer's own hyper-parameters: momentum, Adam's momentum2, delta, rms_decay
(S205-S210, S219, S220), as the solver classes of ``include/caffe/sgd_solvers.hpp`` and
``src/caffe/solvers/*.cpp`` (BVLC master) use them in ``ComputeUpdateValue``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prototxt_lint.caffe.solver import (
    ADAPTIVE,
    UPDATE_FUNCTION,
    built_solver_type,
)
from prototxt_lint.model import SolverContext
from prototxt_lint.plugin import Report, Severity, solver_rule
from prototxt_lint.solver_fields import anchor, state, type_text, value

if TYPE_CHECKING:
    pass


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
    kind = built_solver_type(ctx)
    if kind not in ("SGD", "Nesterov", "Adam", "AdaDelta"):
        return
    momentum = value(ctx, "momentum")
    if momentum < 1:
        return
    nan, effect = _momentum_effect(kind, momentum)
    if nan != blows_up:
        return
    yield Report(
        ("momentum",),
        f"`momentum: {momentum:g}` with {type_text(ctx, kind)} is not below 1: {effect}"
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
    kind = built_solver_type(ctx)
    momentum = value(ctx, "momentum")
    if kind not in ("AdaGrad", "RMSProp") or momentum == 0:
        return
    yield Report(
        ("momentum",),
        f"`momentum: {momentum:g}` with {type_text(ctx, kind)}: Caffe aborts at start-up with"
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
    if built_solver_type(ctx) != "Adam" or value(ctx, "momentum") != 0:
        return
    yield Report(
        anchor(ctx, "momentum", "type", "solver_type"),
        f"{type_text(ctx, 'Adam')} with {state(ctx, 'momentum')}: Caffe's Adam takes its"
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
    if built_solver_type(ctx) != "Adam" or not ctx.schema.has_field("SolverParameter", "momentum2"):
        return
    beta2 = value(ctx, "momentum2")
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
    kind = built_solver_type(ctx)
    if kind not in ADAPTIVE or not ctx.schema.has_field("SolverParameter", "delta"):
        return
    if (kind == "AdaDelta") != adadelta:
        return
    delta = value(ctx, "delta")
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
        f"`delta: {delta:g}` with {type_text(ctx, kind)}: {effect}"
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
    if built_solver_type(ctx) != "RMSProp" \
            or not ctx.schema.has_field("SolverParameter", "rms_decay"):
        return
    decay = value(ctx, "rms_decay")
    if 0 <= decay < 1:
        return
    check = f"< 1 ({decay:g} vs. 1)" if decay >= 1 else f">= 0 ({decay:g} vs. 0)"
    yield Report(
        ("rms_decay",),
        f'`rms_decay: {decay:g}` with {type_text(ctx, "RMSProp")}: Caffe aborts at start-up'
        f' with "Check failed: this->param_.rms_decay() {check} rms_decay should lie between'
        ' 0 and 1."',
        hint="use an rms_decay between 0 and 1 (the default is 0.99)",
    )

