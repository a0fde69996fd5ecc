"""The dialect registry: every declaration gives back its fork's real schema, and files are
recognised as the fork they are written for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CORPUS,
    FIXTURES,
    PROTOC,
    REPO,
    lint_files,
    lint_text,
    needs_corpus,
    needs_protoc,
)
from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorSet

from prototxt_lint.dialects import DIALECTS
from prototxt_lint.dialects.overlay import _bvlc_file, declared_names, merged_file

PROTO_DIRS = (CORPUS / "protos", FIXTURES / "dialects")


def _source(name: str) -> Path | None:
    for folder in PROTO_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


def _compile(path: Path) -> Any:
    if PROTOC is None:
        pytest.skip("compiling a fork's schema needs grpcio-tools or protoc on PATH")
    from prototxt_lint.schema.fork import compile_schema

    return FileDescriptorSet.FromString(compile_schema(path)).file[-1]


def _shape(message: DescriptorProto, prefix: str, out: dict[str, Any]) -> None:
    """Everything the parser reads from a message, by its full name."""
    full = f"{prefix}.{message.name}"
    out[full] = (
        sorted((f.name, f.number, f.label, f.type, f.type_name, f.HasField("default_value"),
                f.default_value, f.options.packed) for f in message.field),
        {e.name: tuple((v.name, v.number) for v in e.value) for e in message.enum_type},
    )
    for nested in message.nested_type:
        _shape(nested, full, out)


def _shapes(file: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for message in file.message_type:
        _shape(message, ".caffe", out)
    for enum in file.enum_type:
        out[f".caffe.{enum.name}"] = tuple((v.name, v.number) for v in enum.value)
    return out


def test_every_dialect_is_declared_and_every_declaration_registered() -> None:
    assert sorted(d.name for d in DIALECTS) == declared_names()


def test_every_declaration_is_compiled() -> None:
    """Each proto/dialects/*.proto is in the shipped overlays.desc."""
    # the byte-for-byte check is CI's `gen_proto.sh` followed by `git diff --exit-code`
    assert {p.stem for p in (REPO / "proto" / "dialects").glob("*.proto")} == set(
        declared_names())


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_declaration_matches_the_forks_real_schema(dialect: Any, tmp_path: Path) -> None:
    path = _source(dialect.source)
    if path is None:
        pytest.skip(f"{dialect.source} is not here (../shared/corpus/protos is absent)")
    real = _shapes(_compile(path))
    ours = _shapes(merged_file(dialect.name))
    bvlc = _shapes(_bvlc_file())
    for name, shape in real.items():
        assert name in ours, f"{dialect.name}: {name} is not declared"
        if not isinstance(shape, tuple) or len(shape) != 2 or not isinstance(shape[1], dict):
            assert ours[name] == shape, f"{dialect.name}: enum {name} differs from the fork's"
            continue
        fields, enums = ours[name]
        assert fields == shape[0], f"{dialect.name}: {name}'s fields differ from the fork's"
        for enum, values in shape[1].items():
            assert enums.get(enum) == values, f"{dialect.name}: {name}.{enum} differs"
        # a nested enum BVLC has and the fork lacks may stay: no field of the fork uses it
        for enum in set(enums) - set(shape[1]):
            assert enums[enum] == bvlc[name][1].get(enum), f"{dialect.name}: {name}.{enum}"
    extra = set(ours) - set(real)
    # BVLC messages the fork lacks stay (nothing refers to them); nothing else is added
    assert extra <= set(bvlc), f"{dialect.name}: declares {sorted(extra - set(bvlc))}"


# --- each dialect's own behaviour, on fixtures, with exact findings ------------------------

NETS = FIXTURES / "dialect_nets"


def _found(*paths: Path, **kw: object) -> list[tuple[str, int, int, str]]:
    return [(f.code, f.line, f.column, f.message) for f in lint_files(*paths, **kw)]


def test_c3d_v1_net_is_read_as_c3d_and_v1_is_its_native_syntax() -> None:
    # no P002/P003 for kernel_depth, VIDEO_DATA, ...; no N222 "upgrade your V1 file": V1 is
    # the only syntax C3D v1.0 has
    assert _found(NETS / "c3d_v1_train.prototxt") == [(
        "X003", 4, 22, "read as the C3D v1.0 fork (facebookarchive/C3D) reads it: uses"
        " `kernel_depth`, `temporal_pad`, `new_length`, `temporal_stride`, `CONVOLUTION3D`"
        " and 2 more, which that fork declares and BVLC Caffe's schema lacks")]
    bvlc = {code for code, *_ in _found(NETS / "c3d_v1_train.prototxt", dialect="bvlc")}
    assert bvlc == {"P002", "P003", "N222"}


def test_a_bvlc_field_the_fork_lacks_is_an_error_in_that_fork() -> None:
    found = lint_files(NETS / "c3d_v1_include.prototxt", select=("P", "X"))
    assert [(f.code, f.line, f.column) for f in found] == [("X003", 4, 22), ("P002", 11, 3)]
    assert found[1].message == (
        'Message type "caffe.LayerParameter" has no field named "include" in the C3D v1.0 fork'
        " (facebookarchive/C3D).")
    assert found[1].hint.startswith("BVLC Caffe has `include`, this fork does not")


def test_scalar_test_iter_of_an_old_fork_is_not_bvlcs_list() -> None:
    # C3D v1.0's solver has one test_net and one test_iter: no S110 count checks, no crash
    solver = NETS / "c3d_v1_solver.prototxt"
    assert _found(solver, dialect="c3d-1.0") == []
    assert _found(solver, select=("S",)) == []


def test_nvcaffe_batchnorm_with_fillers_learns_its_own_affine() -> None:
    assert _found(NETS / "nvcaffe_bn.prototxt", select=("N323", "X003")) == [(
        "X003", 9, 22, "read as NVIDIA's Caffe (NVCaffe) (NVIDIA/caffe) reads it: uses"
        " `bias_filler`, `scale_filler`, which that fork declares and BVLC Caffe's schema lacks"
        " (so do: caffe-windows)")]


def test_forced_dialect_gives_no_dialect_note_and_bvlc_turns_detection_off() -> None:
    assert _found(NETS / "c3d_v1_train.prototxt", dialect="c3d-1.0") == []
    assert "X003" not in {c for c, *_ in _found(NETS / "c3d_v1_train.prototxt",
                                                 dialect="bvlc")}


def test_a_fork_field_is_never_renamed_by_a_did_you_mean() -> None:
    # C3D's kernel_depth is no typo of kernel_h: read as BVLC, the hint names the fork
    (f,) = lint_text('layer { name: "p" type: "Pooling" bottom: "x" top: "y"\n'
                     "  pooling_param { kernel_size: 2 kernel_depth: 2 } }\n",
                     select=("P002",), dialect="bvlc")
    assert (f.line, f.column) == (2, 34)
    assert f.hint == (
        "`kernel_depth` is a field of the C3D v1.0 fork (facebookarchive/C3D): lint with"
        " --dialect c3d-1.0, or --proto with its caffe.proto")


# --- the corpus: every fork file is recognised, and linted as with the fork's schema ------


def _manifest() -> list[dict[str, str]]:
    import csv

    with open(CORPUS / "MANIFEST.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_source = {d.source: d.name for d in DIALECTS}
    out = []
    for row in rows:
        if row["schema"] and row["kind"] not in ("proto", "unknown"):
            row["dialect"] = by_source[row["schema"].removeprefix("protos/")]
            out.append(row)
    return out


@needs_corpus
def test_every_corpus_fork_file_is_recognised_as_its_fork() -> None:
    from prototxt_lint.dialects.detect import declaring, markers
    from prototxt_lint.dialects.reading import TYPE, read_as_dialect
    from prototxt_lint.engine.loading import load_path
    from prototxt_lint.model import BVLC_LAYER_TYPES
    from prototxt_lint.schema import bvlc_schema

    rows = _manifest()
    assert len(rows) > 500
    wrong, recognised, better = [], 0, 0
    for row in rows:
        doc = load_path(str(CORPUS / row["local_path"]), bvlc_schema(), 1 << 26)
        read = read_as_dialect(doc, "auto")
        if read.detection is None:
            # nothing in the file is the fork's (DeepLab-Context's stepearly solver writes a
            # field its own fork lacks): BVLC's schema reads it as the fork's would
            assert read is doc, row["local_path"]
            assert not any(declaring(key) for key in doc.parsed.key_counts), row["local_path"]
            continue
        recognised += 1
        names = [read.detection.dialect.name, *(d.name for d in read.detection.rivals)]
        if row["dialect"] in names:
            continue
        # or a fork that declares all the manifest's fork does for this file, and more
        # (MobileNetv2-SSDLite's ReLU6: SSD has no such layer, MobileNet-YOLO has SSD's and it)
        unknown = set(doc.parsed.key_counts) | {
            (TYPE, layer.type) for layer in doc.message.layer if layer.type not in BVLC_LAYER_TYPES}
        theirs = {key for key in unknown if markers(row["dialect"]).declares(key)}
        ours = set(read.detection.evidence)
        if not theirs < ours:
            wrong.append((row["local_path"], row["dialect"], names))
        else:
            better += 1
    assert wrong == []
    assert recognised > 300
    assert better < 20  # nearly always the manifest's fork itself


#: Files that use nothing of their fork (so they are read as BVLC Caffe reads them) and that
#: a rule judges differently under the fork's schema: N312 is silent with any fork's schema
#: (which cannot list the parameter-less layers a fork registers); DeepLab-Context has only
#: V1 `layers` (N222's "upgraded on every read" is BVLC's) and its solver no `type` field
#: (nor S211's upgrade to it). A V1 file or an unknown layer type alone names no fork; nor
#: does a filler name (Intel Caffe's `gabor`, N330: BVLC's checks are off with a fork's schema).
NO_EVIDENCE = {"N222", "N312", "N330", "S211"}


@needs_corpus
@needs_protoc
def test_corpus_fork_files_lint_as_with_the_forks_own_schema() -> None:
    from prototxt_lint.engine.linter import Input, Linter, Options
    from prototxt_lint.engine.registry import load_rules
    from prototxt_lint.schema.fork import load_schema

    rules = load_rules()
    auto = Linter(rules, Options())
    linters: dict[str, Linter] = {}
    unexplained = []
    for row in _manifest():
        schema = row["schema"]
        if schema not in linters:
            linters[schema] = Linter(rules, Options(schema=load_schema(str(CORPUS / schema))))
        path = str(CORPUS / row["local_path"])
        (mine,) = [r for r in auto.lint([Input(path)]) if r.document.path == path]
        (real,) = [r for r in linters[schema].lint([Input(path)]) if r.document.path == path]
        ours = {(f.code, f.line, f.column, f.message) for f in mine.findings
                if f.code not in ("X003", "X004")}
        # names neither schema has: one X004 warning here, P002/P003/P004 errors with the
        # schema the user named (--proto), at the same places
        unknown = {(f.line, f.column) for f in mine.findings if f.code == "X004"} | {
            (r.line, r.column) for f in mine.findings if f.code == "X004" for r in f.related}
        theirs = {(f.code, f.line, f.column, f.message) for f in real.findings
                  if not (f.code in ("P002", "P003", "P004") and (f.line, f.column) in unknown)}
        if ours == theirs:
            continue
        codes = {f[0] for f in ours ^ theirs}
        if mine.document.detection is None and codes <= NO_EVIDENCE:
            continue
        unexplained.append((row["local_path"], sorted(ours ^ theirs)))
    assert unexplained == []


def test_proto_of_a_v1_only_fork_from_any_file_name(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`--proto` with C3D v1.0's own schema (no `layer` field at all): compiled once under one
    name, loaded from the cache under another, and the net linted as with `--dialect`."""
    if PROTOC is None:
        pytest.skip("--proto needs grpcio-tools or protoc on PATH")
    from prototxt_lint.engine.linter import Input, Linter, Options
    from prototxt_lint.engine.registry import load_rules
    from prototxt_lint.schema.fork import load_schema

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real = (FIXTURES / "dialects" / "facebook__C3D-v1.0.caffe.proto").read_bytes()
    (tmp_path / "a.proto").write_bytes(real)
    (tmp_path / "b.proto").write_bytes(real)
    load_schema(str(tmp_path / "a.proto"))  # compiled and cached
    schema = load_schema(str(tmp_path / "b.proto"))  # same content: from the cache
    assert len(list((tmp_path / "cache").rglob("*.desc"))) == 1
    net = Input(str(NETS / "c3d_v1_include.prototxt"))
    with_proto = Linter(load_rules(), Options(schema=schema)).lint([net])[0].findings
    named = Linter(load_rules(), Options(dialect="c3d-1.0")).lint([net])[0].findings
    assert [(f.code, f.line, f.column) for f in with_proto] == [
        (f.code, f.line, f.column) for f in named] == [("P002", 11, 3)]


@needs_corpus
def test_crf_as_rnn_v1_net_is_read_as_its_first_release() -> None:
    """torrvision/crfasrnn's first release: a V1-only Caffe (NetParameter.layers holds its
    LayerParameter) with the V1 types CROP and MULTI_STAGE_MEANFIELD and the
    multi_stage_meanfield_param block. Read as that fork: no P002/P003, and no N222 (V1 is
    the only syntax it has); read as BVLC, all three."""
    path = CORPUS / "torrvision__crfasrnn/python-scripts/TVG_CRFRNN_COCO_VOC.prototxt"
    assert _found(path) == [(
        "X003", 96, 16, "read as the CRF-as-RNN fork (torrvision/crfasrnn) reads it: uses"
        " `multi_stage_meanfield_param`, `CROP`, `MULTI_STAGE_MEANFIELD`, which that fork"
        " declares and BVLC Caffe's schema lacks")]
    assert [code for code, *_ in _found(path, dialect="bvlc")] == ["N222", "P003", "P002"]


def test_r_c3d_net_is_read_as_r_c3d() -> None:
    """R-C3D's caffe3d (video-caffe with Faster R-CNN's layers): pooling with a kernel and a
    stride per axis (repeated, a P004 for BVLC), temporal RoI pooling and the box loss; read
    as that fork, nothing but the dialect note."""
    path = FIXTURES / "dialects" / "rc3d_head.prototxt"
    assert _found(path) == [(
        "X003", 14, 59, "read as the R-C3D fork (VisionLearningGroup/R-C3D) reads it: uses"
        " `roi_pooling_param`, `smooth_l1_loss_param`, `kernel_size: [...]`, `stride: [...]`,"
        " which that fork declares and BVLC Caffe's schema lacks")]
    # read as BVLC: the repeated kernel, the fork's types and fields, and BVLC's 4-D pooling
    assert [code for code, *_ in _found(path, dialect="bvlc")] == [
        "N424", "P004", "N312", "P002"]
