"""The real-world corpus in ../shared/corpus: never a crash, and what is reported is true.

Skipped only where ../shared is absent; in CI (CI=true) a missing corpus is a failure.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from conftest import CORPUS, REPO, needs_protoc

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules

if not CORPUS.is_dir():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs ../shared/corpus beside the checkout")
    pytest.skip("../shared/corpus is not next to this checkout", allow_module_level=True)


def _rows(name: str) -> list[dict[str, str]]:
    with open(CORPUS / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


MANIFEST = [r for r in _rows("MANIFEST.tsv") if r["kind"] != "proto"]
PARSES = {r["local_path"]: r["parses_with_bvlc_proto"] == "yes" for r in _rows("PARSE_BVLC.tsv")}

#: Every error the linter reports on a corpus file that BVLC Caffe's schema parses, each
#: checked by hand against BVLC Caffe's source and the measured behaviour.
VERIFIED_ERRORS = {
    # a `layer` block among 37 `layers` blocks: UpgradeV1Net refuses the file (row 4a)
    ("kevinlin311tw__cvpr16-deepbit/examples/deepbit-cifar10-16/deploy16.prototxt", "N221"),
    ("kevinlin311tw__cvpr16-deepbit/examples/deepbit-cifar10-64/deploy64.prototxt", "N221"),
    # V1 `layers` inside net_param are never upgraded: FilterNet builds an empty net
    ("BVLC__caffe/examples/mnist/lenet_consolidated_solver.prototxt", "N223"),
    # caffe2dml files name a layer ("mnist") as a bottom; BVLC Caffe aborts in InsertSplits
    ("apache__systemds/scripts/nn/examples/caffe2dml/models/mnist_lenet/lenet.proto", "N261"),
    # caffe2dml's VGG19: SoftmaxWithLoss with one bottom (checked on BVLC Caffe)
    ("apache__systemds/scripts/nn/examples/caffe2dml/models/imagenet/vgg19/"
     "VGG_ILSVRC_19_layers_network.proto", "N314"),
}


#: files that use a field their own repository's caffe.proto does not declare (checked by
#: grep in protos/): the P002 on them is true with that schema too
NOT_IN_ITS_SCHEMA = {
    # `adacos_add_m_scale_param`: not in xialuxi/arcface-caffe's caffe.proto
    "xialuxi__arcface-caffe/AdaCos/adacos_add_m_scale.prototxt",
    # `stepearly` (and `lr_policy: "stepearly"`): not in DeepLab-Context's caffe.proto
    "TheLegendAli__DeepLab-Context/examples/lenet/lenet_stepearly_solver.prototxt",
}


@pytest.fixture(scope="module")
def results() -> dict[str, list[tuple[str, str]]]:
    linter = Linter(load_rules(), Options(debug=True))  # a rule exception fails the test
    out: dict[str, list[tuple[str, str]]] = {}
    for row in MANIFEST:
        reports = linter.lint([Input(str(CORPUS / row["local_path"]))])
        first = reports[0]
        out[row["local_path"]] = [(f.code, f.severity.label) for f in first.findings]
    return out


def test_every_file_linted(results: dict[str, list[tuple[str, str]]]) -> None:
    assert len(results) == len(MANIFEST) > 270


def test_no_parse_findings_where_bvlc_parses(results: dict[str, list[tuple[str, str]]]) -> None:
    for path, findings in results.items():
        if PARSES.get(path):
            assert not [c for c, _ in findings if c.startswith("P")], path


def test_errors_only_where_verified(results: dict[str, list[tuple[str, str]]]) -> None:
    errors = {
        (path, code)
        for path, findings in results.items()
        if PARSES.get(path)
        for code, severity in findings
        if severity == "error"
    }
    assert errors == VERIFIED_ERRORS


def test_fork_files_get_one_finding_for_their_unknown_names(
    results: dict[str, list[tuple[str, str]]],
) -> None:
    pspnet = "hszhao__PSPNet/evaluation/prototxt/pspnet101_VOC2012_473.prototxt"
    parse = [item for item in results[pspnet] if item[0].startswith(("P", "X003"))]
    # bn_param and interp_param: recognised as PSPNet's (or a fork with both), read as that
    # fork reads it: one note and no parse error (read as BVLC, see test_parser.py)
    assert parse == [("X003", "info")]


def test_frozen_batchnorm_noted_once_per_net() -> None:
    net = CORPUS / "daijifeng001__R-FCN/models/rfcn_prototxts/ResNet-50L_res3a/train_val.prototxt"
    reports = Linter(load_rules(), Options(select=("N21",))).lint([Input(str(net))])
    (finding,) = reports[0].findings
    assert (finding.code, finding.line, finding.column) == ("N212", 60, 9)
    assert "(and 52 more BatchNorm layers like it in this net)" in finding.message


def test_cli_over_the_whole_corpus_never_crashes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "--no-color", str(CORPUS)],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=600,
    )
    assert proc.returncode in (0, 1, 2)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "internal error in rule" not in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Found ")


@needs_protoc
def test_every_file_with_its_own_fork_schema_never_crashes_a_rule() -> None:
    from prototxt_lint.schema.fork import load_schema

    by_schema: dict[str, list[str]] = {}
    for row in MANIFEST:
        if row.get("schema"):
            by_schema.setdefault(row["schema"], []).append(row["local_path"])
    assert len(by_schema) >= 5
    for schema_path, files in by_schema.items():
        schema = load_schema(str(CORPUS / schema_path))
        linter = Linter(load_rules(), Options(schema=schema, debug=True))
        for local in files:
            reports = linter.lint([Input(str(CORPUS / local))])  # debug: a crash raises here
            codes = [f.code for f in reports[0].findings]
            if local in NOT_IN_ITS_SCHEMA:
                assert "P002" in codes, local
            elif "template" not in local and not local.endswith("labelmap_voc.prototxt"):
                assert "P002" not in codes, (local, schema_path)
