"""Write the README's tables and the rule pages from the code's own metadata (``--check``:
only compare).

Each built-in rule has a page ``docs/rules/<CODE>.md`` (its documentation, as ``--explain``
prints it), which SARIF and the language server link to (``prototxt_lint.engine.rule_pages``). The
rule table lives between ``<!-- rules:start -->`` and ``<!-- rules:end -->`` in
README.md, the table of Caffe forks (``prototxt_lint.dialects``) between
``<!-- dialects:start -->`` and ``<!-- dialects:end -->``; a test and CI fail when either is
out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prototxt_lint.engine.registry import load_rules
from prototxt_lint.engine.rule_pages import documented_codes, page_path
from prototxt_lint.plugin import Rule

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"
DIALECT_START, DIALECT_END = "<!-- dialects:start -->", "<!-- dialects:end -->"


def table() -> str:
    rows = ["| Code | Name | Severity | What it catches |", "| --- | --- | --- | --- |"]
    for rule in load_rules():
        summary = rule.summary.replace("|", "\\|")
        code = f"[`{rule.code}`](docs/rules/{rule.code}.md)"
        rows.append(f"| {code} | `{rule.name}` | {rule.severity.label} | {summary} |")
    return "\n".join(rows)


def _home(rule: Rule) -> str:
    """The source file that defines ``rule``, relative to the repository."""
    module = rule.check.__module__ if rule.check is not None else "prototxt_lint.engine.codes"
    if module.startswith("prototxt_lint.rules."):
        return f"rules/{module.rsplit('.', 1)[1]}.py"
    return module.replace(".", "/") + ".py"


def page(rule: Rule) -> str:
    """The page of one rule: what ``--explain CODE`` prints, with a heading and its home."""
    return (f"# {rule.code} `{rule.name}`\n\n"
            f"**{rule.severity.label.capitalize()}** (default severity). {rule.summary}\n\n"
            f"Defined in [`{_home(rule)}`](../../{_home(rule)}); written from that docstring by "
            f"`scripts/gen_rule_table.py`, do not edit.\n\n"
            f"{rule.docs.strip()}\n")


def pages() -> dict[Path, str]:
    """Every rule page, by path."""
    codes = documented_codes()
    return {page_path(ROOT, r.code): page(r) for r in load_rules() if r.code in codes}


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def dialect_table() -> str:
    from prototxt_lint.dialects import DIALECTS
    from prototxt_lint.dialects.detect import TYPE, markers

    rows = ["| `--dialect` | Fork | Schema from | What its schema adds to BVLC's |",
            "| --- | --- | --- | --- |"]
    for dialect in DIALECTS:
        mark = markers(dialect.name)
        fields = sorted(f for m, f in mark.adds if "." not in m[len("caffe."):]
                        and not f.endswith("[]") and m != TYPE)
        layer_params = [f for m, f in sorted(mark.adds)
                        if m == "caffe.LayerParameter" and f.endswith("_param")]
        values = [v for m, v in mark.adds if m.count(".") == 2]
        named = layer_params[:4] or fields[:4]
        more = len(fields) - len(named)
        parts = []
        if named:
            parts.append(", ".join(f"`{f}`" for f in named)
                         + (f" and {_count(more, 'more field')}" if more > 0 else ""))
        if values:
            parts.append(_count(len(values), "enum value"))
        if mark.lacks:
            parts.append(f"lacks {_count(len(mark.lacks), 'BVLC field')}")
        what = "; ".join(parts)
        rows.append(f"| `{dialect.name}` | {dialect.title} | {dialect.repo} | {what} |")
    return "\n".join(rows)


def _between(text: str, start: str, end: str, body: str) -> str:
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def render(text: str) -> str:
    text = _between(text, START, END, table())
    return _between(text, DIALECT_START, DIALECT_END, dialect_table())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    wanted_pages = pages()
    folder = ROOT / "docs" / "rules"
    existing = set(folder.glob("*.md")) if folder.is_dir() else set()
    if args.check:
        stale = [p for p, text in wanted_pages.items()
                 if not p.is_file() or p.read_text(encoding="utf-8") != text]
        stale += sorted(existing - set(wanted_pages))
        if current != wanted or stale:
            what = ", ".join(str(p.relative_to(ROOT)) for p in stale[:5])
            print("README.md's rule or dialect table or the rule pages are out of date"
                  + (f" ({what})" if what else "") + ": run `make rule-table`", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    for path in existing - set(wanted_pages):
        path.unlink()
    for path, text in wanted_pages.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
