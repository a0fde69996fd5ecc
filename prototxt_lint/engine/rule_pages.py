"""Where a rule's documentation page is: ``docs/rules/<CODE>.md`` of the linter's own source.

``scripts/gen_rule_table.py`` writes one page per built-in rule from its docstring. SARIF's
``helpUri`` and the language server's ``codeDescription`` link to it, but only where the link
can be true: the source folder the linter was installed (or is run) from, when it has the
pages (a ``file:`` URI), or a GitHub/GitLab repository at the commit pip installed (PEP 610's
``direct_url.json``). This project has no hosted documentation, so nothing is guessed; a
third-party rule has no page here and gets no link.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

#: the pages' folder, relative to the root of the source tree
PAGES = "docs/rules"
#: ``git+https://github.com/org/repo.git`` and the like: (host, owner/repo)
_FORGE = re.compile(r"^(?:git\+)?https://(github\.com|gitlab\.com)/([^/]+/[^/]+?)(?:\.git)?/?$")
_SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent


def page_path(root: Path, code: str) -> Path:
    """The page of ``code`` in a source tree at ``root``."""
    return root / PAGES / f"{code}.md"


def base_from_direct_url(data: dict[str, Any]) -> str | None:
    """The URI of the pages' folder for an install described by ``direct_url.json``."""
    url = str(data.get("url", ""))
    if url.startswith("file:"):
        folder = Path(url2pathname(unquote(urlparse(url).path))) / PAGES
        return folder.as_uri() if folder.is_dir() else None
    commit = (data.get("vcs_info") or {}).get("commit_id")
    match = _FORGE.match(url)
    if not commit or match is None:
        return None
    host, repo = match.groups()
    blob = "blob" if host == "github.com" else "-/blob"
    return f"https://{host}/{repo}/{blob}/{commit}/{PAGES}"


@functools.cache
def pages_base() -> str | None:
    """The URI of the installed source's pages folder, None when it is not known."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        raw = distribution("prototxt-lint").read_text("direct_url.json")
    except PackageNotFoundError:
        raw = None
    if raw:
        try:
            base = base_from_direct_url(json.loads(raw))
        except (ValueError, AttributeError):  # a broken record: no link rather than a crash
            base = None
        if base is not None:
            return base
    local = _SOURCE_ROOT / PAGES  # run from a source tree without an install record
    return local.as_uri() if local.is_dir() else None


@functools.cache
def documented_codes() -> frozenset[str]:
    """The codes that have a page: the engine's and the built-in rules'."""
    from prototxt_lint.engine.codes import CORE_RULES
    from prototxt_lint.rules import BUILTIN

    return frozenset(rule.code for rule in (*CORE_RULES, *BUILTIN))


def page_uri(code: str) -> str | None:
    """The URI of ``code``'s page, or None (a third-party rule, or no known source)."""
    base = pages_base()
    if base is None or code not in documented_codes():
        return None
    return f"{base}/{code}.md"


def readme_uri() -> str | None:
    """The README beside the pages (SARIF's ``informationUri``), or None."""
    base = pages_base()
    return base[: -len(PAGES)] + "README.md" if base is not None else None
