"""Fuzzing: whatever bytes arrive, the linter answers with findings or a clean result.

Four kinds of input, each fed to the command line (stdin, ``-``) and to the language
server's document handler: random bytes, random token soup (the pieces of the text format,
with Caffe's own field names), nets and solvers generated from Caffe's schema (every field
type, edge-case values: the rules see odd but well-formed nets), and real files with tokens
deleted, duplicated or swapped. The property: no uncaught exception, ever (rule
exceptions too: ``PROTOTXT_LINT_DEBUG=1`` makes them propagate instead of becoming an
"internal error" finding), an exit code in {0, 1, 2} that agrees with the findings, and
well-formed positions.

Bounded for CI by the ``ci`` profile (derandomized, so a CI failure reproduces). The long run
is ``.venv/bin/python scripts/fuzz_long.py`` (profile ``long``: many more examples, random).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FIXTURES, REPO
from google.protobuf import text_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prototxt_lint.cli.command import lint_command
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.schema import caffe_pb2
from prototxt_lint.syntax.parser import is_repeated, parse

settings.register_profile(
    "ci",
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("PROTOTXT_FUZZ_EXAMPLES", "5000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: applied to each fuzz test (not loaded globally: other hypothesis tests keep their settings)
FUZZ = settings.get_profile(os.environ.get("PROTOTXT_FUZZ_PROFILE", "ci"))

RULES = load_rules()
#: severities that make the exit code 1 with the default --fail-on (warning)
FAILING = {"warning", "error"}

# --- inputs -------------------------------------------------------------------------------

#: field names, enum values and layer types that lead the parser and rules deep into a net
#: or solver; random identifiers cover the unknown-field paths
WORDS = (
    "layer layers name type bottom top include exclude phase TRAIN TEST stage min_level "
    "max_level not_stage state input input_dim input_shape dim pooling_param kernel_size "
    "kernel_h kernel_w stride pad pool MAX AVE STOCHASTIC global_pooling round_mode CEIL FLOOR "
    "convolution_param num_output param lr_mult decay_mult blobs_lr weight_decay "
    "batch_norm_param use_global_stats scale_param bias_term transform_param scale mean_file "
    "mean_value crop_size mirror data_param source batch_size backend LMDB image_data_param "
    "shuffle hdf5_data_param loss_param normalize ignore_label infogain_loss_param axis "
    "net train_net test_net net_param train_net_param test_net_param test_iter test_interval "
    "test_state train_state base_lr lr_policy gamma power stepsize stepvalue max_iter momentum "
    "solver_mode GPU CPU snapshot_prefix device_id weight_filler bias_filler std "
    "item label display_name"
).split()
TYPES = (
    '"Data" "ImageData" "HDF5Data" "Input" "Convolution" "Pooling" "BatchNorm" "Scale" "ReLU" '
    '"Softmax" "SoftmaxWithLoss" "InfogainLoss" "InnerProduct" "Accuracy" "Python" "poly" '
    '"step" "multistep" "fixed" "inv" "exp" "sigmoid" "data" "label" CONVOLUTION POOLING DATA '
    "RELU SOFTMAX_LOSS"
).split()
PUNCTUATION = ["{", "}", ":", "[", "]", ",", ";", "<", ">", "-", ".", "\n", " ", "\t", "\r\n"]
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0x1F", "-0", "1e999", "nan", "-inf", "1.5f", "0777", "1.", ".5", "2e"]),
)
STRINGS = st.one_of(
    st.text(max_size=12).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.text(max_size=12).map(lambda s: "'" + s + "'"),  # may be unterminated or hold a newline
    st.sampled_from(['"\\x', '"\\u12', '"abc', "'", '"\\377"', '"a\\"']),
)
COMMENTS = st.text(max_size=20).map(lambda s: "#" + s + "\n") | st.sampled_from(
    ["# prototxt-lint: disable=N206\n", "# prototxt-lint: disable-file=ALL,P\n"]
)
IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
TOKEN = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(TYPES),
    st.sampled_from(PUNCTUATION),
    NUMBERS,
    STRINGS,
    COMMENTS,
    IDENTIFIERS,
)
SOUP = st.lists(TOKEN, max_size=80).map(" ".join)

# Nets and solvers generated from the schema: well-formed text with odd values, so every rule
# runs on layers it was not written for (a zero kernel, a NaN gamma, a Pooling with no param).
BLOBS = ["data", "label", "conv1", "pool1", "fc", "prob", "loss", "x"]
LAYER_TYPES = (
    "Data ImageData HDF5Data Input DummyData Python Convolution Deconvolution Pooling BatchNorm "
    "Scale Bias ReLU PReLU Sigmoid TanH Softmax SoftmaxWithLoss InfogainLoss EuclideanLoss "
    "InnerProduct Accuracy Dropout Concat Eltwise Crop Flatten Reshape Split Slice LRN "
    "Embed LSTM Bogus"
).split()
POLICIES = ["fixed", "step", "multistep", "poly", "inv", "exp", "sigmoid", "bogus", ""]
INTS = ["0", "1", "2", "3", "-1", "7", "224", "2147483647", "-2147483648", "4294967295", "0x10"]
FLOATS = ["0", "-1", "1e-3", "0.5", "1", "2.5", "1e38", "-1e39", "nan", "inf", "-inf", "3f"]
#: fields that make a net or solver what it is: drawn more often than the rest
PREFERRED = {
    "NetParameter": ["layer"] * 6 + ["input", "input_dim", "input_shape", "state", "layers"],
    "LayerParameter": ["name", "type", "type", "bottom", "bottom", "top", "top", "include",
                       "exclude", "param", "phase", "loss_weight", "pooling_param",
                       "convolution_param", "batch_norm_param", "transform_param",
                       "image_data_param", "data_param", "hdf5_data_param",
                       "infogain_loss_param", "loss_param", "scale_param"],
    "SolverParameter": ["net", "net_param", "train_net_param", "test_net_param", "test_iter",
                        "test_interval", "base_lr", "lr_policy", "gamma", "power",
                        "stepsize", "stepvalue", "max_iter", "test_state", "train_state"],
}
MAX_DEPTH = 4


def _scalar(draw: st.DrawFn, owner: str, fd: FieldDescriptor) -> str:
    kind = fd.type
    if kind == FieldDescriptor.TYPE_ENUM:
        names = [v.name for v in fd.enum_type.values]
        return draw(st.sampled_from([*names, "7", "-1", "BOGUS"]))
    if kind == FieldDescriptor.TYPE_BOOL:
        return draw(st.sampled_from(["true", "false", "1", "0", "True"]))
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return draw(st.sampled_from(FLOATS))
    if kind in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        if fd.name in ("bottom", "top", "name", "input"):
            value = draw(st.sampled_from(BLOBS))
        elif fd.name == "type" and owner in ("LayerParameter", "V1LayerParameter"):
            value = draw(st.sampled_from(LAYER_TYPES))
        elif fd.name == "lr_policy":
            value = draw(st.sampled_from(POLICIES))
        else:
            value = draw(st.text(st.characters(max_codepoint=127, blacklist_characters='"\\\n'),
                                 max_size=8))
        return f'"{value}"'
    return draw(st.sampled_from(INTS))


@st.composite
def message_text(draw: st.DrawFn, desc: Descriptor, depth: int = 0) -> str:
    """Text of a random ``desc`` message: a few fields, each with a value of its type."""
    fields = list(desc.fields)
    pool = [desc.fields_by_name[n] for n in PREFERRED.get(desc.name, [])] + fields
    width = 6 if depth < 2 else 2
    parts = []
    for fd in draw(st.lists(st.sampled_from(pool), max_size=width if depth < MAX_DEPTH else 0)):
        count = draw(st.integers(1, 3)) if is_repeated(fd) else 1
        for _ in range(count):
            if fd.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
                inner = draw(message_text(fd.message_type, depth + 1))
                parts.append(f"{fd.name} {{ {inner} }}")
            else:
                parts.append(f"{fd.name}: {_scalar(draw, desc.name, fd)}")
    return "\n".join(parts)


NET_OR_SOLVER = st.sampled_from(["NetParameter"] * 3 + ["SolverParameter"]).flatmap(
    lambda name: st.tuples(st.just(name), message_text(getattr(caffe_pb2, name).DESCRIPTOR))
)

_TOKEN_RE = re.compile(
    r"""\s+|#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_][\w.]*|[-+]?[\d.][\w.+-]*|\S"""
)


def _seed_files() -> list[Path]:
    """Real files to mutate: the shipped examples and fixtures, plus small corpus files."""
    files = sorted((REPO / "examples").glob("*.prototxt")) + sorted(FIXTURES.rglob("*.prototxt"))
    if CORPUS.is_dir():
        files += sorted(
            p for p in CORPUS.rglob("*") if p.suffix in (".prototxt", ".pt")
            and "protos" not in p.parts and p.stat().st_size <= 12_000
        )
    return files


SEEDS = _seed_files()
_TOKENS: dict[Path, list[str]] = {}


def _tokens(path: Path) -> list[str]:
    if path not in _TOKENS:
        text = path.read_bytes().decode("utf-8", errors="replace")
        _TOKENS[path] = _TOKEN_RE.findall(text)
    return _TOKENS[path]


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    """A real file with a few tokens deleted, duplicated or swapped."""
    tokens = list(_tokens(draw(st.sampled_from(SEEDS))))
    edits = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["delete", "duplicate", "swap"]),
                st.integers(0, 10**6),
                st.integers(0, 10**6),
            ),
            min_size=1,
            max_size=6,
        )
    )
    for op, a, b in edits:
        if not tokens:
            break
        i, j = a % len(tokens), b % len(tokens)
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        else:
            tokens[i], tokens[j] = tokens[j], tokens[i]
    return "".join(tokens).encode("utf-8", errors="surrogatepass")


# --- the property, on the command line ----------------------------------------------------


def check_cli(data: bytes) -> None:
    runner = CliRunner()
    # in an empty folder: a mutated solver's relative net (or weights) path must not find the
    # fixture it came from, which would be linted as a second file
    with runner.isolated_filesystem():
        result = runner.invoke(
            lint_command,
            ["--no-color", "--format", "json", "--stdin-filename", "fuzz.prototxt", "-"],
            input=data,
            env={"PROTOTXT_LINT_DEBUG": "1", "NO_COLOR": "1"},
        )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1, 2), result.output
    out: dict[str, Any] = json.loads(result.stdout)
    findings = out["findings"]
    assert out["summary"]["files"] == 1
    assert all(not f["message"].startswith("internal error") for f in findings)
    lines = data.count(b"\n") + 1
    for f in findings:
        assert f["file"] == "fuzz.prototxt"
        assert 1 <= f["line"] <= f["end_line"] <= lines, f
        assert f["column"] >= 1 and f["end_column"] >= 1, f
        assert f["message"], f
    severities = {f["severity"] for f in findings}
    if result.exit_code == 0:
        assert not severities & FAILING, findings
    elif result.exit_code == 1:
        assert severities & FAILING, findings
    else:  # could not be linted at all: it says why
        assert findings and {f["code"] for f in findings} & {"P006", "P007", "P009", "P010"}


@FUZZ
@given(st.binary(max_size=3000))
def test_cli_random_bytes(data: bytes) -> None:
    check_cli(data)


@FUZZ
@given(SOUP)
def test_cli_token_soup(text: str) -> None:
    check_cli(text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(mutated_files())
def test_cli_mutated_real_files(data: bytes) -> None:
    check_cli(data)


@FUZZ
@given(NET_OR_SOLVER)
def test_cli_nets_and_solvers_from_the_schema(generated: tuple[str, str]) -> None:
    check_cli(generated[1].encode())


@FUZZ
@given(NET_OR_SOLVER)
def test_parser_equals_text_format_on_generated_messages(generated: tuple[str, str]) -> None:
    """Where protobuf's own text_format accepts a generated text, the linter's recovering
    parser builds the same message and reports no error."""
    name, text = generated
    cls = getattr(caffe_pb2, name)
    expected = cls()
    try:
        text_format.Parse(text, expected)
    except text_format.ParseError:
        return
    result = parse(text, cls())
    assert result.errors == [], text
    assert result.message == expected, text


def test_mutations_start_from_real_files() -> None:
    """The mutation strategy has real material to work on (the fixtures at least)."""
    assert len(SEEDS) >= 20
    assert sum(len(_tokens(p)) for p in SEEDS[:20]) > 1000


# --- the property, in the language server's document handler ------------------------------
# prototxt_lint.lsp.analysis.analyse(uri, version, text, rules) lints an editor buffer;
# diagnostics(analysis) turns the findings into LSP diagnostics; hover_at(analysis, offset)
# answers a hover. Skipped (with the reason) where the language server is not installed.


def _lsp() -> Any:
    analysis = pytest.importorskip("prototxt_lint.lsp.analysis", reason="no language server")
    diagnostics = pytest.importorskip("prototxt_lint.lsp.diagnostics", reason="no lsp extra")
    hover = pytest.importorskip("prototxt_lint.lsp.hover", reason="no lsp hover")
    return analysis.analyse, diagnostics.diagnostics, hover.hover_at


def check_lsp(text: str, where: int) -> None:
    analyse, diagnostics, hover_at = _lsp()
    analysis = analyse("untitled:fuzz.prototxt", 1, text, RULES)
    for finding in analysis.findings:
        assert not finding.message.startswith("internal error"), finding
    lines = text.count("\n") + text.count("\r") + 1
    for diag in diagnostics(analysis):
        assert diag.message and diag.code
        assert 0 <= diag.range.start.line <= diag.range.end.line < lines + 1, diag
    hover_at(analysis, where % (len(text) + 1))


@FUZZ
@given(st.text(max_size=2000), st.integers(0, 10**6))
def test_lsp_random_text(text: str, where: int) -> None:
    check_lsp(text, where)


@FUZZ
@given(SOUP, st.integers(0, 10**6))
def test_lsp_token_soup(text: str, where: int) -> None:
    check_lsp(text, where)


@FUZZ
@given(NET_OR_SOLVER, st.integers(0, 10**6))
def test_lsp_nets_and_solvers_from_the_schema(generated: tuple[str, str], where: int) -> None:
    check_lsp(generated[1], where)


@FUZZ
@given(mutated_files(), st.integers(0, 10**6))
def test_lsp_mutated_real_files(data: bytes, where: int) -> None:
    check_lsp(data.decode("utf-8", errors="replace"), where)
