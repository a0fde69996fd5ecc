"""Finding the rules: the engine's own codes plus every rule published under the entry-point
group ``prototxt_lint.rules`` (the built-in rules are published there too)."""

from __future__ import annotations

import importlib.metadata
import types
from collections.abc import Iterable
from typing import Any

from prototxt_lint.core_rules import CORE_RULES
from prototxt_lint.plugin import ENTRY_POINT_GROUP, Rule


class RuleLoadError(Exception):
    pass


def rules_in(obj: Any) -> list[Rule]:
    """Rules from an entry point's object: a module, a rule, or an iterable of rules."""
    if isinstance(obj, Rule):
        return [obj]
    if isinstance(obj, types.ModuleType):
        return [value for value in vars(obj).values() if isinstance(value, Rule)]
    if isinstance(obj, Iterable):
        return [value for value in obj if isinstance(value, Rule)]
    return []


def load_rules(extra: Iterable[Rule] = ()) -> list[Rule]:
    """All rules, sorted by code. Two rules may not share a code."""
    rules: dict[str, Rule] = {rule.code: rule for rule in CORE_RULES}
    found: list[Rule] = list(extra)
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            found.extend(rules_in(entry.load()))
        except Exception as exc:  # a broken plugin must not take the linter down
            raise RuleLoadError(
                f"cannot load rule plugin {entry.name!r} ({entry.value}): {exc}"
            ) from exc
    for rule in found:
        other = rules.get(rule.code)
        if other is not None and other is not rule:
            raise RuleLoadError(f"two rules use code {rule.code}: {other.name} and {rule.name}")
        rules[rule.code] = rule
    return sorted(rules.values(), key=lambda r: r.code)
