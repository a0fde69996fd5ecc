"""How a solver file writes a field, for rule messages and spans: written or defaulted, where
a finding should point, the value as the user reads it."""

from __future__ import annotations

from prototxt_lint.model import SolverContext
from prototxt_lint.syntax.parser import Path


def written(ctx: SolverContext, name: str) -> bool:
    """Whether the file writes ``name`` (not only its default)."""
    return ctx.doc.loc((name,)) is not None


def anchor(ctx: SolverContext, *names: str) -> Path:
    """The first of ``names`` written in the file (where a finding should point)."""
    for name in names:
        if written(ctx, name):
            return (name,)
    return ()


def type_text(ctx: SolverContext, kind: str) -> str:
    """The solver type as the file gives it (or as the default)."""
    if written(ctx, "type"):
        return f'`type: "{kind}"`'
    if not written(ctx, "solver_type"):
        return f'the default `type: "{kind}"`'
    start, end = ctx.doc.span(("solver_type",))
    return f"`{ctx.doc.source.text[start:end]}`"


def value(ctx: SolverContext, name: str) -> float:
    return float(getattr(ctx.solver, name))


def state(ctx: SolverContext, name: str) -> str:
    value = getattr(ctx.solver, name)
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if written(ctx, name):
        return f"`{name}: {shown}`"
    return f"`{name}` missing (it defaults to {shown})"

