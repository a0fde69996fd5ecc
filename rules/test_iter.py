"""Solver `test_iter` / `test_state` counts that do not fit the test nets.

Mirrors ``Solver<Dtype>::InitTestNets`` in ``src/caffe/solver.cpp`` (BVLC master), which
runs when the solver is constructed, before any training iteration.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.solver import has_generic_net, named_test_nets
from prototxt_lint.model import SolverContext, values
from prototxt_lint.plugin import Report, Severity, solver_rule
from prototxt_lint.syntax.parser import Path

_ITER_MSG = "test_iter must be specified for each test network."
_STATE_MSG = "test_state must be unspecified or specified once per test net."


def _plural(n: int, word: str, words: str = "") -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"


def _test_nets(ctx: SolverContext) -> tuple[int, str]:
    """How many test nets are named explicitly, described with the fields naming them."""
    solver = ctx.solver
    fields = [f"`{name}`" for name in ("test_net", "test_net_param") if getattr(solver, name)]
    count = named_test_nets(solver)
    if not count:
        return 0, "no test net (no `test_net` or `test_net_param`)"
    return count, f"{_plural(count, 'test net')} ({', '.join(fields)})"


def _first(ctx: SolverContext, *fields: str) -> Path:
    """The first of ``fields`` written in the file, as a path to its first entry."""
    for name in fields:
        if ctx.doc.loc((name, 0)) is not None:
            return (name, 0)
    return ()


@solver_rule("S110", "test-iter-count", Severity.ERROR,
             "`test_iter` or `test_state` count does not fit the test nets: Caffe aborts.")
def test_iter_count(ctx: SolverContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a solver whose number of `test_iter` entries does not fit its test nets, or whose
    `test_state` entries are not one per test net, exactly as Caffe checks them.

    ## Why is this bad?
    `Solver::InitTestNets` (`src/caffe/solver.cpp`) runs when the solver is built. With only
    `train_net`/`train_net_param` plus `test_net`/`test_net_param` entries it requires one
    `test_iter` per test net (`CHECK_EQ`); with a generic `net`/`net_param` it requires at
    least one per explicit test net (`CHECK_GE`), and every extra `test_iter` adds one more
    test instance of the generic net. A solver with `train_net` and a `test_iter` but no
    `test_net` therefore aborts:
    `Check failed: param_.test_iter_size() == num_test_nets (1 vs. 0) test_iter must be
    specified for each test network.` Then, if any `test_state` is given, there must be
    exactly one per test instance:
    `Check failed: param_.test_state_size() == num_test_net_instances (...) test_state must
    be unspecified or specified once per test net.`

    ## Consequence
    Aborts at set-up. `Solver::InitTestNets` fails its `CHECK` on the `test_iter` or
    `test_state` count when the solver is built, before any training iteration.

    ## Example
    ```
    train_net: "train.prototxt"
    test_iter: 100
    test_interval: 1000
    ```

    ## Use instead
    ```
    train_net: "train.prototxt"
    test_net: "val.prototxt"
    test_iter: 100
    test_interval: 1000
    ```

    ## Fix
    Give one `test_iter` per test net (and per extra test of a generic `net`), or drop
    `test_iter` when there is nothing to test; give `test_state` once per test net or not
    at all.
    """
    solver = ctx.solver
    if ctx.schema.scalar_test_iter:
        return  # an old fork's one `test_iter` for its one `test_net`: no such CHECK there
    if solver.HasField("net") and solver.HasField("net_param"):
        return  # InitTestNets aborts first with "Both net_param and net_file may not be..."
    generic = has_generic_net(solver)
    iters = len(values(solver, "test_iter"))
    nets, named = _test_nets(ctx)
    if generic and iters < nets:
        yield Report(
            _first(ctx, "test_iter", "test_net", "test_net_param"),
            f"{_plural(iters, '`test_iter` entry', '`test_iter` entries')} for {named}: Caffe"
            " aborts at start-up"
            f' with "Check failed: param_.test_iter_size() >= num_test_nets ({iters} vs.'
            f' {nets}) {_ITER_MSG}"',
            hint="give one `test_iter` per test net (Caffe takes `test_net_param` entries"
            " first, then `test_net`); further entries each test the generic `net` again",
        )
        return
    if not generic and iters != nets:
        hint = ("add `test_net: \"val.prototxt\"` for the net to test, or remove `test_iter`"
                " (`train_net` is never tested; use `net:` for a train_val file with TEST"
                " layers)" if nets == 0 else
                "give one `test_iter` per test net (Caffe takes `test_net_param` entries first,"
                " then `test_net`)")
        yield Report(
            _first(ctx, "test_iter", "test_net", "test_net_param"),
            f"{_plural(iters, '`test_iter` entry', '`test_iter` entries')} for {named}:"
            " Caffe aborts at start-up with \"Check failed: param_.test_iter_size() =="
            f' num_test_nets ({iters} vs. {nets}) {_ITER_MSG}"',
            hint=hint,
        )
        return
    states = len(solver.test_state)
    instances = iters  # nets + the generic net's extra instances (iters - nets)
    if states and states != instances:
        yield Report(
            _first(ctx, "test_state"),
            f"{_plural(states, '`test_state`')} for {_plural(instances, 'test net')}"
            f" (one per `test_iter`): Caffe aborts at start-up with \"Check failed:"
            f" param_.test_state_size() == num_test_net_instances ({states} vs."
            f' {instances}) {_STATE_MSG}"',
            hint="give one `test_state` per `test_iter`, in the same order, or none",
        )
