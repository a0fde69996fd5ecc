"""What each fork registers beyond BVLC (prototxt_lint/dialects/registrations.py): declared
exactly as its sources show (tests/fixtures/dialects/registrations/<dialect>.txt), used as
detection evidence, and known to the layer-type, solver-type and lr_policy rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES, lint_files, lint_fixture, needs_corpus

from prototxt_lint.caffe.lr_policies import BVLC_POLICIES, known_policies
from prototxt_lint.caffe.solver import SOLVER_TYPES
from prototxt_lint.dialects import BY_NAME
from prototxt_lint.dialects.registrations import (
    REGISTRATIONS,
    forks_registering_layer,
    registrations,
)
from prototxt_lint.model import BVLC_LAYER_TYPES

EVIDENCE = FIXTURES / "dialects" / "registrations"
KINDS = {"layer": "layers", "solver": "solvers", "lr_policy": "lr_policies"}


def _evidence(path: Path) -> dict[str, set[str]]:
    """kind -> names, from the lines `kind<TAB>name<TAB>source path<TAB>commit`; "listing" ->
    {"complete"} or {"partial"}, from the header line `# listing: ...` (how much of the fork's
    layer folder the index holds, so whether every type it registers was read)."""
    out: dict[str, set[str]] = {k: set() for k in KINDS.values()}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# listing: "):
            assert "listing" not in out, f"{path.name}: two listing lines"
            out["listing"] = {line.removeprefix("# listing: ")}
        if not line or line.startswith("#"):
            continue
        kind, name, source, commit = line.split("\t")
        # the fork's source file as published (some forks keep Caffe in a subfolder:
        # C3D-v1.1/src/caffe/..., caffe_3d/src/caffe/...; arcface-caffe ships loose layers)
        assert source.endswith(".cpp"), line
        assert len(commit) == 40 and int(commit, 16) >= 0, line
        out[KINDS[kind]].add(name)
    assert out.get("listing") in ({"complete"}, {"partial"}), f"{path.name}: no listing line"
    return out


def test_every_declaration_has_its_evidence_and_every_evidence_file_a_declaration() -> None:
    assert {p.stem for p in EVIDENCE.glob("*.txt")} == set(REGISTRATIONS)
    assert set(REGISTRATIONS) <= set(BY_NAME)


@pytest.mark.parametrize("dialect", sorted(REGISTRATIONS))
def test_declaration_is_exactly_what_the_forks_sources_register(dialect: str) -> None:
    seen = _evidence(EVIDENCE / f"{dialect}.txt")
    regs = REGISTRATIONS[dialect]
    assert set(regs.layers) == seen["layers"]
    assert set(regs.solvers) == seen["solvers"]
    assert set(regs.lr_policies) == seen["lr_policies"]
    assert regs.complete == (seen["listing"] == {"complete"})
    # only what BVLC lacks is declared
    assert not regs.layers & BVLC_LAYER_TYPES
    assert not regs.solvers & set(SOLVER_TYPES)
    assert not regs.lr_policies & set(BVLC_POLICIES)


def test_a_dialect_without_evidence_declares_nothing() -> None:
    regs = registrations("deeplab")  # V1 only: its types are enum values, no registrations
    assert not (regs.layers or regs.solvers or regs.lr_policies)
    assert not registrations(None).layers
    assert forks_registering_layer("PSROIPooling") == ["rfcn"]
    assert forks_registering_layer("Convolution") == []


def test_a_type_only_sources_name_does_not_decide_alone() -> None:
    """SSD registers Normalize, but SSD's schema names it nowhere (its parameters are
    `norm_param`): a type known only from sources is copied into many forks whose sources
    were never read, so the forks whose schema has a `normalize_param` are chosen."""
    found = lint_fixture("dialects/ssd_normalize_only.prototxt")
    assert [(f.code, f.line, f.column, f.message) for f in found] == [
        ("X003", 6, 3, "read as the caffe-windows fork (happynear/caffe-windows) reads it:"
         " uses `Normalize`, which that fork declares and BVLC Caffe's schema lacks (so do:"
         " arcface)"),
    ]


def test_a_registered_type_weighs_with_the_schemas_names() -> None:
    """`permute_param` is SSD's and every fork built on it; of those only MobileNet-YOLO
    registers DepthwiseConvolution: it fits best (without the registrations, SSD, the
    first of the tie, was chosen)."""
    found = lint_fixture("dialects/permute_depthwise.prototxt")
    assert [(f.code, f.line, f.column, f.message) for f in found] == [
        ("X003", 6, 3, "read as the MobileNet-YOLO fork (eric612/MobileNet-YOLO) reads it:"
         " uses `permute_param`, `DepthwiseConvolution`, which that fork declares and BVLC"
         " Caffe's schema lacks"),
    ]


def test_read_as_bvlc_the_type_is_still_unregistered() -> None:
    found = lint_fixture("dialects/ssd_normalize_only.prototxt", dialect="bvlc")
    assert [(f.code, f.line, f.column, f.message) for f in found] == [
        ("N312", 6, 3, 'layer type "Normalize" (1 layer) is not registered by BVLC Caffe:'
         " this net is written for a fork or a custom build; a Caffe build without it aborts"
         ' with "Unknown layer type: Normalize"'),
    ]


def test_forced_dialect_knows_its_registered_type() -> None:
    assert lint_fixture("dialects/ssd_normalize_only.prototxt", dialect="ssd") == []


def test_a_forks_lr_policies_are_known_only_to_that_fork() -> None:
    from prototxt_lint.dialects.overlay import dialect_schema
    from prototxt_lint.schema import bvlc_schema

    assert {"plateau", "multifixed"} <= set(known_policies(dialect_schema("intel")))
    assert "plateau" not in known_policies(bvlc_schema())


@needs_corpus
def test_a_real_ssdlite_net_is_read_as_the_fork_it_comes_from() -> None:
    """MobileNet-YOLO's SSDLite deploy net (its manifest names MobileNet-YOLO's schema):
    SSD's fields and MobileNet-YOLO's DepthwiseConvolution."""
    path = CORPUS / "eric612__MobileNet-YOLO/models/mobilenetv2_voc/ssd_lite/deploy.prototxt"
    found = lint_files(path, select=("X003", "N311", "N312"))
    assert [(f.code, f.line, f.column, f.message) for f in found] == [
        ("X003", 60, 3, "read as the MobileNet-YOLO fork (eric612/MobileNet-YOLO) reads it:"
         " uses `detection_output_param`, `permute_param`, `prior_box_param`,"
         " `DepthwiseConvolution`, which that fork declares and BVLC Caffe's schema lacks"),
    ]


@needs_corpus
def test_a_parameterless_type_alone_leaves_the_file_to_bvlc() -> None:
    """arcface-caffe's MobileNet-V2 uses only DepthwiseConvolution beyond BVLC: no fork's
    schema tells which fork it is for, so it stays a BVLC reading with N312 (true there)."""
    path = CORPUS / "xialuxi__arcface-caffe/landmark_and_pose/MobileNet-V2_deploy.prototxt"
    found = lint_files(path, select=("X003", "N312"))
    assert [(f.code, f.line, f.column) for f in found] == [("N312", 139, 3)]
    assert found[0].message.startswith('layer type "DepthwiseConvolution" (6 layers) is not'
                                       " registered by BVLC Caffe")


@needs_corpus
def test_a_real_ssd_deploy_net_gets_no_layer_type_finding() -> None:
    path = CORPUS / "chuanqi305__MobileNet-SSD" / "deploy.prototxt"
    assert lint_files(path, select=("N311", "N312")) == []
    assert lint_files(path, select=("N311", "N312"), dialect="ssd") == []
    by_bvlc = lint_files(path, select=("N312",), dialect="bvlc")
    assert [f.code for f in by_bvlc] == ["N312"]
    assert '"PriorBox"' in by_bvlc[0].message and '"DetectionOutput"' in by_bvlc[0].message


def test_a_bvlc_run_never_loads_the_registrations(tmp_path: Path) -> None:
    """The declarations are read only when a file has names BVLC lacks (start-up cost)."""
    from test_startup import _lint_run

    code, added = _lint_run(tmp_path, "pooling/bad_seed_stride.prototxt")
    assert code == 1
    assert "prototxt_lint.dialects.registrations" not in added
    code, added = _lint_run(tmp_path, "dialects/permute_depthwise.prototxt")
    assert "prototxt_lint.dialects.registrations" in added


def test_a_forks_own_solver_type_is_known_when_the_file_is_read_as_that_fork() -> None:
    """NVCaffe registers SAG (REGISTER_SOLVER_CLASS(SAG)): a solver recognised as NVCaffe's
    (its `larc` settings) gets no S214; read as BVLC's, it does."""
    found = lint_fixture("dialects/nvcaffe_sag_solver.prototxt")
    assert [(f.code, f.line, f.column) for f in found] == [("X003", 15, 1)]
    assert found[0].message.startswith("read as NVIDIA's Caffe (NVCaffe) (NVIDIA/caffe)")
    assert lint_fixture("dialects/nvcaffe_sag_solver.prototxt", select=("S",),
                        dialect="nvcaffe") == []
    by_bvlc = lint_fixture("dialects/nvcaffe_sag_solver.prototxt", select=("S214",),
                           dialect="bvlc")
    assert [(f.code, f.line, f.column) for f in by_bvlc] == [("S214", 17, 1)]
    assert by_bvlc[0].message.startswith('`type: "SAG"` is not a solver type BVLC Caffe')
    assert "SAG" not in registrations("intel").solvers


def test_a_type_a_partly_read_fork_is_not_known_to_have_is_not_reported() -> None:
    """SSD's sources were read only in part (registrations/ssd.txt: listing partial): a type
    it is not declared to register may still be one of its layers, so nothing is said."""
    assert not registrations("ssd").complete
    assert not any(regs.complete for regs in REGISTRATIONS.values())
    found = lint_fixture("dialects/ssd_with_custom_layer.prototxt", select=("N311", "N312"))
    assert found == []


def test_a_type_a_completely_read_fork_lacks_is_reported_with_the_fork(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Were SSD's layer folder read whole, a type neither it nor BVLC registers is one its
    LayerRegistry aborts on: N312 names the fork."""
    from prototxt_lint.dialects import registrations as module

    ssd = module.REGISTRATIONS["ssd"]
    monkeypatch.setitem(module.REGISTRATIONS, "ssd", module.Registrations(
        tuple(ssd.layers), tuple(ssd.solvers), tuple(ssd.lr_policies), complete=True))
    found = lint_fixture("dialects/ssd_with_custom_layer.prototxt", select=("N311", "N312"))
    assert [(f.code, f.line, f.column, f.message) for f in found] == [
        ("N312", 6, 33, 'layer type "ShuffleChannel" (1 layer) is registered neither by the'
         " SSD fork (weiliu89/caffe) nor by BVLC Caffe: that fork aborts with \"Unknown layer"
         ' type: ShuffleChannel"; only a custom build that adds it runs this net'),
    ]
    # read as that fork (--dialect), a parameter-less type of another fork is reported too
    assert lint_fixture("dialects/permute_depthwise.prototxt", select=("N312",),
                        dialect="ssd")[0].message.startswith(
        'layer type "DepthwiseConvolution" (1 layer) is registered neither by the SSD fork')
