"""Linting many files, in parallel across cores, with output identical to a serial run.

Files are partitioned into groups that must be linted together (a solver with the net files it
names, found with a cheap scan of the solver's text) and every other file alone. Serial and
parallel runs lint exactly the same groups, so they produce the same findings; reports come
back in the order of each group's first input. Workers return :class:`SlimReport` objects
(findings plus the source lines the text output shows), not parsed messages, to keep the
results cheap to send between processes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from prototxt_lint.engine.linter import FileReport, Input, Linter, Options, resolve_net_path
from prototxt_lint.findings import Finding
from prototxt_lint.plugin import Rule

#: top-level net references in a solver; nets have no such fields, so this finds solvers too
_NET_REF = re.compile(rb'^\s*(?:net|train_net|test_net)\s*:\s*["\']([^"\'\n]+)["\']', re.M)
#: below this many groups a process pool costs more than it saves
MIN_PARALLEL_GROUPS = 8


class SlimReport:
    """What the command line needs of a :class:`FileReport` (sent back from worker processes,
    so it holds only picklable data)."""

    def __init__(self, path: str, findings: list[Finding], fatal: bool,
                 lines: dict[int, str] | None = None,
                 roles: list[dict[str, Any]] | None = None,
                 dialect: dict[str, Any] | None = None) -> None:
        self.path = path
        self.findings = findings
        self.fatal = fatal
        self.lines: dict[int, str] = {} if lines is None else lines
        #: what each net in the file is for (``NetRole.to_dict``), for ``--format json``
        self.roles: list[dict[str, Any]] = [] if roles is None else roles
        #: the Caffe dialect the file was read as (``Detection.to_dict``), for --format json
        self.dialect = dialect

    def line_text(self, line: int) -> str:
        return self.lines.get(line, "")

    @classmethod
    def of(cls, report: FileReport) -> SlimReport:
        source = report.document.source
        wanted = {f.line for f in report.findings}
        roles = [{"net": ".".join(map(str, ctx.root)) or None, **ctx.role.to_dict()}
                 for ctx in report.nets]
        found = report.document.detection
        schema = report.document.schema
        dialect = found.to_dict() if found is not None else (
            {"name": "bvlc", "detected": False} if schema.is_bvlc else
            {"name": schema.dialect, "schema": schema.name, "detected": False})
        return cls(report.path, report.findings, report.fatal,
                   {n: source.line_text(n) for n in wanted}, roles, dialect)


def _linked_files(item: Input) -> list[str]:
    """Net files a solver names (resolved like the linter does); [] for anything else."""
    if item.data is not None:
        return []
    try:
        with open(item.path, "rb") as handle:
            head = handle.read(256 * 1024)
    except OSError:
        return []
    found = []
    base = os.path.dirname(os.path.abspath(item.path))
    for match in _NET_REF.finditer(head):
        resolved = resolve_net_path(match.group(1).decode("utf-8", "replace"), base)
        if resolved:
            found.append(os.path.realpath(resolved))
    return found


def partition(inputs: Sequence[Input]) -> list[list[Input]]:
    """Groups of inputs that must be linted together, in order of their first input."""
    keys = [os.path.realpath(i.path) if i.data is None else f"<{n}>" for n, i in enumerate(inputs)]
    parent = list(range(len(inputs)))

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    index = {key: n for n, key in enumerate(keys)}
    for n, item in enumerate(inputs):
        for net in _linked_files(item):
            other = index.get(net)
            if other is not None:
                a, b = find(n), find(other)
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[Input]] = {}
    for n, item in enumerate(inputs):
        groups.setdefault(find(n), []).append(item)
    return [groups[root] for root in sorted(groups)]


_worker_linter: Linter | None = None


def _init_worker(rules: list[Rule], options: Options) -> None:
    global _worker_linter
    _worker_linter = Linter(rules, options)


def _lint_group(group: list[Input]) -> list[SlimReport]:
    assert _worker_linter is not None
    return [SlimReport.of(r) for r in _worker_linter.lint(group)]


def _lint_serially(
    rules: list[Rule], options: Options, groups: list[list[Input]]
) -> list[SlimReport]:
    linter = Linter(rules, options)
    return [SlimReport.of(r) for group in groups for r in linter.lint(group)]


def lint_inputs(
    rules: list[Rule], options: Options, inputs: Sequence[Input], jobs: int
) -> list[SlimReport]:
    """Lint ``inputs`` with ``jobs`` processes (0: one per core)."""
    groups = partition(inputs)
    workers = jobs or os.cpu_count() or 1
    workers = min(workers, len(groups))
    if workers <= 1 or (jobs == 0 and len(groups) < MIN_PARALLEL_GROUPS):
        return _lint_serially(rules, options, groups)
    # Workers are forked so that they inherit the loaded rules and schema (neither pickles);
    # where fork is unavailable the run is serial, with the same output. (Imported only
    # here: a run on a few files never pays for the process-pool machinery.)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return _lint_serially(rules, options, groups)
    chunk = max(1, len(groups) // (workers * 4))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(rules, options)) as pool:
        results = pool.map(_lint_group, groups, chunksize=chunk)
        return [report for group_reports in results for report in group_reports]
