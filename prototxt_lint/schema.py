"""The Caffe schema in use: message classes plus questions rules ask of it.

Some rules depend on which Caffe the user runs (InfogainLoss applies its own softmax only where
the schema has ``InfogainLossParameter.axis``), so rules ask the schema, never assume it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FileDescriptor

from prototxt_lint.records import Record


class Schema(Record):
    """One ``caffe.proto``: BVLC's bundled one or a fork's (``--proto``)."""

    __slots__ = ("file", "name")

    def __init__(
        self,
        name: str,  # "BVLC Caffe" or the path of a user's caffe.proto
        file: FileDescriptor,
    ) -> None:
        self.name = name
        self.file = file

    def message_class(self, name: str) -> Any:
        return message_factory.GetMessageClass(self.descriptor(name))

    def descriptor(self, name: str) -> Descriptor:
        return self.file.message_types_by_name[name]

    def has_message(self, name: str) -> bool:
        return name in self.file.message_types_by_name

    def has_field(self, message: str, field: str) -> bool:
        desc = self.file.message_types_by_name.get(message)
        return desc is not None and field in desc.fields_by_name

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
    from prototxt_lint.parser import is_repeated

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
    from prototxt_lint import caffe_pb2

    return Schema("BVLC Caffe", caffe_pb2.DESCRIPTOR)
