"""The engine: read inputs, link solvers to their nets, run rules, turn reports into findings.

Kept free of any CLI or editor concerns so that the command line, the language server and
tests all lint the same way.

Length: the engine's one pass (load, link, build contexts, run rules, merge, suppress, write
the engine codes' findings); each step is a function, kept together so the order is visible.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from prototxt_lint.dialects.reading import read_as_dialect
from prototxt_lint.engine import codes
from prototxt_lint.engine.loading import load_bytes, load_path
from prototxt_lint.engine.suppressions import find_suppressions, matches
from prototxt_lint.findings import Finding, Related, Severity
from prototxt_lint.model import (
    BVLC_LAYER_TYPES,
    TEST,
    TRAIN,
    Document,
    NetContext,
    NetLink,
    SolverContext,
    values,
    written,
)
from prototxt_lint.plugin import Fix, Report, Rule
from prototxt_lint.records import Record
from prototxt_lint.roles import build_net_context
from prototxt_lint.schema import Schema, bvlc_schema
from prototxt_lint.syntax.parser import Path
from prototxt_lint.syntax.source import DEFAULT_MAX_BYTES, InputProblem, Source, mib

if TYPE_CHECKING:
    from prototxt_lint.engine.config import Config

FATAL_KINDS = frozenset({"unreadable", "unrecognised", "empty"})


class Options(Record):
    """How to lint: which rules, the size limit, the schema."""

    __slots__ = ("config_folder", "data_root", "debug", "dialect", "file_weights", "ignore",
                 "max_bytes", "schema", "select", "weights")

    def __init__(
        self,
        select: Sequence[str] = (),  # codes, code prefixes or rule names; empty: all
        ignore: Sequence[str] = (),
        max_bytes: int = DEFAULT_MAX_BYTES,
        schema: Schema | None = None,  # a user's caffe.proto (--proto): wins over dialect
        debug: bool = False,  # let exceptions in rules propagate
        dialect: str = "auto",  # "auto" (detect), "bvlc" or a dialect's name (--dialect)
        weights: Sequence[str] = (),  # --weights: models loaded into every net linted
        # the configuration's `weights`: (glob, model paths) with the config's folder
        file_weights: tuple[tuple[str, tuple[str, ...]], ...] = (),
        data_root: str | None = None,  # --data-root: where caffe runs (data sources)
        config_folder: str | None = None,  # what file_weights' globs are relative to
    ) -> None:
        self.config_folder = config_folder
        self.weights = tuple(weights)
        self.file_weights = file_weights
        self.data_root = data_root
        self.select = select
        self.ignore = ignore
        self.max_bytes = max_bytes
        self.schema = schema
        self.debug = debug
        self.dialect = dialect

    @classmethod
    def resolve(
        cls,
        config: Config,
        schema: Schema | None = None,
        *,
        select: Sequence[str] = (),  # the command line's, which win over the configuration's
        ignore: Sequence[str] = (),  # added to the configuration's
        max_file_size: float | None = None,  # MiB
        dialect: str | None = None,
        weights: Sequence[str] = (),
        data_root: str | None = None,
        debug: bool = False,
    ) -> Options:
        """The options for a file under ``config``, with what the command line says on top:
        the one place configuration becomes options, for the command line and the editor."""
        size = max_file_size if max_file_size is not None else config.max_file_size_mb
        return cls(
            select=tuple(select) or config.select,
            ignore=(*ignore, *config.ignore),
            max_bytes=int(size * 1024 * 1024) if size else DEFAULT_MAX_BYTES,
            debug=debug,
            schema=schema,
            dialect=dialect or config.dialect or "auto",
            weights=weights,
            file_weights=config.weights,
            config_folder=config.folder(),
            data_root=data_root or config.data_root,
        )

    def enabled(self, rule: Rule) -> bool:
        def hit(patterns: Sequence[str]) -> bool:
            return any(rule.code.startswith(p) or p in (rule.name, "ALL") for p in patterns)

        if self.select and not hit(self.select):
            return False
        return not hit(self.ignore)


class Input(Record):
    """A file to lint; ``data`` is given for stdin (``path`` is then the display name)."""

    __slots__ = ("data", "path")

    def __init__(
        self,
        path: str,
        data: bytes | None = None,
    ) -> None:
        self.path = path
        self.data = data


class FileReport:
    """One linted file: its document and findings (and, for a net, its per-phase nets)."""

    def __init__(self, path: str, document: Document, findings: list[Finding] | None = None,
                 net: NetContext | None = None) -> None:
        self.path = path
        self.document = document
        self.findings: list[Finding] = [] if findings is None else findings
        #: the per-phase nets of a net file (for editors: hover, shapes); None for other files
        self.net = net
        #: every net the engine built from this file: the net file's own, or the nets a
        #: solver embeds (with the solver's phases and states), for editors to reuse
        self.nets: list[NetContext] = [net] if net is not None else []

    def __repr__(self) -> str:
        return f"FileReport({self.path!r}, <{len(self.findings)} findings>)"

    @property
    def fatal(self) -> bool:
        """Nothing could be linted (exit code 2)."""
        return self.document.kind in FATAL_KINDS

    def line_text(self, line: int) -> str:
        return self.document.source.line_text(line)


class Linter:
    def __init__(self, rules: Iterable[Rule], options: Options | None = None) -> None:
        self.options = options or Options()
        self.all_rules = {rule.code: rule for rule in rules}
        for rule in codes.CORE_RULES:
            self.all_rules.setdefault(rule.code, rule)
        active = [r for r in self.all_rules.values() if r.check and self.options.enabled(r)]
        self.net_rules = [r for r in active if r.target == "net"]
        self.solver_rules = [r for r in active if r.target == "solver"]
        self.schema = self.options.schema or bvlc_schema()

    # --- public entry points ---------------------------------------------------------------
    def lint(self, inputs: Sequence[Input]) -> list[FileReport]:
        """Lint inputs; nets named by solvers are linted with them (and reported under their
        own path), each file once. Reports come in input order, linked nets after."""
        from prototxt_lint.syntax.data_lists import forget

        forget()  # lists (and the files they name) are read afresh by every lint
        docs: dict[str, Document] = {}
        order: list[str] = []
        for item in inputs:
            key = _key(item.path) if item.data is None else f"<stdin>{item.path}"
            if key in docs:
                continue
            docs[key] = self._load(item)
            order.append(key)
        collected: dict[str, list[tuple[Rule, Report]]] = {k: [] for k in order}
        net_phases: dict[str, dict[str, Any]] = {}
        net_finetunes: dict[str, tuple[str, ...]] = {}
        contexts: dict[str, list[NetContext]] = {}
        net_solver: dict[str, tuple[Any, tuple[str, ...]]] = {}
        loaded: dict[str, Any] = {}  # weights read in this lint, by path
        for key in list(order):
            doc = docs[key]
            if doc.kind != "solver":
                continue
            links = self._links(doc)
            finetunes = _solver_finetunes(doc)
            solver_weights = self._solver_weights(doc)
            for link in links:
                if link.resolved is None:
                    continue
                net_key = _key(link.resolved)
                if net_key not in docs:
                    docs[net_key] = self._load(Input(link.resolved))
                    order.append(net_key)
                    collected[net_key] = []
                link.document = docs[net_key]
                phases = net_phases.setdefault(net_key, {})
                for phase in link.phases:
                    phases.setdefault(phase, _solver_state(doc.message, phase, link))
                if TRAIN in link.phases:
                    net_finetunes[net_key] = finetunes
                    net_solver[net_key] = (doc.message, solver_weights)
            ctx = SolverContext(doc, doc.message, links)
            collected[key].extend(self._run(self.solver_rules, ctx))
            for link in links:
                if link.embedded is not None:
                    states = {p: _solver_state(doc.message, p, link) for p in link.phases}
                    train = TRAIN in link.phases
                    models = self._weights_paths(doc.path, solver_weights if train else ())
                    net_ctx = build_net_context(
                        doc, link.embedded, link.field_path, link.phases, states,
                        (finetunes if train else ()) + _weights_signs(models, solver_weights),
                    )
                    self._attach(net_ctx, models, loaded, doc.message if train else None)
                    contexts.setdefault(key, []).append(net_ctx)
                    collected[key].extend(self._run(self.net_rules, net_ctx))
            collected[key].extend(self._link_notes(links))
        for key in order:
            doc = docs[key]
            if doc.kind != "net":
                continue
            linked = net_phases.get(key)
            names = tuple(p for p in (TRAIN, TEST) if p in linked) if linked else None
            solver, solver_weights = net_solver.get(key, (None, ()))
            models = self._weights_paths(doc.path, solver_weights)
            ctx_net = build_net_context(doc, doc.message, (), names, linked,
                                        net_finetunes.get(key, ())
                                        + _weights_signs(models, solver_weights))
            self._attach(ctx_net, models, loaded, solver)
            contexts[key] = [ctx_net]
            collected[key].extend(self._run(self.net_rules, ctx_net))
        reports = [self._finish(docs[key], collected[key]) for key in order]
        for key, report in zip(order, reports, strict=True):
            report.nets = contexts.get(key, [])
            report.net = report.nets[0] if docs[key].kind == "net" and report.nets else None
        return reports

    def lint_paths(self, paths: Iterable[str]) -> list[FileReport]:
        return self.lint([Input(p) for p in paths])

    # --- steps -----------------------------------------------------------------------------
    def _load(self, item: Input) -> Document:
        doc = self._read(item)
        if self.options.schema is not None or self.options.dialect == "bvlc":
            return doc
        return read_as_dialect(doc, self.options.dialect)

    def _read(self, item: Input) -> Document:
        if item.data is not None:
            if len(item.data) > self.options.max_bytes:
                problem = InputProblem(
                    "P006",
                    f"input too large (more than {mib(self.options.max_bytes)}; see"
                    " --max-file-size)",
                )
                return Document(Source(item.path, ""), self.schema, "unreadable",
                                problems=[problem])
            return load_bytes(item.path, item.data, self.schema)
        return load_path(item.path, self.schema, self.options.max_bytes)

    def _solver_weights(self, doc: Document) -> tuple[str, ...]:
        """The models a solver's ``weights`` fields name (``Solver::Init`` copies each into
        the train net, as ``caffe train --weights``), where Caffe would find them."""
        base = os.path.dirname(os.path.abspath(doc.path)) if not doc.path.startswith("<") else None
        out = []
        for name in written(doc.message, "weights"):
            for part in str(name).split(","):
                if part:
                    out.append(resolve_net_path(part, base) or part)
        return tuple(out)

    def _weights_paths(self, path: str, solver_weights: tuple[str, ...]) -> tuple[str, ...]:
        """The models loaded into the nets of ``path``: the solver's, the configuration's for
        this file, then ``--weights`` (each once, in that order)."""
        configured: list[str] = []
        if self.options.file_weights and not path.startswith("<"):
            from prototxt_lint.engine.config import matches_glob

            for glob, models in self.options.file_weights:
                if matches_glob(path, (glob,), self.options.config_folder):
                    configured.extend(models)
        return tuple(dict.fromkeys((*solver_weights, *configured, *self.options.weights)))

    def _attach(self, ctx: NetContext, models: tuple[str, ...], loaded: dict[str, Any],
                solver: Any) -> None:
        """Read the models (once per lint) into ``ctx`` and give it the solver and the data
        root."""
        ctx.trained_by = solver
        ctx.data_root = self.options.data_root
        if not models:
            return
        from prototxt_lint.syntax.caffemodel import WeightsError, read_weights

        for model in models:
            if model not in loaded:
                try:
                    loaded[model] = read_weights(model)
                except WeightsError as exc:
                    loaded[model] = str(exc)
            result = loaded[model]
            if isinstance(result, str):
                ctx.weights_errors.append((model, result))
            else:
                ctx.weights.append(result)

    def _links(self, doc: Document) -> list[NetLink]:
        solver = doc.message
        num_test_nets = len(values(solver, "test_net")) + len(solver.test_net_param)
        generic_phases: tuple[str, ...] = (TRAIN,)
        if len(values(solver, "test_iter")) > num_test_nets:
            generic_phases = (TRAIN, TEST)
        links: list[NetLink] = []
        base = os.path.dirname(os.path.abspath(doc.path)) if not doc.path.startswith("<") else None

        def add(path: tuple[str | int, ...], phases: tuple[str, ...], name: str) -> None:
            links.append(NetLink(path, phases, name, resolve_net_path(name, base)))

        if solver.HasField("net"):
            add(("net",), generic_phases, solver.net)
        if solver.HasField("train_net"):
            add(("train_net",), (TRAIN,), solver.train_net)
        for i, name in enumerate(values(solver, "test_net")):
            add(("test_net", i), (TEST,), name)
        if solver.HasField("net_param"):
            links.append(NetLink(("net_param",), generic_phases, embedded=solver.net_param))
        if solver.HasField("train_net_param"):
            links.append(NetLink(("train_net_param",), (TRAIN,), embedded=solver.train_net_param))
        for i, net in enumerate(solver.test_net_param):
            links.append(NetLink(("test_net_param", i), (TEST,), embedded=net))
        return links

    def _link_notes(self, links: list[NetLink]) -> list[tuple[Rule, Report]]:
        rule = codes.NET_NOT_FOUND
        if not self.options.enabled(rule):
            return []
        found = [link.file_name or ".".join(str(p) for p in link.field_path) for link in links
                 if link.resolved is not None or link.embedded is not None]
        without = (f"; the solver is linted with {', '.join(found)} only" if found
                   else "; the solver is linted alone")
        return [
            (
                rule,
                Report(
                    link.field_path,
                    f'net file "{link.file_name}" not found ('
                    + ("an absolute path that does not exist on this machine"
                       if os.path.isabs(link.file_name) else
                       "looked in the working directory, the solver's folder and its parents")
                    + ")" + without,
                    hint="run from the directory you start caffe from, or lint the net"
                    " file explicitly",
                ),
            )
            for link in links
            if link.file_name is not None and link.resolved is None
        ]

    def _run(self, rules: list[Rule], ctx: NetContext | SolverContext) -> list[tuple[Rule, Report]]:
        out: list[tuple[Rule, Report]] = []
        for rule in rules:
            assert rule.check is not None
            try:
                out.extend((rule, report) for report in rule.check(ctx))
            except Exception as exc:
                if self.options.debug:
                    raise
                out.append(
                    (
                        rule,
                        Report(
                            (),
                            f"internal error in rule {rule.code} ({rule.name}):"
                            f" {type(exc).__name__}: {exc}",
                            hint="please report this with the file; set"
                            " PROTOTXT_LINT_DEBUG=1 for the traceback",
                        ),
                    )
                )
        return out

    def _schema_chosen(self) -> bool:
        """Did the user name the Caffe the files are for (--proto, or a --dialect)?"""
        return self.options.schema is not None or self.options.dialect != "auto"

    def _finish(self, doc: Document, reports: list[tuple[Rule, Report]]) -> FileReport:
        raw = _input_findings(doc) + _parse_findings(doc, self._schema_chosen())
        # merge the same report from several phases into one finding
        merged: dict[tuple[str, int, int, str, str], tuple[Rule, Report, list[str]]] = {}
        for rule, report in reports:
            start, end = doc.span(report.at)
            key = (rule.code, start, end, report.message, report.hint)
            if key not in merged:
                merged[key] = (rule, report, [])
            if report.phase and report.phase not in merged[key][2]:
                merged[key][2].append(report.phase)
        extras: dict[tuple[str, int, int, str], tuple[Fix | None, tuple[Related, ...]]] = {}
        for (_, start, end, _, _), (rule, report, phases) in merged.items():
            raw.append((rule, start, end, report.message, report.hint, tuple(phases)))
            if report.fix is not None or report.related:
                extras[(rule.code, start, end, report.message)] = (
                    report.fix, _related(doc, report.related))
        findings = [_make(doc, *item) for item in raw]
        if extras:
            findings = [
                f.replace(fix=extra[0], related=extra[1])
                if (extra := extras.get((f.code, f.start, f.end, f.message))) else f
                for f in findings
            ]
        findings = self._apply_suppressions(doc, findings)
        findings = [f for f in findings if self.options.enabled(self.all_rules[f.code])]
        findings.sort(key=Finding.sort_key)
        return FileReport(doc.path, doc, findings)

    def _apply_suppressions(self, doc: Document, findings: list[Finding]) -> list[Finding]:
        if not doc.parsed or not doc.parsed.comments:
            return findings
        sups = find_suppressions(doc.source, doc.parsed.comments)
        if not sups:
            return findings
        kept = []
        for finding in findings:
            hit = None
            for sup in sups:
                if sup.line is not None and sup.line != finding.line:
                    continue
                for wanted in sup.codes:
                    if matches(finding.code, finding.name, wanted):
                        hit = (sup, wanted)
                        break
                if hit:
                    break
            if hit:
                hit[0].used.add(hit[1])
            else:
                kept.append(finding)
        rule = codes.UNUSED_SUPPRESSION
        for sup in sups:
            for wanted in sup.codes:
                if wanted in sup.used:
                    continue
                target = self.all_rules.get(wanted)
                if target is not None and not self.options.enabled(target):
                    continue  # the rule is off: the comment cannot be judged
                scope = "this file" if sup.line is None else f"line {sup.line}"
                kept.append(
                    _make(
                        doc,
                        rule,
                        sup.start,
                        sup.end,
                        f"unused suppression: no {wanted} finding on {scope}",
                        "remove it from the comment",
                        (),
                    )
                )
        return kept


def _key(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def resolve_net_path(name: str, solver_dir: str | None) -> str | None:
    """Where Caffe would find a net file named in a solver: relative to the directory
    ``caffe`` runs from. We try the working directory, then the solver's folder and each of
    its parents (the project root is usually one of them)."""
    if not name:
        return None
    if os.path.isabs(name):
        return name if os.path.isfile(name) else None
    candidates = [os.getcwd()]
    if solver_dir:
        current = solver_dir
        while True:
            candidates.append(current)
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
    for folder in candidates:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            shown = os.path.relpath(path)  # as the user would type it, unless far away
            return path if shown.startswith(os.pardir + os.sep) else shown
    return None


def _solver_finetunes(doc: Document) -> tuple[str, ...]:
    """Signs in a solver that its net fine-tunes: ``weights`` (BVLC master reads it as
    ``caffe train --weights`` does)."""
    names = list(written(doc.message, "weights"))
    return (f"the solver loads weights ({', '.join(names)})",) if names else ()


def _weights_signs(models: tuple[str, ...], solver_weights: tuple[str, ...]) -> tuple[str, ...]:
    """The fine-tuning sign of weights loaded from outside the solver (the solver's own are
    already named by :func:`_solver_finetunes`)."""
    others = [m for m in models if m not in solver_weights]
    return (f"weights are loaded ({', '.join(others)})",) if others else ()


def _solver_state(solver: Any, phase: str, link: NetLink) -> Any:
    """The solver's ``train_state``, or the ``test_state`` of this link's (first) test net,
    indexed as ``Solver::InitTestNets`` orders test nets: ``test_net_param`` entries, then
    ``test_net`` files, then the instances of the generic ``net``/``net_param``."""
    if phase == TRAIN:
        return solver.train_state if solver.HasField("train_state") else None
    field, *rest = link.field_path
    index = rest[0] if rest and isinstance(rest[0], int) else 0
    if field == "test_net":
        index += len(solver.test_net_param)
    elif field in ("net", "net_param"):
        index = len(solver.test_net_param) + len(values(solver, "test_net"))
    states = solver.test_state
    return states[index] if index < len(states) else None


def _related(doc: Document, places: tuple[tuple[Path, str], ...]) -> tuple[Related, ...]:
    return tuple(_place(doc, *doc.span(path), note) for path, note in places)


def _capital_bools(doc: Document) -> list[tuple[Any, ...]]:
    """P012: bools written `True`/`False`, one finding per file (one cause: the writer's
    habit), at the first, with the others as related places."""
    spans = doc.parsed.capital_bools if doc.parsed is not None else []
    if not spans:
        return []
    text = doc.source.text
    (start, end), others = spans[0], spans[1:]
    word = text[start:end]
    message = (f"`{word}`: protobuf 2.6 and newer read it as `{word.lower()}`, but protobuf"
               " 2.5.0's text format takes only true/false (or t/f, 1/0) for a bool, so a"
               " Caffe built with it refuses the file (\"Invalid value for boolean field\")")
    if others:
        message += f"; {len(others)} more in this file"
    related = tuple(_place(doc, a, b, f"`{text[a:b]}`") for a, b in others)
    return [(codes.CAPITAL_BOOL, start, end, message,
             f"write `{word.lower()}` (bools in lower case)", (), related)]


def _place(doc: Document, start: int, end: int, note: str) -> Related:
    line, col = doc.source.line_col(start)
    end_line, end_col = doc.source.line_col(max(end, start))
    return Related(line, col, end_line, end_col, note, start, end)


def _make(
    doc: Document,
    rule: Rule,
    start: int,
    end: int,
    message: str,
    hint: str,
    phases: tuple[str, ...],
    related: tuple[Related, ...] = (),
) -> Finding:
    line, col = doc.source.line_col(start)
    end_line, end_col = doc.source.line_col(max(end, start))
    return Finding(
        doc.path,
        line,
        col,
        end_line,
        end_col,
        rule.code,
        rule.name,
        rule.severity,
        message,
        hint,
        phases,
        start,
        end,
        related=related,
    )


_INPUT_RULES = {r.code: r for r in codes.CORE_RULES}


_Raw = tuple[Rule, int, int, str, str, tuple[str, ...]] | tuple[
    Rule, int, int, str, str, tuple[str, ...], tuple[Related, ...]]


def _input_findings(doc: Document) -> list[_Raw]:
    out: list[_Raw] = []
    for problem in doc.problems:
        out.append(
            (_INPUT_RULES[problem.code], problem.offset, problem.offset, problem.message, "", ())
        )
    if doc.kind == "empty":
        out.append((codes.EMPTY_FILE, 0, 0, "empty file: no net or solver to lint", "", ()))
    elif doc.kind == "labelmap":
        out.append(
            (
                codes.NOT_A_NET,
                0,
                0,
                "SSD LabelMap file (`item { name label display_name }`), not a net or"
                " solver: nothing to lint",
                "",
                (),
            )
        )
    elif doc.kind == "unrecognised":
        out.append(
            (
                codes.UNRECOGNISED,
                0,
                0,
                _unrecognised_message(doc),
                "",
                (),
            )
        )
    return out


def _unrecognised_message(doc: Document) -> str:
    """Why a file is neither a net nor a solver: no Caffe field at all, or too few of them
    (another program's configuration that shares ``momentum`` with Caffe's solver)."""
    from prototxt_lint.syntax.parser import top_level_names
    from prototxt_lint.syntax.tokenizer import tokenize

    fields = {*doc.schema.descriptor("NetParameter").fields_by_name,
              *doc.schema.descriptor("SolverParameter").fields_by_name}
    names = top_level_names(tokenize(doc.source.text)[0])
    known = sorted({n for n in names if n in fields})
    if not known:
        return "not a Caffe net or solver: no top-level field of NetParameter or SolverParameter"
    caffe = sum(1 for n in names if n in fields)
    return (f"not a Caffe net or solver: only {caffe} of its {len(names)} top-level fields are"
            f" Caffe's ({', '.join(f'`{n}`' for n in known[:3])}); the others are another"
            " program's")


#: Parse errors that are one cause when they repeat in a file: (kind, what the others are).
_FOLDED = {
    "foreign-field": "more names this schema does not have",
    "foreign-enum": "more values this schema does not have",
    "placeholder": "more names where a number belongs (a template?)",
    "list-field": "more fields written as lists that this schema does not repeat",
    "duplicate": "more non-repeated fields given more than once",
}


def _declared_by_forks(doc: Document, error: Any) -> str:
    """For a field or enum value a known fork declares: the hint that names the fork (never a
    did-you-mean that would rename it: C3D's `kernel_depth` is no typo of `kernel_h`)."""
    if error.key is None or error.code not in ("P002", "P003"):
        return ""
    from prototxt_lint.dialects.detect import declaring

    forks = [d for d in declaring(error.key) if d.name != doc.schema.dialect]
    if not forks:
        return ""
    also = f" (also {', '.join(d.name for d in forks[1:4])}{', ...' if len(forks) > 4 else ''})"
    what = "a field" if error.code == "P002" else "a value"
    return (f"`{error.key[1]}` is {what} of {forks[0].describe()}: lint with --dialect"
            f" {forks[0].name}{also if len(forks) > 1 else ''}, or --proto with its caffe.proto")


def _fold_kind(doc: Document, error: Any) -> str | None:
    """Which cause a parse error belongs to, when it is no typo of its own: a field or enum
    value the schema lacks with no plausible slip behind it (a fork's), or a name where a
    number belongs (a template's unfilled placeholder, `num_output: cls3x`)."""
    if _declared_by_forks(doc, error):
        return "foreign-field" if error.code == "P002" else "foreign-enum"
    if error.hint.startswith("did you mean"):
        return None
    if error.code == "P001" and "list form is only for repeated fields" in error.message:
        return "list-field"  # a fork's repeated field (C3D's 3-D kernel_size: [3, 1, 1])
    if error.code == "P004":
        return "duplicate"  # one mistake, however many layers repeat it
    if error.code == "P002":
        return None if error.hint else "foreign-field"
    if error.code == "P003":
        if error.message.startswith("Unknown enumeration value"):
            return "foreign-enum"
        value = doc.source.text[error.start:error.end]
        if error.message.startswith("Expected") and value.isidentifier():
            return "placeholder"
    return None


#: The kinds of parse error that a fork's names cause (see :func:`_fold_kind`).
_FOREIGN = ("foreign-field", "foreign-enum", "list-field")
_LAYER_MESSAGES = ("caffe.LayerParameter", "caffe.V1LayerParameter")


def _listed(names: list[str], most: int = 5) -> str:
    distinct = list(dict.fromkeys(names))
    more = f" and {len(distinct) - most} more" if len(distinct) > most else ""
    return ", ".join(distinct[:most]) + more


def _written_for_a_fork(doc: Document, foreign: list[Any]) -> bool:
    """Does the file show that it is written for a fork or a custom build, besides names
    the schema lacks? It was recognised as a known fork; it uses layer types BVLC does not
    register; or the unknown names are layer parameter blocks or V1 layer types."""
    if doc.detection is not None and not doc.detection.forced:
        return True
    if doc.kind == "net" and any(layer.type and layer.type not in BVLC_LAYER_TYPES
                                 for layer in written(doc.message, "layer")):
        return True
    for error in foreign:
        key = error.key
        if key is None:
            continue
        if key[0] in _LAYER_MESSAGES and key[1].endswith("_param"):
            return True
        if key[0] == "caffe.V1LayerParameter.type":
            return True
    return False


def _unknown_fork_finding(doc: Document, foreign: list[Any]) -> _Raw:
    """X004: the names no known schema declares, as one finding at the first (one cause:
    the file's own fork, which the linter does not know)."""
    first, others = foreign[0], foreign[1:]
    names = [f"`{_folded_name(doc, e)}`"
             + (f" ({e.hint.removesuffix('?')}?)" if e.hint.startswith("did you mean") else "")
             for e in foreign]
    distinct = list(dict.fromkeys(names))
    read_as = (f"nor {doc.detection.dialect.describe()}'s, which it was read as"
               if doc.detection is not None else "nor any known fork's")
    many = len(distinct) != 1
    message = (f"this file is written for a Caffe fork or custom build that prototxt-lint"
               f" does not know: {_listed(names)} ({len(distinct)} name{'s' if many else ''})"
               f" {'are' if many else 'is'} in neither BVLC Caffe's schema {read_as}; BVLC"
               " Caffe refuses the file at load on the first")
    related = tuple(_place(doc, e.start, e.end, f"`{_folded_name(doc, e)}`") for e in others)
    return (codes.UNKNOWN_FORK, first.start, first.end, message,
            "lint with the fork's own schema: --proto path/to/caffe.proto", (), related)


def _folded_name(doc: Document, error: Any) -> str:
    """What a folded error is about: the field of a list-form error, else the written name."""
    if error.message.startswith(("Expected a value for non-repeated field",
                                 "Non-repeated field")):
        return str(error.message.split('"')[1])
    return doc.source.text[error.start:error.end]


def _dialect_findings(doc: Document) -> list[_Raw]:
    """X003 once per file read as a detected fork: which, from which names, and rivals."""
    found = doc.detection
    if found is None or found.forced:
        return []
    names = found.names()
    shown = ", ".join(f"`{n}`" for n in names[:5]) + (
        f" and {len(names) - 5} more" if len(names) > 5 else "")
    fork = found.dialect.describe()
    message = (f"read as {fork} reads it: uses {shown}, which that fork declares and BVLC"
               " Caffe's schema lacks")
    if found.rivals:
        others = ", ".join(d.name for d in found.rivals[:4])
        more = ", ..." if len(found.rivals) > 4 else ""
        message += f" (so do: {others}{more})"
    if found.unexplained:
        message += (f"; {found.unexplained} other unknown"
                    f" name{'s are' if found.unexplained > 1 else ' is'} in no known fork"
                    " (reported below)")
    hint = f"to name the fork yourself: --dialect {found.dialect.name} (or --dialect bvlc)"
    return [(codes.DIALECT, found.span[0], found.span[1], message, hint, ())]


def _absent_findings(doc: Document) -> list[_Raw]:
    """A P002 for each BVLC field written that the fork in use does not have, at its first
    use (the fork's schema was given them back only so the rules can read them)."""
    from prototxt_lint.dialects.reading import absent_fields_written

    places: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for path, owner, field in absent_fields_written(doc):
        loc = doc.loc(path)
        if loc is not None:
            places.setdefault((owner, field), []).append((loc.start, loc.start + len(field)))
    out: list[_Raw] = []
    for (owner, field), spans in places.items():
        start, end = spans[0]
        count = f" (found {len(spans)} times in this file; reported once)" if len(spans) > 1 else ""
        related = tuple(_place(doc, a, b, f"`{field}`") for a, b in spans[1:])
        out.append((
            codes.UNKNOWN_FIELD, start, end,
            f'Message type "{owner}" has no field named "{field}" in {doc.schema.name}.{count}',
            f"BVLC Caffe has `{field}`, this fork does not: its Caffe refuses the file. Remove"
            " it, or lint with --dialect bvlc if you run BVLC Caffe",
            (), related,
        ))
    return out


def _parse_findings(doc: Document, chosen: bool = False) -> list[_Raw]:
    """``chosen``: the user named the schema (--dialect, --proto): then a name it lacks is
    an error, not an unknown fork's (X004)."""
    if doc.parsed is None:
        return []
    out: list[_Raw] = []
    # A fork's names (or a template's placeholders) are one cause however many there are:
    # one finding, at the first, naming the others and pointing at them.
    groups: dict[str, list[Any]] = {}
    for error in doc.parsed.errors:
        kind = _fold_kind(doc, error)
        if kind is not None:
            groups.setdefault(kind, []).append(error)
    foreign = [e for kind in _FOREIGN for e in groups.pop(kind, [])]
    if foreign and (chosen or not _written_for_a_fork(doc, foreign)):
        for error in foreign:  # a BVLC file: each kind of strange name is its own cause
            groups.setdefault(_fold_kind(doc, error) or "", []).append(error)
        foreign = []
    elif foreign:
        # a slip-like name in a fork's own message (R-C3D's `pooled_l` in ROIPooling) is as
        # likely the unknown fork's as a typo: part of the same cause
        bvlc = bvlc_schema()
        slips = [e for e in doc.parsed.errors if e.code == "P002" and e.key is not None
                 and e.hint.startswith("did you mean")
                 and not bvlc.has_message(e.key[0].removeprefix("caffe."))]
        foreign = sorted(foreign + slips, key=lambda e: e.start)
        out.append(_unknown_fork_finding(doc, foreign))
    firsts = {id(g[0]): kind for kind, g in groups.items()}
    folded = {id(e) for g in groups.values() for e in g[1:]} | {id(e) for e in foreign}
    for error in doc.parsed.errors:
        if id(error) in folded:
            continue
        message = error.message
        count = doc.parsed.key_counts.get(error.key, 1) if error.key else 1
        if count > 1:
            message += f" (found {count} times in this file; reported once)"
        rule = _INPUT_RULES[error.code]
        hint = error.hint
        forks = _declared_by_forks(doc, error)
        if forks:
            hint = forks
        elif error.code == "P002" and not hint:
            hint = (
                "a fork's field (SSD, Faster R-CNN, ...)? lint with the fork's schema:"
                " --proto path/to/caffe.proto (the other rules still checked the rest)"
            )
        kind = firsts.get(id(error))
        others = groups[kind][1:] if kind is not None else []
        if kind is None or not others:
            out.append((rule, error.start, error.end, message, hint, ()))
            continue
        names = [f"`{_folded_name(doc, e)}`" for e in others]
        head, dot, tail = message.partition(". (")  # no ".;" between the two sentences
        message = (f"{head} ({tail}" if dot else message.removesuffix("."))
        message += f"; {len(others)} {_FOLDED[kind]}: {_listed(names)}"
        related = tuple(_place(doc, e.start, e.end, name) for e, name in zip(others, names,
                                                                              strict=True))
        out.append((rule, error.start, error.end, message, hint, (), related))
    out.extend(_absent_findings(doc))
    out.extend(_dialect_findings(doc))
    for start, end in doc.parsed.message_lists:
        out.append((codes.MESSAGE_LIST, start, end,
                    "a list of messages (`field [{...}, {...}]`): protobuf before 2.6.0 cannot"
                    " read it", "write the field once per message: `field { ... }`", ()))
    out.extend(_capital_bools(doc))
    if doc.parsed.too_many_errors:
        out.append(
            (
                codes.SYNTAX_ERROR,
                len(doc.source.text),
                len(doc.source.text),
                "too many errors; the rest of the file was not checked",
                "",
                (),
            )
        )
    return out


__all__ = ["FileReport", "Input", "Linter", "Options", "Severity", "resolve_net_path"]
