"""The README stays true: its rule table matches the rules' metadata."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_rule_table_in_sync() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_rule_table.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_readme_lists_every_rule_code() -> None:
    from prototxt_lint.engine.registry import load_rules

    readme = (REPO / "README.md").read_text()
    for rule in load_rules():
        assert f"| [`{rule.code}`](docs/rules/{rule.code}.md) | `{rule.name}` |" in readme


def _where_things_are() -> list[tuple[str, str]]:
    """The rows of the README's "Where things are" table: (path column, description)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("## Where things are\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`"):
            rows.append((cells[0], cells[1]))
    return rows


def _named_paths() -> set[Path]:
    """Every path the table names. A bare name (`run.py`) is in the folder of the path before
    it in the same cell; a name in the description is in the row's folder."""
    import re

    named: set[Path] = set()
    for paths, what in _where_things_are():
        folder = REPO
        for token in re.findall(r"`([^`]+)`", paths):
            if "/" in token:
                path = REPO / token.rstrip("/").split(" ")[0].replace("*.proto", "")
                folder = path if token.endswith("/") else path.parent
            else:
                path = folder / token
            named.add(path)
        if paths.count("`") == 2 and paths.strip("`").endswith("/"):
            base = REPO / paths.strip("`").rstrip("/")
            named |= {base / t for t in re.findall(r"`([\w.]+\.py)`", what)}
    return named


def test_where_things_are_matches_the_tree() -> None:
    """Issue 9: every path in the table exists, and every module of the package is named
    there (or its folder is)."""
    named = _named_paths()
    missing = sorted(str(p.relative_to(REPO)) for p in named if not p.exists())
    assert missing == [], f"the README names paths that do not exist: {missing}"
    package = REPO / "prototxt_lint"
    unnamed = []
    for item in sorted(package.iterdir()):
        if item.name.startswith("_") or item.suffix in (".typed",) or item.name == "__pycache__":
            continue
        if item.is_dir() or item.suffix == ".py":
            if item not in named:
                unnamed.append(item.name)
    assert unnamed == [], f"modules of prototxt_lint/ the README's table does not name: {unnamed}"
    for room in ("cli", "engine", "syntax", "schema"):  # the rooms list every module they hold
        modules = {p for p in (package / room).glob("*.py") if not p.name.startswith("_")}
        assert modules <= named, sorted(str(p.name) for p in modules - named)
