"""Message classes from a serialized descriptor set, in a private descriptor pool.

Used for the bundled schema (``caffe_pb2``) and for a fork's schema (``--proto``). A private
pool never collides with another ``caffe.proto`` (pycaffe's) in protobuf's default pool.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.descriptor_pb2 import FileDescriptorSet
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper


def load_file_descriptor(serialized_set: bytes, file_name: str = "caffe.proto") -> FileDescriptor:
    """Load a serialized FileDescriptorSet into a fresh private pool; return ``file_name``."""
    pool = descriptor_pool.DescriptorPool()
    for file_proto in FileDescriptorSet.FromString(serialized_set).file:
        pool.Add(file_proto)
    return pool.FindFileByName(file_name)


def module_namespace(file_desc: FileDescriptor) -> dict[str, Any]:
    """Classes, enum wrappers and top-level enum constants, named as protoc's gencode names them."""
    names: dict[str, Any] = {"DESCRIPTOR": file_desc}
    for name, msg_desc in file_desc.message_types_by_name.items():
        names[name] = message_factory.GetMessageClass(msg_desc)
    for name, enum_desc in file_desc.enum_types_by_name.items():
        names[name] = EnumTypeWrapper(enum_desc)
        for value in enum_desc.values:
            names[value.name] = value.number
    return names
