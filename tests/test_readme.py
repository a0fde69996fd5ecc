"""The README stays true: its rule table matches the rules' metadata."""

from __future__ import annotations

import subprocess
import sys

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
