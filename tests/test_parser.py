"""The parser: equal to protobuf's text_format on real files, exact positions, recovery."""

from __future__ import annotations

import csv
import os

import pytest
from conftest import CORPUS, brief, lint_fixture, lint_text
from google.protobuf import text_format

from prototxt_lint.schema import caffe_pb2
from prototxt_lint.syntax.parser import did_you_mean, parse

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir() and not os.environ.get("CI"),
    reason="../shared/corpus is not next to this checkout",
)


def _bvlc_parseable() -> list[tuple[str, str]]:
    if not CORPUS.is_dir():
        return []
    with open(CORPUS / "PARSE_BVLC.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(r["local_path"], r["parsed_as"]) for r in rows if r["parses_with_bvlc_proto"] == "yes"]


@needs_corpus
def test_same_messages_as_text_format_on_corpus() -> None:
    files = _bvlc_parseable()
    assert len(files) >= 190
    for local, kind in files:
        text = (CORPUS / local).read_bytes().decode("utf-8", errors="replace")
        cls = caffe_pb2.NetParameter if kind == "NetParameter" else caffe_pb2.SolverParameter
        expected = cls()
        text_format.Merge(text, expected)
        result = parse(text, cls())
        assert result.errors == [], local
        assert result.message == expected, local


def test_positions_of_fields() -> None:
    text = 'layer {\n  name: "p"\n  pooling_param { pool: AVE stride: 5 }\n}\n'
    result = parse(text, caffe_pb2.NetParameter())
    stride = result.locs[("layer", 0, "pooling_param", "stride")]
    assert text[stride.start : stride.end] == "stride: 5"
    opener = result.locs[("layer", 0, "pooling_param")]
    assert text[opener.start : opener.end] == "pooling_param {"
    assert text[opener.start : opener.block_end].endswith("stride: 5 }")
    assert text[result.locs[("layer", 0, "name")].start :].startswith('name: "p"')


def test_repeated_and_list_syntax_positions() -> None:
    text = 'layer { bottom: "a" bottom: "b" }\ninput_dim: [1, 3, 224]\n'
    result = parse(text, caffe_pb2.NetParameter())
    assert list(result.message.input_dim) == [1, 3, 224]
    assert text[result.locs[("layer", 0, "bottom", 1)].start :].startswith('bottom: "b"')
    third = result.locs[("input_dim", 2)]
    assert text[third.start : third.end] == "224"


def test_every_error_reported_in_one_run() -> None:
    findings = lint_fixture("parse/bad_many_errors.prototxt", select=("P",))
    assert brief(findings) == [("P002", 7, 23), ("P003", 14, 25), ("P003", 21, 37)]
    assert findings[0].message == (
        'Message type "caffe.ConvolutionParameter" has no field named "num_outputs".'
    )
    assert findings[0].hint == "did you mean `num_output`?"
    assert findings[1].message == 'Unknown enumeration value of "AVG" for field "pool".'
    assert findings[1].hint.startswith("did you mean `AVE`? valid values: MAX, AVE, STOCHASTIC")
    assert findings[2].message == "Expected integer, got: 1.5"


def test_seed_kernel_typo_suggests_kernel_size() -> None:
    findings = lint_text(
        'layer { name: "faulty_pooling" type: "Pooling" bottom: "x" top: "y"\n'
        "        pooling_param { pool: AVE stride: 5 kernel: 3 } }\n"
    )
    p002 = [f for f in findings if f.code == "P002"]
    assert brief(p002) == [("P002", 2, 45)]
    assert p002[0].message == ('Message type "caffe.PoolingParameter" has no field named "kernel".')
    assert p002[0].hint == "did you mean `kernel_size`?"


def test_did_you_mean() -> None:
    fields = [(f.name, f.number) for f in caffe_pb2.PoolingParameter.DESCRIPTOR.fields]
    assert did_you_mean("kernel", fields) == "kernel_size"
    assert did_you_mean("strid", fields) == "stride"
    assert did_you_mean("kernal_size", fields) == "kernel_size"
    assert did_you_mean("zzzz", fields) is None


def test_v1_layer_with_string_type_is_protobufs_message() -> None:
    (f,) = lint_fixture("parse/bad_v1_string_type.prototxt", select=("P",))
    assert (f.code, f.line, f.column) == ("P003", 3, 9)
    assert f.message == 'Expected integer or identifier, got: "DummyData"'


def test_v2_layer_with_enum_type() -> None:
    findings = lint_text('layer { name: "d" type: DUMMY_DATA top: "d" }\n')
    assert brief(findings)[0] == ("P003", 1, 25)
    assert findings[0].message == "Expected string, got: DUMMY_DATA"


def test_duplicate_non_repeated_field() -> None:
    (f,) = lint_fixture("parse/bad_duplicate.prototxt", select=("P",))
    assert (f.code, f.line, f.column) == ("P004", 6, 44)
    assert f.message == 'Non-repeated field "kernel_size" is specified multiple times.'


def test_unclosed_block() -> None:
    findings = lint_fixture("parse/bad_unclosed.prototxt", select=("P",))
    assert brief(findings) == [("P001", 1, 1)]
    assert findings[0].message == (
        'Expected "}" to close "layer {" opened here, found end of input.'
    )


def test_fork_fields_reported_once_each_and_rules_still_run() -> None:
    # read as BVLC Caffe reads it (detection off); detected, it is PSPNet's (test_dialects)
    findings = lint_fixture("parse/bad_fork_fields.prototxt", select=("P",), dialect="bvlc")
    # one cause (a fork's schema), one finding: the other name is a related place
    assert brief(findings) == [("P002", 4, 58)]
    assert findings[0].message == (
        'Message type "caffe.LayerParameter" has no field named "bn_param"'
        " (found 2 times in this file; reported once); 1 more names this schema does not"
        " have: `ceil_mode`"
    )
    assert [(r.line, r.column) for r in findings[0].related] == [(7, 60)]
    # no false "did you mean mvn_param": the forks that declare it are named
    assert findings[0].hint == (
        "`bn_param` is a field of the SegNet fork (alexgkendall/caffe-segnet): lint with"
        " --dialect segnet (also pspnet, caffe-windows, tsn, ...), or --proto with its"
        " caffe.proto"
    )


def test_deep_nesting_does_not_crash() -> None:
    depth = 10_000
    text = "layer { " + "foo { " * depth + "} " * depth + "}\n"
    findings = lint_text(text, select=("P",))
    assert brief(findings) == [("P002", 1, 9)]


def test_deep_known_nesting_hits_the_limit_cleanly() -> None:
    from prototxt_lint.syntax import parser

    # a recursive schema is the only way to nest known fields deeply; emulate with the limit
    old = parser.MAX_DEPTH
    parser.MAX_DEPTH = 1
    try:
        findings = lint_text('layer { pooling_param { pool: MAX } name: "x" }\n')
    finally:
        parser.MAX_DEPTH = old
    assert brief(findings) == [("P001", 1, 23)]
    assert findings[0].message == "Message nested more than 1 levels deep."


def test_one_megabyte_single_line() -> None:
    layer = 'layer { name: "r" type: "ReLU" bottom: "data" top: "data" } '
    text = 'input: "data" input_shape { dim: 1 } ' + layer * (1_000_000 // len(layer))
    assert "\n" not in text and len(text) > 990_000
    assert lint_text(text) == []


def test_error_flood_is_capped() -> None:
    findings = lint_text("layer { " + "1 " * 5000 + "}\n")
    assert len(findings) <= 101
    assert findings[-1].message.startswith("too many errors") or len(findings) == 1


def test_template_placeholder_is_one_bad_value() -> None:
    """`${NAME}` (a shell template) is one syntax error; the parser does not read `{NAME}`
    as a block of fields and lose track of which message it is in."""
    text = (
        'layer { name: "fc8" type: "Convolution" bottom: "fc7" top: "fc8"\n'
        "  convolution_param {\n    num_output: ${NUM_LABELS}\n    kernel_size: 1\n  }\n}\n"
    )
    findings = lint_text(text, select=("P",))
    assert brief(findings) == [("P001", 3, 17)]
    assert findings[0].message == "Expected integer, got: $"


def test_did_you_mean_only_for_plausible_slips() -> None:
    """A fork's own field is no typo of a BVLC one: no hint that would change the meaning."""
    solver = [(f.name, f.number) for f in caffe_pb2.SolverParameter.DESCRIPTOR.fields]
    layer = [(f.name, f.number) for f in caffe_pb2.LayerParameter.DESCRIPTOR.fields]
    conv = [(f.name, f.number) for f in caffe_pb2.ConvolutionParameter.DESCRIPTOR.fields]
    pool = [(f.name, f.number) for f in caffe_pb2.PoolingParameter.DESCRIPTOR.fields]
    for name, fields in [
        ("larc_policy", solver), ("max_momentum", solver), ("solver_data_type", solver),
        ("interp_param", layer), ("padding_param", layer), ("mat_write_param", layer),
        ("kernel_depth", conv), ("ceil_mode", pool),
    ]:
        assert did_you_mean(name, fields) is None, name
    assert did_you_mean("lr_polcy", solver) == "lr_policy"
    assert did_you_mean("weight_filer", conv) == "weight_filler"
    assert did_you_mean("numoutput", conv) == "num_output"


def test_did_you_mean_keeps_the_kind_of_value() -> None:
    # a block suggests only message fields, a number only scalar ones
    findings = lint_text(
        'layer { name: "c" type: "Convolution" bottom: "d" top: "c"\n'
        '  convolution_param { num_output: 2 weight_filer { type: "xavier" } } }\n'
        'layer { name: "e" type: "Convolution" bottom: "d" top: "e"\n'
        "  convolution_param { num_output: 2 bias_filer: 0.1 } }\n",
        select=("P002",),
    )
    assert brief(findings) == [("P002", 2, 37), ("P002", 4, 37)]
    assert findings[0].hint == "did you mean `weight_filler`?"
    assert findings[1].hint.startswith("a fork's field")  # `bias_filler` is a message


def test_a_forks_enum_values_and_a_templates_placeholders_are_one_finding_each() -> None:
    text = (
        'layers { name: "d" type: IMAGE_SEG_DATA top: "d" }\n'
        'layers { name: "i" type: INTERP bottom: "d" top: "i" }\n'
        'layers { name: "c" type: CONVOLUTION bottom: "i" top: "c"\n'
        "  convolution_param { num_output: cls3x kernel_size: 3 } }\n"
        'layers { name: "e" type: CONVOLUTION bottom: "c" top: "e"\n'
        "  convolution_param { num_output: cls6x kernel_size: 3 } }\n"
    )
    findings = lint_text(text, select=("P",), dialect="bvlc")
    assert brief(findings) == [("P003", 1, 26), ("P003", 4, 35)]
    enum, placeholder = findings
    assert enum.message == (
        'Unknown enumeration value of "IMAGE_SEG_DATA" for field "type"; 1 more values this'
        " schema does not have: `INTERP`"
    )
    assert [(r.line, r.column) for r in enum.related] == [(2, 26)]
    assert placeholder.message == (
        "Expected integer, got: cls3x; 1 more names where a number belongs (a template?):"
        " `cls6x`"
    )
    assert [(r.line, r.column) for r in placeholder.related] == [(6, 35)]


def test_a_forks_repeated_fields_written_as_lists_are_one_finding() -> None:
    # C3D/ECO declare Pooling kernel_size and stride repeated (3-D); BVLC's are single values
    text = (
        'layer { name: "p" type: "Pooling" bottom: "x" top: "y"\n'
        "  pooling_param { pool: MAX\n    kernel_size: [3, 1, 1]\n    stride: [2, 1, 1] } }\n"
    )
    findings = lint_text(text, select=("P",), dialect="bvlc")
    assert brief(findings) == [("P001", 3, 18)]
    assert findings[0].message == (
        'Expected a value for non-repeated field "kernel_size", found "[". The [a, b] list'
        " form is only for repeated fields; 1 more fields written as lists that this schema"
        " does not repeat: `stride`"
    )
    assert [(r.line, r.column) for r in findings[0].related] == [(4, 13)]


# --- literal forms as C++ protobuf 3.21 (Caffe's) reads them; see test_parse_fidelity ------
_CONV = 'layer { name: "c" type: "Convolution"\n  convolution_param { %s } }\n'
_RELU = 'layer { name: "c" type: "ReLU"\n  %s }\n'


@pytest.mark.parametrize(("text", "expected"), [
    (_CONV % "weight_filler { value: 0x10 }",
     ("P003", 2, 46, "Expect a decimal number, got: 0x10")),
    (_CONV % "weight_filler { value: 010 }", ("P003", 2, 46, "Expect a decimal number, got: 010")),
    (_CONV % "weight_filler { value: inff }", ("P003", 2, 46, "Expected double, got: inff")),
    (_CONV % "weight_filler { value: nanf }", ("P003", 2, 46, "Expected double, got: nanf")),
    (_CONV % "num_output: 1_0", ("P003", 2, 35, "Need space between number and identifier.")),
    (_CONV % "num_output: -0", ("P003", 2, 36, "Expected an unsigned integer (-0)")),
    (_CONV % "axis: -2147483649", ("P003", 2, 30, "Integer out of range (-2147483649)")),
    (_CONV % "axis: 2147483648", ("P003", 2, 29, "Integer out of range (2147483648)")),
    (_CONV % "bias_term: 0x2", ("P003", 2, 34, 'Invalid value for boolean field "bias_term".'
                                                 ' Value: "0x2".')),
    (_RELU % "param: [{ lr_mult: 1 } { lr_mult: 2 }]", ("P001", 2, 26, 'Expected ",", found "{".')),
    (_RELU % "param: [{ lr_mult: 1 },]", ("P001", 2, 26, 'Expected "{", found "]".')),
    (_CONV % 'weight_filler [{ type: "xavier" }]', ("P001", 2, 37, 'Expected "{", found "[".')),
    (_RELU % r'bottom: "a\q"', ("P003", 2, 11, "Invalid escape sequence in string literal.")),
    (_RELU % r'bottom: "a\8"', ("P003", 2, 11, "Invalid escape sequence in string literal.")),
    (_RELU % r'bottom: "\u4"',
     ("P003", 2, 11, r"Expected four hex digits for \u escape sequence.")),
    (_RELU % r'bottom: "\x"', ("P003", 2, 11, "Expected hex digits for escape sequence.")),
    (_RELU % r'bottom: "\xff"', ("P003", 2, 11, "String value is not valid UTF-8 (byte 0xff).")),
    ('\ufeffname: "x"\n', ("P001", 1, 1, "Interpreting non ascii codepoint 239. (a UTF-8"
                           " byte-order mark: protobuf's C++ parser refuses it and Caffe aborts;"
                           " save the file without BOM)")),
])
def test_literal_forms_caffe_refuses(text: str, expected: tuple[str, int, int, str]) -> None:
    found = [(f.code, f.line, f.column, f.message)
             for f in lint_text(text, select=("P",), ignore=("P011",))]
    assert found == [expected]


@pytest.mark.parametrize(("body", "field", "value"), [
    ("bias_term: 0x1", "bias_term", True),
    ("bias_term: 00", "bias_term", False),
    ("num_output: 0x10", "num_output", 16),
    ("num_output: 010", "num_output", 8),
    ("weight_filler { value: Infinity }", "weight_filler", float("inf")),
    ("weight_filler { value: 99999999999999999999999 }", "weight_filler", 1e23),
])
def test_literal_forms_caffe_accepts(body: str, field: str, value: object) -> None:
    result = parse(_CONV % body, caffe_pb2.NetParameter())
    assert result.errors == []
    got = getattr(result.message.layer[0].convolution_param, field)
    if field == "weight_filler":
        got = got.value
        assert got == pytest.approx(value, rel=1e-6)
    else:
        assert got == value


@pytest.mark.parametrize(("literal", "value"), [
    (r'"\?"', "?"),
    (r'"\x414"', "A4"),
    (r'"\1010"', "A0"),
    (r'"\x4" "1"', "\x041"),  # each literal unescaped on its own, as protobuf does
    (r'"\u00e9"', "é"),
    (r'"\ud83d\ude00"', "\U0001f600"),
    (r'"\U0001F600"', "\U0001f600"),
    (r'"\U00110000"', "\\U00110000"),  # beyond Unicode: protobuf keeps the text as written
    ("'a' \"b\"", "ab"),
])
def test_string_escapes_as_protobuf_reads_them(literal: str, value: str) -> None:
    result = parse(_RELU % f"bottom: {literal}", caffe_pb2.NetParameter())
    assert result.errors == []
    assert result.message.layer[0].bottom == [value]


def test_a_list_of_messages_is_not_portable_to_old_protobuf() -> None:
    text = 'layer { name: "c" type: "ReLU"\n  param: [{ lr_mult: 1 }, { lr_mult: 2 }]\n}\n'
    found = [(f.code, f.line, f.column, f.end_column, f.message)
             for f in lint_text(text, select=("P",))]
    assert found == [("P011", 2, 3, 11, "a list of messages (`field [{...}, {...}]`): protobuf"
                      " before 2.6.0 cannot read it")]
    # scalar lists and one block per message are not reported
    assert lint_text('layer { name: "c" type: "ReLU" bottom: ["a", "b"]\n'
                     "  param { lr_mult: 1 } param { lr_mult: 2 } }\n", select=("P",)) == []


def test_a_capitalised_bool_is_not_portable_to_old_protobuf() -> None:
    """`True`/`False` parse (protobuf 2.6 and newer), and get one P012 note per file at the
    first, the others related; lower case, t/f and 1/0 get none."""
    text = ('layer { name: "d" type: "Dropout" bottom: "x" top: "x"\n'
            '  include { phase: TRAIN } }\n'
            'layer { name: "bn" type: "BatchNorm" bottom: "x" top: "y"\n'
            '  batch_norm_param { use_global_stats: True } }\n'
            'layer { name: "bn2" type: "BatchNorm" bottom: "y" top: "z"\n'
            '  batch_norm_param { use_global_stats: False } }\n')
    result = parse(text, caffe_pb2.NetParameter())
    assert result.errors == []
    assert [v.batch_norm_param.use_global_stats for v in result.message.layer[1:]] == [
        True, False]
    (f,) = lint_text(text, select=("P012",))
    assert (f.code, f.line, f.column, f.end_column, f.severity.label) == (
        "P012", 4, 40, 44, "info")
    assert f.message == (
        "`True`: protobuf 2.6 and newer read it as `true`, but protobuf 2.5.0's text format"
        " takes only true/false (or t/f, 1/0) for a bool, so a Caffe built with it refuses the"
        ' file ("Invalid value for boolean field"); 1 more in this file')
    assert f.hint == "write `true` (bools in lower case)"
    assert [(r.line, r.column) for r in f.related] == [(6, 40)]
    for word in ("true", "t", "1", "false", "f", "0"):
        assert lint_text(text.replace("True", word).replace("False", word),
                         select=("P012",)) == []


def test_a_separator_after_a_skipped_field_is_no_syntax_error() -> None:
    """Text format allows `;` or `,` after any field; after an unknown field (skipped) the
    separator used to be read as the next field name: a false `Expected identifier, got: ;`
    (found on an unseen real file)."""
    text = ('base_lr: 0.01;\nfoo_bar: 3;\nlr_policy: "fixed",\nbaz { a: 1 };\nmax_iter: 10;\n'
            'net: "n.prototxt";\n')
    result = parse(text, caffe_pb2.SolverParameter())
    assert [(e.code, e.message) for e in result.errors] == [
        ("P002", 'Message type "caffe.SolverParameter" has no field named "foo_bar".'),
        ("P002", 'Message type "caffe.SolverParameter" has no field named "baz".'),
    ]
    assert result.message.max_iter == 10 and result.message.net == "n.prototxt"
