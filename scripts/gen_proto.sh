#!/usr/bin/env bash
# Regenerate the committed schema bindings in prototxt_lint/ from proto/caffe.proto.
#
# Output (all committed):
#   prototxt_lint/schema/caffe.desc   serialized FileDescriptorSet, loaded at run time into a
#                              private DescriptorPool by prototxt_lint/schema/caffe_pb2.py
#   prototxt_lint/schema/caffe_pb2.pyi typing stubs for that module
#   prototxt_lint/dialects/overlays.desc  the forks' declarations in proto/dialects/
#   prototxt_lint/dialects/markers.json   what each adds and lacks (for recognising them)
#
# We deliberately do NOT commit protoc's caffe_pb2.py gencode: see caffe_pb2.py for why.
# Use the pinned grpcio-tools from the dev extras so the output is byte-stable; CI runs this
# script and fails if `git diff` shows any change.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python}
cd "$here"
"$py" -m grpc_tools.protoc -Iproto \
  --descriptor_set_out=prototxt_lint/schema/caffe.desc \
  --pyi_out=prototxt_lint/schema \
  proto/caffe.proto
# The forks' dialect declarations (overlays on caffe.proto; see prototxt_lint/dialects/):
# one descriptor set, without caffe.proto itself (--include_imports is not given).
"$py" -m grpc_tools.protoc -Iproto \
  --descriptor_set_out=prototxt_lint/dialects/overlays.desc \
  proto/dialects/*.proto
# ... and what each adds and lacks, keyed as the parser keys unknown names (detection)
"$py" -c 'import json, sys
from prototxt_lint.dialects.detect import MARKERS_PATH, marker_table
with open(MARKERS_PATH, "w", encoding="utf-8") as out:
    json.dump(marker_table(), out, indent=0, sort_keys=True)
    out.write("\n")'
echo "regenerated prototxt_lint/schema/caffe.desc, prototxt_lint/schema/caffe_pb2.pyi and"\
  "prototxt_lint/dialects/overlays.desc from proto/"
