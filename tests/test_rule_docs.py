"""Docs that run: every rule's ``## Example`` triggers it, and its ``## Use instead`` does not.

Fragments are completed by their setup lines (``~ ``, see prototxt_lint/engine/rule_docs.py); what
users read (``--explain``) never shows them.
"""

from __future__ import annotations

import pytest
from conftest import _RULES, FIXTURES, lint_text
from test_rule_infogain import old_caffe

from prototxt_lint.engine.rule_docs import outer_setup, runnable, section_blocks, visible
from prototxt_lint.findings import Finding
from prototxt_lint.plugin import Rule

#: Rules whose cause cannot be written as a text example, and why.
NO_TEXT_EXAMPLE = {
    "P006": "a file that cannot be read: a permission or an I/O error, not its content",
    "P007": "binary bytes in the file",
    "P008": "bytes that are not UTF-8, which a docstring cannot hold",
    "P010": "an empty file: the example would be an empty block",
    "W102": "needs the solver that trains the net (its base_lr and weights) and a binary model",
    "W106": "needs a solver naming a binary model that cannot be read",
    "W107": "needs a solver and the net file it names: a net rule on the solver's train net",
}

RULES = {rule.code: rule for rule in _RULES}

#: Rules whose examples need a lint option, and why.
OPTIONS = {
    "N242": ("a Caffe before BVLC 1.0, whose InfogainLossParameter has no `axis`",
             lambda: {"schema": old_caffe()}),
    **{code: ("the model real Caffe trained from tests/fixtures/weights/train_v2.prototxt",
              lambda: {"weights": (str(FIXTURES / "weights" / "v2.caffemodel"),)})
       for code in ("W100", "W101", "W103", "W104")},
    **{code: ("list files in tests/fixtures/data_lists/ (the data root)",
              lambda: {"data_root": str(FIXTURES / "data_lists")})
       for code in ("D100", "D101", "D102", "D103")},
    "W105": ("a model trained with BatchNorm frozen (tests/fixtures/weights/bn_zero)",
             lambda: {"weights": (str(FIXTURES / "weights" / "bn_zero.caffemodel"),)}),
}


def _file_name(rule: Rule) -> str:
    return "solver.prototxt" if rule.target == "solver" else "net.prototxt"


def _lint(text: str, rule: Rule) -> list[Finding]:
    options = OPTIONS[rule.code][1]() if rule.code in OPTIONS else {}
    return lint_text(text, name=_file_name(rule), **options)


def _codes(text: str, rule: Rule) -> set[str]:
    return {f.code for f in _lint(text, rule)}


def test_every_rule_has_an_example_or_a_reason() -> None:
    without = {code for code, rule in RULES.items() if not section_blocks(rule.source_docs,
                                                                          "Example")}
    assert without == set(NO_TEXT_EXAMPLE)


@pytest.mark.parametrize("code", sorted(set(RULES) - set(NO_TEXT_EXAMPLE)))
def test_the_example_triggers_the_rule(code: str) -> None:
    rule = RULES[code]
    for block in section_blocks(rule.source_docs, "Example"):
        assert code in _codes(runnable(block), rule), runnable(block)


@pytest.mark.parametrize("code", sorted(set(RULES) - set(NO_TEXT_EXAMPLE)))
def test_use_instead_does_not(code: str) -> None:
    rule = RULES[code]
    example = section_blocks(rule.source_docs, "Example")[0]
    for block in section_blocks(rule.source_docs, "Use instead"):
        text = runnable(block, outer_setup(example))
        found = _lint(text, rule)
        assert code not in {f.code for f in found}, text
        # the corrected file is one a user could write: no syntax or schema errors in it
        assert not [f for f in found if f.code in {"P001", "P002", "P003", "P004", "P009"}], (
            text, [(f.code, f.message) for f in found])


def test_users_never_see_the_setup_lines() -> None:
    docs = RULES["N202"].source_docs
    assert "~ " in docs
    assert "~ " not in RULES["N202"].docs
    assert RULES["N202"].docs == visible(docs)
