"""The Caffe schema in use: message classes plus questions rules ask of it.

Some rules depend on which Caffe the user runs (InfogainLoss applies its own softmax only where
the schema has ``InfogainLossParameter.axis``), so rules ask the schema, never assume it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, FileDescriptor

from prototxt_lint.records import Record
from prototxt_lint.schema.descriptors import message_class


class Schema(Record):
    """One ``caffe.proto``: BVLC's bundled one or a fork's (``--proto``)."""

    __slots__ = ("absent", "dialect", "file", "name")

    def __init__(
        self,
        name: str,  # "BVLC Caffe", a dialect's description or the path of a user's caffe.proto
        file: FileDescriptor,
        dialect: str | None = None,  # the dialect's name (prototxt_lint.dialects), if one
        absent: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.name = name
        self.file = file
        self.dialect = dialect
        #: (message full name, field): BVLC fields this fork does not have, put back so that
        #: the engine can read them (see dialects.overlay.restore_bvlc_fields); written in a
        #: file, each is a P002
        self.absent = absent

    @property
    def is_bvlc(self) -> bool:
        return self.file is bvlc_schema().file

    @property
    def scalar_test_iter(self) -> bool:
        """The fork's solver has one ``test_iter`` (and one ``test_net``), as Caffe had
        before test nets became lists (C3D v1.0): none of BVLC's checks on their counts."""
        from prototxt_lint.syntax.parser import is_repeated

        field = self.descriptor("SolverParameter").fields_by_name.get("test_iter")
        return field is not None and not is_repeated(field)

    @property
    def v1_native(self) -> bool:
        """The fork reads only V1 ``layers`` (C3D v1.0): its NetParameter has no ``layer``
        (it was given one back only for the engine, see ``absent``)."""
        return not self.has_field("NetParameter", "layer")

    def message_class(self, name: str) -> Any:
        return message_class(self.descriptor(name))

    def descriptor(self, name: str) -> Descriptor:
        return self.file.message_types_by_name[name]

    def has_message(self, name: str) -> bool:
        return name in self.file.message_types_by_name

    def has_field(self, message: str, field: str) -> bool:
        """Does the schema itself declare ``message.field``? A BVLC field a fork lacks is
        readable (given back for the engine, see ``absent``) but not declared."""
        desc = self.file.message_types_by_name.get(message)
        return (desc is not None and field in desc.fields_by_name
                and (f"caffe.{message}", field) not in self.absent)

    def declares_like_bvlc(self, message: str) -> bool:
        """Does every field of ``message`` that BVLC's schema has exist here with BVLC's
        type and cardinality? Rules that compute with a message's fields the way BVLC's
        C++ does ask this first: a fork may redeclare them (C3D's PoolingParameter has a
        repeated ``kernel_size`` for 3-D kernels), and then BVLC's arithmetic is not the
        fork's."""
        return _declares_like_bvlc(self, message)


    def extends_bvlc(self, message: str) -> bool:
        """Does ``message`` have fields BVLC's schema lacks? Then the fork's layer of that
        name does more than BVLC's (NVCaffe's BatchNorm learns a scale and a bias)."""
        bvlc = bvlc_schema()
        if self.file is bvlc.file or not self.has_message(message):
            return False
        theirs = bvlc.descriptor(message).fields_by_name if bvlc.has_message(message) else {}
        return any(name not in theirs for name in self.descriptor(message).fields_by_name)


@cache
def _declares_like_bvlc(schema: Schema, message: str) -> bool:
    from prototxt_lint.syntax.parser import is_repeated

    bvlc = bvlc_schema()
    if schema.file is bvlc.file or not bvlc.has_message(message):
        return True
    ours = schema.file.message_types_by_name.get(message)
    if ours is None:
        return False
    for field in bvlc.descriptor(message).fields:
        mine = ours.fields_by_name.get(field.name)
        if mine is not None and (
            is_repeated(mine) != is_repeated(field) or mine.type != field.type
        ):
            return False
    return True


@cache
def bvlc_schema() -> Schema:
    from prototxt_lint.schema import caffe_pb2

    return Schema("BVLC Caffe", caffe_pb2.DESCRIPTOR)
