"""Shape inference (prototxt_lint/shapes.py) and the `prototxt-lint shapes` command.

Expected shapes are the published ones for the BVLC and MSRA nets, and hand-computed from
each layer's C++ ``Reshape`` for the fixture that has one layer of each kind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FIXTURES, needs_corpus, needs_protoc

from prototxt_lint.cli.shapes import shapes_command
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.model import NetContext
from prototxt_lint.shapes import format_shape, infer_shapes, net_shapes, shape_string

GOOGLENET = CORPUS / "BVLC__caffe/models/bvlc_googlenet/deploy.prototxt"
RESNET = CORPUS / "KaimingHe__deep-residual-networks/prototxt"


def context(path: str | Path, text: str | None = None, dialect: str = "auto") -> NetContext:
    data = text.encode() if text is not None else None
    (report,) = Linter([], Options(dialect=dialect)).lint([Input(str(path), data)])
    assert report.net is not None
    return report.net


def shapes_of(path: str | Path, phase: str) -> dict[str, tuple[int | None, ...]]:
    return infer_shapes(context(path))[phase]


@needs_corpus
def test_googlenet_published_sizes() -> None:
    blobs = shapes_of(GOOGLENET, "deploy")
    assert blobs["data"] == (10, 3, 224, 224)
    assert blobs["conv1/7x7_s2"] == (10, 64, 112, 112)
    assert blobs["pool2/3x3_s2"] == (10, 192, 28, 28)
    # the inception outputs of Szegedy et al. 2014, table 1: 28x28x256, 28x28x480, ...
    expected = {
        "inception_3a/output": (256, 28), "inception_3b/output": (480, 28),
        "inception_4a/output": (512, 14), "inception_4b/output": (512, 14),
        "inception_4c/output": (512, 14), "inception_4d/output": (528, 14),
        "inception_4e/output": (832, 14), "inception_5a/output": (832, 7),
        "inception_5b/output": (1024, 7),
    }
    for blob, (channels, size) in expected.items():
        assert blobs[blob] == (10, channels, size, size), blob
    assert blobs["pool5/7x7_s1"] == (10, 1024, 1, 1)
    assert blobs["loss3/classifier"] == (10, 1000)
    assert blobs["prob"] == (10, 1000)


@needs_corpus
@pytest.mark.parametrize("depth", [50, 101, 152])
def test_resnet_published_sizes(depth: int) -> None:
    blobs = shapes_of(RESNET / f"ResNet-{depth}-deploy.prototxt", "deploy")
    assert blobs["data"] == (1, 3, 224, 224)  # from input_dim
    assert blobs["conv1"] == (1, 64, 112, 112)
    assert blobs["pool1"] == (1, 64, 56, 56)
    assert blobs["res2c"] == (1, 256, 56, 56)
    assert blobs["res3a"] == (1, 512, 28, 28)
    assert blobs["res4a"] == (1, 1024, 14, 14)
    assert blobs["res5c"] == (1, 2048, 7, 7)  # 7x7 before the final pooling
    assert blobs["pool5"] == (1, 2048, 1, 1)
    assert blobs["fc1000"] == (1, 1000)


@needs_corpus
def test_alexnet_per_phase_batch_and_unknown_channels() -> None:
    shapes = infer_shapes(context(CORPUS / "BVLC__caffe/models/bvlc_alexnet/train_val.prototxt"))
    train, test = shapes["TRAIN"], shapes["TEST"]
    # channels come from the LMDB: unknown; crop_size fixes the size
    assert train["data"] == (256, None, 227, 227) and train["label"] == (256,)
    assert test["data"] == (50, None, 227, 227)
    assert train["conv1"] == (256, 96, 55, 55)
    assert train["pool5"] == (256, 256, 6, 6)
    assert train["fc8"] == (256, 1000)
    assert train["loss"] == ()
    assert test["accuracy"] == ()


@needs_corpus
def test_old_syntaxes() -> None:
    v1 = shapes_of(CORPUS / "BVLC__caffe@rc/models/bvlc_alexnet/train_val.prototxt", "TRAIN")
    assert v1["data"] == (256, None, 227, 227)  # V1 data_param crop_size, upgraded
    assert v1["fc8"] == (256, 1000)
    # V0, with `padding` layers that UpgradeV0PaddingLayers folds into the convolutions
    v0 = shapes_of(CORPUS / "BVLC__caffe@v0.9/examples/imagenet/imagenet_train.prototxt",
                   "TRAIN")
    assert v0["conv1"] == (256, 96, 55, 55)
    assert v0["conv2"] == (256, 256, 27, 27)
    assert v0["pool5"] == (256, 256, 6, 6)
    assert v0["fc8"] == (256, 1000)


def test_every_layer_kind() -> None:
    blobs = shapes_of(FIXTURES / "shapes/good_layers.prototxt", "TRAIN")
    expected: dict[str, tuple[int | None, ...]] = {
        "img": (2, 3, 32, 32), "vec": (2, 12), "label": (2,),
        "small": (1, 1, 4, 4), "small2": (1, 1, 4, 4),
        "legacy": (3, 2, 5, 5),
        "memory": (4, 3, 8, 8), "memory_label": (4,),
        "images_crop": (5, 1, 96, 96), "images_crop_label": (5,),  # is_color: false, crop
        "images": (5, 3, 100, 120), "images_label": (5,),  # new_height x new_width
        "lmdb": (7, None, 227, 227), "lmdb_label": (7,),
        # (32 + 2*2 - (2*(3-1)+1)) / 1 + 1
        "conv_dil": (2, 8, 32, 32),
        # (32 + 2 - 3) / 2 + 1 = 16 (C++ division), (32 - 5) / 1 + 1 = 28
        "conv_rect": (2, 6, 16, 28),
        "conv_1x1": (2, 4, 32, 32),
        "deconv": (2, 4, 64, 64),  # 2*(32-1) + 4 - 2*1
        "pool_ceil": (2, 8, 16, 16),  # ceil(29/2) + 1
        "pool_floor": (2, 8, 15, 15),  # floor(29/2) + 1
        # ceil((4 + 4 - 3)/3) + 1 = 3, but (3-1)*3 >= 4 + 2: the last window starts in the pad
        "pool_clip": (1, 1, 2, 2),
        "pool_global": (2, 6, 1, 1),
        "ip_axis": (2, 8, 10), "ip_t": (2, 5),
        "cat": (2, 12, 32, 32), "cat_batch": (4, 12),
        "sum": (2, 8, 32, 32),
        "s1": (2, 2, 32, 32), "s2": (2, 3, 32, 32), "s3": (2, 3, 32, 32),
        "flat": (2, 256, 32),
        "reshape": (2, 2, 4, 32, 32), "reshape_vec": (2, 3, 4),
        "crop": (2, 4, 32, 32),
        "split1": (2, 8, 32, 32), "split2": (2, 8, 32, 32),
        "norm": (2, 8, 32, 32), "bn": (2, 8, 32, 32), "drop": (2, 8, 32, 32),
        "prob": (2, 5),
        "argmax": (2, 2, 1), "argmax_axis": (2, 2),
        "tile": (2, 36), "reduce": (2,), "embed": (2, 12, 7),
        "im2col": (2, 27, 30, 30), "weights": (3, 4),
        "loss": (), "loss_prob": (2, 5), "accuracy": (), "per_class": (5,),
    }
    assert blobs == expected  # hdf5, py and after_py have unknown rank: left out


def test_layer_details_and_weights() -> None:
    (train,) = net_shapes(context(FIXTURES / "shapes/good_layers.prototxt"))  # a training net
    by_name = {s.layer.name: s for s in train.layers}
    assert by_name["conv_rect"].weight == (6, 1, 3, 5)  # (num_output, channels/group, kh, kw)
    assert by_name["conv_rect"].fan_in == 15
    assert by_name["deconv"].weight == (8, 4, 4, 4)  # (channels, num_output/group, k, k)
    assert by_name["ip_axis"].weight == (10, 1024)
    assert by_name["ip_t"].weight == (12, 5)  # transpose
    assert by_name["ip_t"].fan_in == 5  # count / shape(0), as filler.hpp computes it
    assert by_name["py"].tops == [None] and by_name["py"].note == "Python layer"
    assert by_name["after_py"].tops == [None]  # a 300x300 kernel on an unknown input: silent
    assert by_name["after_py"].failures == []
    assert by_name["hdf5"].note == "shape read from the HDF5 files"
    assert by_name["silence"].tops == []


def test_unknown_dimensions_stay_unknown() -> None:
    text = """
layer { name: "d" type: "Data" top: "d" top: "l" data_param { source: "x" batch_size: 4 } }
layer { name: "c" type: "Convolution" bottom: "d" top: "c"
        convolution_param { num_output: 16 kernel_size: 99 } }
layer { name: "p" type: "Pooling" bottom: "c" top: "p" pooling_param { kernel_size: 50 } }
layer { name: "f" type: "InnerProduct" bottom: "p" top: "f" inner_product_param { num_output: 3 } }
layer { name: "i" type: "Interp" bottom: "d" top: "i" }
layer { name: "e" type: "Eltwise" bottom: "f" bottom: "i" top: "e" }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "e" bottom: "l" top: "loss" }
"""
    ctx = context("t.prototxt", text)
    (blobs,) = infer_shapes(ctx).values()  # no fillers, no phase rules: an evaluation net
    assert blobs["d"] == (4, None, None, None)
    assert blobs["c"] == (4, 16, None, None)
    assert blobs["p"] == (4, 16, None, None)
    assert blobs["f"] == (4, 3)
    assert "i" not in blobs  # a fork layer: rank unknown
    assert blobs["e"] == (4, 3)
    assert all(not s.failures for phase in net_shapes(ctx) for s in phase.layers)


def test_fork_fields_make_the_layer_unknown() -> None:
    text = """
input: "data" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
layer { name: "p" type: "Pooling" bottom: "data" top: "p"
        pooling_param { kernel_size: 3 stride: 2 ceil_mode: false } }
"""
    ctx = context("t.prototxt", text, dialect="bvlc")
    (phase,) = net_shapes(ctx)
    assert phase.layers[0].tops == [None]
    assert phase.layers[0].note == "fields skipped (fork schema?)"
    # recognised as a fork with `ceil_mode` (read as it): floor, (8 - 3) / 2 + 1 = 3
    (phase,) = net_shapes(context("t.prototxt", text))
    assert phase.layers[0].tops == [(1, 3, 3, 3)]


def test_failed_layer_passes_unknown_dims_on() -> None:
    ctx = context(FIXTURES / "shapes/bad_conv_kernel.prototxt")
    (phase,) = net_shapes(ctx)
    by_name = {s.layer.name: s for s in phase.layers}
    assert by_name["conv_k10"].tops == [(2, 4, -1, -1)]  # as Caffe computes it
    assert phase.blobs["conv_k10"] == (None, None, None, None)  # what the next layer sees
    assert by_name["after"].failures == []  # no second finding for the same mistake
    assert by_name["conv_k9_pad1"].tops == [(2, 4, 2, 2)]  # measured: works (row 6i)


def test_shape_strings() -> None:
    assert format_shape((1, 3, 224, 224)) == "1x3x224x224"
    assert format_shape((None, 3, None)) == "?x3x?"
    assert format_shape(()) == "scalar"
    assert format_shape(None) == "?"
    assert shape_string((1, 64, 56, 56)) == "1 64 56 56 (200704)"
    assert shape_string((2, None)) == "2 ? (?)"


def test_cache_is_per_context() -> None:
    ctx = context(GOOGLENET if GOOGLENET.is_file() else FIXTURES / "shapes/good_layers.prototxt")
    assert net_shapes(ctx) is net_shapes(ctx)
    other = context(FIXTURES / "shapes/bad_eltwise.prototxt")
    assert net_shapes(other) is not net_shapes(ctx)


# --- the command ---------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(shapes_command, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@needs_corpus
def test_command_table() -> None:
    code, out = run(str(GOOGLENET))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{GOOGLENET} (deploy)"
    assert lines[1].split() == ["layer", "type", "top", "shape"]
    rows = {tuple(line.split()[:4]) for line in lines[2:]}
    assert ("data", "Input", "data", "10x3x224x224") in rows
    assert ("inception_3a/output", "Concat", "inception_3a/output", "10x256x28x28") in rows
    assert ("loss3/classifier", "InnerProduct", "loss3/classifier", "10x1000") in rows


def test_command_phases_notes_and_failures() -> None:
    code, out = run(str(FIXTURES / "shapes/good_layers.prototxt"), "--phase", "TEST")
    assert code == 0
    assert "(TRAIN)" not in out and out.startswith(f"{FIXTURES}/shapes/good_layers.prototxt (TEST)")
    row = next(line for line in out.splitlines() if line.startswith("py "))
    assert row.split() == ["py", "Python", "py", "?", "(Python", "layer)"]
    row = next(line for line in out.splitlines() if line.startswith("silence "))
    assert row.split() == ["silence", "Silence", "-"]
    code, out = run(str(FIXTURES / "shapes/bad_conv_kernel.prototxt"))
    row = next(line for line in out.splitlines() if line.startswith("conv_k10 "))
    assert row.split()[3:] == ["2x4x-1x-1", "(Caffe", "aborts", "here", "(N401))"]


def test_command_json() -> None:
    code, out = run(str(FIXTURES / "shapes/bad_eltwise.prototxt"), "--format", "json")
    assert code == 0
    (net,) = json.loads(out)
    (phase,) = net["phases"]
    assert phase["phase"] == "deploy"
    res3a = phase["layers"][1]
    assert res3a["tops"] == [{"name": "res3a", "shape": None}]
    assert [f["code"] for f in res3a["failures"]] == ["N404"]
    assert phase["layers"][0]["tops"] == [{"name": "res3a_branch2a", "shape": [1, 512, 28, 28]}]


@needs_corpus
def test_command_on_a_solver_shows_its_net() -> None:
    solver = CORPUS / "BVLC__caffe/examples/mnist/lenet_solver.prototxt"
    code, out = run(str(solver))
    assert code == 0
    assert "lenet_train_test.prototxt (TRAIN)" in out and "lenet_train_test.prototxt (TEST)" in out
    assert any(line.split()[:4] == ["ip2", "InnerProduct", "ip2", "64x10"]
               for line in out.splitlines())


def test_command_errors(tmp_path: Path) -> None:
    code, out = run(str(tmp_path / "missing.prototxt"))
    assert code == 2
    empty = tmp_path / "empty.prototxt"
    empty.write_text("")
    code, out = run(str(empty))
    assert code == 2 and "prototxt-lint shapes:" in out


# --- fork schemas --------------------------------------------------------------------------


@needs_corpus
@needs_protoc
def test_old_fork_schema_with_single_value_kernel() -> None:
    # HED's Caffe predates ND convolution: kernel_size/pad/stride are single values, there is
    # no dilation, and its Crop layer has no crop_param (not BVLC's Crop: left unknown)
    net = CORPUS / "s9xie__hed/examples/hed/deploy.prototxt"
    code, out = run(str(net), "--proto", str(CORPUS / "protos/s9xie__hed.caffe.proto"),
                    "--format", "json")
    assert code == 0
    (result,) = json.loads(out)
    layers = {layer["name"]: layer for layer in result["phases"][0]["layers"]}
    assert layers["conv1_1"]["tops"][0]["shape"] == [1, 64, 568, 568]  # 500 + 2*35 - 3 + 1
    assert layers["upsample_16"]["tops"][0]["shape"] == [1, 1, 592, 592]
    assert layers["crop"]["tops"][0]["shape"] is None
    assert layers["crop"]["note"] == "no crop_param in this schema"


@needs_corpus
@needs_protoc
def test_ssd_permute_with_its_schema() -> None:
    net = CORPUS / "chuanqi305__MobileNet-SSD/deploy.prototxt"
    code, out = run(str(net), "--proto", str(CORPUS / "protos/weiliu89__caffe.caffe.proto"),
                    "--format", "json")
    assert code == 0
    (result,) = json.loads(out)
    layers = {layer["name"]: layer for layer in result["phases"][0]["layers"]}
    assert layers["conv13_mbox_loc_perm"]["tops"][0]["shape"] == [1, 10, 10, 24]
    # MobileNet-SSD's 1917 default boxes, 21 classes
    assert layers["mbox_conf_reshape"]["tops"][0]["shape"] == [1, 1917, 21]
    # without the schema, the file is recognised as SSD's and read with its schema: the same
    code, out = run(str(net), "--format", "json")
    (result,) = json.loads(out)
    layers = {layer["name"]: layer for layer in result["phases"][0]["layers"]}
    assert layers["conv13_mbox_loc_perm"]["tops"][0]["shape"] == [1, 10, 10, 24]
    assert layers["mbox_conf_reshape"]["tops"][0]["shape"] == [1, 1917, 21]


def test_command_bad_schema(tmp_path: Path) -> None:
    code, out = run(str(FIXTURES / "shapes/good_layers.prototxt"), "--proto",
                    str(tmp_path / "missing.proto"))
    assert code == 2 and "cannot read the schema" in out


def test_dispatched_from_the_main_command(capsys: pytest.CaptureFixture[str]) -> None:
    from prototxt_lint.cli.command import main

    with pytest.raises(SystemExit) as exit_info:
        main(["shapes", str(FIXTURES / "shapes/bad_eltwise.prototxt"), "--phase", "deploy"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert any(line.split()[:4] == ["res3a_branch2a", "Convolution", "res3a_branch2a",
                                    "1x512x28x28"] for line in out.splitlines())
