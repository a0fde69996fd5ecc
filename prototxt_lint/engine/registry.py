"""Finding the rules: the engine's own codes plus every rule published under the entry-point
group ``prototxt_lint.rules`` (the built-in rules are published there too)."""

from __future__ import annotations

import importlib
import os
import re
import sys
import types
from collections.abc import Iterable, Iterator
from typing import Any

from prototxt_lint.engine.codes import CORE_RULES
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


_DIST_DIR = re.compile(r"^([A-Za-z0-9_.]+?)(?:-[^-]*)?\.(?:dist|egg)-info$")


def entry_points(group: str = ENTRY_POINT_GROUP) -> Iterator[tuple[str, str]]:
    """``(name, value)`` of each entry point in ``group``, read from the installed
    distributions' ``entry_points.txt`` along ``sys.path`` (the first distribution of a name
    wins, as in importlib.metadata). Reading one group this way skips importing
    importlib.metadata (and email, csv, zipfile), a large share of the start-up time."""
    seen: set[str] = set()
    header = f"[{group}]"
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            # most names are modules and packages: a suffix test is far cheaper than the regex
            if not name.endswith("-info"):
                continue
            match = _DIST_DIR.match(name)
            if not match:
                continue
            dist = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            if dist in seen:
                continue
            seen.add(dist)
            try:
                with open(os.path.join(folder or ".", name, "entry_points.txt"), "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            if header.encode() not in data:
                continue
            in_group = False
            for raw in data.decode("utf-8").splitlines():
                line = raw.strip()
                if line.startswith("["):
                    in_group = line == header
                elif in_group and "=" in line and not line.startswith(("#", ";")):
                    key, value = line.split("=", 1)
                    yield key.strip(), value.strip()


def load_entry_point(value: str) -> Any:
    """``module`` or ``module:attr.attr`` (extras in brackets are ignored)."""
    value = value.split("[", 1)[0].strip()
    module_name, _, attrs = value.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


def load_rules(extra: Iterable[Rule] = ()) -> list[Rule]:
    """All rules, sorted by code. Two rules may not share a code."""
    rules: dict[str, Rule] = {rule.code: rule for rule in CORE_RULES}
    found: list[Rule] = list(extra)
    for name, value in entry_points():
        try:
            found.extend(rules_in(load_entry_point(value)))
        except Exception as exc:  # a broken plugin must not take the linter down
            raise RuleLoadError(f"cannot load rule plugin {name!r} ({value}): {exc}") from exc
    for rule in found:
        other = rules.get(rule.code)
        if other is not None and other is not rule:
            raise RuleLoadError(f"two rules use code {rule.code}: {other.name} and {rule.name}")
        rules[rule.code] = rule
    return sorted(rules.values(), key=lambda r: r.code)
