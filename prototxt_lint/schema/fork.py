"""Linting with a fork's own ``caffe.proto`` (``--proto``): SSD, Faster R-CNN, PSPNet, ...

Forks add fields and layers; with BVLC's schema their files are full of unknown fields. The
user's schema is compiled at run time with grpcio-tools (the optional extra ``proto``) or a
``protoc`` on PATH, and the compiled descriptor set is cached by the schema's content hash, so
only the first run pays for ``protoc``. It is loaded into a private pool, like the bundled
schema (see ``caffe_pb2.py``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf.descriptor_pb2 import FileDescriptorSet

from prototxt_lint.dialects.overlay import engine_field_conflicts, restore_bvlc_fields
from prototxt_lint.extras import install_hint
from prototxt_lint.schema import Schema
from prototxt_lint.schema.descriptors import load_file_descriptor


class SchemaError(Exception):
    """The user's schema could not be used; the message says why."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "prototxt-lint" / "schemas"


def protoc_command() -> list[str] | None:
    """How to run protoc: grpcio-tools' in this environment, else a ``protoc`` on PATH.

    No grpcio-tools wheel for Python 3.11 accepts protobuf < 4.21 (1.48.x, the last that
    accepts 3.x, has none), so with an older protobuf pinned for pycaffe the system's protoc
    (Debian: ``apt-get install protobuf-compiler``) is how ``--proto`` works: the descriptor
    set it writes does not depend on the Python runtime.
    """
    import importlib.util
    import shutil

    if importlib.util.find_spec("grpc_tools") is not None:
        return [sys.executable, "-m", "grpc_tools.protoc"]
    found = shutil.which("protoc")
    return [found] if found else None


#: Said where neither protoc is found.
NO_PROTOC = (
    f"--proto needs a protobuf compiler to compile the schema: {install_hint('proto')},"
    " or put protoc on PATH (Debian: apt-get install protobuf-compiler)"
)


def compile_schema(proto: Path) -> bytes:
    """``proto`` compiled by protoc (see ``protoc_command``) into a serialized FileDescriptorSet."""
    command = protoc_command()
    if command is None:
        raise SchemaError(NO_PROTOC)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "schema.desc"
        proc = subprocess.run(
            [*command, f"-I{proto.parent}", f"--descriptor_set_out={out}", str(proto)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0 or not out.is_file():
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise SchemaError(f"{proto}: protoc could not compile it: {' '.join(detail[:3])}")
        return out.read_bytes()


def _store(path: Path, data: bytes) -> None:
    """Write the cache entry atomically; a cache that cannot be written is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        pass


def load_schema(proto_path: str) -> Schema:
    """The schema in ``proto_path`` (package ``caffe``, with NetParameter and SolverParameter)."""
    proto = Path(proto_path)
    try:
        source = proto.read_bytes()
    except OSError as exc:
        raise SchemaError(f"{proto_path}: cannot read the schema ({exc.strerror or exc})") from None
    digest = hashlib.sha256(source).hexdigest()[:32]
    cached = cache_dir() / f"{digest}.desc"
    data = None
    if cached.is_file():
        data = cached.read_bytes()
    if not data:
        data = compile_schema(proto)
        _store(cached, data)
    try:
        files = FileDescriptorSet.FromString(data).file
        file = files[-1]  # the schema itself; protoc lists imports first (none in Caffe's)
    except Exception as exc:  # a corrupt cache entry
        raise SchemaError(f"{proto_path}: cannot load the compiled schema: {exc}") from None
    if file.package != "caffe":
        raise SchemaError(f"{proto_path}: package is {file.package!r}, not 'caffe'")
    missing = {"NetParameter", "SolverParameter"} - {m.name for m in file.message_type}
    if missing:
        raise SchemaError(f"{proto_path}: not a Caffe schema (no {', '.join(sorted(missing))})")
    conflicts = engine_field_conflicts(file)
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise SchemaError(f"{proto_path}: cannot lint with this schema: {conflicts[0]}{more};"
                          " the linter reads that field as BVLC's")
    absent = restore_bvlc_fields(file)
    try:
        # loaded under one name whatever the user's file is called (the cache is keyed by
        # content: the same schema compiled as a.proto may be loaded for b.proto)
        file.name = "caffe.proto"
        file_desc = load_file_descriptor(
            FileDescriptorSet(file=[*files[:-1], file]).SerializeToString())
    except Exception as exc:  # an unusual schema
        raise SchemaError(f"{proto_path}: cannot load the compiled schema: {exc}") from None
    return Schema(str(proto_path), file_desc, absent=frozenset(absent))
