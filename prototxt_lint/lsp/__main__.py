"""``python -m prototxt_lint.lsp``: the same as ``prototxt-lint lsp``."""

from prototxt_lint.lsp.server import lsp_command

lsp_command(prog_name="prototxt-lint lsp")
