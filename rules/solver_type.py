"""Which solver class Caffe builds: the deprecated ``solver_type`` enum, both fields at once,
an unknown or a fork's type (S211-S214), as ``UpgradeSolverAsNeeded``
(``src/caffe/util/upgrade_proto.cpp``) and ``SolverRegistry::CreateSolver`` decide it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prototxt_lint.caffe.solver import (
    SOLVER_TYPES,
    built_solver_type,
    fork_solver_types,
    has_field,
)
from prototxt_lint.model import SolverContext
from prototxt_lint.plugin import Edit, Fix, Report, Severity, solver_rule

if TYPE_CHECKING:
    pass


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
    if not has_field(solver, "solver_type") or not ctx.schema.has_field("SolverParameter", "type"):
        return
    if has_field(solver, "type"):
        return  # S212
    kind = built_solver_type(ctx)
    loc = ctx.doc.loc(("solver_type",))
    as_written = ctx.doc.source.text[loc.start:loc.end] if loc else "solver_type"
    fix = Fix(f'Replace with `type: "{kind}"`', (Edit(
        loc.start, loc.end, ctx.doc.comments_before(loc.start, loc.end) + f'type: "{kind}"'),)
              ) if loc else None
    yield Report(
        ("solver_type",),
        f'`{as_written}` is deprecated: Caffe upgrades it to `type: "{kind}"` on every load'
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
    if has_field(solver, "solver_type") and has_field(solver, "type"):
        yield Report(
            ("solver_type",),
            "`solver_type` and `type` are both given: Caffe aborts while reading the solver"
            ' with "Check failed: !solver_param->has_solver_type() || !solver_param->has_type()'
            " Failed to upgrade solver: old solver_type field (enum) and new type field"
            ' (string) cannot be both specified in solver proto text."',
            hint="delete `solver_type` (the deprecated enum)",
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
    if not has_field(ctx.solver, "type") or not ctx.schema.has_field("SolverParameter", "type"):
        return
    name = ctx.solver.type
    known = name in SOLVER_TYPES or name in fork_solver_types(ctx)
    guess = _near_type(name) if not known else None
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
    if not has_field(ctx.solver, "type") or not ctx.schema.has_field("SolverParameter", "type"):
        return
    name = ctx.solver.type
    if name in SOLVER_TYPES or name in fork_solver_types(ctx) or _near_type(name):
        return  # BVLC's, the fork's own (registrations.py), or a slip (S213)
    yield Report(
        ("type",),
        f'`type: "{name}"` is not a solver type BVLC Caffe registers: BVLC'
        f" {_unknown_type_message(name)}; only a Caffe fork that registers it can run this"
        " solver",
        hint="use one of AdaDelta, AdaGrad, Adam, Nesterov, RMSProp, SGD, or suppress this"
        " finding if your Caffe fork provides the solver",
    )

