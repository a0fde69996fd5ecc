"""Noticing configuration changes.

``find_config`` is cached for the CLI's sake; a long-running server must drop that cache
when a ``pyproject.toml`` or ``.prototxt-lint.toml`` is created, edited or deleted. Clients
that support it report such files through ``workspace/didChangeWatchedFiles``; for the
others (and for edits made outside the editor) a cheap fingerprint of every config file that
could apply to an open document is compared before each lint and on save.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prototxt_lint.engine.config import CONFIG_FILES, find_config

#: glob patterns for workspace/didChangeWatchedFiles
WATCH_GLOBS = tuple(f"**/{name}" for name in CONFIG_FILES)

_MISSING = (-1, -1)


def is_config_path(path: str) -> bool:
    return os.path.basename(path) in CONFIG_FILES


def candidates(directory: str) -> list[str]:
    """Every config file ``find_config(directory)`` may read, nearest first."""
    out: list[str] = []
    current = os.path.abspath(directory)
    while True:
        out.extend(os.path.join(current, name) for name in CONFIG_FILES)
        parent = os.path.dirname(current)
        if parent == current:
            return out
        current = parent


def _state(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return _MISSING
    return st.st_mtime_ns, st.st_size


class ConfigWatch:
    """Remembers the state (mtime, size, or missing) of every config file that applies to a
    linted document; :meth:`check` clears ``find_config``'s cache when one of them changed."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, int]] = {}

    def check(self, directories: Iterable[str]) -> bool:
        changed = False
        for directory in set(directories):
            for path in candidates(directory):
                state = _state(path)
                old = self._seen.get(path)
                if old is not None and old != state:
                    changed = True
                self._seen[path] = state
        if changed:
            find_config.cache_clear()
        return changed

    def invalidate(self) -> None:
        """A watched config file changed: forget everything."""
        find_config.cache_clear()
        self._seen.clear()
