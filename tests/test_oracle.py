"""Real BVLC Caffe as the test oracle: where the linter says "Caffe aborts", Caffe must abort.

Every net fixture and example is built by real Caffe (``../shared/caffe-oracle``'s
``construct_net``: ``FilterNet``, ``InsertSplits``, every layer's ``SetUp``) in each phase
the linter checks it in, and the verdicts must agree: Caffe aborts in that phase if and only
if the linter reports an error of a rule whose consequence is "aborts when the net is read or
set up" (``SETUP_ABORTS``) for it. Data layers open their sources at set-up, so each is
replaced by a ``DummyData`` layer with the same tops first (shape: 1 x 3 x crop x crop, or
1 x 3 x 32 x 32, and 1 label), and the linter lints the same replaced net Caffe builds.
Every disagreement is listed, with its reason, in ``ALLOWED``; an entry that no longer
disagrees fails the test too.

Without a build the test is skipped with a message saying how to get one; in CI (``CI``
set) a missing build is a failure: ``.ci/run`` builds it.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES, REPO, SHARED, caffe_imagedata_oracle, caffe_oracle

from prototxt_lint.caffe.layers import is_registered
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.schema import bvlc_schema

#: Rules (and parse codes) whose errors claim that Caffe aborts reading or setting up the net.
SETUP_ABORTS = frozenset({
    "P001", "P002", "P003", "P004",
    "N203", "N204", "N205", "N221", "N243", "N261", "N301", "N302", "N304", "N311", "N313",
    "N314", "N321", "N324", "N325", "N326", "N327", "N328", "N329", "N401", "N402", "N403",
    "N404", "N405", "N406", "N407", "N408", "N409", "N410", "N340", "N341", "N342", "N343",
    "N344", "N345", "N346", "N420", "N424", "N425", "N426",
})

#: (file relative to the repository, phase) -> why the verdicts differ there, on purpose.
ALLOWED: dict[tuple[str, str], str] = {
    ("tests/fixtures/layer_setup/filler_custom_bias.prototxt", "deploy"):
        "a filler name BVLC lacks and that is no slip of one of its names: BVLC aborts, the"
        " linter warns (N330), since a fork may register it (Intel Caffe's gabor)",
    ("tests/fixtures/layer_setup/bad_custom_filler_repeated.prototxt", "deploy"):
        "the same N330 case (`prelu` is no BVLC filler and no slip of one), on three layers:"
        " one warning for the cause",
}

DATA_TYPES = ("Data", "ImageData", "HDF5Data", "WindowData", "MemoryData")




CONSTRUCT = caffe_oracle()
if CONSTRUCT is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs the Caffe oracle: run ../shared/caffe-oracle/build.sh")
    pytest.skip(
        "no BVLC Caffe build (the Caffe oracle): run ../shared/caffe-oracle/build.sh (about 10"
        " minutes, once) or set PROTOTXT_LINT_CAFFE_ORACLE to its prefix"
        if (SHARED / "caffe-oracle" / "build.sh").is_file() else
        "no BVLC Caffe build (the Caffe oracle), and ../shared/caffe-oracle, which builds it,"
        " is not next to this checkout (or set PROTOTXT_LINT_CAFFE_ORACLE to a build's prefix)",
        allow_module_level=True,
    )


def _nets() -> list[Path]:
    """The net fixtures and examples, and every corpus net written for BVLC's schema."""
    files = sorted(FIXTURES.rglob("*.prototxt")) + sorted((REPO / "examples").glob("*.prototxt"))
    nets = [p for p in files if "lsp" not in p.parts]
    manifest = CORPUS / "MANIFEST.tsv"
    if manifest.is_file():
        with open(manifest, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        nets += [CORPUS / r["local_path"] for r in rows
                 if r["kind"] in ("net", "deploy") and not r["schema"]]
    return nets


def _dummy(layer: object) -> None:
    """Turn a V2 data layer into a DummyData layer with the same name, tops and rules."""
    transform = layer.transform_param  # type: ignore[attr-defined]
    size = transform.crop_size or 32
    tops = list(layer.top)  # type: ignore[attr-defined]
    keep = {"name": layer.name, "include": list(layer.include),  # type: ignore[attr-defined]
            "exclude": list(layer.exclude)}  # type: ignore[attr-defined]
    layer.Clear()  # type: ignore[attr-defined]
    layer.name = keep["name"]  # type: ignore[attr-defined]
    layer.type = "DummyData"  # type: ignore[attr-defined]
    layer.top.extend(tops)  # type: ignore[attr-defined]
    for rule in keep["include"]:
        layer.include.add().CopyFrom(rule)  # type: ignore[attr-defined]
    for rule in keep["exclude"]:
        layer.exclude.add().CopyFrom(rule)  # type: ignore[attr-defined]
    for i, _ in enumerate(tops):
        shape = layer.dummy_data_param.shape.add()  # type: ignore[attr-defined]
        shape.dim.extend([1, 3, size, size] if i == 0 else [1])


def _replaced(path: Path, tmp: Path) -> Path | None:
    """The net with its data layers replaced, as text both Caffe and the linter read; None
    when the file is no BVLC net to build here (a solver, parse errors, V1 data layers, a
    layer that reads a file at set-up)."""
    from google.protobuf import text_format

    # BVLC Caffe is the oracle: read every file as BVLC Caffe reads it (no fork detection)
    doc = Linter([], Options(dialect="bvlc")).lint([Input(str(path))])[0].document
    if doc.kind != "net" or doc.problems or (doc.parsed and doc.parsed.errors):
        return None
    net = doc.message
    if _old_data_layers(net):
        return None
    for layer in net.layer:
        if layer.type == "InfogainLoss" and layer.infogain_loss_param.source:
            return None  # reads its matrix file at set-up, like a data layer
        if layer.type == "Python":
            return None  # the oracle is built without Python layers
        if layer.type in DATA_TYPES:
            _dummy(layer)
    out = tmp / path.name
    out.write_text(text_format.MessageToString(net, descriptor_pool=None))
    return out


def _old_data_layers(net: object) -> bool:
    """V1/V0 data layers (replaced only in V2 nets)."""
    for v in net.layers:  # type: ignore[attr-defined]
        if v.HasField("layer"):  # V0
            if v.layer.type in ("data", "images", "hdf5_data", "window_data"):
                return True
        elif v.DESCRIPTOR.fields_by_name["type"].enum_type.values_by_number[v.type].name in (
                "DATA", "IMAGE_DATA", "HDF5_DATA", "WINDOW_DATA", "MEMORY_DATA"):
            return True
    return False


def _label(path: Path) -> str:
    for root, prefix in ((CORPUS, "corpus/"), (REPO, "")):
        if path.is_relative_to(root):
            return prefix + str(path.relative_to(root))
    return str(path)


def _caffe_aborts(net: Path, phase: str) -> tuple[bool, str]:
    proc = subprocess.run([str(CONSTRUCT), str(net), "TEST" if phase == "deploy" else phase],
                          capture_output=True, text=True, timeout=120, check=False)
    fatal = next((line for line in proc.stderr.splitlines() if line.startswith("F")), "")
    return proc.returncode != 0, fatal or proc.stderr[-300:]


def test_caffe_and_the_linter_agree_on_set_up_aborts(tmp_path: Path) -> None:
    assert bvlc_schema() is not None
    rules = load_rules()
    disagreements: dict[tuple[str, str], str] = {}
    checked = 0
    seen: set[tuple[str, str]] = set()
    for path in _nets():
        replaced = _replaced(path, tmp_path)
        if replaced is None:
            continue
        report = Linter(rules, Options(dialect="bvlc")).lint([Input(str(replaced))])[0]
        assert report.net is not None
        if report.net.role.kind in ("fragment", "staged"):
            continue  # the linter says Caffe cannot build it as written (N262)
        if any(not is_registered(v) for v in report.net.layers):
            continue  # a fork's or custom layer (N312): BVLC Caffe cannot create it
        for phase in report.net.phases:
            claims = [f for f in report.findings if f.severity.label == "error"
                      and f.code in SETUP_ABORTS and (not f.phases or phase.name in f.phases)]
            aborted, why = _caffe_aborts(replaced, phase.name)
            checked += 1
            key = (_label(path), phase.name)
            seen.add(key)
            if aborted != bool(claims):
                said = ", ".join(f"{f.code}@{f.line}" for f in claims) or "no abort claimed"
                disagreements[key] = f"Caffe {'aborts: ' + why if aborted else 'builds it'}; {said}"
    print(f"{checked} (net, phase) pairs built by Caffe")
    assert checked > 50  # the suite really ran
    unexplained = {k: v for k, v in disagreements.items() if k not in ALLOWED}
    stale = sorted(k for k in ALLOWED if k in seen and k not in disagreements)
    for key, why in sorted(unexplained.items()):
        print(key, why[:300])
    assert unexplained == {}
    assert stale == []


#: Fixtures with one mistake each, whose finding quotes the CHECK Caffe fails.
QUOTED = sorted(p for p in (FIXTURES / "layer_setup").glob("*.prototxt")
                if not p.name.startswith("good_"))


@pytest.mark.parametrize("path", QUOTED, ids=lambda p: p.stem)
def test_the_finding_quotes_the_check_caffe_fails(path: Path) -> None:
    """Caffe's own ``F... Check failed: ...`` line (or ``LOG(FATAL)`` text), word for word, is
    in the message."""
    proc = subprocess.run([str(CONSTRUCT), str(path), "TEST"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode != 0, proc.stderr[-500:]
    fatal = next(line for line in proc.stderr.splitlines() if line.startswith("F"))
    # a CHECK's text from "Check failed:", a LOG(FATAL)'s after glog's prefix; glog prints
    # the pointers a CHECK_NE on blobs compares, which the linter writes 0x...
    start = fatal.find("Check failed: ")
    said = fatal[start:] if start >= 0 else fatal.split("] ", 1)[1]
    check = re.sub(r"0x[0-9a-f]+", "0x...", said.rstrip())
    report = Linter(load_rules(), Options(dialect="bvlc")).lint([Input(str(path))])[0]
    quoting = [f for f in report.findings if check in f.message]
    assert quoting, (check, [f.message for f in report.findings])


#: The same, for ImageData and WindowData, which the oracle lacks (no OpenCV): built with
#: scripts/build_imagedata_oracle.sh and run from the fixtures' folder, where their list,
#: window file and image are.
IMAGEDATA = caffe_imagedata_oracle()
IMAGEDATA_FIXTURES = FIXTURES / "layer_setup_imagedata"
needs_imagedata = pytest.mark.skipif(
    IMAGEDATA is None and not os.environ.get("CI"), reason="no ImageData build of the"
    " oracle: run bash scripts/build_imagedata_oracle.sh (about a minute)")


@needs_imagedata
@pytest.mark.parametrize("path", sorted(IMAGEDATA_FIXTURES.glob("*.prototxt")),
                         ids=lambda p: p.stem)
def test_image_data_layers_abort_as_the_finding_quotes(path: Path) -> None:
    """Bad fixtures: Caffe's ``Check failed: ...`` text is in an error's message; good ones:
    Caffe builds them and the linter claims no abort."""
    assert IMAGEDATA is not None, "CI builds it: scripts/build_imagedata_oracle.sh"
    proc = subprocess.run([str(IMAGEDATA), path.name, "TEST"], capture_output=True, text=True,
                          timeout=120, check=False, cwd=path.parent)
    report = Linter(load_rules(), Options(dialect="bvlc")).lint([Input(str(path))])[0]
    errors = [f.message for f in report.findings if f.severity.label == "error"]
    if path.name.startswith("good_"):
        assert proc.returncode == 0 and "CONSTRUCT_OK" in proc.stdout, proc.stderr[-500:]
        assert errors == []
        return
    fatal = next(line for line in proc.stderr.splitlines() if line.startswith("F"))
    check = fatal[fatal.index("Check failed: "):].rstrip()
    assert [m for m in errors if check in m], (check, errors)


def test_an_embedded_v1_net_aborts_at_the_first_iteration(tmp_path: Path) -> None:
    """N223's run-time abort, with real ``caffe train``: the solver's V1 net is built empty."""
    solver = FIXTURES / "layer_syntax" / "bad_embedded_v1_only.prototxt"
    caffe = CONSTRUCT.with_name("caffe")  # type: ignore[union-attr]
    proc = subprocess.run([str(caffe), "train", "--solver", str(solver)], capture_output=True,
                          text=True, timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode != 0
    fatal = next(line for line in proc.stderr.splitlines() if line.startswith("F"))
    check = fatal[fatal.index("Check failed: "):].strip()
    assert check == "Check failed: end < layers_.size() (-1 vs. 0)"
    report = Linter(load_rules(), Options(dialect="bvlc")).lint([Input(str(solver))])[0]
    (finding,) = report.findings
    assert finding.code == "N223" and check in finding.message


def test_the_oracle_is_the_shared_build() -> None:
    assert CONSTRUCT is not None and CONSTRUCT.is_file()
    assert (SHARED / "caffe-oracle" / "build.sh").is_file() or not SHARED.is_dir()
