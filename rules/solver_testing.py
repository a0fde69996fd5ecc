"""When a solver tests and snapshots: a test net with no ``test_interval``, tests that never
run, snapshots with no prefix (S215-S217), as ``Solver::Init``, ``InitTestNets``, ``Solve``
and ``Snapshot`` (``src/caffe/solver.cpp``, BVLC master) do them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prototxt_lint.caffe.solver import (
    has_field,
    test_net_instances,
)
from prototxt_lint.model import SolverContext, values
from prototxt_lint.plugin import Report, Severity, solver_rule
from prototxt_lint.solver_fields import anchor, state

if TYPE_CHECKING:
    pass


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
        anchor(ctx, "test_interval") or ("test_iter", 0),
        f"{nets} (one per `test_iter`) but {state(ctx, 'test_interval')}: Caffe aborts at"
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
    generic = has_field(solver, "net") or has_field(solver, "net_param")
    if not generic or solver.test_interval <= 0 or values(solver, "test_iter"):
        return
    if values(solver, "test_net") or solver.test_net_param:
        return  # S110
    yield Report(
        ("test_interval",),
        f"`test_interval: {solver.test_interval}` but no `test_iter`: with a generic"
        f" `{'net' if has_field(solver, 'net') else 'net_param'}`, Caffe builds one test net per"
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
    if solver.snapshot <= 0 or has_field(solver, "snapshot_prefix"):
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

