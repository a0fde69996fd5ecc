"""Every rule's docs say which consequence class it is in (issue 10).

The severity policy: error = Caffe aborts (at load, at set-up, or at the first
forward/backward/update), the run produces NaN, or it certainly trains nothing; warning = very
likely wrong, under an assumption the docs state; info = a reminder. Each rule's docs carry a
``## Consequence`` section, right after "## Why is this bad?" (or after "## What it does" where
a rule has no "Why" section), whose first line starts with one class label and a period. The
label must agree with the rule's declared severity.
"""

from __future__ import annotations

import re

import pytest

from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Severity
from prototxt_lint.plugin import Rule

#: The class labels, and the severity each belongs to.
LABELS: dict[str, Severity] = {
    "Aborts at load": Severity.ERROR,
    "Aborts at set-up": Severity.ERROR,
    "Aborts at run time": Severity.ERROR,
    "NaN": Severity.ERROR,
    "Trains nothing": Severity.ERROR,
    "Likely wrong": Severity.WARNING,
    "Reminder": Severity.INFO,
}
SECTION = "Consequence"
_HEADING = re.compile(r"^## (.+?)\s*$", re.M)

RULES = load_rules()


def sections(docs: str) -> list[tuple[str, str]]:
    """The ``## `` sections of a rule's docs, in order: (heading, body)."""
    heads = list(_HEADING.finditer(docs))
    return [(m.group(1), docs[m.end():heads[i + 1].start() if i + 1 < len(heads) else None]
             .strip()) for i, m in enumerate(heads)]


def consequence_problems(rule: Rule) -> list[str]:
    """What is wrong with the rule's Consequence section (empty when it is right)."""
    found = sections(rule.docs)
    names = [name for name, _ in found]
    if names.count(SECTION) != 1:
        return [f"{names.count(SECTION)} '## {SECTION}' sections (want exactly one): {names}"]
    problems = []
    index = names.index(SECTION)
    after = "Why is this bad?" if "Why is this bad?" in names else "What it does"
    if index == 0 or names[index - 1] != after:
        problems.append(f"'## {SECTION}' should come right after '## {after}': {names}")
    body = found[index][1]
    first_line = body.splitlines()[0] if body else ""
    label = next((lab for lab in LABELS if re.match(rf"{re.escape(lab)}\. \S", first_line)),
                 None)
    if label is None:
        problems.append(f"the section must start with one of {list(LABELS)} and a period,"
                        f" then a sentence: {first_line!r}")
    elif LABELS[label] is not rule.severity:
        problems.append(f"label {label!r} is a {LABELS[label].label} class, but the rule's"
                        f" severity is {rule.severity.label}")
    elif label == "Likely wrong" and not re.search(r"\b(if|unless)\b", body, re.I):
        problems.append("a warning's consequence must state its assumption ('if ...')")
    if "Consequence class" in rule.docs:
        problems.append("an old 'Consequence class: ...' sentence is left in the docs")
    return problems


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_docs_have_a_consequence_section(rule: Rule) -> None:
    assert consequence_problems(rule) == [], rule.code


def test_every_label_is_used_and_every_rule_is_checked() -> None:
    """The parametrized test saw the engine's codes and the built-in rules alike."""
    codes = {rule.code for rule in RULES}
    assert {"P001", "X001", "N201", "S101"} <= codes
    used = set()
    for rule in RULES:
        body = dict(sections(rule.docs)).get(SECTION, "")
        used.update(lab for lab in LABELS if body.startswith(f"{lab}."))
    assert used == set(LABELS)


def _rule(severity: Severity, docs: str) -> Rule:
    return Rule("Z999", "made-up", severity, "A made-up rule.", docs, "net")


WHY = "## What it does\nFlags x.\n\n## Why is this bad?\nCaffe aborts.\n\n"


@pytest.mark.parametrize(
    ("severity", "docs", "complaint"),
    [
        (Severity.ERROR, WHY + "## Fix\nDo y.", "0 '## Consequence' sections"),
        (Severity.ERROR, WHY + "## Consequence\nFatal. It dies.\n\n## Fix\nDo y.",
         "must start with one of"),
        (Severity.ERROR, WHY + "## Consequence\nAborts at set-up\n\n## Fix\nDo y.",
         "must start with one of"),
        (Severity.WARNING, WHY + "## Consequence\nAborts at set-up. A CHECK fails.",
         "severity is warning"),
        (Severity.ERROR, WHY + "## Consequence\nReminder. Nothing happens.",
         "severity is error"),
        (Severity.WARNING, WHY + "## Consequence\nLikely wrong. It trains badly.",
         "state its assumption"),
        (Severity.ERROR, "## What it does\nFlags x.\n\n## Consequence\nNaN. It is NaN.\n\n"
         "## Why is this bad?\nNaN.", "right after '## Why is this bad?'"),
        (Severity.INFO, WHY + "Consequence class: a reminder.\n\n## Consequence\nReminder. Ok.",
         "old 'Consequence class"),
    ],
)
def test_the_check_catches_a_bad_section(severity: Severity, docs: str, complaint: str) -> None:
    problems = consequence_problems(_rule(severity, docs))
    assert any(complaint in p for p in problems), problems


def test_the_check_accepts_a_good_section() -> None:
    docs = WHY + "## Consequence\nLikely wrong. If the net trains from scratch, it breaks.\n"
    assert consequence_problems(_rule(Severity.WARNING, docs)) == []
