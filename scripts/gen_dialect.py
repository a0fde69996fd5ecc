"""Write a fork's dialect declaration: what its caffe.proto adds to BVLC's, as a .proto overlay.

    python scripts/gen_dialect.py NAME path/to/fork/caffe.proto > proto/dialects/NAME.proto
    python scripts/gen_dialect.py --all   # every dialect of prototxt_lint/dialects/__init__.py

The overlay is ordinary proto2 in package ``caffe.dialect.NAME`` that imports BVLC's schema:
a message named like a BVLC message lists only the fields the fork adds or declares
differently (``reserved "x";`` for a field the fork does not have), enums the fork changes are
declared whole, and messages the fork adds are declared whole. ``prototxt_lint/dialects/
overlay.py`` merges it into BVLC's schema at run time; ``tests/test_dialects.py`` checks that
the merge gives back the fork's real schema, field for field, so the declaration cannot drift.
Run ``scripts/gen_proto.sh`` afterwards to compile the overlays.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FieldDescriptorProto,
    FileDescriptorSet,
)

ROOT = Path(__file__).resolve().parent.parent

_SCALARS = {
    FieldDescriptorProto.TYPE_DOUBLE: "double", FieldDescriptorProto.TYPE_FLOAT: "float",
    FieldDescriptorProto.TYPE_INT64: "int64", FieldDescriptorProto.TYPE_UINT64: "uint64",
    FieldDescriptorProto.TYPE_INT32: "int32", FieldDescriptorProto.TYPE_FIXED64: "fixed64",
    FieldDescriptorProto.TYPE_FIXED32: "fixed32", FieldDescriptorProto.TYPE_BOOL: "bool",
    FieldDescriptorProto.TYPE_STRING: "string", FieldDescriptorProto.TYPE_BYTES: "bytes",
    FieldDescriptorProto.TYPE_UINT32: "uint32", FieldDescriptorProto.TYPE_SFIXED32: "sfixed32",
    FieldDescriptorProto.TYPE_SFIXED64: "sfixed64", FieldDescriptorProto.TYPE_SINT32: "sint32",
    FieldDescriptorProto.TYPE_SINT64: "sint64",
}
_LABELS = {FieldDescriptorProto.LABEL_OPTIONAL: "optional",
           FieldDescriptorProto.LABEL_REQUIRED: "required",
           FieldDescriptorProto.LABEL_REPEATED: "repeated"}


def compile_proto(path: Path) -> DescriptorProto:
    """The fork's schema as a FileDescriptorProto (protoc via grpcio-tools)."""
    sys.path.insert(0, str(ROOT))
    from prototxt_lint.schema.fork import compile_schema

    return FileDescriptorSet.FromString(compile_schema(path)).file[-1]


def bvlc_file() -> DescriptorProto:
    data = (ROOT / "prototxt_lint" / "schema" / "caffe.desc").read_bytes()
    return FileDescriptorSet.FromString(data).file[0]


def same_field(a: FieldDescriptorProto, b: FieldDescriptorProto) -> bool:
    return (a.number, a.label, a.type, a.type_name, a.default_value, a.options.packed,
            a.HasField("default_value")) == (
        b.number, b.label, b.type, b.type_name, b.default_value, b.options.packed,
        b.HasField("default_value"))


def same_enum(a: EnumDescriptorProto, b: EnumDescriptorProto) -> bool:
    return [(v.name, v.number) for v in a.value] == [(v.name, v.number) for v in b.value]


class Writer:
    def __init__(self, ident: str, fork: DescriptorProto, bvlc: DescriptorProto) -> None:
        self.ident = ident
        self.lines: list[str] = []
        self.declared: set[str] = set()  # full names (".caffe.X.Y") the overlay declares
        self.fork = fork
        self.bvlc = bvlc

    # -- type names ------------------------------------------------------------------------
    def type_ref(self, full: str) -> str:
        """How the overlay names ``.caffe.A.B``: in its own package when it declares it, else
        BVLC's (from the import). Both fully qualified, so no scope can shadow them."""
        if full in self.declared:
            return f".caffe.dialect.{self.ident}.{full[len('.caffe.'):]}"
        return full

    def field_line(self, f: FieldDescriptorProto) -> str:
        if f.type in (FieldDescriptorProto.TYPE_MESSAGE, FieldDescriptorProto.TYPE_ENUM):
            kind = self.type_ref(f.type_name)
        else:
            kind = _SCALARS[f.type]
        opts = []
        if f.HasField("default_value"):
            value = f.default_value
            if f.type == FieldDescriptorProto.TYPE_STRING:
                value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            opts.append(f"default = {value}")
        if f.options.HasField("packed"):
            opts.append(f"packed = {'true' if f.options.packed else 'false'}")
        tail = f" [{', '.join(opts)}]" if opts else ""
        return f"{_LABELS[f.label]} {kind} {f.name} = {f.number}{tail};"

    # -- output -----------------------------------------------------------------------------
    def emit(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def enum(self, depth: int, e: EnumDescriptorProto) -> None:
        self.emit(depth, f"enum {e.name} {{")
        for v in e.value:
            self.emit(depth + 1, f"{v.name} = {v.number};")
        self.emit(depth, "}")

    def whole(self, depth: int, m: DescriptorProto) -> None:
        self.emit(depth, f"message {m.name} {{")
        for e in m.enum_type:
            self.enum(depth + 1, e)
        for n in m.nested_type:
            self.whole(depth + 1, n)
        for f in m.field:
            self.emit(depth + 1, self.field_line(f))
        self.emit(depth, "}")

    def diff(self, depth: int, m: DescriptorProto, base: DescriptorProto) -> None:
        base_fields = {f.name: f for f in base.field}
        fork_names = {f.name for f in m.field}
        base_enums = {e.name: e for e in base.enum_type}
        base_nested = {n.name: n for n in base.nested_type}
        self.emit(depth, f"message {m.name} {{")
        for e in m.enum_type:
            if e.name not in base_enums or not same_enum(e, base_enums[e.name]):
                self.enum(depth + 1, e)
        for n in m.nested_type:
            if n.name in base_nested:
                if _differs(n, base_nested[n.name]):
                    self.diff(depth + 1, n, base_nested[n.name])
            else:
                self.whole(depth + 1, n)
        gone = [f.name for f in base.field if f.name not in fork_names]
        if gone:
            names = ", ".join(f'"{name}"' for name in gone)
            self.emit(depth + 1, f"reserved {names};  // BVLC's, not in this fork")
        for f in m.field:
            old = base_fields.get(f.name)
            if old is None or not same_field(f, old):
                note = "" if old is None else "  // BVLC: " + self.field_line(old)
                self.emit(depth + 1, self.field_line(f) + note)
        self.emit(depth, "}")


def _differs(m: DescriptorProto, base: DescriptorProto) -> bool:
    base_fields = {f.name: f for f in base.field}
    if {f.name for f in m.field} != set(base_fields):
        return True
    if any(not same_field(f, base_fields[f.name]) for f in m.field):
        return True
    base_enums = {e.name: e for e in base.enum_type}
    if any(e.name not in base_enums or not same_enum(e, base_enums[e.name])
           for e in m.enum_type):
        return True
    base_nested = {n.name: n for n in base.nested_type}
    return any(n.name not in base_nested or _differs(n, base_nested[n.name])
               for n in m.nested_type)


def _collect(prefix: str, m: DescriptorProto, out: set[str], base: DescriptorProto | None,
             whole: bool) -> None:
    """Full names the overlay will declare under ``prefix``."""
    full = f"{prefix}.{m.name}"
    if not whole and base is not None and not _differs(m, base):
        return
    out.add(full)
    base_enums = {e.name: e for e in base.enum_type} if base is not None and not whole else {}
    for e in m.enum_type:
        if whole or e.name not in base_enums or not same_enum(e, base_enums[e.name]):
            out.add(f"{full}.{e.name}")
    base_nested = {n.name: n for n in base.nested_type} if base is not None else {}
    for n in m.nested_type:
        inner = base_nested.get(n.name) if not whole else None
        _collect(full, n, out, inner, whole or inner is None)


def overlay(name: str, fork_path: Path) -> str:
    fork = compile_proto(fork_path)
    bvlc = bvlc_file()
    ident = name.replace("-", "_").replace(".", "_")
    w = Writer(ident, fork, bvlc)
    base_msgs = {m.name: m for m in bvlc.message_type}
    base_enums = {e.name: e for e in bvlc.enum_type}
    for m in fork.message_type:
        base = base_msgs.get(m.name)
        _collect(".caffe", m, w.declared, base, base is None)
    for e in fork.enum_type:
        if e.name not in base_enums or not same_enum(e, base_enums[e.name]):
            w.declared.add(f".caffe.{e.name}")
    w.lines = [
        f"// What the {name} dialect adds to (or changes in) BVLC Caffe's schema.",
        "// Written by scripts/gen_dialect.py from the fork's caffe.proto; checked against it by",
        "// tests/test_dialects.py. Names, numbers, types and defaults are the fork's.",
        "",
        'syntax = "proto2";',
        "",
        f"package caffe.dialect.{ident};",
        "",
        'import "caffe.proto";',
        "",
    ]
    for e in fork.enum_type:
        if e.name not in base_enums or not same_enum(e, base_enums[e.name]):
            w.enum(0, e)
            w.lines.append("")
    for m in fork.message_type:
        base = base_msgs.get(m.name)
        if base is None:
            w.whole(0, m)
        elif _differs(m, base):
            w.diff(0, m, base)
        else:
            continue
        w.lines.append("")
    gone = [m.name for m in bvlc.message_type if m.name not in {x.name for x in fork.message_type}]
    if gone:
        w.lines.append(f"// BVLC messages this fork lacks: {', '.join(gone)}")
    text = "\n".join(w.lines).rstrip() + "\n"
    if not re.search(r"\.caffe\.(?!dialect\.)", text.split('import "caffe.proto";', 1)[1]):
        text = text.replace('import "caffe.proto";\n\n', "")
    return text


def source_path(source: str) -> Path | None:
    """Where a dialect's real caffe.proto is: the shared corpus, else the test fixtures."""
    for folder in (ROOT.parent / "shared" / "corpus" / "protos",
                   ROOT / "tests" / "fixtures" / "dialects"):
        if (folder / source).is_file():
            return folder / source
    return None


def main(argv: list[str]) -> int:
    if argv[1:] == ["--all"]:
        sys.path.insert(0, str(ROOT))
        from prototxt_lint.dialects import DIALECTS

        for dialect in DIALECTS:
            path = source_path(dialect.source)
            if path is None:
                print(f"{dialect.name}: {dialect.source} not found; kept as it is",
                      file=sys.stderr)
                continue
            out = ROOT / "proto" / "dialects" / f"{dialect.name}.proto"
            out.write_text(overlay(dialect.name, path))
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(overlay(argv[1], Path(argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
