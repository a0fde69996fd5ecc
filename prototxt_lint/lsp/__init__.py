"""The language server (``prototxt-lint lsp``): the linter's findings, hover and quick fixes
in any editor with an LSP client.

:mod:`prototxt_lint.lsp.server` holds the click command and imports pygls only when the
server starts, so no other command pays for importing it (pygls is a plain dependency). The
pure pieces (positions, diagnostics, hover text, code-action edits) do not need pygls at all
beyond lsprotocol's types.
"""
