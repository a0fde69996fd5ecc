"""The ``prototxt-lint`` command.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage error or unreadable input.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from prototxt_lint.cli.run import (
    EXIT_ERROR,
    EXTENSIONS,
    SUBCOMMANDS,
    LintRequest,
    SetupProblem,
    iter_files,
    output_failed,
    run_lint,
    want_colour,
)
from prototxt_lint.cli.run import split_codes as _split
from prototxt_lint.dialects import dialect_choices
from prototxt_lint.engine.config import max_file_size_problem
from prototxt_lint.engine.registry import RuleLoadError, load_rules
from prototxt_lint.plugin import Rule
from prototxt_lint.reporters import REPORTERS

__all__ = ["EXTENSIONS", "iter_files", "lint_command", "main", "want_colour"]


class SetupError(click.ClickException):
    """Bad configuration, schema or plugin: nothing was linted (exit code 2)."""

    exit_code = EXIT_ERROR


def explain(rule: Rule) -> str:
    return f"{rule.code} {rule.name} ({rule.severity.label})\n{rule.summary}\n\n{rule.docs}\n"


def format_rule_list(rules: Sequence[Rule]) -> str:
    width = max(len(r.name) for r in rules)
    return "\n".join(
        f"{r.code}  {r.name:<{width}}  {r.severity.label:<7}  {r.summary}" for r in rules
    )


def _check_max_file_size(value: float | None) -> float | None:
    problem = None if value is None else max_file_size_problem(value)
    if problem is not None:
        raise click.BadParameter(problem)
    return value


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
@click.option(
    "--output-format",
    "--format",
    "fmt",
    type=click.Choice(list(REPORTERS)),
    default=None,
    help="Output format [default: text; github under GitHub Actions]. --format is an alias.",
)
@click.option(
    "-o",
    "--output-file",
    default=None,
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="Write the report to PATH (atomically) instead of standard output.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Count the findings per code instead.")
@click.option("-q", "--quiet", is_flag=True,
              help="Only the findings: no summary line, no 'No problems found'.")
@click.option("--show-fixes", is_flag=True,
              help="List the fixes --fix applied (or, without --fix, would apply).")
@click.option(
    "--diff",
    is_flag=True,
    help="Print what --fix would change as a unified diff, writing nothing;"
    " exit 1 when there is something to change.",
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
    callback=lambda _ctx, _param, value: _check_max_file_size(value),
    help="Refuse files larger than this many MiB (1,048,576 bytes) [default: 16].",
)
@click.option(
    "--proto",
    default=None,
    metavar="CAFFE_PROTO",
    type=click.Path(dir_okay=False),
    help="Lint with this caffe.proto (a fork's schema) instead of BVLC Caffe's."
    " Needs a protobuf compiler: grpcio-tools (the extra 'proto') or protoc on PATH.",
)
@click.option(
    "--dialect",
    default=None,
    metavar="NAME",
    type=click.Choice(dialect_choices()),
    help="The Caffe fork the files are written for [default: auto, detected per file from"
    " the fields it uses]; bvlc turns detection off. --proto wins over it.",
)
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the rules' safe fixes to the files (atomically), then report what is left.",
)
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="With --fix, also apply fixes that change how the net computes or trains.",
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
    "--config",
    "config_path",
    default=None,
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="Use this configuration file (pyproject.toml or .prototxt-lint.toml) for every file,"
    " instead of the nearest one.",
)
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip files git ignores when walking folders [default: respect, or the config's"
    " respect-gitignore].",
)
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply exclude, extend-exclude and .gitignore to files named on the command line"
    " too (the pre-commit hook passes it).",
)
@click.option(
    "--show-settings",
    is_flag=True,
    help="Print the resolved configuration for the first PATH and exit.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the output [default: on a terminal, unless NO_COLOR is set].",
)
@click.version_option(package_name="prototxt-lint")
def lint_command(
    paths: tuple[str, ...],
    fmt: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    stdin_filename: str | None,
    max_file_size: float | None,
    proto: str | None,
    dialect: str | None,
    jobs: int,
    fix: bool,
    unsafe_fixes: bool,
    explain_code: str | None,
    list_rules: bool,
    color: bool | None,
    output_file: str | None,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    show_fixes: bool,
    diff: bool,
    config_path: str | None,
    respect_gitignore: bool | None,
    force_exclude: bool,
    show_settings: bool,
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
        click.echo(format_rule_list(rules))
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
    request = LintRequest(
        paths=list(paths),
        fmt=fmt,
        select=_split(select),
        ignore=_split(ignore),
        fail_on=fail_on,
        stdin_filename=stdin_filename,
        max_file_size=max_file_size,
        proto=proto,
        dialect=dialect,
        jobs=jobs,
        fix=fix,
        unsafe_fixes=unsafe_fixes,
        color=color,
        output_file=output_file,
        exit_zero=exit_zero,
        statistics=statistics,
        quiet=quiet,
        show_fixes=show_fixes,
        diff=diff,
        config_path=config_path,
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude,
        show_settings=show_settings,
    )
    try:
        code = run_lint(request, rules)
    except SetupProblem as exc:
        raise SetupError(str(exc)) from None
    sys.exit(code)


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
        from prototxt_lint.extras import install_hint

        raise SetupError(
            f"`prototxt-lint {name}` needs the package {missing!r}: {install_hint(EXTRAS[name])}"
        ) from None
    command: click.Command = getattr(module, attr)
    return command


def click_main(args: list[str]) -> None:
    """Everything but the plain ``prototxt-lint PATH...``: subcommands, options, --help."""
    try:
        if args and args[0] in SUBCOMMANDS:
            try:
                command = _subcommand(args[0])
            except SetupError as exc:
                exc.show()
                sys.exit(exc.exit_code)
            _run_click(command, args[1:], f"prototxt-lint {args[0]}")
            return
        _run_click(lint_command, args, "prototxt-lint")
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:  # stdout closed, full or a broken pipe: exit 2 on every path
        sys.exit(output_failed(exc))


def _run_click(command: click.Command, args: list[str], prog_name: str) -> None:
    """What ``command.main`` does, without its handling of a broken pipe, which exits with
    code 1 (what CI reads as "findings") even outside standalone mode: the OSError reaches
    :func:`click_main`, which exits 2 as the fast path does."""
    try:
        with command.make_context(prog_name, args) as ctx:
            command.invoke(ctx)
    except click.exceptions.Exit as exc:  # --help, ctx.exit()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(0)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (see :mod:`prototxt_lint.cli.entry`)."""
    from prototxt_lint.cli.entry import main as entry_main

    entry_main(argv)


if __name__ == "__main__":
    main()
