"""Files a lint read beyond the ones it was given (weights, data lists).

The result cache keys a group by the content of its files; a lint that read anything else
cannot be answered from the cache, so every reader notes what it opened here.
"""
from __future__ import annotations

SEEN: list[str] = []


def note(path: str) -> None:
    """Record that the running lint read `path` (a file outside the cache key)."""
    SEEN.append(path)
