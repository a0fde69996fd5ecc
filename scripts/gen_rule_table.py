"""Write the README's rule table from the rules' own metadata (``--check``: only compare).

The table lives between ``<!-- rules:start -->`` and ``<!-- rules:end -->`` in README.md;
a test and CI fail when it is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prototxt_lint.registry import load_rules

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def table() -> str:
    rows = ["| Code | Name | Severity | What it catches |", "| --- | --- | --- | --- |"]
    for rule in load_rules():
        summary = rule.summary.replace("|", "\\|")
        rows.append(f"| `{rule.code}` | `{rule.name}` | {rule.severity.label} | {summary} |")
    return "\n".join(rows)


def render(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if current != wanted:
            print("README.md rule table is out of date: run `make rule-table`", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
