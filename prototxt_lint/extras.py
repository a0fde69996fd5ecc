"""How to install what an optional feature needs, said in the linter's messages.

prototxt-lint is installed from a clone or a git URL, not from PyPI, so a hint that installs
the extra by the project's name would fetch nothing (or another project's package). The hints
name the packages themselves, and the extra for a reinstall from the clone.
"""

from __future__ import annotations

#: The packages of each optional extra, as pyproject.toml declares them (a test compares).
EXTRAS = {"plot": "matplotlib>=3.5", "proto": "grpcio-tools>=1.48"}

#: Plain dependencies that a subcommand imports only when it runs: missing only after an
#: install with ``--no-deps`` (pygls is the language server's).
LAZY_DEPENDENCIES = {"lsp": "pygls>=2.0,<3"}


def install_hint(feature: str) -> str:
    """One line: how to install what ``feature`` (an extra, or ``lsp``) needs."""
    if feature in LAZY_DEPENDENCIES:
        return (f"pip install '{LAZY_DEPENDENCIES[feature]}' into prototxt-lint's environment"
                " (it is a dependency: a reinstall without --no-deps brings it)")
    return (f"pip install '{EXTRAS[feature]}' into prototxt-lint's environment"
            f" (or, from a clone: pip install '.[{feature}]')")
