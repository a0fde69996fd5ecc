"""A dialect's schema: BVLC's ``caffe.proto`` with the dialect's declaration merged in.

A declaration (``proto/dialects/<name>.proto``, compiled into ``overlays.desc`` by
``scripts/gen_proto.sh``) names a BVLC message to list only what the fork adds or declares
differently, and ``reserved`` names for BVLC fields the fork does not have; enums it changes
and messages it adds are declared whole. Merging is plain descriptor surgery, no protoc, so it
costs a few milliseconds and needs no optional dependency.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TypeAlias

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    FieldDescriptorProto,
    FileDescriptorProto,
    FileDescriptorSet,
)

from prototxt_lint.schema import Schema
from prototxt_lint.schema.descriptors import load_file_descriptor

OVERLAYS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "overlays.desc")
_BVLC_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "schema", "caffe.desc")


@cache
def _overlays() -> dict[str, FileDescriptorProto]:
    """Each dialect's compiled declaration, by dialect name."""
    with open(OVERLAYS_PATH, "rb") as handle:
        files = FileDescriptorSet.FromString(handle.read()).file
    return {os.path.splitext(os.path.basename(f.name))[0]: f for f in files}


def declaration(name: str) -> FileDescriptorProto:
    return _overlays()[name]


def declared_names() -> list[str]:
    return sorted(_overlays())


def _bvlc_file() -> FileDescriptorProto:
    with open(_BVLC_PATH, "rb") as handle:
        return FileDescriptorSet.FromString(handle.read()).file[0]


def _rename(message: DescriptorProto, prefix: str) -> None:
    """Point the declaration's own type names (``.caffe.dialect.x.Foo``) at ``.caffe.Foo``."""
    for field in message.field:
        _rename_field(field, prefix)
    for nested in message.nested_type:
        _rename(nested, prefix)


def _rename_field(field: FieldDescriptorProto, prefix: str) -> None:
    if field.type_name.startswith(prefix):
        field.type_name = ".caffe." + field.type_name[len(prefix):]


def _merge(base: DescriptorProto, extra: DescriptorProto, prefix: str) -> None:
    gone = set(extra.reserved_name)
    kept = [f for f in base.field if f.name not in gone]
    del base.field[:]
    base.field.extend(kept)
    index = {f.name: i for i, f in enumerate(base.field)}
    for field in extra.field:
        copy = FieldDescriptorProto()
        copy.CopyFrom(field)
        _rename_field(copy, prefix)
        if field.name in index:
            base.field[index[field.name]].CopyFrom(copy)
        else:
            base.field.append(copy)
    enums = {e.name: i for i, e in enumerate(base.enum_type)}
    for enum in extra.enum_type:
        if enum.name in enums:
            base.enum_type[enums[enum.name]].CopyFrom(enum)
        else:
            base.enum_type.add().CopyFrom(enum)
    nested = {n.name: n for n in base.nested_type}
    for inner in extra.nested_type:
        if inner.name in nested:
            _merge(nested[inner.name], inner, prefix)
        else:
            added = base.nested_type.add()
            added.CopyFrom(inner)
            _rename(added, prefix)


def merged_file(name: str) -> FileDescriptorProto:
    """BVLC's schema with dialect ``name`` merged in, as one ``caffe.proto``."""
    extra = declaration(name)
    result = _bvlc_file()
    prefix = f".{extra.package}."
    messages = {m.name: m for m in result.message_type}
    for message in extra.message_type:
        if message.name in messages:
            _merge(messages[message.name], message, prefix)
        else:
            added = result.message_type.add()
            added.CopyFrom(message)
            _rename(added, prefix)
    enums = {e.name: i for i, e in enumerate(result.enum_type)}
    for enum in extra.enum_type:
        if enum.name in enums:
            result.enum_type[enums[enum.name]].CopyFrom(enum)
        else:
            result.enum_type.add().CopyFrom(enum)
    return result


@cache
def dialect_schema(name: str) -> Schema:
    """The schema files of dialect ``name`` are parsed with (built once per process)."""
    from prototxt_lint.dialects import BY_NAME

    file = merged_file(name)
    absent = restore_bvlc_fields(file)
    data = FileDescriptorSet(file=[file]).SerializeToString()
    return Schema(BY_NAME[name].describe(), load_file_descriptor(data), dialect=name,
                  absent=frozenset(absent))


#: Field numbers given to BVLC fields a fork lacks (below protobuf's maximum, 2^29 - 1).
_SPARE_NUMBERS = 536_000_000

Node: TypeAlias = DescriptorProto | FileDescriptorProto


def _index(file: FileDescriptorProto) -> dict[str, DescriptorProto]:
    """Every message of ``file`` by full name (``caffe.A.B``)."""
    out: dict[str, DescriptorProto] = {}
    todo = [(f"{file.package}.{m.name}", m) for m in file.message_type]
    while todo:
        full, message = todo.pop()
        out[full] = message
        todo.extend((f"{full}.{n.name}", n) for n in message.nested_type)
    return out


def _pairs(fork: FileDescriptorProto, bvlc: FileDescriptorProto) -> list[tuple[str, str]]:
    """(fork message, BVLC message) that play the same part: reached from NetParameter and
    SolverParameter through fields of the same name (C3D v1.0's ``layers`` are its
    ``LayerParameter`` where BVLC's are ``V1LayerParameter``), then messages of the same
    name that no field path reached."""
    theirs, ours = _index(fork), _index(bvlc)
    seen: set[str] = set()
    pairs: list[tuple[str, str]] = []
    todo = [(f"caffe.{n}", f"caffe.{n}") for n in ("NetParameter", "SolverParameter")]
    while todo:
        mine, base = todo.pop(0)
        if mine in seen or mine not in theirs or base not in ours:
            continue
        seen.add(mine)
        pairs.append((mine, base))
        fields = {f.name: f for f in theirs[mine].field}
        for field in ours[base].field:
            other = fields.get(field.name)
            if other is not None and field.type_name and other.type_name:
                todo.append((other.type_name[1:], field.type_name[1:]))
    pairs.extend((name, name) for name in theirs if name not in seen and name in ours)
    return pairs


def _ensure_type(file: FileDescriptorProto, bvlc: FileDescriptorProto, type_name: str,
                 wanted: list[str]) -> None:
    """Make ``type_name`` (``.caffe.A.B``, a BVLC type) resolvable in ``file``, copying from
    BVLC's schema the first part of its path that ``file`` lacks."""
    mine: Node = file
    base: Node = bvlc
    full = "caffe"
    for part in type_name.split(".")[2:]:
        full = f"{full}.{part}"
        here = mine.message_type if isinstance(mine, FileDescriptorProto) else mine.nested_type
        there = base.message_type if isinstance(base, FileDescriptorProto) else base.nested_type
        found = next((m for m in here if m.name == part), None)
        source = next((m for m in there if m.name == part), None)
        if found is not None and source is not None:
            mine, base = found, source
            continue
        if found is not None:
            return
        if source is not None:
            added = here.add()
            added.CopyFrom(source)
            # its own fields are not reported: the field that refers to it already is
            for message in _index_message(added, full).values():
                wanted.extend(f.type_name for f in message.field if f.type_name)
            return
        enums = mine.enum_type
        if any(e.name == part for e in enums):
            return
        enum = next((e for e in base.enum_type if e.name == part), None)
        if enum is not None:
            enums.add().CopyFrom(enum)
        return


def _index_message(message: DescriptorProto, full: str) -> dict[str, DescriptorProto]:
    out = {full: message}
    for nested in message.nested_type:
        out.update(_index_message(nested, f"{full}.{nested.name}"))
    return out


def restore_bvlc_fields(file: FileDescriptorProto) -> set[tuple[str, str]]:
    """Give back, in place, every field of BVLC's schema that ``file`` (a fork's schema) lacks
    in the message that plays the same part, with the types it needs; return those fields
    as ``(message full name, field)``.

    The engine and the rules read BVLC's fields (``include``, ``state``, ``input_shape``), and
    a fork may not have them (C3D v1.0's layers have no ``include``). With them restored,
    nothing has to ask first; a file that writes one still gets a P002 (the linter checks
    ``Schema.absent``), since the fork's Caffe would refuse it."""
    bvlc = _bvlc_file()
    restored: set[tuple[str, str]] = set()
    wanted: list[str] = []
    theirs, ours = _index(file), _index(bvlc)
    for mine, base in _pairs(file, bvlc):
        message = theirs[mine]
        names = {f.name for f in message.field}
        numbers = {f.number for f in message.field}
        spare = _SPARE_NUMBERS
        for field in ours[base].field:
            if field.name in names:
                continue
            copy = message.field.add()
            copy.CopyFrom(field)
            if copy.number in numbers:
                while spare in numbers:
                    spare += 1
                copy.number = spare
            numbers.add(copy.number)
            names.add(field.name)
            restored.add((mine, field.name))
            if copy.type_name:
                wanted.append(copy.type_name)
    done: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in done:
            done.add(name)
            _ensure_type(file, bvlc, name, wanted)
    return restored


#: the fields the engine itself reads to build each phase's net (model.py, roles.py): a fork
#: may lack them (restored above) but must not give them another type
_ENGINE_FIELDS = {
    "caffe.NetParameter": ("layer", "layers", "input", "input_shape", "input_dim", "state"),
    "caffe.LayerParameter": ("name", "type", "bottom", "top", "include", "exclude", "phase",
                             "loss_weight"),
    "caffe.NetStateRule": ("phase", "min_level", "max_level", "stage", "not_stage"),
    "caffe.NetState": ("phase", "level", "stage"),
}


def _shape(field: FieldDescriptorProto) -> str:
    repeated = field.label == FieldDescriptorProto.LABEL_REPEATED
    if field.type_name:
        kind = field.type_name.rsplit(".", 1)[-1]
    else:
        kind = FieldDescriptorProto.Type.Name(field.type)[len("TYPE_"):].lower()
    return f"{'repeated' if repeated else 'optional'} {kind}"


def engine_field_conflicts(file: FileDescriptorProto) -> list[str]:
    """The fields the engine reads that ``file`` (a fork's schema) declares with another type
    or label than BVLC's, as ``Message.field is X here, BVLC's is Y``: linting with such a
    schema cannot work (``include: "x"`` would be a string where a rule is read)."""
    bvlc = _bvlc_file()
    theirs, ours = _index(file), _index(bvlc)
    found = []
    for mine, base in _pairs(file, bvlc):
        names = _ENGINE_FIELDS.get(base)
        if not names:
            continue
        fields = {f.name: f for f in theirs[mine].field}
        for field in ours[base].field:
            other = fields.get(field.name)
            if field.name not in names or other is None:
                continue
            same_kind = (field.type == other.type
                         or {field.type, other.type} <= {FieldDescriptorProto.TYPE_MESSAGE,
                                                         FieldDescriptorProto.TYPE_GROUP})
            repeated_differs = field.label != other.label and (
                FieldDescriptorProto.LABEL_REPEATED in (field.label, other.label))
            if not same_kind or repeated_differs:
                found.append(f"{mine.split('.', 1)[-1]}.{field.name} is {_shape(other)} here,"
                             f" BVLC's is {_shape(field)}")
    return found
