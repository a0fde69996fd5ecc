"""Caffe's schema as Python message classes, isolated from any other ``caffe.proto``.

Why not protoc's usual ``caffe_pb2.py`` gencode?

* Gencode made by current grpcio-tools refuses to import under protobuf runtimes older than
  the one it was generated for (7.35 today), and Caffe users often sit on older protobuf.
* pycaffe ships its own ``caffe_pb2`` that registers ``caffe.proto`` in protobuf's *default*
  descriptor pool. Importing a second gencode module with the same file name into that pool
  fails with a duplicate-file error, so the linter could not run next to pycaffe.

So ``scripts/gen_proto.sh`` compiles ``proto/caffe.proto`` into a serialized descriptor set
(``caffe.desc``, committed), and this module loads it into a *private* ``DescriptorPool`` and
builds the classes with ``message_factory.GetMessageClass`` (``MessageFactory.GetPrototype``
before protobuf 4.22, see ``descriptors.message_class``). The names this
module exports match protoc's gencode, and ``caffe_pb2.pyi`` (also generated) types them.
"""

from __future__ import annotations

import os

from prototxt_lint.schema.descriptors import load_file_descriptor, module_namespace

# os.path, not pathlib: importing pathlib would add ~6 ms to every run's start-up.
DESCRIPTOR_SET_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "caffe.desc")

with open(DESCRIPTOR_SET_PATH, "rb") as _handle:
    globals().update(module_namespace(load_file_descriptor(_handle.read())))
del _handle
