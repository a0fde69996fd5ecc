"""proto/caffe.proto is BVLC Caffe's schema: same messages, fields, numbers, types, defaults."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SHARED, needs_shared
from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorSet

DESC = REPO / "prototxt_lint" / "schema" / "caffe.desc"
FINGERPRINT = Path(__file__).with_name("schema.sha256")
UPSTREAM = SHARED / "caffe-upstream" / "caffe.proto"
has_protoc = importlib.util.find_spec("grpc_tools") is not None


def _walk(msg: DescriptorProto, prefix: str) -> list[str]:
    lines = []
    name = f"{prefix}.{msg.name}"
    for f in msg.field:
        lines.append(
            f"{name}.{f.name} = {f.number} {f.label} {f.type} {f.type_name}"
            f" default={f.default_value!r} packed={f.options.packed}"
        )
    for enum in msg.enum_type:
        lines.extend(f"{name}.{enum.name}.{v.name} = {v.number}" for v in enum.value)
    for nested in msg.nested_type:
        lines.extend(_walk(nested, name))
    return lines


def schema_lines(serialized: bytes) -> list[str]:
    (file,) = FileDescriptorSet.FromString(serialized).file
    lines = [f"syntax={file.syntax or 'proto2'} package={file.package}"]
    for msg in file.message_type:
        lines.extend(_walk(msg, file.package))
    for enum in file.enum_type:
        lines.extend(f"{file.package}.{enum.name}.{v.name} = {v.number}" for v in enum.value)
    return lines


def test_committed_fingerprint() -> None:
    digest = hashlib.sha256("\n".join(schema_lines(DESC.read_bytes())).encode()).hexdigest()
    assert digest == FINGERPRINT.read_text().split()[0], (
        "the schema changed; if that is intended, update tests/schema.sha256"
    )


def _compile(proto: Path, tmp: Path) -> bytes:
    out = tmp / f"{proto.parent.name}.desc"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{proto.parent}",
            f"--descriptor_set_out={out}",
            str(proto),
        ],
        check=True,
    )
    return out.read_bytes()


@pytest.mark.skipif(not has_protoc, reason="grpcio-tools (dev extra) is not installed")
def test_committed_descriptor_is_compiled_from_proto(tmp_path: Path) -> None:
    assert _compile(REPO / "proto" / "caffe.proto", tmp_path) == DESC.read_bytes()


@pytest.mark.skipif(not has_protoc, reason="grpcio-tools (dev extra) is not installed")
@needs_shared("caffe-upstream", "caffe.proto")
def test_same_schema_as_bvlc_upstream_field_by_field(tmp_path: Path) -> None:
    upstream = _compile(UPSTREAM, tmp_path)
    ours = DESC.read_bytes()
    mine, theirs = schema_lines(ours), schema_lines(upstream)
    assert len(mine) == len(theirs) > 500
    for a, b in zip(mine, theirs, strict=True):
        assert a == b
    assert FileDescriptorSet.FromString(ours) == FileDescriptorSet.FromString(upstream)


@needs_shared("caffe-upstream", "caffe.proto")
def test_comments_are_our_own() -> None:

    def comments(path: Path) -> set[str]:
        found = set()
        for line in path.read_text().splitlines():
            if "//" in line:
                text = " ".join(line.split("//", 1)[1].split())
                if len(text) > 40:
                    found.add(text)
        return found

    assert not comments(REPO / "proto" / "caffe.proto") & comments(UPSTREAM)
