"""Rule pages (``docs/rules/CODE.md``) and the links to them: SARIF ``helpUri`` and the LSP's
``codeDescription`` point at a page only where the address is true."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

from prototxt_lint.engine.registry import load_rules
from prototxt_lint.engine.rule_pages import base_from_direct_url, documented_codes, page_uri

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_every_built_in_rule_has_a_current_page() -> None:
    # the pages are written from the docstrings; a stale or missing one fails here and in CI
    done = subprocess.run([sys.executable, "scripts/gen_rule_table.py", "--check"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    codes = {r.code for r in load_rules()}
    assert documented_codes() <= codes
    assert {p.stem for p in (REPO / "docs" / "rules").glob("*.md")} == set(documented_codes())
    page = (REPO / "docs" / "rules" / "N201.md").read_text(encoding="utf-8")
    assert page.startswith("# N201 `pooling-stride-exceeds-kernel`\n\n**Error** (default")
    assert "Defined in [`rules/pooling.py`](../../rules/pooling.py)" in page
    assert "## Why is this bad?" in page


def test_an_editable_install_links_to_its_own_pages() -> None:
    uri = page_uri("S101")
    assert uri == (REPO / "docs" / "rules" / "S101.md").as_uri()
    assert page_uri("Z999") is None  # not ours (a plugin's code): no page, no link


def test_a_git_install_links_to_the_commit_it_was_installed_from() -> None:
    github = {"url": "https://github.com/someone/prototxt-lint.git",
              "vcs_info": {"vcs": "git", "commit_id": COMMIT}}
    assert base_from_direct_url(github) == \
        f"https://github.com/someone/prototxt-lint/blob/{COMMIT}/docs/rules"
    gitlab = {"url": "git+https://gitlab.com/group/prototxt-lint",
              "vcs_info": {"vcs": "git", "commit_id": COMMIT}}
    assert base_from_direct_url(gitlab) == \
        f"https://gitlab.com/group/prototxt-lint/-/blob/{COMMIT}/docs/rules"


def test_no_link_is_guessed(tmp_path: Path) -> None:
    # another host, no commit, a wheel from an index, a local folder without the pages
    assert base_from_direct_url({"url": "https://example.org/x.git",
                                 "vcs_info": {"commit_id": COMMIT}}) is None
    assert base_from_direct_url({"url": "https://github.com/a/b.git", "vcs_info": {}}) is None
    assert base_from_direct_url({"url": "https://files.example/x.whl",
                                 "archive_info": {}}) is None
    assert base_from_direct_url({"url": tmp_path.as_uri(), "dir_info": {}}) is None
    (tmp_path / "docs" / "rules").mkdir(parents=True)
    assert base_from_direct_url({"url": tmp_path.as_uri(), "dir_info": {}}) == \
        (tmp_path / "docs" / "rules").as_uri()
