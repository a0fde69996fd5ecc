"""``transform_param`` that a data layer's set-up refuses (N345): Caffe aborts while it builds
the net, in every phase the layer is in.

``BaseDataLayer::LayerSetUp`` (``src/caffe/layers/base_data_layer.cpp``) builds a
``DataTransformer`` from the layer's ``transform_param`` for Data, ImageData, MemoryData and
WindowData; ``HDF5DataLayer::LayerSetUp`` refuses any. Read from the layer alone; measured with
BVLC Caffe's ``construct_net`` on the fixtures in ``tests/fixtures/layer_setup/``
(``tests/test_oracle.py`` compares the quoted text). Only nets read with BVLC's schema are
checked: forks add transformation options of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prototxt_lint.caffe.layers import set_up_layers
from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.syntax.parser import Path

#: Layer types whose set-up builds a ``DataTransformer`` (subclasses of ``BaseDataLayer``).
_TRANSFORMING = frozenset({"Data", "ImageData", "MemoryData", "WindowData"})


@net_rule("N345", "transform-param-rejected", Severity.ERROR,
          "`transform_param` a data layer refuses (two means, on HDF5Data, a crop that does not"
          " fit): Caffe aborts.")
def transform_param_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a data layer whose `transform_param` gives both a `mean_file` and `mean_value`s
    (Data, ImageData, MemoryData, WindowData), an HDF5Data layer with any
    `transform_param`, an ImageData `crop_size` above the `new_height` or `new_width` it
    resizes every image to, and a WindowData layer without a `crop_size`.

    ## Why is this bad?
    The `DataTransformer` constructor (`src/caffe/data_transformer.cpp`), which
    `BaseDataLayer::LayerSetUp` runs, subtracts either a mean image or per-channel values:
    `CHECK_EQ(param_.mean_value_size(), 0) << "Cannot specify mean_file and mean_value at
    the same time"` (before it reads the mean file). `HDF5DataLayer::LayerSetUp`
    (`src/caffe/layers/hdf5_data_layer.cpp`) reads its arrays as they are and starts with
    `CHECK(!this->layer_param_.has_transform_param()) << this->type() << " does not
    transform data."`: scale, crop, mirror and mean must be applied when the HDF5 files are
    written. `DataTransformer::InferBlobShape(const cv::Mat&)` checks `CHECK_GE(img_height,
    crop_size)` and `CHECK_GE(img_width, crop_size)` on the first image ImageData reads, which
    has exactly `new_height` x `new_width` when both are set (without them the images decide,
    and nothing is reported); `WindowDataLayer::DataLayerSetUp` (`window_data_layer.cpp`)
    crops every window to a square: `CHECK_GT(crop_size, 0)`.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: param_.mean_value_size() == 0 (3 vs. 0)
    Cannot specify mean_file and mean_value at the same time` or `Check failed:
    !this->layer_param_.has_transform_param() HDF5Data does not transform data.` while the
    net is built (measured with construct_net on MemoryData and HDF5Data layers; ImageData's
    `img_height >= crop_size (8 vs. 10)` and WindowData's `crop_size > 0 (0 vs. 0)` with the
    oracle's ImageData build, `scripts/build_imagedata_oracle.sh`).

    ## Example
    ```
    layer { name: "data" type: "Data" top: "data" top: "label"
            transform_param { mean_file: "mean.binaryproto"
                              mean_value: 104 mean_value: 117 mean_value: 123 }
            data_param { source: "train_lmdb" batch_size: 32 backend: LMDB } }
    ```

    ## Use instead
    ```
    layer { name: "data" type: "Data" top: "data" top: "label"
            transform_param { mean_value: 104 mean_value: 117 mean_value: 123 }
            data_param { source: "train_lmdb" batch_size: 32 backend: LMDB } }
    ```

    ## Fix
    Keep either the mean file or the mean values (one per channel, or one for all); for
    HDF5Data, delete `transform_param` and store the data already transformed; crop no more
    than the resized image (or resize to at least the crop); give WindowData a `crop_size`.
    """
    for layer, phases in set_up_layers(ctx, *_TRANSFORMING, "HDF5Data"):
        param = layer.param("transform_param")
        if param is None:
            if layer.type != "WindowData" or layer.syntax != "v2":
                continue
            param = layer.msg.transform_param  # all defaults: crop_size 0
        if layer.type == "HDF5Data":
            at, check, hint = (layer.at("transform_param"), "!this->layer_param_"
                               ".has_transform_param() HDF5Data does not transform data.",
                               "delete `transform_param` and write the HDF5 files already"
                               " scaled, cropped and mean-subtracted")
        elif param.HasField("mean_file") and len(param.mean_value):
            at, check, hint = (layer.at("transform_param", "mean_value", 0),
                               f"param_.mean_value_size() == 0 ({len(param.mean_value)} vs."
                               " 0) Cannot specify mean_file and mean_value at the same time",
                               "keep either `mean_file` or the `mean_value`s")
        elif (found := _crop_misfit(layer, param)) is not None:
            at, check, hint = found
        else:
            continue
        for phase in phases:
            yield Report(at, f"{layer.type} layer '{layer.name}': Caffe aborts at net setup"
                             f' with "Check failed: {check}"', hint=hint, phase=phase)


def _crop_misfit(layer: LayerView, param: Any) -> tuple[Path, str, str] | None:
    """A crop the first image cannot give: ImageData's resized size, WindowData's none. V2
    layers only: a V1 layer's crop may sit in its old data parameter until the upgrade."""
    if layer.syntax != "v2":
        return None
    crop = int(param.crop_size)
    if layer.type == "WindowData" and crop <= 0:
        where = (layer.at("transform_param", "crop_size") if param.HasField("crop_size")
                 else layer.at("transform_param") if layer.msg.HasField("transform_param")
                 else layer.at("type"))
        return (where, f"crop_size > 0 ({crop} vs. 0)",
                "give `transform_param { crop_size: N }`: WindowData crops every window to"
                " N x N")
    if layer.type != "ImageData" or crop <= 0:
        return None
    image = layer.param("image_data_param")
    height, width = (int(image.new_height), int(image.new_width)) if image else (0, 0)
    if height <= 0 or width <= 0:
        return None  # the images' own size decides (or N342: only one side given)
    side, size = ("height", height) if height < crop else ("width", width)
    if size >= crop:
        return None
    return (layer.at("transform_param", "crop_size"),
            f"img_{side} >= crop_size ({size} vs. {crop})",
            f"crop at most {min(height, width)} (ImageData resizes every image to {height} x"
            f" {width}), or resize to at least the crop")
