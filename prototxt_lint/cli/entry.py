"""The ``prototxt-lint`` console script.

The plain ``prototxt-lint PATH...`` (what pre-commit and editors run, once per save) is linted
without importing click, a third of the start-up time; everything else (options, --help,
subcommands) goes through the click command in :mod:`prototxt_lint.cli.command`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from prototxt_lint.cli.run import (
    EXIT_ERROR,
    SUBCOMMANDS,
    SetupProblem,
    fast_request,
    output_failed,
    run_lint,
)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    request = None if args and args[0] in SUBCOMMANDS else fast_request(args)
    if request is None:
        from prototxt_lint.cli.command import click_main

        click_main(args)
        return
    from prototxt_lint.engine.registry import RuleLoadError, load_rules

    try:
        code = run_lint(request, load_rules())
    except (RuleLoadError, SetupProblem) as exc:
        if sys.stderr is not None:
            sys.stderr.write(f"Error: {exc}\n")
        code = EXIT_ERROR
    except KeyboardInterrupt:
        code = 130
    except OSError as exc:  # writing to stdout or stderr failed outside the report
        code = output_failed(exc)
    sys.exit(code)
