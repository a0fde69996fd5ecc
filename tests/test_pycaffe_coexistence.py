"""The linter works in a process where pycaffe's own caffe_pb2 is already imported.

pycaffe's gencode registers "caffe.proto" in protobuf's default descriptor pool; a second
registration fails with a duplicate-file error (or, under protobuf 3.x's pure-Python backend,
silently mixes two schemas). Our bindings use a private pool.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import google.protobuf
from conftest import FIXTURES, PROTOC, REPO, needs_protoc
from google.protobuf.internal import api_implementation

SOLVER = FIXTURES / "lr_policy" / "bad_poly_no_max_iter.prototxt"

CHECK = textwrap.dedent(
    """
    import sys
    from google.protobuf import descriptor_pool
    {setup}
    assert descriptor_pool.Default().FindFileByName("caffe.proto")  # pycaffe's is in place
    from prototxt_lint.engine.linter import Input, Linter, Options
    from prototxt_lint.engine.registry import load_rules
    reports = Linter(load_rules(), Options(select=("S101",))).lint([Input(sys.argv[1])])
    print([(f.code, f.line, f.column) for r in reports for f in r.findings])
    from prototxt_lint.schema import caffe_pb2 as ours
    net = ours.NetParameter(name="x")
    print(type(net).DESCRIPTOR.file.pool is not descriptor_pool.Default())
    # the naive way (our schema into the default pool) fails next to pycaffe: the reason for
    # the private pool
    try:
        descriptor_pool.Default().AddSerializedFile(ours.DESCRIPTOR.serialized_pb)
        print("naive import worked")
    except Exception as exc:
        print("naive import failed:", type(exc).__name__)
    """
)

REGISTER_DEFAULT_POOL = """
from google.protobuf import descriptor_pb2
from pathlib import Path
fds = descriptor_pb2.FileDescriptorSet.FromString(Path({desc!r}).read_bytes())
file = fds.file[0]
file.message_type.add(name="OnlyInPycaffe")  # pycaffe's caffe.proto is another version
descriptor_pool.Default().AddSerializedFile(file.SerializeToString())
"""


#: What the naive way does. protobuf's C backends (upb, cpp) refuse a second caffe.proto; the
#: pure-Python one of protobuf 3.x (the only one for 3.20 on Python 3.11) accepts it without a
#: word, and pycaffe's file in the default pool then stands beside a mix of two schemas.
NAIVE = ("naive import worked" if api_implementation.Type() == "python"
         and google.protobuf.__version__.startswith("3.") else "naive import failed: TypeError")


def _run(setup: str, extra_path: str | None = None) -> list[str]:
    code = CHECK.format(setup=setup)
    env_path = [p for p in (extra_path,) if p]
    proc = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path[:0] = {env_path!r}\n" + code, str(SOLVER)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split("\n")


def test_with_caffe_proto_already_in_default_pool() -> None:
    """What pycaffe's caffe_pb2 does at import, reproduced with any protobuf version."""
    desc = str(REPO / "prototxt_lint" / "schema" / "caffe.desc")
    out = _run(REGISTER_DEFAULT_POOL.format(desc=desc))
    assert out[:3] == ["[('S101', 4, 1)]", "True", NAIVE]


@needs_protoc
def test_with_real_pycaffe_style_gencode_imported(tmp_path: Path) -> None:
    """Generate a classic caffe_pb2.py, as pycaffe ships, import it, then lint. With protobuf
    3.20 (CI's lowest run) the gencode comes from the system's protoc (3.21, whose gencode
    that runtime imports), as no grpcio-tools fits there."""
    assert PROTOC is not None
    proto = tmp_path / "caffe.proto"
    proto.write_text((REPO / "proto" / "caffe.proto").read_text() + "\nmessage OnlyInPycaffe {}\n")
    subprocess.run([*PROTOC, f"-I{tmp_path}", f"--python_out={tmp_path}", str(proto)], check=True)
    out = _run("import caffe_pb2 as pycaffe_pb2; pycaffe_pb2.NetParameter()", str(tmp_path))
    assert out[:3] == ["[('S101', 4, 1)]", "True", NAIVE]
