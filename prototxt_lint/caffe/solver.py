"""Solver facts: the test nets ``Solver::InitTestNets`` (``src/caffe/solver.cpp``) builds."""

from __future__ import annotations

from typing import Any

from prototxt_lint.model import values


def named_test_nets(solver: Any) -> int:
    """Test nets named explicitly: ``test_net_param`` entries and ``test_net`` files."""
    return len(values(solver, "test_net")) + len(solver.test_net_param)


def has_generic_net(solver: Any) -> bool:
    """``net`` or ``net_param``: the train net, also tested once per extra ``test_iter``."""
    return bool(solver.HasField("net") or solver.HasField("net_param"))


def test_net_instances(solver: Any, scalar_test_iter: bool = False) -> int | None:
    """How many test nets ``InitTestNets`` builds (one per ``test_iter``), or None when it
    aborts first: both ``net`` and ``net_param``, fewer ``test_iter`` than named test nets
    (or another count without a generic net), or a ``test_state`` count that is not one per
    test net. ``scalar_test_iter``: an old fork's single ``test_iter`` for its ``test_net``,
    which has none of these CHECKs."""
    if solver.HasField("net") and solver.HasField("net_param"):
        return None
    iters = len(values(solver, "test_iter"))
    if scalar_test_iter:
        return iters
    nets = named_test_nets(solver)
    if has_generic_net(solver):
        if iters < nets:
            return None
    elif iters != nets:
        return None
    states = len(solver.test_state)
    if states and states != iters:
        return None
    return iters
