"""``prototxt-lint lsp``: the language server over stdio.

pygls is a plain dependency (the extra ``lsp`` is kept, empty, for old install commands); it
is imported only when the server starts, so the rest of the CLI never pays for it.
"""

from __future__ import annotations

import gc
import logging

import click


@click.command(
    "lsp",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--stdio",
    is_flag=True,
    help="Talk LSP over stdin/stdout. This is the default and only transport; the flag is"
    " accepted because many editors pass it.",
)
@click.option(
    "--debounce-ms",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="While a lint runs, edits are collected; the next lint starts this long after it"
    " finishes. An isolated edit is linted at once.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the server's debug log here (errors are also sent to the editor's LSP log).",
)
def lsp_command(stdio: bool, debounce_ms: int, log_file: str | None) -> None:
    """Run the prototxt-lint language server (LSP) on stdin/stdout.

    Editors start it themselves: it publishes the linter's findings as diagnostics while
    you type, shows a rule's documentation, a layer's type and phases, or a blob's producers
    and consumers on hover, and offers quick fixes (the rule's own fix, and "Disable CODE
    for this line"). Configuration comes from the nearest pyproject.toml or
    .prototxt-lint.toml, as for the command line, and is reloaded when it changes.
    """
    try:
        from prototxt_lint.lsp.language_server import create_server
    except ImportError as exc:
        from prototxt_lint.extras import install_hint

        raise click.ClickException(
            f"the language server needs pygls ({exc}): {install_hint('lsp')}"
        ) from None
    if log_file:
        logging.basicConfig(
            filename=log_file,
            level=logging.DEBUG,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    server = create_server(debounce=debounce_ms / 1000)
    # Everything loaded so far (rules, schema, pygls) lives as long as the server: keep it
    # out of the garbage collector's full passes, which otherwise lengthen the slowest lints.
    gc.freeze()
    server.start_io()


__all__ = ["lsp_command"]
