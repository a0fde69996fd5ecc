"""Rule documentation as users read it, and its examples as the test suite runs them.

A rule's ``## Example`` and ``## Use instead`` are fenced blocks short enough to read, often a
fragment of a net (one layer, one ``pooling_param``). So that each can still be linted, a
block may carry *setup lines*, starting with ``~ ``: the rest of the file the fragment needs
(an input with its shape, the layer around a parameter block, a solver's other fields). Users
never see them (``--explain``, hover, SARIF); ``tests/test_rule_docs.py`` lints each Example
with them and expects the rule to fire, and each Use instead and expects it not to.

A ``Use instead`` block without setup lines of its own borrows the Example's setup lines that
come before the Example's first shown line and after its last one. ``...`` stands for text
left out; it is dropped before linting.
"""

from __future__ import annotations

import re

SETUP = "~ "
_SECTION_RE = re.compile(r"^## (.+)$", re.M)
_FENCE_RE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)


def visible(docs: str) -> str:
    """The documentation without the setup lines (what ``--explain`` prints)."""
    if SETUP not in docs:
        return docs
    return "\n".join(line for line in docs.split("\n") if not _is_setup(line))


def _is_setup(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(SETUP) or stripped == SETUP.strip()


def section_blocks(docs: str, section: str) -> list[str]:
    """The fenced code blocks of one ``## section`` (setup lines included)."""
    heads = list(_SECTION_RE.finditer(docs))
    for i, head in enumerate(heads):
        if head.group(1).strip() == section:
            end = heads[i + 1].start() if i + 1 < len(heads) else len(docs)
            return _FENCE_RE.findall(docs, head.end(), end)
    return []


def runnable(block: str, borrowed: tuple[list[str], list[str]] = ([], [])) -> str:
    """The block as a file to lint: setup lines uncovered, ``...`` dropped. ``borrowed`` is
    (prefix, suffix) setup from the Example, used when the block has no setup of its own."""
    lines = block.split("\n")
    if not any(_is_setup(line) for line in lines):
        lines = borrowed[0] + lines + borrowed[1]
    text = "\n".join(_uncover(line) for line in lines)
    return text.replace("...", "")


def outer_setup(block: str) -> tuple[list[str], list[str]]:
    """The setup lines before the first shown line and after the last one."""
    lines = [line for line in block.split("\n") if line.strip()]
    shown = [i for i, line in enumerate(lines) if not _is_setup(line)]
    if not shown:
        return lines, []
    return lines[: shown[0]], lines[shown[-1] + 1:]


def _uncover(line: str) -> str:
    if not _is_setup(line):
        return line
    indent = len(line) - len(line.lstrip())
    return line[:indent] + line.lstrip()[len(SETUP):]
