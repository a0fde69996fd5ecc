"""One lint run of the command line, without click.

``cli.py`` parses options with click and calls :func:`run_lint`; for the plain
``prototxt-lint FILE...`` (the pre-commit hook, editors' on-save commands) ``cli.main`` calls
it directly and never imports click, which is a third of the start-up time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence

from prototxt_lint.config import Config, ConfigError, find_config
from prototxt_lint.findings import Severity
from prototxt_lint.linter import Input, Options
from prototxt_lint.plugin import Rule
from prototxt_lint.records import Record
from prototxt_lint.schema import Schema
from prototxt_lint.source import DEFAULT_MAX_BYTES

EXTENSIONS = (".prototxt", ".pbtxt")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

#: ``prototxt-lint NAME ...`` runs another command; each lives in its own module, imported
#: only when used so that plain linting starts fast. (To lint a directory with one of these
#: names, write ``./lsp``.)
SUBCOMMANDS = {
    "lsp": ("prototxt_lint.lsp.server", "lsp_command"),
    "shapes": ("prototxt_lint.shapes_command", "shapes_command"),
    "lr-schedule": ("prototxt_lint.lr_schedule_command", "lr_schedule_command"),
}


class SetupProblem(Exception):
    """Bad configuration, schema or plugin: nothing was linted (exit code 2)."""


class LintRequest(Record):
    """What to lint and how: the command line's options."""

    __slots__ = (
        "color",
        "dialect",
        "fail_on",
        "fix",
        "fmt",
        "ignore",
        "jobs",
        "max_file_size",
        "paths",
        "proto",
        "select",
        "stdin_filename",
        "unsafe_fixes",
    )

    def __init__(
        self,
        paths: list[str],
        fmt: str = "text",
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
    ) -> None:
        self.paths = paths
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
    """Files to lint under ``path``: the file itself, or every ``*.prototxt``/``*.pbtxt``
    below a directory, sorted, without following symlinked directories (no loops)."""
    if not os.path.isdir(path):
        yield path
        return
    for root, dirs, files in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(EXTENSIONS):
                yield os.path.join(root, name)


def split_codes(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def want_colour(flag: bool | None, is_tty: bool, env: Mapping[str, str]) -> bool:
    """--color/--no-color win; otherwise colour on a terminal unless NO_COLOR is set."""
    if flag is not None:
        return flag
    return is_tty and not env.get("NO_COLOR")


def _read_stdin(request: LintRequest) -> tuple[str, Input]:
    name = request.stdin_filename or "<stdin>"
    directory = os.path.dirname(os.path.abspath(name))
    limit_mb = request.max_file_size
    if limit_mb is None:
        try:
            limit_mb = find_config(directory).max_file_size_mb
        except ConfigError:
            limit_mb = None  # reported below, with the other configuration errors
    limit = int(limit_mb * 1024 * 1024) if limit_mb else DEFAULT_MAX_BYTES
    # read at most one byte more than the limit: a huge stream is refused, not loaded
    return directory, Input(name, sys.stdin.buffer.read(limit + 1))


def _apply_fixes(rules: list[Rule], options: Options, items: list[Input],
                 unsafe: bool) -> tuple[int, int]:
    """Lint, apply the fixes to their files (stdin is never rewritten): the safe ones, and
    the unsafe ones too when ``unsafe``. Returns (applied, unsafe ones held back)."""
    from prototxt_lint.fixes import fix_file
    from prototxt_lint.linter import Linter

    count = held = 0
    for report in Linter(rules, options).lint([i for i in items if i.data is None]):
        # a BOM (P001, the only non-fatal P001 of reading) does not stop the fixes: they keep it
        if report.document.kind in ("net", "solver") and all(
                p.code == "P001" for p in report.document.problems):
            wanted = [f for f in report.findings if f.fix is not None and (unsafe or f.fix.safe)]
            held += sum(1 for f in report.findings if f.fix is not None and not f.fix.safe
                        and not unsafe)
            count += fix_file(report.path, report.document.source.text, wanted)
    return count, held


def run_lint(request: LintRequest, rules: list[Rule]) -> int:
    """Lint, print the report, return the exit code. Raises :class:`SetupProblem`."""
    out, err = sys.stdout, sys.stderr
    inputs: list[tuple[str, Input]] = []  # (config directory, input)
    for path in request.paths:
        if path == "-":
            inputs.append(_read_stdin(request))
            continue
        found = list(iter_files(path))
        if not found:
            err.write(f"prototxt-lint: {path}: no *.prototxt or *.pbtxt files found\n")
        for file in found:
            inputs.append((os.path.dirname(os.path.abspath(file)), Input(file)))
    if not inputs:
        return EXIT_ERROR

    try:
        groups: dict[Config, list[Input]] = {}
        for directory, item in inputs:
            groups.setdefault(find_config(directory), []).append(item)
    except ConfigError as exc:
        raise SetupProblem(f"configuration error: {exc}") from None

    from prototxt_lint.batch import SlimReport, lint_inputs

    reports: list[SlimReport] = []
    fixed_count = held_count = 0
    threshold = Severity.WARNING
    schemas: dict[str, Schema] = {}
    for config, items in groups.items():
        schema_path = request.proto or config.proto
        schema = None
        if schema_path:
            if schema_path not in schemas:
                from prototxt_lint.fork_schema import SchemaError, load_schema

                try:
                    schemas[schema_path] = load_schema(schema_path)
                except SchemaError as exc:
                    raise SetupProblem(str(exc)) from None
            schema = schemas[schema_path]
        size_mb = (
            request.max_file_size if request.max_file_size is not None else config.max_file_size_mb
        )
        options = Options(
            select=tuple(request.select) or config.select,
            ignore=(*request.ignore, *config.ignore),
            max_bytes=int(size_mb * 1024 * 1024) if size_mb else DEFAULT_MAX_BYTES,
            debug=bool(os.environ.get("PROTOTXT_LINT_DEBUG")),
            schema=schema,
            dialect=request.dialect or config.dialect or "auto",
        )
        if request.fail_on:
            threshold = Severity.parse(request.fail_on)
        elif config.fail_on is not None:
            threshold = config.fail_on
        if request.fix:
            fixed, held = _apply_fixes(rules, options, items, request.unsafe_fixes)
            fixed_count += fixed
            held_count += held
        reports.extend(lint_inputs(rules, options, items, request.jobs))

    if request.fmt == "json":
        from prototxt_lint.output import render_json

        out.write(render_json(reports) + "\n")
    else:
        from prototxt_lint.output import render_text

        use_colour = want_colour(request.color, out.isatty(), os.environ)
        out.write(render_text(reports, use_colour) + "\n")
    out.flush()

    if request.fix:
        err.write(f"Applied {fixed_count} fix{'es' if fixed_count != 1 else ''}.")
        if held_count:
            err.write(f" {held_count} unsafe fix{'es' if held_count != 1 else ''} not applied"
                      " (they change how the net computes or trains; --unsafe-fixes applies"
                      " them).")
        err.write("\n")
    if any(r.fatal for r in reports):
        return EXIT_ERROR
    if any(f.severity >= threshold for r in reports for f in r.findings):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def fast_request(args: Sequence[str]) -> LintRequest | None:
    """The request for a plain ``prototxt-lint PATH... [--color|--no-color]``, which needs no
    option parser; None for anything else (click handles it, with --help and errors)."""
    colour: bool | None = None
    paths = []
    for arg in args:
        if arg == "--color":
            colour = True
        elif arg == "--no-color":
            colour = False
        elif arg.startswith("-"):
            return None
        else:
            paths.append(arg)
    return LintRequest(paths=paths, color=colour) if paths else None
