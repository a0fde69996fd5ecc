"""Parse fidelity: the linter's parser accepts and rejects what Caffe's protobuf accepts.

Each literal form below is embedded in a small real V2 net (or a solver) and read twice: by
real BVLC Caffe's own parser (``upgrade_net_proto_text`` / ``upgrade_solver_proto_text`` of
``../shared/caffe-oracle``, which read with C++ protobuf's ``TextFormat::Parse``; the build
links libprotobuf 3.21.12) and by the linter. The verdicts must agree (Caffe exits 0 ⇔ the
linter reports no P001/P002/P003/P004), and where both accept, the values must too: the
linter's message equals Caffe's output text read back with the same ``caffe_pb2``.

Every deliberate disagreement is listed, with its reason, in ``ALLOWED``; an entry that no
longer disagrees fails the test too. Without a Caffe build the test is skipped with a message
saying how to get one; in CI (``CI`` set) a missing build is a failure.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from google.protobuf import text_format

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.schema import caffe_pb2

#: Codes whose finding says Caffe cannot read the file: the parse errors, and binary input
#: (a NUL byte, which protobuf's tokenizer refuses as "Invalid control characters").
PARSE_CODES = frozenset({"P001", "P002", "P003", "P004", "P007"})


def _oracle() -> Path | None:
    prefix = os.environ.get("PROTOTXT_LINT_CAFFE_ORACLE")
    candidates = [Path(prefix)] if prefix else []
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    candidates.append(cache / "caffe-oracle" / "9b891540")
    return next((p / "bin" for p in candidates
                 if (p / "bin" / "upgrade_net_proto_text").is_file()), None)


BIN = _oracle()
if BIN is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs the Caffe oracle: run ../shared/caffe-oracle/build.sh")
    pytest.skip(
        "no BVLC Caffe build: run ../shared/caffe-oracle/build.sh (about 10 minutes, once) or"
        " set PROTOTXT_LINT_CAFFE_ORACLE to its prefix",
        allow_module_level=True,
    )

_HEAD = (
    'name: "fidelity"\n'
    'layer { name: "data" type: "Input" top: "data"\n'
    "  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n"
)


def conv(body: str) -> str:
    """A net whose convolution_param holds ``body``."""
    return (_HEAD + 'layer { name: "c" type: "Convolution" bottom: "data" top: "c"\n'
            f"  convolution_param {{ {body} }}\n}}\n")


def filler(value: str) -> str:
    """A net whose constant weight filler (a float field) has ``value: VALUE``."""
    return conv(f'num_output: 4 kernel_size: 3 weight_filler {{ type: "constant" value: {value} }}')


def layer(body: str) -> str:
    """A net whose second layer holds ``body`` too."""
    return _HEAD + f'layer {{ name: "r" type: "ReLU" bottom: "data" top: "r"\n  {body}\n}}\n'


def solver(body: str) -> str:
    return f'base_lr: 0.01\nlr_policy: "fixed"\n{body}\n'


#: (id, "net" or "solver", the file's text)
CASES: list[tuple[str, str, str]] = [
    # bools (convolution_param.bias_term; LayerParameter.propagate_down is repeated)
    *[(f"bool-{v}", "net", conv(f"num_output: 4 kernel_size: 3 bias_term: {v}"))
      for v in ("true", "false", "True", "False", "t", "f", "1", "0", "yes", "TRUE", "2",
                "0x1", "0x0", "00", "01", "-0", "-1", '"true"')],
    ("bool-list", "net", layer("propagate_down: [true, False, t, 0]")),
    # integers in a uint32 field (num_output)
    *[(f"uint32-{v}", "net", conv(f"num_output: {v} kernel_size: 3"))
      for v in ("1e3", "3.0", "3f", "-1", "-0", "0x10", "0X1f", "010", "08", "0",
                "4294967295", "4294967296", "0xFFFFFFFF", "0x100000000", "1_0", "- 4")],
    # int32 (convolution_param.axis) and int64 (SolverParameter.random_seed)
    *[(f"int32-{v}", "net", conv(f"num_output: 4 kernel_size: 3 axis: {v}"))
      for v in ("-1", "2147483647", "2147483648", "-2147483648", "-2147483649", "-0x1")],
    *[(f"int64-{v}", "solver", solver(f"random_seed: {v}"))
      for v in ("9223372036854775807", "9223372036854775808", "-9223372036854775808",
                "-9223372036854775809", "1e3")],
    *[(f"int32-solver-{v}", "solver", solver(f"max_iter: {v}"))
      for v in ("1e4", "10000.0", "0x2710")],
    # floats (FillerParameter.value, float; SolverParameter.base_lr... also float)
    *[(f"float-{v}", "net", filler(v))
      for v in ("2", "-2", "- 2", "+2", ".5", "5.", "1.5f", "1.5F", "1f", "1e-3", "1E+3",
                "1e", "1e400", "-1e400", "1e39", "99999999999999999999999", "0x10", "010",
                "0x1p3", "1_0", "1.5e3f", "inf", "-inf", "INF", "Inf", "infinity",
                "Infinity", "-Infinity", "nan", "NaN", "NAN", "-nan", "inff", "nanf",
                "infinityf", "-  inf", '"1"')],
    *[(f"solver-float-{v}", "solver", solver(f"momentum: {v}"))
      for v in ("0.9", ".9", "9e-1", "1", "inf", "nan", "0x1")],
    # enums by name and by number
    *[(f"enum-{v}", "net", conv(f"num_output: 4 kernel_size: 3 engine: {v}"))
      for v in ("CAFFE", "1", "0x1", "FOO", "caffe", "7", "-1", '"CAFFE"')],
    *[(f"pool-{v}", "net", layer(f"pooling_param {{ pool: {v} }}"))
      for v in ("1", "AVE", "MAX", "3", "STOCHASTIC")],
    *[(f"solver-enum-{v}", "solver", solver(f"solver_mode: {v}"))
      for v in ("CPU", "0", "gpu", "2")],
    # strings: escapes, quotes, concatenation
    *[(f"string-{name}", "net", layer(f"bottom: {v}"))
      for name, v in (
          ("single-quoted", "'a'"), ("concat", '"a" "b"'), ("concat-mixed", "\"a\" 'b'"),
          ("newline", r'"\n"'), ("hex", r'"\x41"'), ("hex-1", r'"\x4"'),
          ("hex-3", r'"\x414"'), ("hex-none", r'"\x"'), ("octal", r'"\101"'),
          ("octal-1", r'"\0"'), ("octal-4", r'"\1010"'), ("octal-8", r'"\8"'),
          ("squote", r'"\'"'), ("dquote", r'"\""'), ("question", r'"\?"'),
          ("controls", r'"\a\b\f\r\t\v\\"'), ("unknown", r'"\q"'), ("unknown-X", r'"\X41"'),
          ("u4", r'"\u00e9"'), ("u4-cjk", r'"\u4e2d"'), ("U8", r'"\U0001F600"'),
          ("u-short", r'"\u00e"'), ("U-too-big", r'"\U00110000"'),
          ("U8-max", r'"\U0010FFFF"'), ("surrogate-pair", r'"\ud83d\ude00"'),
          ("surrogate-lone", r'"\ud83d"'), ("concat-escape", r'"\x4" "1"'),
          ("utf8-bytes", r'"\xc3\xa9"'), ("raw-utf8", '"é"'), ("byte-ff", r'"\xff"'),
          ("unterminated", '"a'), ("mismatched-quotes", "\"a'"),
          ("newline-inside", '"a\nb"'), ("hash-inside", '"a#b"'))],
    ("string-unquoted", "net", layer("bottom: data")),
    ("string-number", "net", layer("bottom: 1")),
    ("solver-string-concat", "solver", solver("snapshot_prefix: 'snap' \"shots/\" 'x'")),
    # separators and comments
    ("sep-semicolons", "net", conv("num_output: 4; kernel_size: 3;")),
    ("sep-commas", "net", conv("num_output: 4, kernel_size: 3,")),
    ("sep-double", "net", conv("num_output: 4 ;; kernel_size: 3")),
    ("sep-comma-semicolon", "net", conv("num_output: 4 ,; kernel_size: 3")),
    ("sep-after-block", "net",
     conv('num_output: 4 kernel_size: 3 weight_filler { type: "xavier" };')),
    ("sep-leading", "net", conv("; num_output: 4 kernel_size: 3")),
    ("sep-top-level", "net", _HEAD.replace('"fidelity"\n', '"fidelity";\n')),
    ("comment-after-value", "net", conv("num_output: 4 # four\n kernel_size: 3")),
    ("comment-after-colon", "net", conv("num_output: # four\n 4 kernel_size: 3")),
    ("comment-after-name", "net", conv("num_output # four\n : 4 kernel_size: 3")),
    ("comment-glued", "net", conv("num_output: 4#four\n kernel_size: 3")),
    ("comment-between-strings", "net", layer('bottom: "a" # x\n "b"')),
    ("comment-eof-no-newline", "net", _HEAD + "# end"),
    # [ ] lists
    ("list-strings", "net", layer('bottom: ["a", "b"]')),
    ("list-concat", "net", layer('bottom: ["a" "b", "c"]')),
    ("list-trailing-comma", "net", layer('bottom: ["a", "b",]')),
    ("list-no-comma", "net", layer('bottom: [1 2]'.replace("1 2", '"a" "b" 3'))),
    ("list-empty", "net", layer("bottom: []")),
    ("list-ints", "net", conv("num_output: 4 kernel_size: [3, 3]")),
    ("list-ints-empty", "net", conv("num_output: 4 kernel_size: [] kernel_size: 3")),
    ("list-ints-no-comma", "net", conv("num_output: 4 kernel_size: [3 3]")),
    ("list-ints-semicolon", "net", conv("num_output: 4 kernel_size: [3; 3]")),
    ("list-floats", "net", layer("loss_weight: [1, 2.5, inf]")),
    ("list-no-colon-scalar", "net", conv("num_output: 4 kernel_size [3]")),
    ("list-non-repeated-scalar", "net", conv("num_output: [4] kernel_size: 3")),
    ("list-messages", "net", layer("param: [{ lr_mult: 1 }, { lr_mult: 2 }]")),
    ("list-messages-no-colon", "net", layer("param [{ lr_mult: 1 }, < lr_mult: 2 >]")),
    ("list-messages-no-comma", "net", layer("param: [{ lr_mult: 1 } { lr_mult: 2 }]")),
    ("list-messages-trailing-comma", "net", layer("param: [{ lr_mult: 1 },]")),
    ("list-messages-empty", "net", layer("param: []")),
    ("list-messages-empty-no-colon", "net", layer("param []")),
    ("list-non-repeated-message", "net",
     conv('num_output: 4 kernel_size: 3 weight_filler [{ type: "xavier" }]')),
    ("list-non-repeated-message-colon", "net",
     conv('num_output: 4 kernel_size: 3 weight_filler: [{ type: "xavier" }]')),
    ("list-solver", "solver", solver("stepvalue: [100, 200] test_iter: [10]")),
    # message delimiters
    ("message-colon", "net",
     conv('num_output: 4 kernel_size: 3 weight_filler: { type: "xavier" }')),
    ("message-angle", "net", conv('num_output: 4 kernel_size: 3 weight_filler < type: "xavier" >')),
    ("message-colon-angle", "net",
     conv('num_output: 4 kernel_size: 3 weight_filler: < type: "xavier" >')),
    ("message-mismatched", "net",
     conv('num_output: 4 kernel_size: 3 weight_filler { type: "xavier" >')),
    ("message-scalar-no-colon", "net", conv("num_output 4 kernel_size: 3")),
    ("message-scalar-with-braces", "net", conv("num_output { } kernel_size: 3")),
    # duplicates
    ("duplicate-scalar", "net", conv("num_output: 4 kernel_size: 3 num_output: 5")),
    ("duplicate-message", "net",
     conv('num_output: 4 kernel_size: 3 weight_filler { } weight_filler { type: "xavier" }')),
    ("duplicate-top-level", "net", _HEAD + 'name: "again"\n'),
    ("duplicate-solver", "solver", solver("base_lr: 0.1")),
    ("repeated-twice", "net", layer('bottom: "a" bottom: "a"')),
    # extensions-style and field numbers
    ("extension", "net", conv("num_output: 4 kernel_size: 3 [caffe.foo]: 1")),
    ("extension-dotted", "net", _HEAD + "[caffe.NetParameter.bar] { }\n"),
    ("field-number", "net", conv("1: 4 kernel_size: 3")),
    ("unknown-field", "net", conv("num_output: 4 kernel_size: 3 kernal: 3")),
    ("unknown-field-case", "net", conv("Num_Output: 4 kernel_size: 3")),
    # whole files
    ("file-empty", "net", ""),
    ("file-whitespace", "net", " \n\t\n"),
    ("file-only-comments", "net", "# nothing here\n# at all\n"),
    ("file-bom", "net", "\ufeff" + _HEAD),
    ("file-bom-solver", "solver", "\ufeff" + solver("")),
    ("file-crlf", "net", conv("num_output: 4\r\n kernel_size: 3").replace("\n", "\r\n")),
    ("file-cr-only", "net", _HEAD.replace("\n", "\r")),
    ("file-tabs", "net", conv("num_output:\t4\tkernel_size:\t3")),
    ("file-formfeed-vtab", "net", conv("num_output:\f4\vkernel_size: 3")),
    ("file-missing-brace", "net", _HEAD + 'layer { name: "c" type: "ReLU" bottom: "data"\n'),
    ("file-extra-brace", "net", _HEAD + "}\n"),
    ("file-fields-after-layers", "net", _HEAD.replace('name: "fidelity"\n', "") + 'name: "late"\n'),
    ("file-fields-after-closing-brace", "net",
     _HEAD + 'layer { name: "r" type: "ReLU" } bottom: "data"\n'),
    ("file-control-char", "net", _HEAD + "\x01\n"),
    ("file-control-char-in-string", "net", layer('bottom: "a\x01b"')),
    ("file-nul-in-comment", "net", _HEAD + "# a\x00b\n"),
    ("file-non-ascii-identifier", "net", _HEAD + "nämé: 1\n"),
]

#: case id -> why the linter's verdict or value differs from Caffe's, on purpose.
_NOT_UTF8 = (
    "a string escape that makes bytes which are not UTF-8: BVLC's caffe.proto is proto2, whose"
    " C++ parser keeps the raw bytes (Caffe reads the file), but a Python protobuf message"
    " cannot hold them, so the linter reports P003 instead of reading a value it cannot keep"
)
ALLOWED: dict[str, str] = {
    "string-byte-ff": _NOT_UTF8,
    "string-surrogate-lone": _NOT_UTF8,
}


def _caffe(path: Path, kind: str, out: Path) -> tuple[bool, str]:
    tool = "upgrade_solver_proto_text" if kind == "solver" else "upgrade_net_proto_text"
    proc = subprocess.run([str(BIN / tool), str(path), str(out)], capture_output=True,
                          text=True, errors="replace", timeout=60, check=False)
    why = next((line.split("] ", 1)[-1] for line in proc.stderr.splitlines()
                if "libprotobuf ERROR" in line or line.startswith("F")), "")
    return proc.returncode == 0, why


def _linter(path: Path) -> tuple[list[str], object]:
    report = Linter([], Options(dialect="bvlc")).lint([Input(str(path))])[0]
    errors = [f"{f.code}@{f.line}:{f.column} {f.message}" for f in report.findings
              if f.code in PARSE_CODES]
    return errors, report.document.message


def disagreement(case_id: str, kind: str, text: str, tmp: Path) -> str | None:
    """Why the linter and Caffe read ``text`` differently, or None when they agree."""
    path = tmp / f"{case_id}.prototxt"
    path.write_bytes(text.encode("utf-8"))
    out = tmp / f"{case_id}.out.prototxt"
    accepted, why = _caffe(path, kind, out)
    errors, message = _linter(path)
    if accepted and errors:
        return f"Caffe accepts; the linter reports {errors}"
    if not accepted and not errors:
        return f"Caffe rejects ({why}); the linter accepts"
    if not accepted:
        return None
    cls = caffe_pb2.SolverParameter if kind == "solver" else caffe_pb2.NetParameter
    expected = text_format.Parse(out.read_text(encoding="utf-8"), cls())
    mine = text_format.MessageToString(message) if message is not None else ""  # type: ignore[arg-type]
    theirs = text_format.MessageToString(expected)
    if mine != theirs:
        return f"both accept, values differ: linter {mine!r}, Caffe {theirs!r}"
    return None


@pytest.mark.parametrize(("case_id", "kind", "text"), CASES, ids=[c[0] for c in CASES])
def test_caffe_and_the_linter_parse_alike(case_id: str, kind: str, text: str,
                                          tmp_path: Path) -> None:
    why = disagreement(case_id, kind, text, tmp_path)
    if case_id in ALLOWED:
        assert why is not None, f"{case_id} no longer disagrees: drop it from ALLOWED"
    else:
        assert why is None, why


def test_case_ids_are_unique_and_allowlist_is_current() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert set(ALLOWED) <= set(ids)
