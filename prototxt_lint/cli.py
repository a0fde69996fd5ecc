"""The ``prototxt-lint`` command.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage error or unreadable input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence

import click

from prototxt_lint.config import Config, ConfigError, find_config
from prototxt_lint.findings import Severity
from prototxt_lint.linter import Input, Options
from prototxt_lint.plugin import Rule
from prototxt_lint.registry import RuleLoadError, load_rules
from prototxt_lint.schema import Schema

EXTENSIONS = (".prototxt", ".pbtxt")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class SetupError(click.ClickException):
    """Bad configuration, schema or plugin: nothing was linted (exit code 2)."""

    exit_code = EXIT_ERROR


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


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def explain(rule: Rule) -> str:
    return f"{rule.code} {rule.name} ({rule.severity.label})\n{rule.summary}\n\n{rule.docs}\n"


def list_rules(rules: Sequence[Rule]) -> str:
    width = max(len(r.name) for r in rules)
    return "\n".join(
        f"{r.code}  {r.name:<{width}}  {r.severity.label:<7}  {r.summary}" for r in rules
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Only these rules (codes, code prefixes such as S1, or names; comma-separated).",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default=None,
    help="Lowest severity that makes the exit code 1 [default: warning].",
)
@click.option(
    "--stdin-filename",
    default=None,
    metavar="NAME",
    help="Name to report for input read from '-' (stdin).",
)
@click.option(
    "--max-file-size",
    type=float,
    default=None,
    metavar="MB",
    help="Refuse files larger than this many megabytes [default: 16].",
)
@click.option(
    "--proto",
    default=None,
    metavar="CAFFE_PROTO",
    type=click.Path(dir_okay=False),
    help="Lint with this caffe.proto (a fork's schema) instead of BVLC Caffe's."
    " Needs grpcio-tools: pip install 'prototxt-lint[proto]'.",
)
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the rules' own fixes to the files (atomically), then report what is left.",
)
@click.option(
    "-j",
    "--jobs",
    default=0,
    type=click.IntRange(min=0),
    metavar="N",
    help="Lint with N processes [default: 0, one per core when there are many files].",
)
@click.option(
    "--explain",
    "explain_code",
    metavar="CODE",
    default=None,
    help="Print a rule's documentation and exit.",
)
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the output [default: on a terminal, unless NO_COLOR is set].",
)
@click.version_option(package_name="prototxt-lint")
def lint_command(
    paths: tuple[str, ...],
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    stdin_filename: str | None,
    max_file_size: float | None,
    proto: str | None,
    jobs: int,
    fix: bool,
    explain_code: str | None,
    list_rules: bool,
    color: bool | None,
) -> None:
    """Lint Caffe net and solver prototxt files.

    PATHS are files or directories (searched for *.prototxt and *.pbtxt); '-' reads stdin.
    A solver's net (net, train_net, test_net) is linted with it.

    Other commands: `prototxt-lint lsp` (language server), `prototxt-lint shapes NET`,
    `prototxt-lint lr-schedule SOLVER`; each has --help.
    """
    try:
        rules = load_rules()
    except RuleLoadError as exc:
        raise SetupError(str(exc)) from None
    if list_rules:
        click.echo(_list(rules))
        return
    if explain_code:
        wanted = explain_code.strip()
        rule = next((r for r in rules if wanted in (r.code, r.name)), None)
        if rule is None:
            raise click.UsageError(f"no rule {wanted!r}; see --list-rules")
        click.echo(explain(rule))
        return
    if not paths:
        raise click.UsageError("no PATH given (try: prototxt-lint net.prototxt solver.prototxt)")

    inputs: list[tuple[str, Input]] = []  # (config directory, input)
    for path in paths:
        if path == "-":
            name = stdin_filename or "<stdin>"
            directory = os.path.dirname(os.path.abspath(name))
            limit_mb = max_file_size
            if limit_mb is None:
                try:
                    limit_mb = find_config(directory).max_file_size_mb
                except ConfigError:
                    limit_mb = None  # reported below, with the other configuration errors
            limit = int(limit_mb * 1024 * 1024) if limit_mb else Options.max_bytes
            # read at most one byte more than the limit: a huge stream is refused, not loaded
            data = sys.stdin.buffer.read(limit + 1)
            inputs.append((directory, Input(name, data)))
            continue
        found = list(iter_files(path))
        if not found:
            click.echo(f"prototxt-lint: {path}: no *.prototxt or *.pbtxt files found", err=True)
        for file in found:
            inputs.append((os.path.dirname(os.path.abspath(file)), Input(file)))
    if not inputs:
        sys.exit(EXIT_ERROR)

    try:
        groups: dict[Config, list[Input]] = {}
        for directory, item in inputs:
            groups.setdefault(find_config(directory), []).append(item)
    except ConfigError as exc:
        raise SetupError(f"configuration error: {exc}") from None

    from prototxt_lint.batch import SlimReport, lint_inputs

    reports: list[SlimReport] = []
    fixed_count = 0
    threshold = Severity.WARNING
    schemas: dict[str, Schema] = {}
    for config, items in groups.items():
        schema_path = proto or config.proto
        schema = None
        if schema_path:
            if schema_path not in schemas:
                from prototxt_lint.fork_schema import SchemaError, load_schema

                try:
                    schemas[schema_path] = load_schema(schema_path)
                except SchemaError as exc:
                    raise SetupError(str(exc)) from None
            schema = schemas[schema_path]
        size_mb = max_file_size if max_file_size is not None else config.max_file_size_mb
        options = Options(
            select=_split(select) or list(config.select),
            ignore=_split(ignore) + list(config.ignore),
            max_bytes=int(size_mb * 1024 * 1024) if size_mb else Options.max_bytes,
            debug=bool(os.environ.get("PROTOTXT_LINT_DEBUG")),
            schema=schema,
        )
        if fail_on:
            threshold = Severity.parse(fail_on)
        elif config.fail_on is not None:
            threshold = config.fail_on
        if fix:
            fixed_count += _apply_fixes(rules, options, items)
        reports.extend(lint_inputs(rules, options, items, jobs))

    if fmt == "json":
        from prototxt_lint.output import render_json

        click.echo(render_json(reports))
    else:
        from prototxt_lint.output import render_text

        use_colour = want_colour(color, sys.stdout.isatty(), os.environ)
        click.echo(render_text(reports, use_colour), color=use_colour)

    if fix:
        click.echo(f"Applied {fixed_count} fix{'es' if fixed_count != 1 else ''}.", err=True)
    if any(r.fatal for r in reports):
        sys.exit(EXIT_ERROR)
    if any(f.severity >= threshold for r in reports for f in r.findings):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


def _apply_fixes(rules: list[Rule], options: Options, items: list[Input]) -> int:
    """Lint, apply every fix to its file (stdin is never rewritten), return the count."""
    from prototxt_lint.fixes import fix_file
    from prototxt_lint.linter import Linter

    count = 0
    for report in Linter(rules, options).lint([i for i in items if i.data is None]):
        if report.document.kind in ("net", "solver") and not report.document.problems:
            count += fix_file(report.path, report.document.source.text, report.findings)
    return count


def want_colour(flag: bool | None, is_tty: bool, env: Mapping[str, str]) -> bool:
    """--color/--no-color win; otherwise colour on a terminal unless NO_COLOR is set."""
    if flag is not None:
        return flag
    return is_tty and not env.get("NO_COLOR")


def _list(rules: Sequence[Rule]) -> str:
    return list_rules(rules)


#: ``prototxt-lint NAME ...`` runs another command; each lives in its own module, imported
#: only when used so that plain linting starts fast. (To lint a directory with one of these
#: names, write ``./lsp``.)
SUBCOMMANDS = {
    "lsp": ("prototxt_lint.lsp.server", "lsp_command"),
    "shapes": ("prototxt_lint.shapes_command", "shapes_command"),
    "lr-schedule": ("prototxt_lint.lr_schedule_command", "lr_schedule_command"),
}
#: the optional extra that provides a subcommand's third-party dependencies
EXTRAS = {"lsp": "lsp", "shapes": "", "lr-schedule": "plot"}


def _subcommand(name: str) -> click.Command:
    import importlib

    module_name, attr = SUBCOMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing.startswith("prototxt_lint") or not EXTRAS[name]:
            raise
        raise SetupError(
            f"`prototxt-lint {name}` needs the package {missing!r}:"
            f" pip install 'prototxt-lint[{EXTRAS[name]}]'"
        ) from None
    command: click.Command = getattr(module, attr)
    return command


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: ``prototxt-lint [OPTIONS] PATH...`` or a subcommand."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS:
            try:
                command = _subcommand(args[0])
            except SetupError as exc:
                exc.show()
                sys.exit(exc.exit_code)
            command.main(args=args[1:], prog_name=f"prototxt-lint {args[0]}")
            return
        lint_command.main(args=args, prog_name="prototxt-lint")
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
