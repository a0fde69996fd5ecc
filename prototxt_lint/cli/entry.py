"""The ``prototxt-lint`` console script.

The plain ``prototxt-lint PATH...`` (what pre-commit and editors run, once per save) is linted
without importing click, a third of the start-up time; everything else (options, --help,
subcommands) goes through the click command in :mod:`prototxt_lint.cli.command`. Before either, a
plain lint of files that have not changed since a stored run is answered from the run cache
(:mod:`prototxt_lint.cli.run_cache`) without importing the engine at all.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    from prototxt_lint.cli import run_cache

    replayed = run_cache.answer(args)
    if replayed is not None:
        sys.exit(replayed)
    from prototxt_lint.cli.run import (
        EXIT_ERROR,
        SUBCOMMANDS,
        SetupProblem,
        fast_request,
        output_failed,
        run_lint,
    )

    request = None if args and args[0] in SUBCOMMANDS else fast_request(args)
    if request is None:
        from prototxt_lint.cli.command import click_main

        click_main(args)
        return
    from prototxt_lint.engine.registry import RuleLoadError, load_rules

    recorder = run_cache.Recorder(args)
    rules = []
    recorder.start()
    try:
        rules = load_rules()
        code = run_lint(request, rules)
    except (RuleLoadError, SetupProblem) as exc:
        if sys.stderr is not None:
            sys.stderr.write(f"Error: {exc}\n")
        code = EXIT_ERROR
    except KeyboardInterrupt:
        code = 130
    except OSError as exc:  # writing to stdout or stderr failed outside the report
        code = output_failed(exc)
    finally:
        recorder.stop()
    recorder.store(code, rules)
    sys.exit(code)
