"""--proto: linting with a fork's caffe.proto, compiled at run time and cached."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, REPO, brief, needs_protoc, needs_shared

from prototxt_lint.cli.command import lint_command
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.schema.fork import NO_PROTOC, SchemaError, load_schema, protoc_command

pytestmark = needs_protoc

POOL_NET = (
    'input: "x"\ninput_shape { dim: 1 dim: 3 dim: 10 dim: 10 }\n'
    'layer { name: "p" type: "Pooling" bottom: "x" top: "y"\n'
    "        pooling_param { pool: AVE kernel_size: 3 stride: 5 ceil_mode: false } }\n"
)


def _fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str, fields: str) -> Path:
    """BVLC's schema with ``fields`` added at the top of ``message``, as a fork's
    caffe.proto in ``tmp_path`` (its compiled form cached there too)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    text = (REPO / "proto" / "caffe.proto").read_text()
    anchor = f"message {message} {{"
    assert anchor in text
    proto = tmp_path / "fork" / "caffe.proto"
    proto.parent.mkdir()
    proto.write_text(text.replace(anchor, f"{anchor}\n{fields}", 1))
    return proto


@pytest.fixture
def fork_proto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BVLC's schema plus a fork's `ceil_mode` pooling field (as in soeaver's nets)."""
    return _fork(tmp_path, monkeypatch, "PoolingParameter",
                 "  optional bool ceil_mode = 100 [default = true];")


def _lint(text: str, schema_path: Path | None, dialect: str = "auto"
          ) -> list[tuple[str, int, int]]:
    schema = load_schema(str(schema_path)) if schema_path else None
    linter = Linter(load_rules(), Options(schema=schema, dialect=dialect))
    reports = linter.lint([Input("net.prototxt", text.encode())])
    return brief(reports[0].findings)


def test_unknown_fork_field_without_proto_then_clean_with_it(fork_proto: Path) -> None:
    assert _lint(POOL_NET, None, dialect="bvlc") == [("P002", 4, 60)]
    # with the fork's schema the field is known, and the pooling rule honours it (FLOOR)
    assert [code for code, *_ in _lint(POOL_NET, fork_proto)] == ["N202"]
    # and so it is when the fork is recognised from `ceil_mode` (a known fork declares it)
    assert [code for code, *_ in _lint(POOL_NET, None)] == ["N202", "X003"]


def test_message_classes_outlive_garbage_collection(fork_proto: Path) -> None:
    """Under protobuf 4.x (upb), a message class that nothing named was freed by the garbage
    collector, and reading a sub-message of an instance made from it crashed the interpreter
    (found by the corpus test on protobuf 4.22). A child process, so that a crash fails this
    test rather than killing pytest."""
    code = (
        "import gc, sys\n"
        "from prototxt_lint.schema.fork import load_schema\n"
        "net = load_schema(sys.argv[1]).message_class('NetParameter')()\n"
        "gc.collect()\n"
        "net.input_shape.add().dim.append(1)\n"
        "net.layer.add().pooling_param.ceil_mode = False\n"
        "print(net.layer[0].pooling_param.ceil_mode, len(net.input_shape))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(fork_proto)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["False", "1"]


def test_nested_message_classes_outlive_garbage_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for a message declared inside another (NVCaffe's
    `DetectNetGroundTruthParameter.ClassMapping`): the corpus test crashed on protobuf 4.22
    when only top-level classes were kept."""
    proto = _fork(tmp_path, monkeypatch, "PoolingParameter",
                  "  message Mapping { optional uint32 src = 1; }\n"
                  "  repeated Mapping mapping = 100;")
    code = (
        "import gc, sys\n"
        "from prototxt_lint.schema.fork import load_schema\n"
        "net = load_schema(sys.argv[1]).message_class('NetParameter')()\n"
        "gc.collect()\n"
        "net.layer.add().pooling_param.mapping.add().src = 3\n"
        "print(net.layer[0].pooling_param.mapping[0].src)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(proto)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["3"]


def test_compiled_schema_is_cached_by_content(fork_proto: Path, tmp_path: Path) -> None:
    load_schema(str(fork_proto))
    cached = list((tmp_path / "cache" / "prototxt-lint" / "schemas").glob("*.desc"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    load_schema(str(fork_proto))  # second load reads the cache, compiles nothing
    assert cached[0].stat().st_mtime_ns == before


def test_bad_schema_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "caffe.proto"
    broken.write_text('syntax = "proto2";\npackage caffe;\nmessage NetParameter { optional }\n')
    with pytest.raises(SchemaError, match="protoc could not compile it"):
        load_schema(str(broken))
    other = tmp_path / "other.proto"
    other.write_text('syntax = "proto2";\npackage caffe;\nmessage Foo { optional int32 a = 1; }\n')
    with pytest.raises(SchemaError, match="not a Caffe schema"):
        load_schema(str(other))
    result = CliRunner().invoke(lint_command, ["--proto", str(other), str(other)])
    assert result.exit_code == 2 and "not a Caffe schema" in result.output
    assert "Traceback" not in result.output


def test_proto_in_config(fork_proto: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".prototxt-lint.toml").write_text(f'proto = "{fork_proto}"\nignore = ["N2"]\n')
    (project / "net.prototxt").write_text(POOL_NET)
    result = CliRunner().invoke(lint_command, ["--no-color", str(project / "net.prototxt")])
    assert result.exit_code == 0, result.output


@needs_shared("corpus", "protos", "hszhao__PSPNet.caffe.proto")
def test_corpus_fork_file_parses_with_its_schema() -> None:
    net = CORPUS / "hszhao__PSPNet/evaluation/prototxt/pspnet101_VOC2012_473.prototxt"
    proto = CORPUS / "protos/hszhao__PSPNet.caffe.proto"
    linter = Linter(load_rules(), Options(schema=load_schema(str(proto))))
    codes = {f.code for f in linter.lint([Input(str(net))])[0].findings}
    assert not {c for c in codes if c.startswith("P")}


def test_multifixed_is_a_fork_policy_where_the_schema_has_stagelr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intel Caffe and the YOLO forks: `multifixed` takes its rates from `stagelr`, so
    neither an unknown policy (S105) nor a missing `base_lr` (S218) is reported there."""
    proto = _fork(tmp_path, monkeypatch, "SolverParameter",
                  "  repeated float stagelr = 150;\n  repeated int32 stageiter = 151;")
    solver = (b'net: "none.prototxt"\nlr_policy: "multifixed"\nstagelr: 0.001\nstagelr: 0.0001\n'
              b"stageiter: 100\nstageiter: 200\nmax_iter: 200\n")
    fork = Linter(load_rules(), Options(select=("S1", "S2"), schema=load_schema(str(proto))))
    assert fork.lint([Input("solver.prototxt", solver)])[0].findings == []
    bvlc = Linter(load_rules(), Options(select=("S105", "S218"), dialect="bvlc"))
    assert [f.code for f in bvlc.lint([Input("solver.prototxt", solver)])[0].findings] == [
        "S105", "S218"]
    # recognised from `stagelr` without --proto: a fork that has `multifixed`
    auto = Linter(load_rules(), Options(select=("S1", "S2", "X003")))
    found = auto.lint([Input("solver.prototxt", solver)])[0].findings
    assert [(f.code, f.line, f.column) for f in found] == [("X003", 3, 1)]
    assert found[0].message == (
        "read as Intel's Caffe (intel/caffe) reads it: uses `stageiter`, `stagelr`, which that"
        " fork declares and BVLC Caffe's schema lacks (so do: yolov2, mobilenet-yolo, arcface)")


def _hide_grpcio_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as it is with protobuf 3.20 on Python 3.11, where no grpcio-tools fits."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "grpc_tools" else real(name, *a))


def test_protoc_on_path_without_grpcio_tools(fork_proto: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Without grpcio-tools the system's protoc compiles the schema, to the same effect."""
    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.skip("no protoc on PATH (Debian: apt-get install protobuf-compiler)")
    _hide_grpcio_tools(monkeypatch)
    assert protoc_command() == [protoc]
    assert "P002" in {code for code, _, _ in _lint(POOL_NET, None, "bvlc")}  # no ceil_mode
    assert "P002" not in {code for code, _, _ in _lint(POOL_NET, fork_proto)}


def test_no_protobuf_compiler_is_a_clear_error(fork_proto: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither grpcio-tools nor protoc: one line saying how to get either, exit 2."""
    _hide_grpcio_tools(monkeypatch)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert protoc_command() is None
    with pytest.raises(SchemaError) as caught:
        load_schema(str(fork_proto))
    assert str(caught.value) == NO_PROTOC
    result = CliRunner().invoke(lint_command, ["--proto", str(fork_proto), str(fork_proto)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"Error: {NO_PROTOC}"]
    assert NO_PROTOC == (
        "--proto needs a protobuf compiler to compile the schema: pip install"
        " 'grpcio-tools>=1.48' into prototxt-lint's environment (or, from a clone: pip install"
        " '.[proto]'), or put protoc on PATH (Debian: apt-get install protobuf-compiler)")
