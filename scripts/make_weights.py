#!/usr/bin/env python3
"""Train the tiny nets of tests/fixtures/weights/ with real BVLC Caffe and keep their snapshots.

    prefix=$(bash ../shared/caffe-oracle/build.sh | tail -n1)
    python scripts/make_weights.py $prefix/bin/caffe

Writes (next to the nets, which are checked in):
- ``v2.caffemodel``: ``train_v2.prototxt`` (V2 syntax, DummyData, conv + BatchNorm + Scale +
  classifier), 2 iterations of SGD: its BatchNorm statistics are trained.
- ``v1.caffemodel``: ``train_v1.prototxt`` (old `layers {}` syntax, upgraded by Caffe),
  2 iterations. Caffe always snapshots the V2 form.
- ``v1_legacy.caffemodel``: the same model written back in the V1 binary form (``layers``,
  field 2; V1 enum types; legacy num/channels/height/width blob shapes), as models from before
  2015 (the BVLC reference CaffeNet) are stored: the blobs are v1.caffemodel's, moved into the
  old messages with protobuf; ``tests/test_weights.py`` checks that real Caffe loads it.
- ``v0_legacy.caffemodel``: the same blobs in the V0 binary form (``layers { layer { name
  type: "conv" blobs } }``, V0LayerParameter nested in field 1 of V1LayerParameter), as models
  of 2013-2014 are stored; only the layers with weights, as ``UpgradeV0Net`` refuses a V0 type
  it does not know (DummyData has none). ``tests/test_weights.py`` checks that real Caffe
  loads it.
- ``bn_zero.caffemodel``: ``train_bn_frozen.prototxt`` (BatchNorm `use_global_stats: true` in
  TRAIN, from scratch), 2 iterations: the statistics stay 0 (caffe-behaviour row 3).
- ``params.caffemodel``: ``train_params.prototxt`` (PReLU shared and per channel, Scale over
  two axes with a bias, Bias), 2 iterations.
- ``h5.caffemodel.h5``: ``train_v2.prototxt`` snapshotted with ``snapshot_format: HDF5``.
- ``wide.caffemodel`` (only with ``--wide``, for benchmarks/weights.py, not checked in): a wide
  InnerProduct net whose model is about 200 MB.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
FIXTURES = HERE / "tests" / "fixtures" / "weights"

SOLVER = """net: "{net}"
base_lr: 0.01
momentum: 0.9
lr_policy: "fixed"
max_iter: 2
snapshot: 2
snapshot_prefix: "{prefix}"
solver_mode: CPU
random_seed: 1
"""


def train(caffe: str, net: Path, out: Path, workdir: Path, hdf5: bool = False) -> None:
    prefix = workdir / out.name.split(".")[0]
    solver = workdir / f"{out.name.split('.')[0]}_solver.prototxt"
    text = SOLVER.format(net=net, prefix=prefix)
    solver.write_text(text + ("snapshot_format: HDF5\n" if hdf5 else ""))
    subprocess.run([caffe, "train", "--solver", str(solver)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    suffix = ".caffemodel.h5" if hdf5 else ".caffemodel"
    snapshot = sorted(glob.glob(f"{prefix}_iter_*{suffix}"))[-1]
    shutil.copyfile(snapshot, out)
    print(f"{out.relative_to(HERE)}: {out.stat().st_size} bytes")


def _legacy_blobs(target: Any, blobs: Any) -> None:
    """``blobs`` copied into ``target`` (a repeated BlobProto) with the legacy
    num/channels/height/width shape of models from before 2015."""
    for blob in blobs:
        dims = [1] * (4 - len(blob.shape.dim)) + list(blob.shape.dim)
        new = target.add(num=dims[0], channels=dims[1], height=dims[2], width=dims[3])
        new.data.extend(blob.data)


def _rewrite(source: Path, out: Path, add_layer: Callable[[Any, Any], None]) -> None:
    """The V2 model ``source`` written again with ``add_layer(old_net, layer)`` per layer."""
    sys.path.insert(0, str(HERE))
    from prototxt_lint.schema.caffe_pb2 import NetParameter

    net = NetParameter()
    net.ParseFromString(source.read_bytes())
    old = NetParameter(name=net.name)
    for layer in net.layer:
        add_layer(old, layer)
    out.write_bytes(old.SerializeToString())
    print(f"{out.relative_to(HERE)}: {out.stat().st_size} bytes")


def legacy_v1(source: Path, out: Path) -> None:
    """The V2 model ``source`` in the V1 binary form (layers, enum types, legacy shapes)."""
    sys.path.insert(0, str(HERE))
    from prototxt_lint.model import V1_TYPES
    from prototxt_lint.schema.caffe_pb2 import V1LayerParameter

    by_type = {v: k for k, v in V1_TYPES.items() if v}

    def add(old: Any, layer: Any) -> None:
        v1 = old.layers.add(name=layer.name)
        v1.type = V1LayerParameter.LayerType.Value(by_type[layer.type])
        v1.bottom.extend(layer.bottom)
        v1.top.extend(layer.top)
        _legacy_blobs(v1.blobs, layer.blobs)

    _rewrite(source, out, add)


def legacy_v0(source: Path, out: Path) -> None:
    """The V2 model ``source`` in the V0 binary form (only its layers with blobs)."""
    sys.path.insert(0, str(HERE))
    from prototxt_lint.model import V0_TYPES

    by_type = {v: k for k, v in V0_TYPES.items()}

    def add(old: Any, layer: Any) -> None:
        if layer.blobs:
            v0 = old.layers.add().layer
            v0.name, v0.type = layer.name, by_type[layer.type]
            _legacy_blobs(v0.blobs, layer.blobs)

    _rewrite(source, out, add)


WIDE = """name: "wide"
layer {{ name: "data" type: "DummyData" top: "data" top: "label"
  dummy_data_param {{ shape {{ dim: 1 dim: {width} }} shape {{ dim: 1 }}
                     data_filler {{ type: "constant" value: 0.5 }} }} }}
layer {{ name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1"
  inner_product_param {{ num_output: {width} weight_filler {{ type: "constant" value: 0.001 }} }} }}
layer {{ name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2"
  inner_product_param {{ num_output: 10 weight_filler {{ type: "constant" value: 0.001 }} }} }}
layer {{ name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" top: "loss" }}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("caffe", help="the caffe binary of ../shared/caffe-oracle")
    parser.add_argument("--wide", metavar="OUT", help="also write the wide benchmark model")
    parser.add_argument("--width", type=int, default=7000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.wide:
            net = work / "wide.prototxt"
            net.write_text(WIDE.format(width=args.width))
            solver = SOLVER.replace("max_iter: 2", "max_iter: 0").replace("snapshot: 2\n", "")
            (work / "s.prototxt").write_text(solver.format(net=net, prefix=work / "wide"))
            subprocess.run([args.caffe, "train", "--solver", str(work / "s.prototxt")],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.copyfile(sorted(glob.glob(f"{work}/wide_iter_*.caffemodel"))[-1], args.wide)
            print(f"{args.wide}: {os.path.getsize(args.wide)} bytes")
            return 0
        train(args.caffe, FIXTURES / "train_v2.prototxt", FIXTURES / "v2.caffemodel", work)
        train(args.caffe, FIXTURES / "train_v1.prototxt", FIXTURES / "v1.caffemodel", work)
        train(args.caffe, FIXTURES / "train_bn_frozen.prototxt", FIXTURES / "bn_zero.caffemodel",
              work)
        train(args.caffe, FIXTURES / "train_v2.prototxt", FIXTURES / "h5.caffemodel.h5", work,
              hdf5=True)
        train(args.caffe, FIXTURES / "train_params.prototxt", FIXTURES / "params.caffemodel",
              work)
    legacy_v1(FIXTURES / "v1.caffemodel", FIXTURES / "v1_legacy.caffemodel")
    legacy_v0(FIXTURES / "v1.caffemodel", FIXTURES / "v0_legacy.caffemodel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
