"""Checking rule selectors (``--select``/``--ignore``, config ``select``/``ignore``): a typo
must stop the run (exit 2) instead of silently running no rule and reporting "No problems"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from prototxt_lint.plugin import Rule


def unknown_selector(value: str, rules: Sequence[Rule]) -> str | None:
    """None when ``value`` names a rule (code, name, ``ALL``, or a code prefix that matches
    at least one rule); otherwise the message saying so, with a did-you-mean."""
    if value == "ALL" or any(r.code.startswith(value) or r.name == value for r in rules):
        return None
    close = closest(value, [r.code for r in rules] + [r.name for r in rules])
    hint = f"; did you mean {close!r}?" if close else "; see --list-rules"
    return f"unknown rule code, prefix or name {value!r}{hint}"


def closest(value: str, words: Sequence[str]) -> str | None:
    """The most similar word (difflib), ties going to the longest common start: ``S1O1``
    means ``S101`` rather than ``S211``."""
    best, best_score = None, 0.6
    for word in words:
        for probe in dict.fromkeys((value, value.upper()) if word[:1].isupper() else (value,)):
            ratio = difflib.SequenceMatcher(None, probe, word).ratio()
            start = next((n for n, (a, b) in enumerate(zip(probe, word, strict=False))
                          if a != b),
                         min(len(probe), len(word)))
            score = ratio + 0.001 * start
            if score > best_score:
                best, best_score = word, score
    return best


def check_selectors(values: Iterable[str], rules: Sequence[Rule], where: str) -> None:
    """Raise ValueError (``where: message``) for the first selector that names no rule."""
    for value in values:
        problem = unknown_selector(value, rules)
        if problem:
            raise ValueError(f"{where}: {problem}")
