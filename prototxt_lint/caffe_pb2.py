"""Caffe's schema as Python message classes, isolated from any other ``caffe.proto``.

Why not protoc's usual ``caffe_pb2.py`` gencode?

* Gencode made by current grpcio-tools refuses to import under protobuf runtimes older than
  the one it was generated for (7.35 today), and Caffe users often sit on older protobuf.
* pycaffe ships its own ``caffe_pb2`` that registers ``caffe.proto`` in protobuf's *default*
  descriptor pool. Importing a second gencode module with the same file name into that pool
  fails with a duplicate-file error, so the linter could not run next to pycaffe.

So ``scripts/gen_proto.sh`` compiles ``proto/caffe.proto`` into a serialized descriptor set
(``caffe.desc``, committed), and this module loads it into a *private* ``DescriptorPool`` and
builds the classes with ``message_factory.GetMessageClass`` (protobuf >= 4.22). The names this
module exports match protoc's gencode, and ``caffe_pb2.pyi`` (also generated) types them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.descriptor_pb2 import FileDescriptorSet
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

DESCRIPTOR_SET_PATH = Path(__file__).with_name("caffe.desc")


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


globals().update(module_namespace(load_file_descriptor(DESCRIPTOR_SET_PATH.read_bytes())))
