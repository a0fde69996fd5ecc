"""Learning-rate policies: what ``SGDSolver<Dtype>::GetLearningRate``
(``src/caffe/solvers/sgd_solver.cpp``) knows, in BVLC master and in forks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prototxt_lint.schema import Schema

#: The policies ``GetLearningRate`` knows in BVLC master.
BVLC_POLICIES = ("fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid")
#: Fork policies -> a SolverParameter field they read: known only when the schema in use
#: has it. ``multifixed`` (Intel Caffe, the YOLO forks): the rate is ``stagelr[i]`` up to
#: ``stageiter[i]``, and ``base_lr`` is not read (Intel's caffe.proto says so at the fields).
FORK_POLICIES = {"plateau": "plateau_winsize", "sgdr": "period", "multifixed": "stagelr"}
#: Fork policies whose rate does not come from ``base_lr``.
WITHOUT_BASE_LR = frozenset({"multifixed"})


def known_policies(schema: Schema) -> list[str]:
    """The policies the Caffe whose schema is ``schema`` knows."""
    extra = [p for p, field in FORK_POLICIES.items()
             if schema.has_field("SolverParameter", field)]
    if schema.dialect is not None:  # what the fork's GetLearningRate is declared to know
        from prototxt_lint.dialects.registrations import registrations

        extra += sorted(registrations(schema.dialect).lr_policies - set(extra))
    return [*BVLC_POLICIES, *extra]


def ignores_base_lr(policy: str, schema: Schema) -> bool:
    """A fork policy, known to this schema, whose rate is not computed from ``base_lr``."""
    return policy in WITHOUT_BASE_LR and schema.has_field("SolverParameter",
                                                          FORK_POLICIES[policy])
