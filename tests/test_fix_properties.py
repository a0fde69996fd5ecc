"""Property-based checks of the rules' fixes: for generated nets and solvers with a fixable
finding (N211's deletion, S211's replacement), written with every separator, comment and
line break the text format allows around the field, the fixed text parses, differs from the
original only by the field's own tokens (and its `;` or `,`), keeps every comment, and a
second fix finds nothing to do."""

from __future__ import annotations

from itertools import pairwise

from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prototxt_lint.engine.fixes import apply_edits
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Finding
from prototxt_lint.syntax.tokenizer import EOF, tokenize

RULES = load_rules()
BN = (FIXTURES / "batchnorm" / "bad_global_stats_train.prototxt").read_text()
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

_comment_text = st.text(alphabet=' #;,:{}"\'abcé\u2028\\', max_size=8)


@st.composite
def gap(draw: st.DrawFn, needed: bool = False) -> str:
    """What may stand between two tokens: blanks, line breaks (LF or CRLF) and comments."""
    parts = draw(st.lists(st.one_of(
        st.sampled_from([" ", "  ", "\t", "\n", "\n    ", "\r\n  "]),
        _comment_text.map(lambda t: f" #{t}\n  ")), min_size=1 if needed else 0, max_size=3))
    text = "".join(parts)
    return text if text or not needed else " "


@st.composite
def field(draw: st.DrawFn, name: str, value: str) -> str:
    separator = draw(st.sampled_from(["", "", ";", ","]))
    return f"{name}{draw(gap())}:{draw(gap())}{value}{draw(gap())}{separator}"


@st.composite
def batch_norm_param(draw: st.DrawFn) -> str:
    fields = [draw(field("use_global_stats", "true"))]
    if draw(st.booleans()):
        fields.append(draw(field("eps", "0.001")))
    if draw(st.booleans()):
        fields.append(draw(field("moving_average_fraction", "0.999")))
    order = draw(st.permutations(fields))
    body = "".join(f"{draw(gap(needed=True))}{f}" for f in order)
    return f"batch_norm_param {{{body}{draw(gap(needed=True))}}}"


def _lint(text: str, select: tuple[str, ...]) -> list[Finding]:
    linter = Linter(RULES, Options(select=select))
    return [f for r in linter.lint([Input("net.prototxt", text.encode())]) for f in r.findings]


def _tokens(text: str) -> list[str]:
    return [t[1] for t in tokenize(text)[0] if t[0] != EOF]


def _comments(text: str) -> list[str]:
    return sorted(c.text.rstrip("\r") for c in tokenize(text)[1])


def _without_field(tokens: list[str], name: str, width: int) -> list[str]:
    """``tokens`` without each ``name : value`` (``width`` tokens) and its separator."""
    out, i = [], 0
    while i < len(tokens):
        if tokens[i] == name and i + 1 < len(tokens) and tokens[i + 1] == ":":
            i += width
            if i < len(tokens) and tokens[i] in (";", ","):
                i += 1
            continue
        out.append(tokens[i])
        i += 1
    return out


def _check_fix(text: str, code: str, select: tuple[str, ...]) -> str:
    fixable = [f for f in _lint(text, select) if f.fix is not None]
    assert [f.code for f in fixable] == [code]
    edits = sorted(fixable[0].fix.edits, key=lambda e: (e.start, e.end))  # type: ignore[union-attr]
    for a, b in pairwise(edits):
        assert a.end <= b.start  # announced edits never overlap (none is silently dropped)
    fixed = apply_edits(text, edits)
    again = _lint(fixed, ("P", *select))
    assert [f.code for f in again if f.code.startswith("P") and f.severity.label == "error"] == []
    assert [f for f in again if f.fix is not None] == []  # a second fix is a no-op
    assert _comments(fixed) == _comments(text)  # every comment kept
    return fixed


@PROPERTY
@given(first=batch_norm_param(), second=batch_norm_param())
def test_n211_fix(first: str, second: str) -> None:
    text = BN.replace("batch_norm_param {\n    use_global_stats: true\n  }", first, 1).replace(
        "batch_norm_param { use_global_stats: true eps: 0.001 }", second, 1)
    assert text.count("use_global_stats") == 2
    fixed = _check_fix(text, "N211", ("N211",))
    # only the fields (with their separators) went: every other token is as it was
    assert _tokens(fixed) == _without_field(_tokens(text), "use_global_stats", 3)


@PROPERTY
@given(st.data())
def test_s211_fix(data: st.DataObject) -> None:
    solver_type = data.draw(field("solver_type", "ADAM"))
    lines = ['base_lr: 0.1', 'lr_policy: "fixed"', "max_iter: 10", "momentum: 0.9",
             "momentum2: 0.999", solver_type]
    order = data.draw(st.permutations(lines))
    text = "".join(f"{line}{data.draw(gap(needed=True))}" for line in order)
    fixed = _check_fix(text, "S211", ("S211",))
    # only `solver_type: ADAM` became `type: "Adam"`; its separator and the rest stay
    tokens = _tokens(text)
    at = tokens.index("solver_type")
    assert _tokens(fixed) == [*tokens[:at], "type", ":", '"Adam"', *tokens[at + 3:]]
