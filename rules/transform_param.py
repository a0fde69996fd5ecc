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

from prototxt_lint.caffe.layers import caffe_builds, layer_intact
from prototxt_lint.model import NetContext
from prototxt_lint.plugin import Report, Severity, net_rule

#: Layer types whose set-up builds a ``DataTransformer`` (subclasses of ``BaseDataLayer``).
_TRANSFORMING = frozenset({"Data", "ImageData", "MemoryData", "WindowData"})


@net_rule("N345", "transform-param-rejected", Severity.ERROR,
          "`transform_param` with mean_file and mean_value, or on HDF5Data: Caffe aborts.")
def transform_param_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a data layer whose `transform_param` gives both a `mean_file` and `mean_value`s
    (Data, ImageData, MemoryData, WindowData), and an HDF5Data layer with any
    `transform_param`.

    ## Why is this bad?
    The `DataTransformer` constructor (`src/caffe/data_transformer.cpp`), which
    `BaseDataLayer::LayerSetUp` runs, subtracts either a mean image or per-channel values:
    `CHECK_EQ(param_.mean_value_size(), 0) << "Cannot specify mean_file and mean_value at
    the same time"` (before it reads the mean file). `HDF5DataLayer::LayerSetUp`
    (`src/caffe/layers/hdf5_data_layer.cpp`) reads its arrays as they are and starts with
    `CHECK(!this->layer_param_.has_transform_param()) << this->type() << " does not
    transform data."`: scale, crop, mirror and mean must be applied when the HDF5 files are
    written.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: param_.mean_value_size() == 0 (3 vs. 0)
    Cannot specify mean_file and mean_value at the same time` or `Check failed:
    !this->layer_param_.has_transform_param() HDF5Data does not transform data.` while the
    net is built (measured with construct_net on MemoryData and HDF5Data layers).

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
    HDF5Data, delete `transform_param` and store the data already transformed.
    """
    if not caffe_builds(ctx) or not ctx.schema.is_bvlc:
        return
    for layer in ctx.layers:
        if layer.syntax == "v0" or layer.type not in (*_TRANSFORMING, "HDF5Data"):
            continue
        phases = ctx.active_phases(layer)
        param = layer.param("transform_param")
        if not phases or param is None or not layer_intact(ctx, layer):
            continue
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
        else:
            continue
        for phase in phases:
            yield Report(at, f"{layer.type} layer '{layer.name}': Caffe aborts at net setup"
                             f' with "Check failed: {check}"', hint=hint, phase=phase)
