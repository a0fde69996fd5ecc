"""Bad setup (configuration values, configuration files, schemas): one clear line, exit 2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from prototxt_lint.cli.command import lint_command

SOLVER = 'base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 1\n'


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, ["--no-color", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _project(tmp_path: Path, config: bytes) -> Path:
    (tmp_path / ".prototxt-lint.toml").write_bytes(config)
    solver = tmp_path / "solver.prototxt"
    solver.write_text(SOLVER)
    return solver


def test_config_not_utf8(tmp_path: Path) -> None:
    solver = _project(tmp_path, b'select = ["S"]  # caf\xe9\n')
    code, out = run(str(solver))
    assert code == 2
    assert out == (f"Error: configuration error: {tmp_path / '.prototxt-lint.toml'}: not UTF-8"
                   " (byte 0xe9 at offset 21); save it as UTF-8\n")


@pytest.mark.parametrize(("value", "why"), [
    ("nan", "must be a positive number of MiB, not nan"),
    ("inf", "must be a positive number of MiB, not inf"),
    ("-1", "must be a positive number of MiB, not -1"),
    ("0", "must be a positive number of MiB, not 0"),
    ("1e300", "must be at most 1048576 MiB, not 1e+300"),
    ("true", "must be a number of MiB"),
    ('"16"', "must be a number of MiB"),
])
def test_config_max_file_size_refused(tmp_path: Path, value: str, why: str) -> None:
    solver = _project(tmp_path, f"max-file-size = {value}\n".encode())
    code, out = run(str(solver))
    assert code == 2
    assert out == (f"Error: configuration error: {tmp_path / '.prototxt-lint.toml'}:"
                   f" max-file-size {why}\n")


@pytest.mark.parametrize(("value", "why"), [
    ("nan", "must be a positive number of MiB, not nan"),
    ("inf", "must be a positive number of MiB, not inf"),
    ("-5", "must be a positive number of MiB, not -5.0"),
    ("1e300", "must be at most 1048576 MiB, not 1e+300"),
])
def test_cli_max_file_size_refused(tmp_path: Path, value: str, why: str) -> None:
    solver = _project(tmp_path, b"")
    code, out = run("--max-file-size", value, str(solver))
    assert code == 2
    assert out.endswith(f"Error: Invalid value for '--max-file-size': {why}\n")


def test_max_file_size_in_mib_both_ways(tmp_path: Path) -> None:
    solver = _project(tmp_path, b"max-file-size = 0.5\n")
    with open(solver, "ab") as handle:
        handle.write(b"#" * (512 * 1024))  # 0.5 MiB plus the solver: over the limit
    code, out = run(str(solver))
    assert code == 2
    assert "P006 file too large (0.5 MiB; the limit is 0.5 MiB, see --max-file-size)" in out


TINY_FORK = """syntax = "proto2";
package caffe;
message NetParameter { optional string name = 1; repeated LayerParameter layer = 100; }
message LayerParameter {
  optional string name = 1; optional string type = 2;
  repeated string bottom = 3; repeated string top = 4;%s
}
message SolverParameter { optional string net = 24; optional float base_lr = 5; }
"""
NET = ('name: "t"\nlayer { name: "data" type: "Input" top: "data" include { phase: TRAIN } }\n'
       'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\n')
needs_protoc = pytest.mark.skipif(importlib.util.find_spec("grpc_tools") is None,
                                  reason="grpcio-tools (extra 'proto') missing")


@needs_protoc
def test_fork_schema_without_the_fields_the_engine_reads(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    proto = tmp_path / "tiny.proto"
    proto.write_text(TINY_FORK % "")  # no include, exclude, phase, NetStateRule, Phase
    net = tmp_path / "net.prototxt"
    net.write_text(NET)
    code, out = run("--proto", str(proto), "--select", "P", str(net))
    assert code == 1
    assert (f'{net}:2:48: P002 Message type "caffe.LayerParameter" has no field named'
            f' "include" in {proto}. [error]') in out


@needs_protoc
def test_fork_schema_giving_an_engine_field_another_type(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    proto = tmp_path / "typed.proto"
    proto.write_text(TINY_FORK % "\n  optional string include = 8;")
    net = tmp_path / "net.prototxt"
    net.write_text(NET.replace("include { phase: TRAIN }", 'include: "TRAIN"'))
    code, out = run("--proto", str(proto), str(net))
    assert code == 2
    assert out == (f"Error: {proto}: cannot lint with this schema: LayerParameter.include is"
                   " optional string here, BVLC's is repeated NetStateRule; the linter reads"
                   " that field as BVLC's\n")
