"""scripts/caffe_checks.py: Caffe's construction checks, the hand-written mapping to the rules,
and docs/caffe-checks.md.

Without ../shared/caffe-oracle/caffe-9b891540.tar.gz the tests that scan Caffe's source are
skipped with a reason (CI always has it). The nets in tests/caffe_checks/ are a verified sample
of the mapping: each covered/ net fails the Caffe check named in its `# check:` line and is
reported by the rule its file name starts with; each uncovered/ net fails its check in Caffe
and no rule reports it (when a rule starts to, map the check in scripts/caffe_checks.toml and
move the net). With the Caffe build (../shared/caffe-oracle/build.sh) Caffe's own message is
compared too.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import REPO, caffe_oracle, lint_files

from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Severity


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "caffe_checks", REPO / "scripts" / "caffe_checks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["caffe_checks"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


cc = _script()
NETS = Path(__file__).parent / "caffe_checks"
needs_caffe_source = pytest.mark.skipif(
    not cc.TARBALL.is_file() and not os.environ.get("CI"),
    reason=f"{cc.TARBALL} is not next to this checkout",
)


@pytest.fixture(scope="module")
def caffe_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result: Path = cc.caffe_source(None, tmp_path_factory.mktemp("caffe-src"))
    return result


@pytest.fixture(scope="module")
def checks(caffe_src: Path) -> list[object]:
    result: list[object] = cc.scan(caffe_src)
    return result




def test_every_mapped_rule_exists_and_every_entry_says_why() -> None:
    entries = cc.load_mapping(cc.DEFAULT_MAPPING)
    codes = {rule.code for rule in load_rules()}
    assert len(entries) >= 50
    for entry in entries:
        assert set(entry.rules) <= codes, f"{entry.match}: no rule {set(entry.rules) - codes}"
        if not entry.rules:
            assert entry.reason.startswith((*cc.NOT_APPLICABLE, "not covered yet")), entry


def test_a_check_without_an_entry_fails_the_check_mode(tmp_path: Path) -> None:
    """A small Caffe tree: the scanner finds CHECKs, LOG(FATAL)s, DCHECKs and blob-count
    declarations in set-up functions only, and --check fails on a check no entry maps."""
    layers = tmp_path / "src/caffe/layers"
    headers = tmp_path / "include/caffe/layers"
    layers.mkdir(parents=True)
    headers.mkdir(parents=True)
    (tmp_path / "include/caffe/layer.hpp").write_text("")
    (headers / "foo_layer.hpp").write_text(
        "template <typename Dtype>\nclass FooLayer : public Layer<Dtype> {\n public:\n"
        '  virtual inline const char* type() const { return "Foo"; }\n'
        "  virtual inline int ExactNumBottomBlobs() const { return 1; }\n"
        "  virtual inline int MinTopBlobs() const { return -1; }\n};\n")
    (layers / "foo_layer.cpp").write_text(
        "template <typename Dtype>\n"
        "void FooLayer<Dtype>::LayerSetUp(const vector<Blob<Dtype>*>& bottom,\n"
        "      const vector<Blob<Dtype>*>& top) {\n"
        '  CHECK_GT(this->layer_param_.foo_param().size(), 0) << "size must be" << " positive";\n'
        "  DCHECK(bottom[0] != NULL);\n"
        "  switch (this->layer_param_.foo_param().mode()) {\n"
        "  case FooParameter_Mode_A: break;\n"
        '  default: LOG(FATAL) << "Unknown mode";  // a comment with { a brace\n'
        "  }\n}\n\n"
        "template <typename Dtype>\n"
        "void FooLayer<Dtype>::Forward_cpu(const vector<Blob<Dtype>*>& bottom,\n"
        "      const vector<Blob<Dtype>*>& top) {\n  CHECK(false);\n}\n")
    (layers / "foo_layer.cu").write_text("void f() { CHECK(false); }\n")
    for rel in [r for r, _ in cc.OTHER_SCOPES]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    found = cc.scan(tmp_path)
    assert [(c.id, c.macro, c.message, c.area) for c in found] == [
        ("src/caffe/layers/foo_layer.cpp::FooLayer::LayerSetUp::"
         "this->layer_param_.foo_param().size() > 0", "CHECK_GT", "size must be positive", "Foo"),
        ("src/caffe/layers/foo_layer.cpp::FooLayer::LayerSetUp::bottom[0] != NULL", "DCHECK",
         "", "Foo"),
        ("src/caffe/layers/foo_layer.cpp::FooLayer::LayerSetUp::default::Unknown mode",
         "LOG(FATAL)", "Unknown mode", "Foo"),
        ("include/caffe/layers/foo_layer.hpp::FooLayer::ExactNumBottomBlobs::bottom.size() == 1",
         "declaration", "Foo Layer takes 1 bottom blob(s) as input.", "Foo"),
    ]
    mapping = tmp_path / "map.toml"
    mapping.write_text("[[check]]\nmatch = 'FooLayer::LayerSetUp::'\n"
                       "reason = 'not covered yet: Foo'\n"
                       "[[check]]\nmatch = 'ExactNumBottomBlobs'\nrules = ['N314']\n")
    out, readme = tmp_path / "doc.md", tmp_path / "README.md"
    readme.write_text("So far 7 of Caffe's 9 construction checks reachable from a\nprototxt"
                      " are covered (docs).\n")
    args = ["--caffe-src", str(tmp_path), "--mapping", str(mapping), "--output", str(out),
            "--readme", str(readme)]
    assert cc.main([*args, "--check"]) == 1  # no doc yet, and the README's number is stale
    assert cc.main(args) == 0
    assert "**1 of Caffe's 4 construction checks reachable from a prototxt are covered.**" \
        in out.read_text()
    assert readme.read_text() == ("So far 1 of Caffe's 4 construction checks reachable from a"
                                  "\nprototxt are covered (docs).\n")
    assert cc.main([*args, "--check"]) == 0
    (layers / "foo_layer.cpp").write_text((layers / "foo_layer.cpp").read_text().replace(
        "void FooLayer<Dtype>::Forward_cpu", "void FooLayer<Dtype>::Reshape"))
    assert cc.main([*args, "--check"]) == 1  # the new Reshape check has no entry


@needs_caffe_source
def test_every_check_in_caffe_is_mapped(checks: list[object]) -> None:
    entries = cc.load_mapping(cc.DEFAULT_MAPPING)
    _, unmapped, unused = cc.judge(checks, entries)
    assert len(checks) > 300
    assert not unmapped, "add these to scripts/caffe_checks.toml:\n" + "\n".join(
        c.id for c in unmapped)  # type: ignore[attr-defined]
    assert not unused, f"entries that match no check: {[e.match for e in unused]}"


@needs_caffe_source
def test_the_doc_is_current() -> None:
    assert cc.main(["--check"]) == 0, "run .venv/bin/python scripts/caffe_checks.py"


def _header(path: Path) -> tuple[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# check: ") and lines[1].startswith("# caffe: "), path
    return lines[0].removeprefix("# check: "), lines[1].removeprefix("# caffe: ")


SAMPLE = sorted(NETS.glob("*/*.prototxt"))


@pytest.mark.parametrize("net", SAMPLE, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLE])
def test_sample_net_is_reported_as_mapped(net: Path) -> None:
    findings = lint_files(net, dialect="bvlc")
    errors = sorted({f.code for f in findings if f.severity >= Severity.ERROR})
    if net.parent.name == "covered":
        code = net.stem.split("-", 1)[0]
        assert code in errors, f"{net.name}: {code} not reported ({errors})"
    else:
        assert not errors, (f"{net.name}: now reported by {errors}: map the check in"
                            " scripts/caffe_checks.toml and move the net to covered/")


@needs_caffe_source
@pytest.mark.parametrize("net", SAMPLE, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLE])
def test_sample_net_agrees_with_the_mapping(net: Path, checks: list[object]) -> None:
    check, _ = _header(net)
    by_id, _, _ = cc.judge(checks, cc.load_mapping(cc.DEFAULT_MAPPING))
    matched = [c for c in checks if check in c.id]  # type: ignore[attr-defined]
    assert matched, f"{net.name}: no check id contains {check!r}"
    for c in matched:
        entry = by_id[c.id]  # type: ignore[attr-defined]
        if net.parent.name == "covered":
            assert net.stem.split("-", 1)[0] in entry.rules, (c, entry)
        else:
            assert entry.kind == "not covered", (c, entry)


CONSTRUCT = caffe_oracle()


@pytest.mark.skipif(CONSTRUCT is None and not os.environ.get("CI"),
                    reason="no BVLC Caffe build: run ../shared/caffe-oracle/build.sh")
@pytest.mark.parametrize("net", SAMPLE, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLE])
def test_sample_net_fails_that_check_in_caffe(net: Path) -> None:
    assert CONSTRUCT is not None, "CI needs the Caffe oracle"
    _, message = _header(net)
    run = subprocess.run([str(CONSTRUCT), str(net), "TEST"], capture_output=True, text=True,
                         timeout=120, cwd=net.parent)
    stderr = re.sub(r"\(0x[0-9a-f]+ vs\. 0x[0-9a-f]+\) ", "", run.stderr)  # pointers
    assert run.returncode != 0 and message in stderr, run.stderr[-2000:]
