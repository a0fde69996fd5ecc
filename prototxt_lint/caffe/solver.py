"""Solver facts: the solver classes BVLC Caffe registers and the one it builds
(``UpgradeSolverType``, ``SolverRegistry``), and the test nets ``Solver::InitTestNets``
(``src/caffe/solver.cpp``) builds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prototxt_lint.model import values

if TYPE_CHECKING:
    from prototxt_lint.model import SolverContext


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


#: The solver types BVLC Caffe registers (``REGISTER_SOLVER_CLASS``), in the order Caffe lists
#: them (``SolverRegistry::SolverTypeListString``: a sorted std::map).
SOLVER_TYPES = ("AdaDelta", "AdaGrad", "Adam", "Nesterov", "RMSProp", "SGD")


def fork_solver_types(ctx: SolverContext) -> frozenset[str]:
    """Solver types the dialect the file is read as is declared to register beyond BVLC's
    (``prototxt_lint.dialects.registrations``); none for BVLC or a user's schema."""
    if ctx.schema.dialect is None:
        return frozenset()
    from prototxt_lint.dialects.registrations import registrations

    return registrations(ctx.schema.dialect).solvers


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



def has_field(msg: Any, name: str) -> bool:
    """HasField that is False, not an error, for a field the schema in use lacks (older forks
    have no `SolverParameter.type`)."""
    return name in msg.DESCRIPTOR.fields_by_name and bool(msg.HasField(name))


def built_solver_type(ctx: SolverContext) -> str | None:
    """The solver type Caffe builds: ``type``, or the deprecated ``solver_type`` enum as
    ``UpgradeSolverType`` converts it. None when both are given (Caffe aborts, S212)."""
    solver = ctx.solver
    has_type = ctx.schema.has_field("SolverParameter", "type")
    if has_field(solver, "solver_type"):
        if has_type and has_field(solver, "type"):
            return None
        enum = ctx.schema.descriptor("SolverParameter").fields_by_name["solver_type"].enum_type
        name = enum.values_by_number[solver.solver_type].name
        return UPGRADED_TYPES.get(name, name)
    return str(solver.type) if has_type else "SGD"
