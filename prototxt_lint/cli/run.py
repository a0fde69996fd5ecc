"""One lint run of the command line, without click.

``command.py`` parses options with click and calls :func:`run_lint`; for the plain
``prototxt-lint FILE...`` (the pre-commit hook, editors' on-save commands) ``entry.main`` calls
it directly and never imports click, which is a third of the start-up time.

Length: one run from parsed options to exit code, whose steps' order is the point (discover,
resolve settings, lint, fix, render, exit); the pieces it calls live in the engine.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from prototxt_lint.engine.config import Config, ConfigError, find_config
from prototxt_lint.engine.discovery import EXTENSIONS as EXTENSIONS  # re-exported (cli)
from prototxt_lint.engine.linter import Input, Options
from prototxt_lint.findings import Finding, Severity
from prototxt_lint.plugin import Rule
from prototxt_lint.records import Record
from prototxt_lint.schema import Schema
from prototxt_lint.syntax.source import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from prototxt_lint.engine.parallel import SlimReport

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

#: ``prototxt-lint NAME ...`` runs another command; each lives in its own module, imported
#: only when used so that plain linting starts fast. (To lint a directory with one of these
#: names, write ``./lsp``.)
SUBCOMMANDS = {
    "lsp": ("prototxt_lint.lsp.server", "lsp_command"),
    "shapes": ("prototxt_lint.cli.shapes", "shapes_command"),
    "lr-schedule": ("prototxt_lint.cli.lr_schedule", "lr_schedule_command"),
    "weights": ("prototxt_lint.cli.weights", "weights_command"),
    "log": ("prototxt_lint.cli.log", "log_command"),
}


class SetupProblem(Exception):
    """Bad configuration, schema or plugin: nothing was linted (exit code 2)."""


class LintRequest(Record):
    """What to lint and how: the command line's options."""

    __slots__ = (
        "cache",
        "cache_dir",
        "color",
        "config_path",
        "data_root",
        "dialect",
        "diff",
        "exit_zero",
        "fail_on",
        "fix",
        "fmt",
        "force_exclude",
        "ignore",
        "jobs",
        "max_file_size",
        "output_file",
        "paths",
        "proto",
        "quiet",
        "respect_gitignore",
        "select",
        "show_fixes",
        "show_settings",
        "statistics",
        "stdin_filename",
        "unsafe_fixes",
        "weights",
    )

    def __init__(
        self,
        paths: list[str],
        fmt: str | None = None,  # None: github under GitHub Actions, else text
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        fail_on: str | None = None,
        stdin_filename: str | None = None,
        max_file_size: float | None = None,
        proto: str | None = None,
        jobs: int = 0,
        fix: bool = False,
        color: bool | None = None,
        unsafe_fixes: bool = False,
        dialect: str | None = None,  # --dialect: "auto", "bvlc" or a dialect's name
        output_file: str | None = None,
        exit_zero: bool = False,
        statistics: bool = False,
        quiet: bool = False,
        show_fixes: bool = False,
        diff: bool = False,
        config_path: str | None = None,  # --config: this file for every input
        respect_gitignore: bool | None = None,  # --no-respect-gitignore: False
        force_exclude: bool = False,
        show_settings: bool = False,
        weights: tuple[str, ...] = (),  # --weights, split at commas
        data_root: str | None = None,  # --data-root
        cache: bool = True,  # --no-cache: False
        cache_dir: str | None = None,  # --cache-dir
    ) -> None:
        self.weights = weights
        self.data_root = data_root
        self.paths = paths
        self.cache = cache
        self.cache_dir = cache_dir
        self.config_path = config_path
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self.show_settings = show_settings
        self.output_file = output_file
        self.exit_zero = exit_zero
        self.statistics = statistics
        self.quiet = quiet
        self.show_fixes = show_fixes
        self.diff = diff
        self.dialect = dialect
        self.fmt = fmt
        self.select = select
        self.ignore = ignore
        self.fail_on = fail_on
        self.stdin_filename = stdin_filename
        self.max_file_size = max_file_size
        self.proto = proto
        self.jobs = jobs
        self.fix = fix
        self.color = color
        self.unsafe_fixes = unsafe_fixes


def iter_files(path: str) -> Iterator[str]:
    """Files to lint under ``path`` with the nearest configurations (see
    :mod:`prototxt_lint.engine.discovery`)."""
    from prototxt_lint.engine.discovery import Discovery

    yield from Discovery(find_config).files(path)


def config_finder(request: LintRequest) -> Callable[[str], Config]:
    """The configuration of a folder: the nearest one, or --config's file for every folder.
    Raises :class:`SetupProblem` for a bad one."""
    if request.config_path:
        from prototxt_lint.engine.config import load_config_file

        if not os.path.isfile(request.config_path):
            raise SetupProblem(f"--config {request.config_path}: no such file")
        try:
            fixed = load_config_file(request.config_path) or Config(path=request.config_path)
        except ConfigError as exc:
            raise SetupProblem(f"configuration error: {exc}") from None
        return lambda directory: fixed

    def nearest(directory: str) -> Config:
        try:
            return find_config(directory)
        except ConfigError as exc:
            raise SetupProblem(f"configuration error: {exc}") from None

    return nearest


def output_failed(exc: OSError | None) -> int:
    """Standard output is closed, full or a broken pipe: say so in one line (not for a broken
    pipe, which is the reader's choice, as in ``| head``), make the interpreter's last flush
    quiet, and return exit code 2, the same on every path."""
    import errno

    if exc is None or exc.errno != errno.EPIPE:
        reason = "standard output is closed" if exc is None else (exc.strerror or str(exc))
        if sys.stderr is not None:
            try:
                sys.stderr.write(f"prototxt-lint: cannot write the report: {reason}\n")
                sys.stderr.flush()
            except OSError:
                pass
    if sys.stdout is not None:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            sys.stdout = None  # type: ignore[assignment]
    return EXIT_ERROR


def split_codes(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def want_colour(flag: bool | None, is_tty: bool, env: Mapping[str, str]) -> bool:
    """--color/--no-color win; otherwise colour on a terminal unless NO_COLOR is set."""
    if flag is not None:
        return flag
    return is_tty and not env.get("NO_COLOR")


def _read_stdin(request: LintRequest,
                config_for: Callable[[str], Config]) -> tuple[str, Input]:
    name = request.stdin_filename or "<stdin>"
    directory = os.path.dirname(os.path.abspath(name))
    limit_mb = request.max_file_size
    if limit_mb is None:
        limit_mb = config_for(directory).max_file_size_mb
    limit = int(limit_mb * 1024 * 1024) if limit_mb else DEFAULT_MAX_BYTES
    if sys.stdin is None:
        raise SetupProblem("cannot read '-': standard input is closed")
    # read at most one byte more than the limit: a huge stream is refused, not loaded
    try:
        data = sys.stdin.buffer.read(limit + 1)
    except OSError as exc:
        raise SetupProblem(f"cannot read '-' (standard input): {exc.strerror or exc}") from None
    return directory, Input(name, data)


def _apply_fixes(rules: list[Rule], options: Options, items: list[Input],
                 unsafe: bool, applied: list[Finding] | None = None,
                 ignores: PerFileIgnores | None = None) -> tuple[int, int, int]:
    """Lint, apply the fixes to their files (stdin is never rewritten): the safe ones, and
    the unsafe ones too when ``unsafe``. Only files named on the command line or found under
    a named directory are rewritten, never a net a solver names from elsewhere. A file that
    cannot be rewritten is reported on stderr and the others are still fixed. Returns
    (applied, unsafe ones held back, files that could not be fixed); the findings whose fixes
    were applied are added to ``applied``."""
    from prototxt_lint.engine.fixes import FixError, fix_file
    from prototxt_lint.engine.linter import Linter

    named = {_real(i.path) for i in items if i.data is None}
    count = held = failed = 0
    for report in Linter(rules, options).lint([i for i in items if i.data is None]):
        if _real(report.path) not in named:
            continue
        # a BOM (P001, the only non-fatal P001 of reading) does not stop the fixes: they keep it
        if report.document.kind in ("net", "solver") and all(
                p.code == "P001" for p in report.document.problems):
            found = ignores.keep(report.findings) if ignores else report.findings
            wanted = [f for f in found if f.fix is not None and (unsafe or f.fix.safe)]
            held += sum(1 for f in found if f.fix is not None and not f.fix.safe
                        and not unsafe)
            try:
                done = fix_file(report.path, report.document.source.text, wanted)
            except FixError as exc:
                sys.stderr.write(f"prototxt-lint: {report.path}: not fixed: {exc}\n")
                failed += 1
                continue
            count += done
            if done and applied is not None:
                applied.extend(wanted)
    return count, held, failed


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def _diffs(rules: list[Rule], options: Options, items: list[Input],
           unsafe: bool, ignores: PerFileIgnores) -> list[str]:
    """--diff: the unified diff of what --fix would change, per file that would change."""
    from prototxt_lint.cli.fix_preview import fixable, unified_diff
    from prototxt_lint.engine.linter import Linter

    out = []
    for report in Linter(rules, options).lint(items):
        if report.document.kind in ("net", "solver") and not report.document.problems:
            wanted = fixable(ignores.keep(report.findings), unsafe)
            out.append(unified_diff(report.path, report.document.source.text, wanted))
    return [d for d in out if d]


class PerFileIgnores:
    """``per-file-ignores``: drops the findings a file's configuration ignores for it."""

    def __init__(self, config_for: Callable[[str], Config]) -> None:
        self.config_for = config_for
        self._codes: dict[str, tuple[str, ...]] = {}

    def codes(self, path: str) -> tuple[str, ...]:
        if path not in self._codes:
            from prototxt_lint.engine.config import per_file_codes

            config = self.config_for(os.path.dirname(os.path.abspath(path)))
            self._codes[path] = per_file_codes(config, path) if config.per_file_ignores else ()
        return self._codes[path]

    def keep(self, findings: Sequence[Finding]) -> list[Finding]:
        from prototxt_lint.engine.config import ignores_finding

        return [f for f in findings if not ignores_finding(self.codes(f.file), f.code, f.name)]


def write_atomically(path: str, text: str) -> None:
    """--output-file: a reader never sees half a report (temporary file, then rename)."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".prototxt-lint-", suffix=".tmp")
    except OSError as exc:
        raise SetupProblem(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise SetupProblem(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def output_format(request: LintRequest, env: Mapping[str, str]) -> str:
    """The format asked for; without one, ``github`` under GitHub Actions (as ruff does)."""
    if request.fmt:
        return request.fmt
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"


def check_request_selectors(request: LintRequest, rules: list[Rule]) -> None:
    """--select/--ignore must name rules: a typo would otherwise run no rule at all."""
    from prototxt_lint.engine.selectors import check_selectors

    try:
        check_selectors(request.select, rules, "--select")
        check_selectors(request.ignore, rules, "--ignore")
    except ValueError as exc:
        raise SetupProblem(str(exc)) from None


def check_config_selectors(config: Config, rules: list[Rule]) -> None:
    from prototxt_lint.engine.selectors import check_selectors

    try:
        check_selectors(config.select, rules, f"{config.path}: select")
        check_selectors(config.ignore, rules, f"{config.path}: ignore")
        for glob, codes in config.per_file_ignores:
            check_selectors(codes, rules, f"{config.path}: per-file-ignores {glob!r}")
    except ValueError as exc:
        raise SetupProblem(f"configuration error: {exc}") from None


def check_weights(paths: Sequence[str]) -> None:
    """``--weights`` models that cannot be read stop the run (exit code 2), with the reason
    and where in the file it is: nothing would be checked against them."""
    if not paths:
        return
    from prototxt_lint.syntax.caffemodel import WeightsError, read_weights

    for path in paths:
        try:
            read_weights(path)
        except WeightsError as exc:
            raise SetupProblem(f"--weights {exc}") from None


def run_lint(request: LintRequest, rules: list[Rule]) -> int:
    """Lint, print the report, return the exit code. Raises :class:`SetupProblem`."""
    out, err = sys.stdout, sys.stderr or io.StringIO()  # stderr closed: messages go nowhere
    if out is None:
        return output_failed(None)  # nothing linted, nothing fixed: the report would be lost
    check_request_selectors(request, rules)
    config_for = config_finder(request)
    if request.show_settings:
        from prototxt_lint.cli.show_settings import show_settings

        out.write(show_settings(request, config_for))
        return EXIT_CLEAN
    from prototxt_lint.engine.discovery import Discovery

    discovery = Discovery(config_for, request.respect_gitignore, request.force_exclude)
    inputs: list[tuple[str, Input]] = []  # (config directory, input)
    seen: set[str] = set()  # a file named twice is linted and reported once
    for path in request.paths:
        if path == "-":
            inputs.append(_read_stdin(request, config_for))
            continue
        found = list(discovery.files(path))
        if not found and not discovery.problems and not discovery.excluded_count:
            err.write(f"prototxt-lint: {path}: no *.prototxt or *.pbtxt files found\n")
        for file in found:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                inputs.append((os.path.dirname(os.path.abspath(file)), Input(file)))
    for problem in discovery.problems:
        err.write(problem + "\n")
    if not inputs:
        if discovery.excluded_count and not discovery.problems:
            if not request.quiet:
                err.write("prototxt-lint: every file named is excluded; nothing to lint\n")
            return EXIT_CLEAN
        return EXIT_ERROR

    from prototxt_lint.engine.parallel import partition

    # a solver and the nets it names are linted together, with the solver's settings: grouped
    # by configuration first, a net beside its own configuration would be linted twice
    directories = {id(item): directory for directory, item in inputs}
    groups: dict[Config, list[Input]] = {}
    for linked in partition([item for _, item in inputs]):
        groups.setdefault(config_for(directories[id(linked[0])]), []).extend(linked)

    reports: list[SlimReport] = []
    applied: list[Finding] = []
    diffs: list[str] = []
    fixed_count = held_count = unfixed_count = 0
    threshold = Severity.WARNING
    schemas: dict[str, Schema] = {}
    for config in groups:
        check_config_selectors(config, rules)
    ignores = PerFileIgnores(config_for)
    check_weights(request.weights)
    caching = _Caching(request, rules)
    if not os.environ.get("PROTOTXT_LINT_DEFAULT_GC"):  # benchmarks/gc_effect.py compares
        from prototxt_lint.engine.gctune import tune_for_batch

        tune_for_batch()
    for config, items in groups.items():
        schema_path = request.proto or config.proto
        schema = None
        if schema_path:
            if schema_path not in schemas:
                from prototxt_lint.schema.fork import SchemaError, load_schema

                try:
                    schemas[schema_path] = load_schema(schema_path)
                except SchemaError as exc:
                    raise SetupProblem(str(exc)) from None
            schema = schemas[schema_path]
        options = Options.resolve(
            config, schema, select=request.select, ignore=request.ignore,
            max_file_size=request.max_file_size, dialect=request.dialect,
            weights=request.weights, data_root=request.data_root,
            debug=bool(os.environ.get("PROTOTXT_LINT_DEBUG")),
        )
        if request.fail_on:
            threshold = Severity.parse(request.fail_on)
        elif config.fail_on is not None:
            threshold = config.fail_on
        if request.diff:
            diffs.extend(_diffs(rules, options, items, request.unsafe_fixes, ignores))
            continue
        if request.fix:
            fixed, held, unfixed = _apply_fixes(rules, options, items, request.unsafe_fixes,
                                                applied, ignores)
            fixed_count += fixed
            held_count += held
            unfixed_count += unfixed
        for report in caching.lint(config, options, schema_path, items):
            report.findings = ignores.keep(report.findings)
            reports.append(report)
    caching.finish()

    output_code = None
    try:
        if request.diff:
            code = _report_diff(diffs, request)
            return EXIT_ERROR if discovery.problems else code
        fmt = output_format(request, os.environ)
        text = _render(reports, rules, request, fmt, out)
        if request.show_fixes:
            shown = _show_fixes(reports, applied, request)
            if fmt in ("text", "concise") and not request.statistics:
                text += shown
            else:
                err.write(shown)
        if request.output_file:
            write_atomically(request.output_file, text)
        else:
            out.write(text)
            out.flush()
    except OSError as exc:  # full (ENOSPC), a broken pipe, ...
        output_code = output_failed(exc)

    if request.fix and not request.quiet:
        err.write(f"Applied {fixed_count} fix{'es' if fixed_count != 1 else ''}.")
        if held_count:
            err.write(f" {held_count} unsafe fix{'es' if held_count != 1 else ''} not applied"
                      " (they change how the net computes or trains; --unsafe-fixes applies"
                      " them).")
        err.write("\n")
    if output_code is not None:
        return output_code
    if unfixed_count or discovery.problems or any(r.fatal for r in reports):
        return EXIT_ERROR
    if request.exit_zero:
        return EXIT_CLEAN
    if any(f.severity >= threshold for r in reports for f in r.findings):
        return EXIT_FINDINGS
    return EXIT_CLEAN


class _Caching:
    """The result cache around the lint of each configuration's groups (see
    :mod:`prototxt_lint.engine.cache`); with --no-cache, every group is linted."""

    def __init__(self, request: LintRequest, rules: list[Rule]) -> None:
        from prototxt_lint.engine.cache import disabled_by_env

        self.request = request
        self.rules = rules
        self.enabled = request.cache and not disabled_by_env()
        self.caches: dict[str, Any] = {}
        self._code: str | None = None

    def _base(self, options: Options, schema_path: str | None) -> str:
        from prototxt_lint.engine.cache import code_fingerprint, file_digest

        if self._code is None:
            self._code = code_fingerprint(self.rules)
        schema = (schema_path, file_digest(schema_path)) if schema_path else None
        return repr((self._code, tuple(options.select), tuple(options.ignore),
                     options.max_bytes, options.debug, options.dialect, schema,
                     self.request.fix))

    def lint(self, config: Config, options: Options, schema_path: str | None,
             items: list[Input]) -> list[SlimReport]:
        from prototxt_lint.engine.parallel import lint_groups, net_references, partition

        groups = partition(items)
        if not self.enabled:
            from prototxt_lint.cli.run_cache import UNSTORABLE

            UNSTORABLE.append("--no-cache")
            return [r for reports, _ in lint_groups(self.rules, options, groups,
                                                    self.request.jobs) for r in reports]
        from prototxt_lint.cli.run_cache import UNSTORABLE
        from prototxt_lint.engine.cache import ResultCache, choose_dir, group_key, note_stat

        folder = choose_dir(self.request.cache_dir, config.cache_dir)
        if config.cache_dir and folder == config.cache_dir:
            UNSTORABLE.append("the configuration's cache-dir")
        cache = self.caches.get(folder)
        if cache is None:
            cache = self.caches[folder] = ResultCache(folder)
        base = self._base(options, schema_path)
        answers: list[list[SlimReport] | None] = []
        keys: list[str | None] = []
        for group in groups:
            key = None
            if all(item.data is None for item in group):
                linked = [ref for item in group for ref in net_references(item)]
                key = group_key(base, [item.path for item in group], linked)
            found = cache.get(key) if key else None
            note_stat("hit" if found is not None else "miss")
            answers.append(found)
            keys.append(key)
        todo = [n for n, found in enumerate(answers) if found is None]
        fresh = lint_groups(self.rules, options, [groups[n] for n in todo], self.request.jobs)
        for n, (reports, external) in zip(todo, fresh, strict=True):
            answers[n] = reports
            key = keys[n]
            if external:
                note_stat("skip-external")
                UNSTORABLE.append("an external read")
            elif key is not None:
                cache.put(key, reports)
                note_stat("store")
        return [r for reports in answers if reports is not None for r in reports]

    def finish(self) -> None:
        """Prune now and then: after a run that stored many entries, or one run in 16."""
        for cache in self.caches.values():
            if cache.stored >= 100 or (cache.stored and os.getpid() % 16 == 0):
                cache.prune()


def _render(reports: list[SlimReport], rules: list[Rule], request: LintRequest, fmt: str,
            out: TextIO) -> str:
    if request.statistics:
        from prototxt_lint.reporters.statistics import render_statistics

        return render_statistics(reports, as_json=fmt in ("json", "json-lines"))
    from prototxt_lint.reporters import Context, reporter

    tty = out.isatty() and not request.output_file
    context = Context(rules, want_colour(request.color, tty, os.environ), request.quiet)
    return reporter(fmt).render(reports, context)


def _show_fixes(reports: list[SlimReport], applied: list[Finding], request: LintRequest) -> str:
    """--show-fixes: the fixes --fix applied, or (without --fix) the ones it would apply."""
    from prototxt_lint.cli.fix_preview import fix_line, fixable

    if request.fix:
        title, shown = "Fixed", applied
    else:  # every fix, the unsafe ones labelled: --fix --unsafe-fixes applies them
        title = "Fixable with --fix"
        shown = [f for r in reports for f in fixable(r.findings, unsafe=True)]
    if not shown:
        return "" if request.quiet else f"\n{title}: nothing.\n"
    return f"\n{title} ({len(shown)}):\n" + "".join(f"  {fix_line(f)}\n" for f in shown)


def _report_diff(diffs: list[str], request: LintRequest) -> int:
    """--diff: the diff on stdout (or --output-file); exit 1 when there is anything to fix."""
    diff = "".join(diffs)
    if request.output_file:
        write_atomically(request.output_file, diff)
    else:
        sys.stdout.write(diff)
        sys.stdout.flush()
    if not request.quiet:
        files = len(diffs)
        sys.stderr.write(f"Would fix {files} file{'s' if files != 1 else ''}.\n"
                         if diffs else "No fixes to apply.\n")
    return EXIT_FINDINGS if diff and not request.exit_zero else EXIT_CLEAN


def fast_request(args: Sequence[str]) -> LintRequest | None:
    """The request for a plain ``prototxt-lint PATH...`` with only ``--color``/``--no-color``,
    ``--force-exclude`` (what the pre-commit hook passes), ``--proto FILE``, ``--dialect NAME``,
    ``--no-cache`` and ``--cache-dir DIR``, which needs no option parser; None for anything
    else (click handles it, with --help and errors, also for a bad value of these)."""
    colour: bool | None = None
    force_exclude = False
    cache = True
    values: dict[str, str] = {}
    paths = []
    items = iter(args)
    for arg in items:
        if arg == "--color":
            colour = True
        elif arg == "--no-color":
            colour = False
        elif arg == "--force-exclude":
            force_exclude = True
        elif arg == "--no-cache":
            cache = False
        elif arg.split("=", 1)[0] in ("--proto", "--dialect", "--cache-dir"):
            name, eq, value = arg.partition("=")
            if not eq:
                value = next(items, "")
                if not value or value.startswith("-"):
                    return None  # click's message for a missing value
            values[name] = value
        elif arg == "--":
            return None
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            paths.append(arg)
    if not paths or "-" in paths:
        return None
    proto, dialect = values.get("--proto"), values.get("--dialect")
    if proto is not None and (not proto or os.path.isdir(proto)):
        return None
    if "--cache-dir" in values and os.path.isfile(values["--cache-dir"]):
        return None
    if dialect is not None:
        from prototxt_lint.dialects import dialect_choices

        if dialect not in dialect_choices():
            return None
    return LintRequest(paths=paths, color=colour, force_exclude=force_exclude, proto=proto,
                       dialect=dialect, cache=cache, cache_dir=values.get("--cache-dir"))
