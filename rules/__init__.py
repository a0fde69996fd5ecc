"""Built-in rules, one concern per module, installed as ``prototxt_lint.rules``.

The whole package is one plugin, published through the ``prototxt_lint.rules`` entry-point
group in ``pyproject.toml`` as ``prototxt_lint.rules:BUILTIN`` — the same public interface
(:mod:`prototxt_lint.plugin`) a third-party package uses. ``BUILTIN`` is every rule of every
module in this folder, found when first asked for: a new module needs no ``pyproject.toml``
edit and no re-install. Each rule's docs live in its function's docstring, beside its code.
"""

from __future__ import annotations

import importlib
import os
from typing import Any


def _modules() -> list[str]:
    """The rule modules here (a directory listing: ``pkgutil`` costs start-up time)."""
    folder = os.path.dirname(__file__)
    return sorted(name[:-3] for name in os.listdir(folder)
                  if name.endswith(".py") and not name.startswith("_"))


def __getattr__(name: str) -> Any:
    if name != "BUILTIN":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from prototxt_lint.engine.registry import rules_in

    found = []
    for module in _modules():
        found.extend(rules_in(importlib.import_module(f"{__name__}.{module}")))
    globals()["BUILTIN"] = found
    return found
