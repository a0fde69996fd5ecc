"""Message classes from a serialized descriptor set, in a private descriptor pool.

Used for the bundled schema (``caffe_pb2``) and for a fork's schema (``--proto``). A private
pool never collides with another ``caffe.proto`` (pycaffe's) in protobuf's default pool.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FileDescriptor
from google.protobuf.descriptor_pb2 import FileDescriptorSet
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

#: Every pool made here, with the message classes built from it, kept for the life of the
#: process. Under protobuf 4.x's upb backend neither a descriptor nor a message instance keeps
#: its pool and its classes alive: once the garbage collector frees a class that is no longer
#: referenced by name, reading a sub-message of an instance built from it crashes the
#: interpreter (a segfault, found by the corpus test under protobuf 4.22 with a fork's schema;
#: ``tests/test_fork_schema.py`` repeats it). A process loads only a few schemas.
_KEEP_ALIVE: list[tuple[descriptor_pool.DescriptorPool, list[Any]]] = []

if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22

    def message_class(descriptor: Descriptor) -> Any:
        """The message class of ``descriptor`` (one class per descriptor, made once)."""
        return message_factory.GetMessageClass(descriptor)

else:  # protobuf 3.20 to 4.21: pycaffe users often have these pinned
    _FACTORY = message_factory.MessageFactory()

    def message_class(descriptor: Descriptor) -> Any:
        """The message class of ``descriptor``: GetMessageClass's predecessor, which also
        makes one class per descriptor (it caches them; the pool is not consulted)."""
        return _FACTORY.GetPrototype(descriptor)


def load_file_descriptor(serialized_set: bytes, file_name: str = "caffe.proto") -> FileDescriptor:
    """Load a serialized FileDescriptorSet into a fresh private pool; return ``file_name``."""
    pool = descriptor_pool.DescriptorPool()
    for file_proto in FileDescriptorSet.FromString(serialized_set).file:
        pool.Add(file_proto)
    file_desc = pool.FindFileByName(file_name)
    classes = [message_class(d) for d in _all_messages(file_desc)]
    _KEEP_ALIVE.append((pool, classes))
    return file_desc


def _all_messages(file_desc: FileDescriptor) -> list[Any]:
    """Every message type of the file, nested ones too (NVCaffe declares messages inside
    messages): upb in protobuf 4.x frees a class nothing holds, and a sub-message made from
    it later crashes the interpreter."""
    found: list[Any] = []
    todo = list(file_desc.message_types_by_name.values())
    while todo:
        desc = todo.pop()
        found.append(desc)
        todo.extend(desc.nested_types)
    return found


def module_namespace(file_desc: FileDescriptor) -> dict[str, Any]:
    """Classes, enum wrappers and top-level enum constants, named as protoc's gencode names them."""
    names: dict[str, Any] = {"DESCRIPTOR": file_desc}
    for name, msg_desc in file_desc.message_types_by_name.items():
        names[name] = message_class(msg_desc)
    for name, enum_desc in file_desc.enum_types_by_name.items():
        names[name] = EnumTypeWrapper(enum_desc)
        for value in enum_desc.values:
            names[value.name] = value.number
    return names
