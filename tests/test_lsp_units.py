"""The language server's pure parts: position conversion and quick-fix edits, checked against
the engine itself (an edit must make the engine drop the finding, not just look right)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("lsprotocol")

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Finding
from prototxt_lint.lsp.actions import apply_edits, disable_edit
from prototxt_lint.lsp.analysis import analyse, uri_to_path
from prototxt_lint.lsp.hover import hover_at
from prototxt_lint.lsp.positions import UTF8, UTF16, UTF32, LineIndex

RULES = load_rules()


# --- positions ----------------------------------------------------------------------------
def test_columns_in_each_encoding() -> None:
    text = 'a: "é😀x" # z\nb: 1\n'
    x = text.index("x")
    assert LineIndex(text, UTF16).position(x) == (0, 7)  # é 1 unit, 😀 2 units
    assert LineIndex(text, UTF8).position(x) == (0, 10)  # é 2 bytes, 😀 4 bytes
    assert LineIndex(text, UTF32).position(x) == (0, 6)
    for enc in (UTF8, UTF16, UTF32):
        index = LineIndex(text, enc)
        assert index.offset(*index.position(x)) == x
        assert index.position(text.index("b")) == (1, 0)


def test_line_breaks_as_lsp_counts_them() -> None:
    text = "a\r\nb\rc\nd"
    index = LineIndex(text)
    assert [index.position(text.index(ch)) for ch in "abcd"] == [(0, 0), (1, 0), (2, 0), (3, 0)]
    # between \r and \n: still the end of line 0
    assert index.position(2) == (0, 1)
    assert index.line_end(0) == 1 and index.line_end(1) == 4 and index.line_end(3) == 8
    # past the end of a line means its end; past the last line, the end of the text
    assert index.offset(0, 99) == 1
    assert index.offset(9, 0) == len(text)
    assert index.position(999) == (3, 1)


def test_inside_a_surrogate_pair_rounds_forward() -> None:
    index = LineIndex("😀b")
    assert index.offset(0, 1) == 1  # the middle of the emoji: after it
    assert index.offset(0, 2) == 1
    assert index.offset(0, 3) == 2


@given(st.text(alphabet=st.sampled_from(list("ab é😀\r\n\t#")), max_size=40))
def test_offsets_round_trip(text: str) -> None:
    for enc in (UTF8, UTF16, UTF32):
        index = LineIndex(text, enc)
        for offset in range(len(text) + 1):
            if 0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n":
                continue  # not a position LSP can name
            assert index.offset(*index.position(offset)) == offset


# --- the buffer is linted as the CLI lints the file ---------------------------------------
def test_analysis_matches_the_cli(tmp_path: object) -> None:
    text = '\ufefflr_policy: "poly"  # 😀\nbase_lr: 0.1\n'
    analysis = analyse("file:///nowhere/solver.prototxt", 3, text, RULES)
    cli = Linter(RULES).lint([Input("/nowhere/solver.prototxt", text.encode("utf-8"))])[0]
    assert [f.code for f in analysis.findings] == [f.code for f in cli.findings]
    s101 = next(f for f in analysis.findings if f.code == "S101")
    # the BOM is one UTF-16 unit the engine never sees: ranges still land on the text
    (sl, sc), (el, ec) = analysis.range_of(s101.start, s101.end)
    assert (sl, sc, el, ec) == (0, 1, 0, 18)
    assert analysis.engine_offset(sl, sc) == s101.start


def test_uri_to_path() -> None:
    assert uri_to_path("file:///a/b%20c/n.prototxt") == "/a/b c/n.prototxt"
    assert uri_to_path("untitled:Untitled-1") is None


# --- "Disable CODE for this line" ---------------------------------------------------------
NET = """layer {
  name: "pool1"
  type: "Pooling"
  bottom: "data"
  top: "pool1"
  pooling_param { pool: AVE kernel_size: 2 stride: 3 }%s
}
"""


def _lint(text: str) -> list[Finding]:
    linter = Linter(RULES, Options(select=("N206", "X001")))
    return linter.lint([Input("net.prototxt", text.encode())])[0].findings


def _suppressed(text: str) -> str:
    """Apply the disable action for the N206 finding; the engine must then report nothing."""
    (finding,) = [f for f in _lint(text) if f.code == "N206"]
    edit = disable_edit(text, finding)
    assert edit is not None
    fixed = apply_edits(text, [edit])
    assert _lint(fixed) == []
    return fixed


@pytest.mark.parametrize(
    ("tail", "expected_tail"),
    [
        ("", "  # prototxt-lint: disable=N206"),
        ("   ", "   # prototxt-lint: disable=N206"),
        (
            "  # why: copied from upstream",
            "  # why: copied from upstream  # prototxt-lint: disable=N206",
        ),
        ("  # prototxt-lint: disable=N202", "  # prototxt-lint: disable=N202,N206"),
        ("  # prototxt-lint: disable=N202, ", "  # prototxt-lint: disable=N202,N206 "),
        ("  # prototxt-lint: disable=N202,", "  # prototxt-lint: disable=N202,N206"),
        ("\r", "  # prototxt-lint: disable=N206\r"),
    ],
)
def test_disable_edit(tail: str, expected_tail: str) -> None:
    # (N202 is not selected, so a comment naming it is not judged unused)
    assert _suppressed(NET % tail) == NET % expected_tail


def test_disable_edit_last_line_without_newline() -> None:
    text = (NET % "").replace("stride: 3 }\n}\n", "stride: 3 } }")
    assert _suppressed(text).endswith("stride: 3 } }  # prototxt-lint: disable=N206")


def test_hash_in_a_string_is_not_a_comment() -> None:
    text = (NET % "").replace('name: "pool1"', 'name: "pool#1"').replace(
        "pooling_param", 'top: "x#y" pooling_param'
    )
    fixed = _suppressed(text)
    assert fixed.count("# prototxt-lint: disable=N206") == 1


def test_no_action_where_no_comment_could_work() -> None:
    # a trailing disable-file directive: the engine reads only the first directive of a
    # comment, so a line directive appended to it would be ignored
    text = NET % "  # prototxt-lint: disable-file=N202"
    (finding,) = [f for f in _lint(text) if f.code == "N206"]
    assert disable_edit(text, finding) is None
    # an unused-suppression finding cannot itself be suppressed
    text = NET % "  # prototxt-lint: disable=N206,X001"
    (unused,) = _lint(text)
    assert unused.code == "X001"
    assert disable_edit(text, unused) is None


# --- the command a new user types -------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        [str(Path(sys.executable).parent / "prototxt-lint"), "lsp", "--help"],
        [sys.executable, "-m", "prototxt_lint", "lsp", "--help"],
        [sys.executable, "-m", "prototxt_lint.lsp", "--help"],
    ],
)
def test_lsp_help(command: list[str]) -> None:
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("Usage: prototxt-lint lsp [OPTIONS]\n")
    assert "Run the prototxt-lint language server (LSP) on stdin/stdout." in proc.stdout
    assert "--debounce-ms" in proc.stdout


# --- hover inside a solver's embedded net -----------------------------------------------
def test_hover_in_an_embedded_net() -> None:
    text = (
        'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\ntest_iter: 5\ntest_interval: 5\n'
        "net_param {\n"
        '  layer { name: "data" type: "Input" top: "data"'
        " input_param { shape { dim: 1 dim: 2 } } }\n"
        '  layer { name: "drop" type: "Dropout" bottom: "data" top: "data"'
        " include { phase: TRAIN } }\n"
        "}\n"
    )
    analysis = analyse("file:///nowhere/solver.prototxt", 1, text, RULES)
    found = hover_at(analysis, text.index('"drop"') + 1)
    assert found is not None
    assert found.markdown == (
        "**Layer** `drop` · type `Dropout`  \n  \nActive in: TRAIN  \nBottoms: `data`  \n"
        "Tops: `data`" + _shape("  \nShape of `data`: 1 × 2")
    )
    assert text[found.start : found.end] == 'name: "drop"'
    blob = hover_at(analysis, text.index('top: "data" input') + 6)
    assert blob is not None and blob.markdown.startswith(
        "**Blob** `data`  \n  \nProduced by: `data` (Input)  \n"
        "Rewritten in place by: `drop` (Dropout; TRAIN only)  \nConsumed by: no layer"
    )


def test_hover_uses_the_solvers_test_state() -> None:
    """The hover shows the nets the engine built: with the solver's `test_state`, a layer
    that needs a stage is active in TEST (it was "in no phase" when the editor rebuilt the
    nets itself)."""
    text = (
        'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\ntest_iter: 5\ntest_interval: 5\n'
        'test_state { stage: "val" }\n'
        "net_param {\n"
        '  layer { name: "data" type: "Input" top: "data"'
        " input_param { shape { dim: 1 dim: 2 } } }\n"
        '  layer { name: "val_only" type: "ReLU" bottom: "data" top: "data"'
        ' include { phase: TEST stage: "val" } }\n'
        "}\n"
    )
    analysis = analyse("file:///nowhere/solver.prototxt", 1, text, RULES)
    found = hover_at(analysis, text.index('"val_only"') + 1)
    assert found is not None
    assert "Active in: TEST" in found.markdown.split("  \n")


def test_hover_on_the_net_name_shows_its_role() -> None:
    text = (
        'name: "eval"\n'
        'layer { name: "d" type: "Data" top: "data" top: "label"'
        ' data_param { source: "val_lmdb" batch_size: 4 } }\n'
        'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"'
        " inner_product_param { num_output: 2 } }\n"
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" }\n'
    )
    analysis = analyse("file:///nowhere/net.prototxt", 1, text, RULES)
    found = hover_at(analysis, text.index('"eval"') + 1)
    assert found is not None
    assert found.markdown == (
        "**Net** `eval` · evaluation  \n  \nChecked as: TEST  \n- no phase rules  \n"
        "- layer 'd' reads `val_lmdb`"
    )
    assert text[found.start : found.end] == 'name: "eval"'


def test_hover_on_the_net_name_says_which_fork_it_is_read_as() -> None:
    text = (
        'name: "ssd"\n'
        'input: "data" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
        'layer { name: "perm" type: "Permute" bottom: "data" top: "perm"'
        " permute_param { order: 0 order: 2 order: 3 order: 1 } }\n"
    )
    analysis = analyse("file:///nowhere/net.prototxt", 1, text, RULES)
    found = hover_at(analysis, text.index('"ssd"') + 1)
    assert found is not None
    assert found.markdown.split("  \n")[-1] == (
        "Read as the SSD fork (weiliu89/caffe): uses `permute_param`")
    assert [f.code for f in analysis.findings] == ["X003"]


def _shape(lines: str) -> str:
    return lines if importlib.util.find_spec("prototxt_lint.shapes") else ""


# --- the README's editor snippets are well-formed ---------------------------------------
def _readme_block(heading: str, language: str) -> str:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"no {language} block under {heading}"
    return match.group(1)


def test_readme_helix_and_vscode_snippets() -> None:
    helix = tomllib.loads(_readme_block("### Helix", "toml"))
    server = helix["language-server"]["prototxt-lint"]
    assert server == {"command": "prototxt-lint", "args": ["lsp"]}
    (language,) = helix["language"]
    assert language["language-servers"] == ["prototxt-lint"]
    assert language["file-types"] == ["prototxt", "pbtxt"]
    vscode = json.loads(_readme_block("### VS Code", "json"))
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == [
        "prototxt-lint",
        "lsp",
    ]
    assert vscode["files.associations"]["*.prototxt"] in vscode["glspc.server.languageId"]
    elisp = _readme_block("### Emacs (eglot)", "elisp")
    assert '(prototxt-mode "prototxt-lint" "lsp")' in elisp
    assert elisp.count("(") == elisp.count(")")


def test_every_subpackage_is_packaged() -> None:
    """pyproject lists packages explicitly; a subpackage missing there is missing from
    `pip install .` (non-editable): `prototxt-lint lsp` would fail with ModuleNotFoundError
    although every test in an editable install passes."""
    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(root).parts)
        for init in (root / "prototxt_lint").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert "prototxt_lint.lsp" in found
    assert found - listed == set()


# --- the configuration as the command line applies it ---------------------------------------
def _analyse_in(folder: Path, name: str, config: str | None) -> list[tuple[str, int]]:
    source = (Path(__file__).parent.parent / "examples" / "batchnorm_train.prototxt").read_text()
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    if config is not None:
        (folder / ".prototxt-lint.toml").write_text(config)
    analysis = analyse(target.as_uri(), 1, source, RULES)
    return [(f.code, f.line) for f in analysis.findings]


def test_per_file_ignores_apply_in_the_editor(tmp_path: Path) -> None:
    assert _analyse_in(tmp_path / "a", "nets/train.prototxt", None) == [("N252", 9), ("N211", 23)]
    ignored = _analyse_in(tmp_path / "b", "nets/train.prototxt",
                          '[per-file-ignores]\n"nets/*.prototxt" = ["N25"]\n')
    assert ignored == [("N211", 23)]
    by_name = _analyse_in(tmp_path / "c", "nets/train.prototxt", '[per-file-ignores]\n'
                          '"train.prototxt" = ["batchnorm-global-stats-in-train"]\n')
    assert [code for code, _ in by_name] == ["N252"]


def test_an_excluded_document_gets_no_diagnostics(tmp_path: Path) -> None:
    # as `ruff server` does, and as the pre-commit hook's --force-exclude run
    assert _analyse_in(tmp_path / "a", "third_party/caffe/train.prototxt",
                       'extend-exclude = ["third_party"]\n') == []
    (tmp_path / "b").mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path / "b")], check=True)
    (tmp_path / "b" / ".gitignore").write_text("build/\n")
    assert _analyse_in(tmp_path / "b", "build/train.prototxt", None) == []
    assert _analyse_in(tmp_path / "b", "src/train.prototxt", None) != []


def test_a_diagnostic_links_to_its_rule_page() -> None:
    from prototxt_lint.lsp.diagnostics import diagnostics

    source = (Path(__file__).parent.parent / "examples" / "pooling_stride.prototxt").read_text()
    uri = (Path(__file__).parent.parent / "examples" / "pooling_stride.prototxt").as_uri()
    (diagnostic,) = diagnostics(analyse(uri, 1, source, RULES))
    assert diagnostic.code == "N201"
    assert diagnostic.code_description is not None
    page = Path(__file__).parent.parent / "docs" / "rules" / "N201.md"
    assert diagnostic.code_description.href == page.as_uri() and page.is_file()
