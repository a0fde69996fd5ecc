"""Learning-rate policy settings that abort Caffe or silently train nothing.

All of these mirror ``SGDSolver<Dtype>::GetLearningRate`` in
``src/caffe/solvers/sgd_solver.cpp`` (BVLC master) and ``Solver::Solve`` in
``src/caffe/solver.cpp``. Behaviour was measured on a real BVLC build
(shared/caffe-behaviour, rows 1a-1k). Caffe evaluates the policy at the first update, after a
full forward/backward pass, so these failures surface only after start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prototxt_lint.caffe.lr_policies import known_policies
from prototxt_lint.model import SolverContext, is_script_fed
from prototxt_lint.plugin import Report, Severity, solver_rule
from prototxt_lint.syntax.parser import did_you_mean


def _policy(ctx: SolverContext) -> str | None:
    solver = ctx.solver
    return solver.lr_policy if solver.HasField("lr_policy") else None


def _anchor(ctx: SolverContext, *fields: str) -> tuple[str, ...]:
    """The first of ``fields`` written in the file (where a finding should point)."""
    for name in fields:
        if ctx.doc.loc((name,)) is not None:
            return (name,)
    return (fields[-1],) if fields else ()


def _evaluation_only(solver: Any) -> bool:
    """`max_iter: 0` written out, with test nets and a `test_interval`: the evaluation-only
    idiom (SSD's score solvers). `Solver::Solve` runs zero iterations, then one test pass,
    and computes no learning rate."""
    return bool(solver.HasField("max_iter") and solver.max_iter == 0 and solver.test_iter
                and solver.test_interval > 0)


def _known_policies(ctx: SolverContext) -> list[str]:
    return known_policies(ctx.schema)


@solver_rule(
    "S101",
    "poly-without-max-iter",
    Severity.ERROR,
    "`poly` learning-rate policy without `max_iter`: nothing is trained.",
)
def poly_without_max_iter(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver with `lr_policy: "poly"` whose `max_iter` is missing or 0, unless it is
    the evaluation-only idiom: `max_iter: 0` written out, with test nets and a
    `test_interval` (zero iterations on purpose, then one test pass; no rate is computed).

    ## Why is this bad?
    The poly rate is `base_lr * (1 - iter/max_iter)^power` (`SGDSolver::GetLearningRate`,
    `src/caffe/solvers/sgd_solver.cpp`): with `max_iter` 0 it is 0/0 = nan at iteration 0
    wherever it is evaluated. In BVLC Caffe `max_iter` defaults to 0, so `Solver::Solve`
    runs zero iterations: the log reads `Iteration 0, loss = ...` then `Optimization Done.`,
    Caffe exits 0 and snapshots the untrained weights as `..._iter_0.caffemodel`. Nothing is
    trained, silently.

    ## Consequence
    Trains nothing. `max_iter` defaults to 0, so `Solver::Solve` runs zero iterations, exits 0
    and snapshots the untrained weights (measured, row 1a).

    ## Example
    ```
    base_lr: 0.01
    lr_policy: "poly"
    power: 0.9
    ```

    ## Use instead
    ```
    base_lr: 0.01
    lr_policy: "poly"
    power: 0.9
    max_iter: 100000
    ```

    ## Fix
    Set `max_iter` to the iteration at which the poly schedule should reach 0.
    """
    if _policy(ctx) == "poly" and ctx.solver.max_iter <= 0 and not _evaluation_only(ctx.solver):
        yield Report(
            ("lr_policy",),
            '`lr_policy: "poly"` without `max_iter` (it defaults to 0): Caffe runs zero'
            ' training iterations and exits 0 ("Optimization Done."), so nothing is trained;'
            " the poly rate base_lr * (1 - iter/max_iter)^power is 0/0 = nan at iteration 0",
            hint="add `max_iter: N`, the iteration at which the poly schedule reaches 0",
        )


@solver_rule(
    "S102",
    "missing-max-iter",
    Severity.ERROR,
    "`max_iter` missing or 0: Caffe runs zero iterations.",
)
def missing_max_iter(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver (with any policy but `poly`, which S101 reports) whose `max_iter` is
    missing or not positive.

    ## Why is this bad?
    `max_iter` defaults to 0 and `Solver::Solve` (`src/caffe/solver.cpp`) steps
    `max_iter - iter` times: measured on BVLC Caffe, `fixed` without `max_iter` logs
    `Optimization Done.` after iteration 0 and exits 0. The weights it snapshots are the
    initial ones.

    Two cases stay silent. A solver whose net is fed by a script (Python or MemoryData
    layers, or `input` blobs in a net with a loss, as in py-faster-rcnn and R-FCN) is driven
    with `solver.step(n)`, which does not read `max_iter`. And `max_iter: 0` written out,
    with test nets and a `test_interval`, is the evaluation-only idiom: `Solver::Solve`
    runs one `TestAll()` after its zero iterations. When the net the solver names cannot be
    found (X002), the rule cannot tell how the solver is driven and stays silent too; lint
    from the project root, or name the net file as well, to get the check.

    ## Consequence
    Trains nothing. `Solver::Solve` steps `max_iter - iter` times, zero with the default, and
    the snapshot holds the initial weights (measured: `Optimization Done.` after iteration 0,
    exit 0).

    ## Example
    ```
    base_lr: 0.01
    lr_policy: "fixed"
    ```

    ## Use instead
    ```
    base_lr: 0.01
    lr_policy: "fixed"
    max_iter: 10000
    ```

    ## Fix
    Set `max_iter` to the number of training iterations.
    """
    solver = ctx.solver
    if _policy(ctx) == "poly" or solver.max_iter > 0:
        return
    nets = ctx.known_nets()
    if any(is_script_fed(net) for net in nets):
        return  # driven by solver.step(n) from Python/MATLAB
    if not nets and any(link.file_name for link in ctx.links):
        return  # the net was not found: how the solver is driven is unknown
    if _evaluation_only(solver):
        return
    at = ("max_iter",) if ctx.doc.loc(("max_iter",)) else _anchor(ctx, "lr_policy", "base_lr")
    yield Report(
        at,
        f"`max_iter` is {ctx.solver.max_iter}{' (the default)' if at != ('max_iter',) else ''}:"
        ' Caffe runs zero training iterations and exits 0 ("Optimization Done."), so nothing'
        " is trained",
        hint="add `max_iter: N`, the number of training iterations",
    )


@solver_rule(
    "S103",
    "missing-stepsize",
    Severity.ERROR,
    "`step` or `sigmoid` policy without a positive `stepsize`: Caffe aborts.",
)
def missing_stepsize(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `lr_policy: "step"` or `"sigmoid"` whose `stepsize` is missing or 0.

    ## Why is this bad?
    `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) checks
    `CHECK_GT(this->param_.stepsize(), 0)` for both policies. Caffe aborts at the first
    update, after loading the data and running one forward/backward pass:
    `Check failed: this->param_.stepsize() > 0 (0 vs. 0)`.

    ## Consequence
    Aborts at run time. `SGDSolver::GetLearningRate` fails `CHECK_GT(this->param_.stepsize(),
    0)` at the first update, after one forward/backward pass (measured, rows 1c, 1h).

    ## Example
    ```
    lr_policy: "step"
    gamma: 0.1
    ```

    ## Use instead
    ```
    lr_policy: "step"
    gamma: 0.1
    stepsize: 10000
    ```

    ## Fix
    Set `stepsize` to the number of iterations between rate drops.
    """
    policy = _policy(ctx)
    if policy in ("step", "sigmoid") and ctx.solver.stepsize <= 0:
        yield Report(
            _anchor(ctx, "stepsize", "lr_policy"),
            f'`lr_policy: "{policy}"` needs `stepsize` > 0: Caffe aborts at the first update'
            ' with "Check failed: this->param_.stepsize() > 0'
            f' ({ctx.solver.stepsize} vs. 0)"',
            hint="add `stepsize: N` (iterations between learning-rate changes)",
        )


@solver_rule("S104", "negative-gamma", Severity.ERROR, "Negative `gamma`: Caffe aborts.")
def negative_gamma(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a negative `gamma` with the `step`, `exp`, `inv`, `multistep` or `sigmoid` policy.

    ## Why is this bad?
    `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) checks
    `CHECK_GE(this->param_.gamma(), 0)` for these policies and aborts at the first update.

    ## Consequence
    Aborts at run time. `SGDSolver::GetLearningRate` fails `CHECK_GE(this->param_.gamma(), 0)`
    at the first update.

    ## Example
    ```
    lr_policy: "exp"
    gamma: -0.99
    ```

    ## Use instead
    ```
    lr_policy: "exp"
    gamma: 0.99
    ```

    ## Fix
    Use a gamma between 0 and 1 to decay the rate.
    """
    policy = _policy(ctx)
    if policy in ("step", "exp", "inv", "multistep", "sigmoid") and ctx.solver.gamma < 0:
        yield Report(
            ("gamma",),
            f'`gamma: {ctx.solver.gamma:g}` with `lr_policy: "{policy}"`: Caffe aborts at the'
            f' first update with "Check failed: this->param_.gamma() >= 0'
            f' ({ctx.solver.gamma:g} vs. 0)"',
            hint="gamma must be >= 0; a value below 1 decays the learning rate",
        )


@solver_rule(
    "S105", "unknown-lr-policy", Severity.ERROR, "Missing or unknown `lr_policy`: Caffe aborts."
)
def unknown_lr_policy(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver without `lr_policy`, or with a policy Caffe does not know (names are
    case-sensitive: `"Step"` is unknown).

    ## Why is this bad?
    `lr_policy` has no default. `SGDSolver::GetLearningRate`
    (`src/caffe/solvers/sgd_solver.cpp`) ends in `LOG(FATAL) << "Unknown learning rate
    policy: " << lr_policy`, so Caffe aborts at the first update (measured: `Unknown learning
    rate policy: cosine`, and with the field missing `Unknown learning rate policy: ` with an
    empty name). BVLC Caffe knows fixed, step, exp, inv, multistep, poly and sigmoid; policies
    of forks are accepted when the schema in use has their fields (`--proto`).
    Adaptive solvers (Adam, RMSProp, AdaDelta, AdaGrad, Nesterov) use the same function, so
    they need a policy too (usually `"fixed"`).

    ## Consequence
    Aborts at run time. `SGDSolver::GetLearningRate` ends in `LOG(FATAL) << "Unknown learning
    rate policy: "` at the first update (measured, rows 1j, 1k).

    ## Example
    ```
    base_lr: 0.01
    lr_policy: "cosine"
    ```

    ## Use instead
    ```
    base_lr: 0.01
    lr_policy: "poly"
    power: 1.0
    max_iter: 100000
    ```

    ## Fix
    Use one of the policies listed in the message.
    """
    policy = _policy(ctx)
    known = _known_policies(ctx)
    if policy is None:
        yield Report(
            _anchor(ctx, "base_lr"),
            "no `lr_policy`: it has no default, and Caffe aborts at the first update with"
            ' "Unknown learning rate policy: "',
            hint='add `lr_policy: "fixed"` (or step, multistep, poly, ...)',
        )
    elif policy not in known:
        guess = did_you_mean(policy, [(p, i) for i, p in enumerate(known)])
        yield Report(
            ("lr_policy",),
            f'unknown `lr_policy: "{policy}"`: Caffe aborts at the first update with'
            f' "Unknown learning rate policy: {policy}"',
            hint=(f'did you mean "{guess}"? ' if guess else "") + "known: " + ", ".join(known),
        )


@solver_rule(
    "S106",
    "missing-gamma",
    Severity.WARNING,
    "`gamma` missing or 0: the learning rate drops to 0 or never changes.",
)
def missing_gamma(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `gamma` missing (it defaults to 0) or 0 with a policy that uses it.

    ## Why is this bad?
    In `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`), with gamma 0:
    `step` gives `base_lr * 0^floor(iter/stepsize)`, so the rate is 0 from the first step on;
    `exp` gives `base_lr * 0^iter`, 0 from iteration 1; `multistep` drops to 0 at the first
    `stepvalue`; `inv` gives `base_lr * (1 + 0*iter)^-power`, constant; `sigmoid` gives
    `base_lr / 2`, constant. Measured on BVLC Caffe: `step` with stepsize 2 logs `lr = 0`
    from iteration 2, `exp` logs `lr = 0` from iteration 1. No error is printed: training
    just stops improving.

    ## Consequence
    Likely wrong. If the rate is meant to follow the policy's schedule, it does not: with gamma
    0, `step`, `exp` and `multistep` drop it to 0 (training silently stops improving), `inv`
    keeps it at base_lr and `sigmoid` at base_lr / 2 (measured, rows 1d, 1f, 1g, 1i).

    ## Example
    ```
    lr_policy: "step"
    stepsize: 10000
    ```

    ## Use instead
    ```
    lr_policy: "step"
    stepsize: 10000
    gamma: 0.1
    ```

    ## Fix
    Set `gamma` (0.1 is usual for step/multistep, just below 1 for exp/inv).
    """
    policy = _policy(ctx)
    solver = ctx.solver
    if policy not in ("step", "exp", "multistep", "inv", "sigmoid") or solver.gamma != 0:
        return
    effects = {
        "step": f"the learning rate drops to 0 at the first step (iteration {solver.stepsize})"
        if solver.stepsize > 0
        else "the learning rate drops to 0 at the first step",
        "exp": "the learning rate is 0 from iteration 1 on",
        "multistep": (
            f"the learning rate drops to 0 at the first stepvalue (iteration {solver.stepvalue[0]})"
            if solver.stepvalue
            else "the rate would drop to 0 at the first stepvalue"
        ),
        "inv": "the learning rate never changes",
        "sigmoid": "the learning rate is base_lr/2 at every iteration",
    }
    state = "is 0" if ctx.doc.loc(("gamma",)) else "is missing (it defaults to 0)"
    yield Report(
        _anchor(ctx, "gamma", "lr_policy"),
        f'`gamma` {state} with `lr_policy: "{policy}"`: {effects[policy]}',
        hint="set `gamma` (e.g. 0.1 for step/multistep, 0.9999 for exp, 0.0001 for inv)",
    )


@solver_rule(
    "S107",
    "missing-power",
    Severity.WARNING,
    "`poly` or `inv` without `power`: the learning rate never changes.",
)
def missing_power(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `lr_policy: "poly"` or `"inv"` whose `power` is missing (it defaults to 0) or 0.

    ## Why is this bad?
    Both formulas raise to `power` (`SGDSolver::GetLearningRate`,
    `src/caffe/solvers/sgd_solver.cpp`): `poly` is `base_lr * (1 - iter/max_iter)^power` and
    `inv` is `base_lr * (1 + gamma*iter)^-power`. With power 0 both are `base_lr` at every
    iteration (measured: `poly` with `max_iter: 5` and no power logs `lr = 0.1` throughout).

    ## Consequence
    Likely wrong. If the rate is meant to decay, it never does: with power 0, `poly` and `inv`
    give base_lr at every iteration (measured, row 1b).

    ## Example
    ```
    lr_policy: "poly"
    max_iter: 100000
    ```

    ## Use instead
    ```
    lr_policy: "poly"
    max_iter: 100000
    power: 0.9
    ```

    ## Fix
    Set `power` (0.9 or 1.0 for poly, 0.75 for inv are common).
    """
    policy = _policy(ctx)
    if policy in ("poly", "inv") and ctx.solver.power == 0:
        state = "is 0" if ctx.doc.loc(("power",)) else "is missing (it defaults to 0)"
        yield Report(
            _anchor(ctx, "power", "lr_policy"),
            f'`power` {state} with `lr_policy: "{policy}"`: the learning rate stays at'
            " base_lr and never decays",
            hint="set `power` (e.g. 0.9 for poly, 0.75 for inv)",
        )


@solver_rule(
    "S108",
    "multistep-without-stepvalue",
    Severity.WARNING,
    "`multistep` without `stepvalue`: the learning rate never changes.",
)
def multistep_without_stepvalue(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `lr_policy: "multistep"` with no `stepvalue` entries.

    ## Why is this bad?
    `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) advances the step only
    while `current_step_ < stepvalue_size()`: with none it never steps, and the rate stays
    `base_lr` (measured: constant `lr = 0.1`, no `MultiStep Status` lines).

    ## Consequence
    Likely wrong. If the rate is meant to drop, it never does: it stays base_lr for the whole
    run (measured, row 1e).

    ## Example
    ```
    lr_policy: "multistep"
    gamma: 0.1
    ```

    ## Use instead
    ```
    lr_policy: "multistep"
    gamma: 0.1
    stepvalue: 30000
    stepvalue: 60000
    ```

    ## Fix
    Add one `stepvalue` per rate drop, in ascending order.
    """
    if _policy(ctx) == "multistep" and not ctx.solver.stepvalue:
        yield Report(
            ("lr_policy",),
            '`lr_policy: "multistep"` without `stepvalue`: the learning rate stays at'
            " base_lr for the whole run",
            hint="add `stepvalue: N` lines, one per learning-rate drop, in ascending order",
        )


@solver_rule(
    "S109",
    "stepvalue-not-ascending",
    Severity.WARNING,
    "`stepvalue` entries not in ascending order.",
)
def stepvalue_not_ascending(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a `stepvalue` that is not larger than the one before it (multistep policy).

    ## Why is this bad?
    `SGDSolver::GetLearningRate` (`src/caffe/solvers/sgd_solver.cpp`) takes the steps in list
    order, one per iteration, comparing the iteration with `stepvalue(current_step_)`. A value
    smaller than its predecessor therefore fires right after the predecessor, not at the
    iteration written, so the schedule is not the one intended.

    ## Consequence
    Likely wrong. If each drop is meant to happen at the iteration written, it does not: a value
    below its predecessor fires right after the predecessor.

    ## Example
    ```
    ~ net: "train_val.prototxt"
    ~ base_lr: 0.01
    ~ lr_policy: "multistep"
    ~ gamma: 0.1
    ~ max_iter: 100000
    stepvalue: 60000
    stepvalue: 30000
    ```

    ## Use instead
    ```
    stepvalue: 30000
    stepvalue: 60000
    ```

    ## Fix
    Sort the `stepvalue` entries.
    """
    if _policy(ctx) != "multistep":
        return
    values: Any = ctx.solver.stepvalue
    for i in range(1, len(values)):
        if values[i] <= values[i - 1]:
            yield Report(
                ("stepvalue", i),
                f"`stepvalue: {values[i]}` is not above the previous one ({values[i - 1]}):"
                " Caffe takes the steps in list order, so this drop happens right after"
                f" iteration {values[i - 1]}, not at {values[i]}",
                hint="sort the stepvalue entries in ascending order",
            )
