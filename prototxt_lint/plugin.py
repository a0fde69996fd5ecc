"""The public interface for rules. Built-in rules use exactly this, like a third party would.

A rule is a function decorated with :func:`net_rule` or :func:`solver_rule`. Its docstring is
its documentation (``prototxt-lint --explain CODE``), written in sections: What it does / Why is
this bad? (naming the Caffe source it relies on) / Example / Use instead / Fix. It receives a
:class:`~prototxt_lint.model.NetContext` or :class:`~prototxt_lint.model.SolverContext` and
yields :class:`Report` objects; the engine adds the code, severity, position and phases.

Packages publish rules through the entry-point group ``prototxt_lint.rules``; the entry point
names a module (all :class:`Rule` objects in it are loaded) or a single rule::

    [project.entry-points."prototxt_lint.rules"]
    my_rules = "my_package.my_rules"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from prototxt_lint.findings import Severity
from prototxt_lint.records import Record
from prototxt_lint.syntax.parser import Path

ENTRY_POINT_GROUP = "prototxt_lint.rules"
Target = Literal["net", "solver", "core"]

_CODE_RE = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")
_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Edit(Record):
    """Replace ``text[start:end]`` (offsets into the file) with ``new_text``."""

    __slots__ = ("end", "new_text", "start")

    def __init__(
        self,
        start: int,
        end: int,
        new_text: str,
    ) -> None:
        self.start = start
        self.end = end
        self.new_text = new_text


class Fix(Record):
    """A rule's own fix: minimal edits that touch nothing else the user wrote.

    ``safe`` says what ruff's fix applicability says: a safe fix cannot change what the net
    computes or how it trains (it removes a no-op, spells a field the way Caffe already reads
    it), so ``--fix`` applies it. An unsafe fix changes behaviour, however likely it is to be
    what the user meant (deleting `use_global_stats: true` changes how a fine-tuning net
    trains): it is applied only with ``--unsafe-fixes``, and editors label it.
    """

    __slots__ = ("edits", "safe", "title")

    def __init__(
        self,
        title: str,
        edits: tuple[Edit, ...],
        safe: bool = True,
    ) -> None:
        self.title = title
        self.edits = edits
        self.safe = safe


class Report(Record):
    """One problem found by a rule.

    ``at`` is a path into the parsed message, e.g. ``layer.path + ("pooling_param", "stride")``.
    When that field is not written in the file (a missing field, a default), the finding
    points at the nearest enclosing field that is, such as the ``pooling_param {`` opener.

    ``related`` lists the other places of the same cause, as ``(path, note)`` pairs: a
    setting repeated on many layers is one report at the first place, not one per layer
    (JSON ``related``, LSP ``relatedInformation``); suppressing it suppresses the cause.
    """

    __slots__ = ("at", "fix", "hint", "message", "phase", "related")

    def __init__(
        self,
        at: Path,
        message: str,
        hint: str = "",
        phase: str | None = None,
        fix: Fix | None = None,
        related: tuple[tuple[Path, str], ...] = (),
    ) -> None:
        self.at = at
        self.message = message
        self.hint = hint
        self.phase = phase
        self.fix = fix
        self.related = related


def one_per_cause(
    places: list[tuple[Path, str]], message: str, noun: str, **kwargs: Any
) -> Report:
    """One report for a cause seen at several ``places`` (``(path, note)``, first first):
    at the first place, the message followed by how many more ``noun`` there are, and the
    others as ``related``. ``kwargs`` go to :class:`Report` (hint, phase, fix)."""
    (at, _), rest = places[0], tuple(places[1:])
    more = f" (and {len(rest)} more {noun} like it in this net)" if rest else ""
    return Report(at, message + more, related=rest, **kwargs)


class Rule:
    """A rule's metadata and its check. Built by :func:`net_rule` / :func:`solver_rule`.

    A plain class rather than a dataclass: every run defines and builds all rules, and a
    dataclass costs about half a millisecond to define (see docs/benchmarks.md, start-up).
    """

    __slots__ = ("_docs", "_raw_docs", "check", "code", "name", "severity", "summary", "target")

    def __init__(
        self,
        code: str,  # stable, e.g. "S101"
        name: str,  # kebab-case, e.g. "poly-without-max-iter"
        severity: Severity,  # default severity
        summary: str,  # one line
        docs: str,  # What it does / Why is this bad? / Example / Use instead / Fix
        target: Target,
        check: Callable[[Any], Iterable[Report]] | None = None,
    ) -> None:
        if not _CODE_RE.match(code):
            raise ValueError(f"rule code {code!r} must look like S101")
        if not _NAME_RE.match(name):
            raise ValueError(f"rule name {name!r} must be kebab-case")
        self.code = code
        self.name = name
        self.severity = severity
        self.summary = summary
        self._raw_docs = docs
        self._docs: str | None = None
        self.target: Target = target
        self.check = check

    @property
    def docs(self) -> str:
        """The documentation as users read it, cleaned on first use (most runs never read it,
        and cleaning every rule's docstring up front cost a millisecond of start-up)."""
        if self._docs is None:
            from prototxt_lint.engine.rule_docs import visible

            self._docs = visible(self.source_docs)
        return self._docs

    @property
    def source_docs(self) -> str:
        """The documentation with its examples' setup lines
        (:mod:`prototxt_lint.engine.rule_docs`)."""
        return _cleandoc(self._raw_docs)

    def __repr__(self) -> str:
        return f"Rule({self.code!r}, {self.name!r}, {self.severity.label}, target={self.target!r})"


def _cleandoc(text: str) -> str:
    """``inspect.cleandoc`` without importing inspect (it costs start-up time on every run)."""
    lines = text.expandtabs().splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents, default=0)
    body = [lines[0].strip()] + [line[margin:].rstrip() for line in lines[1:]]
    while body and not body[0]:
        body.pop(0)
    while body and not body[-1]:
        body.pop()
    return "\n".join(body)


def _decorator(
    target: Target, code: str, name: str, severity: Severity, summary: str
) -> Callable[[Callable[[Any], Iterable[Report]]], Rule]:
    def wrap(func: Callable[[Any], Iterable[Report]]) -> Rule:
        return Rule(
            code=code,
            name=name,
            severity=severity,
            summary=summary,
            docs=func.__doc__ or summary,
            target=target,
            check=func,
        )

    return wrap


def net_rule(
    code: str, name: str, severity: Severity, summary: str
) -> Callable[[Callable[[Any], Iterable[Report]]], Rule]:
    """Declare a rule that checks a net (called once per net file, with every phase in it)."""
    return _decorator("net", code, name, severity, summary)


def solver_rule(
    code: str, name: str, severity: Severity, summary: str
) -> Callable[[Callable[[Any], Iterable[Report]]], Rule]:
    """Declare a rule that checks a solver (and, through the context, the nets it names)."""
    return _decorator("solver", code, name, severity, summary)


__all__ = [
    "ENTRY_POINT_GROUP",
    "Edit",
    "Fix",
    "Report",
    "Rule",
    "Severity",
    "net_rule",
    "one_per_cause",
    "solver_rule",
]
