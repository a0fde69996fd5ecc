"""Which dialect a file is written for, from the names it uses that BVLC's schema lacks.

A file parsed with BVLC's schema leaves a trail of unknown fields and enum values (the parser
keys each one: ``("caffe.LayerParameter", "prior_box_param")``, ``("caffe.V1LayerParameter.
type", "PRIOR_BOX")``). A dialect fits a file as far as it declares those names. The best fit
declares the most of them, then lacks the fewest BVLC fields the file uses (an old fork
without ``input_param``). Forks built on another declare its names too (RefineDet, TextBoxes
and MobileNet-YOLO have SSD's): of those that fit equally, the first in the registry (the
original) is chosen, and the report names the others.

Layer types count as names too: those a fork's schema has a parameter message for, and those
its sources register (``registrations.py``). A fork is a candidate only when its schema
declares at least one of the names: a parameter-less type (DepthwiseConvolution) copied into
many forks adds weight to a fork, but does not pick one on its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import cache
from typing import Any

from google.protobuf.message import Message

from prototxt_lint.dialects import DIALECTS, Dialect
from prototxt_lint.dialects.reading import TYPE
from prototxt_lint.model import type_letters
from prototxt_lint.records import Record
from prototxt_lint.syntax.parser import is_repeated

Key = tuple[str, str]


class Markers(Record):
    """What a dialect adds to BVLC's schema, keyed as the parser keys unknown names, and the
    BVLC fields it does not have."""

    __slots__ = ("adds", "lacks", "registered", "types")

    def __init__(self, adds: frozenset[Key], lacks: frozenset[Key],
                 types: frozenset[str], registered: frozenset[str] = frozenset()) -> None:
        self.adds = adds
        self.lacks = lacks
        # layer types the fork has, as far as its schema tells: a parameter message named
        # after the type (`roi_pooling_param` for ROIPooling), normalised by type_letters
        self.types = types
        # layer types its sources register (registrations.py) beyond those, normalised
        self.registered = registered - types

    def declares(self, key: Key) -> bool:
        if key[0] == TYPE:
            letters = type_letters(key[1])
            return letters in self.types or letters in self.registered
        return key in self.adds

    def names_in_schema(self, key: Key) -> bool:
        """Declared by the fork's schema (a field, an enum value, a parameter message named
        after the type), not only by its sources: a parameter-less layer such as
        DepthwiseConvolution or ReLU6 is copied into many forks, most of whose sources were
        never read, so on its own it does not tell which fork a file is for."""
        if key[0] == TYPE:
            return type_letters(key[1]) in self.types
        return key in self.adds


class Detection(Record):
    """The dialect chosen for a file, the names that point to it, and any equal rivals."""

    __slots__ = ("dialect", "evidence", "forced", "names_seen", "rivals", "span",
                 "unexplained")

    def __init__(self, dialect: Dialect, evidence: tuple[Key, ...] = (),
                 rivals: tuple[Dialect, ...] = (), unexplained: int = 0,
                 forced: bool = False, span: tuple[int, int] = (0, 0),
                 names_seen: frozenset[Key] = frozenset()) -> None:
        self.names_seen = names_seen  # every unknown name of the BVLC reading
        self.dialect = dialect
        self.evidence = evidence  # the unknown names (keyed) the dialect declares, sorted
        self.rivals = rivals  # dialects that fit exactly as well
        self.unexplained = unexplained  # unknown names the chosen dialect does not declare
        self.forced = forced  # chosen by --dialect / `dialect = ...`, not detected
        self.span = span  # offsets of the first name that points to the dialect

    def choose(self, dialect: Dialect) -> None:
        """Settle on ``dialect`` (a rival that read the file with fewer errors): the
        evidence and the unexplained count become its own."""
        if dialect is self.dialect:
            return
        chosen = markers(dialect.name)
        self.dialect = dialect
        self.evidence = tuple(sorted(k for k in self.names_seen if chosen.declares(k)))
        self.unexplained = sum(1 for k in self.names_seen
                               if k[0] != TYPE and not chosen.declares(k))

    def to_dict(self) -> dict[str, Any]:
        """For ``--format json``: the dialect, how it was chosen and from what."""
        return {"name": self.dialect.name, "fork": self.dialect.describe(),
                "detected": not self.forced, "evidence": self.names(),
                "also_fits": [d.name for d in self.rivals], "unexplained": self.unexplained}

    def names(self) -> list[str]:
        """The evidence as written, each once: fields and enum values, then the layer types
        whose parameter message is not among them."""
        fields = [k[1].replace("[]", ": [...]") for k in self.evidence if k[0] != TYPE]
        params = {type_letters(name[: -len("_param")]) for name in fields
                  if name.endswith("_param")}
        types = [k[1] for k in self.evidence if k[0] == TYPE and type_letters(k[1]) not in params]
        return list(dict.fromkeys(fields + types))


def _enum_values(file: object) -> dict[str, set[str]]:
    """Enum full name (``.caffe.X.E``) -> value names."""
    from prototxt_lint.dialects.overlay import _index

    out: dict[str, set[str]] = {}
    for enum in file.enum_type:  # type: ignore[attr-defined]
        out[f".caffe.{enum.name}"] = {v.name for v in enum.value}
    for name, message in _index(file).items():  # type: ignore[arg-type]
        for enum in message.enum_type:
            out[f".{name}.{enum.name}"] = {v.name for v in enum.value}
    return out


MARKERS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "markers.json")


@cache
def _marker_table() -> dict[str, Any]:
    with open(MARKERS_PATH, encoding="utf-8") as handle:
        table: dict[str, Any] = json.load(handle)
    return table


@cache
def markers(name: str) -> Markers:
    """What dialect ``name`` adds and lacks, from ``markers.json`` (written by
    ``scripts/gen_proto.sh`` with :func:`compute_markers`; walking every fork's descriptors
    at run time would cost a third of a second)."""
    from prototxt_lint.dialects.registrations import registrations

    entry = _marker_table()[name]
    # the layer types its sources register count like those its schema names: a type only
    # some forks have points to them (BVLC's own types never reach detect: reading.py)
    registered = frozenset(type_letters(t) for t in registrations(name).layers)
    return Markers(frozenset(map(tuple, entry["adds"])),  # type: ignore[arg-type]
                   frozenset(map(tuple, entry["lacks"])),  # type: ignore[arg-type]
                   frozenset(entry["types"]), registered)


def marker_table() -> dict[str, Any]:
    """Every dialect's markers, as ``markers.json`` holds them."""
    out: dict[str, Any] = {}
    for dialect in DIALECTS:
        mark = compute_markers(dialect.name)
        out[dialect.name] = {"adds": sorted(map(list, mark.adds)),
                             "lacks": sorted(map(list, mark.lacks)),
                             "types": sorted(mark.types)}
    return out


def compute_markers(name: str) -> Markers:
    """Keyed by BVLC's message names: a fork message is paired with the BVLC message that
    plays its part (C3D v1.0's ``layers`` hold its LayerParameter, BVLC's V1LayerParameter),
    as the parser keys what it finds there when it reads the file with BVLC's schema."""
    from google.protobuf.descriptor_pb2 import FieldDescriptorProto

    from prototxt_lint.dialects.overlay import _bvlc_file, _index, _pairs, merged_file

    bvlc, fork = _bvlc_file(), merged_file(name)
    ours, theirs = _index(bvlc), _index(fork)
    old_values, new_values = _enum_values(bvlc), _enum_values(fork)
    adds: set[Key] = set()
    lacks: set[Key] = set()
    for mine, base in _pairs(fork, bvlc):
        known = {f.name: f for f in ours[base].field}
        names = {f.name for f in theirs[mine].field}
        lacks.update((base, f) for f in known if f not in names)
        for field in theirs[mine].field:
            old = known.get(field.name)
            if old is None:
                adds.add((base, field.name))
            elif (field.label == FieldDescriptorProto.LABEL_REPEATED
                  and old.label != FieldDescriptorProto.LABEL_REPEATED):
                adds.add((base, field.name + "[]"))  # written as a list (the parser's key)
            elif field.type == FieldDescriptorProto.TYPE_ENUM and old.type_name:
                extra = new_values.get(field.type_name, set()) - old_values.get(
                    old.type_name, set())
                adds.update((f"{base}.{field.name}", value) for value in extra)
    types = {type_letters(field[: -len("_param")]) for owner, field in adds
             if owner == "caffe.LayerParameter" and field.endswith("_param")}
    return Markers(frozenset(adds), frozenset(lacks), frozenset(types))






def used_fields(message: Message) -> set[Key]:
    """(message type, field) for every field set anywhere in a parsed message."""
    out: set[Key] = set()
    todo = [message]
    while todo:
        msg = todo.pop()
        owner = msg.DESCRIPTOR.full_name
        for fd, value in msg.ListFields():
            out.add((owner, fd.name))
            if fd.message_type is not None:
                if is_repeated(fd):
                    todo.extend(value)
                else:
                    todo.append(value)
    return out


def detect(unknown: Iterable[Key], message: Message | None,
           candidates: Iterable[Dialect] | None = None) -> Detection | None:
    """The dialect that best explains ``unknown`` (the names BVLC's schema lacks, and
    ``(TYPE, type)`` for the layer types used), or None when no dialect declares any of them
    (a typo, a custom layer: BVLC it is)."""
    names = set(unknown)
    if not names:
        return None
    scored: list[tuple[int, int, int, Dialect]] = []
    used: set[Key] | None = None
    for order, dialect in enumerate(DIALECTS if candidates is None else candidates):
        mark = markers(dialect.name)
        if not any(mark.names_in_schema(key) for key in names):
            continue  # only types its sources register: they add weight, never decide
        fits = sum(1 for key in names if mark.declares(key))
        if used is None:
            used = used_fields(message) if message is not None else set()
        conflicts = len(used & mark.lacks)
        scored.append((-fits, conflicts, order, dialect))
    if not scored:
        return None
    scored.sort(key=lambda s: s[:3])
    best = scored[0]
    rivals = tuple(s[3] for s in scored[1:] if s[:2] == best[:2])
    chosen = markers(best[3].name)
    evidence = tuple(sorted(key for key in names if chosen.declares(key)))
    # a layer type no fork's schema names may be a parameter-less layer of this fork's
    unexplained = sum(1 for key in names if key[0] != TYPE and not chosen.declares(key))
    return Detection(best[3], evidence, rivals, unexplained, names_seen=frozenset(names))


def declaring(key: Key) -> list[Dialect]:
    """The dialects that declare an unknown name, in registry order."""
    return [d for d in DIALECTS if markers(d.name).declares(key)]

