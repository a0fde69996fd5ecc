#!/usr/bin/env bash
# Regenerate the committed schema bindings in prototxt_lint/ from proto/caffe.proto.
#
# Output (all committed):
#   prototxt_lint/caffe.desc   serialized FileDescriptorSet, loaded at run time into a
#                              private DescriptorPool by prototxt_lint/caffe_pb2.py
#   prototxt_lint/caffe_pb2.pyi typing stubs for that module
#
# We deliberately do NOT commit protoc's caffe_pb2.py gencode: see caffe_pb2.py for why.
# Use the pinned grpcio-tools from the dev extras so the output is byte-stable; CI runs this
# script and fails if `git diff` shows any change.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python}
cd "$here"
"$py" -m grpc_tools.protoc -Iproto \
  --descriptor_set_out=prototxt_lint/caffe.desc \
  --pyi_out=prototxt_lint \
  proto/caffe.proto
echo "regenerated prototxt_lint/caffe.desc and prototxt_lint/caffe_pb2.pyi from proto/caffe.proto"
