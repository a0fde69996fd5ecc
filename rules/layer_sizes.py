"""Sizes and counts a BVLC layer's set-up requires and that no default supplies: Tile's
``tiles``, Embed's ``num_output`` and ``input_dim``, ArgMax's ``top_k``, MemoryData's batch
and image size, ImageData's resize and batch (N342), and Input's ``shape`` count (N343).
Caffe aborts while it builds the net, in every phase the layer is in.

Each check reads only the layer's own parameters (no shapes), repeats the ``CHECK`` in the
layer's source and quotes it as glog prints it; every quoted message was produced by BVLC
Caffe's ``construct_net`` on the fixtures in ``tests/fixtures/layer_setup/``
(``tests/test_oracle.py`` compares them). Only nets read with BVLC's schema are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prototxt_lint.caffe.layers import set_up_layers
from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.syntax.parser import Path


def _int32(value: int) -> int:
    """``value`` wrapped to a C++ ``int``, as the products Caffe computes are."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _missing_size(layer: LayerView) -> tuple[Path, str, str] | None:
    """The first size ``CHECK`` of the layer's set-up that fails: (where, the check as glog
    prints it, hint)."""
    kind = layer.type
    if kind == "Tile":  # TileLayer::Reshape (src/caffe/layers/tile_layer.cpp)
        param = layer.param("tile_param")
        if param is None or not param.HasField("tiles"):
            return (layer.at("tile_param") if param is not None else layer.at("type"),
                    "tile_param.has_tiles() Number of tiles must be specified",
                    "give `tile_param { tiles: N }`, how many copies to make")
        if param.tiles <= 0:
            return (layer.at("tile_param", "tiles"),
                    f"tiles_ > 0 ({param.tiles} vs. 0) Number of tiles must be positive.",
                    "give a `tiles` of 1 or more")
    elif kind == "Embed":  # EmbedLayer::LayerSetUp (src/caffe/layers/embed_layer.cpp)
        param = layer.param("embed_param")
        for field, hint in (("num_output", "the size of each embedding vector"),
                            ("input_dim", "the number of distinct input indices (the"
                                          " vocabulary size)")):
            value = _int32(getattr(param, field)) if param is not None else 0
            if value <= 0:
                at = (layer.at("embed_param", field) if param is not None
                      and param.HasField(field) else layer.at("embed_param")
                      if param is not None else layer.at("type"))
                var = "N_" if field == "num_output" else "K_"
                return at, (f"{var} > 0 ({value} vs. 0) EmbedLayer {field} must be"
                            " positive."), f"set `embed_param {{ {field} }}`: {hint}"
    elif kind == "ArgMax":  # ArgMaxLayer::LayerSetUp (src/caffe/layers/argmax_layer.cpp)
        param = layer.param("argmax_param")
        if param is not None and param.HasField("top_k") and param.top_k < 1:
            return (layer.at("argmax_param", "top_k"),
                    "top_k_ >= 1 (0 vs. 1) top k must not be less than 1.",
                    "use a `top_k` of 1 or more (1, the default, is the arg max)")
    elif kind == "MemoryData":  # MemoryDataLayer::DataLayerSetUp (memory_data_layer.cpp)
        return _memory_data(layer, layer.param("memory_data_param"))
    elif kind == "ImageData":  # ImageDataLayer::DataLayerSetUp (image_data_layer.cpp)
        return _image_data(layer, layer.param("image_data_param"))
    return None


def _image_data(layer: LayerView, param: Any) -> tuple[Path, str, str] | None:
    """The resize is both sides or none (checked before the list is read); a batch of 0
    (checked once the first image is read)."""
    if param is None:
        return None
    height, width = int(param.new_height), int(param.new_width)
    if (height == 0) != (width == 0):
        given = "new_height" if height else "new_width"
        other = "new_width" if height else "new_height"
        return (layer.at("image_data_param", given),
                "(new_height == 0 && new_width == 0) || (new_height > 0 && new_width > 0)"
                " Current implementation requires new_height and new_width to be set at the"
                " same time.", f"give `{other}` too, or neither (then images keep their size)")
    if param.HasField("batch_size") and param.batch_size == 0:
        return (layer.at("image_data_param", "batch_size"),
                "batch_size > 0 (0 vs. 0) Positive batch size required",
                "use a `batch_size` of 1 or more")
    return None


def _memory_data(layer: LayerView, param: Any) -> tuple[Path, str, str] | None:
    fields = ("batch_size", "channels", "height", "width")
    values = [_int32(getattr(param, f)) if param is not None else 0 for f in fields]
    size = _int32(values[1] * values[2] * values[3])
    product = _int32(values[0] * size)
    if product > 0:
        return None
    zero = next((f for f, v in zip(fields, values, strict=True) if v <= 0), None)
    at = (layer.at("memory_data_param", zero) if param is not None and zero is not None
          and param.HasField(zero) else layer.at("memory_data_param")
          if param is not None else layer.at("type"))
    return at, (f"batch_size_ * size_ > 0 ({product} vs. 0) batch_size, channels, height, and"
                " width must be specified and positive in memory_data_param"), (
        f"set `{zero}` in `memory_data_param` (all four default to 0)" if zero else
        "use a batch and image size whose product fits a C++ int")


@net_rule("N342", "required-size-missing", Severity.ERROR,
          "Tile, Embed, ArgMax, MemoryData or ImageData size missing or not positive: aborts.")
def required_size_missing(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a size that a layer's set-up needs and that has no usable default: a Tile layer
    without `tiles` (or with `tiles` of 0 or less), an Embed layer without a positive
    `num_output` or `input_dim`, an ArgMax layer with `top_k: 0`, a MemoryData layer
    whose `batch_size`, `channels`, `height` or `width` is missing or 0, and an ImageData
    layer with `new_height` but not `new_width` (or the other way round) or `batch_size: 0`.

    ## Why is this bad?
    These fields default to 0 (Tile's `tiles` has no default at all), and the layers check
    them while the net is set up: `TileLayer::Reshape` (`src/caffe/layers/tile_layer.cpp`)
    `CHECK(tile_param.has_tiles()) << "Number of tiles must be specified"` and
    `CHECK_GT(tiles_, 0)`; `EmbedLayer::LayerSetUp` (`embed_layer.cpp`) `CHECK_GT(N_, 0) <<
    "EmbedLayer num_output must be positive."` and the same for `input_dim`;
    `ArgMaxLayer::LayerSetUp` (`argmax_layer.cpp`) `CHECK_GE(top_k_, 1)`;
    `MemoryDataLayer::DataLayerSetUp` (`memory_data_layer.cpp`) `CHECK_GT(batch_size_ *
    size_, 0)` with `size_ = channels * height * width`; `ImageDataLayer::DataLayerSetUp`
    (`image_data_layer.cpp`) `CHECK((new_height == 0 && new_width == 0) || (new_height > 0 &&
    new_width > 0))` before it reads the list, and `CHECK_GT(batch_size, 0) << "Positive
    batch size required"`. (A top_k larger than the input is
    N420; an axis that does not fit is N410.)

    ## Consequence
    Aborts at set-up. Caffe fails the quoted `Check failed: ...` while the net is built, in
    every phase the layer is in (measured with construct_net for each layer type; ImageData
    with the oracle's ImageData build, `scripts/build_imagedata_oracle.sh`).

    ## Example
    ```
    input: "data"
    input_shape { dim: 2 dim: 6 dim: 4 dim: 4 }
    layer { name: "tile" type: "Tile" bottom: "data" top: "tiled"
            tile_param { axis: 1 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 2 dim: 6 dim: 4 dim: 4 }
    layer { name: "tile" type: "Tile" bottom: "data" top: "tiled"
            tile_param { axis: 1 tiles: 3 } }
    ```

    ## Fix
    Write the size: `tiles`, the Embed's `num_output` and `input_dim` (vocabulary size),
    an ArgMax `top_k` of 1 or more, all four MemoryData sizes, both ImageData resize sides
    (or neither) and a batch of 1 or more.
    """
    for layer, phases in set_up_layers(ctx, "Tile", "Embed", "ArgMax", "MemoryData",
                                         "ImageData"):
        found = _missing_size(layer)
        if found is None:
            continue
        at, check, hint = found
        for phase in phases:
            yield Report(at, f"{layer.type} layer '{layer.name}': Caffe aborts at net setup"
                             f' with "Check failed: {check}"', hint=hint, phase=phase)


@net_rule("N343", "input-shape-count", Severity.ERROR,
          "Input layer with `shape` given neither once nor once per top: Caffe aborts.")
def input_shape_count(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an Input layer with several `shape` blocks whose number differs from its number
    of tops (`input_param { shape {...} shape {...} }` on a layer with three tops).

    ## Why is this bad?
    `InputLayer::LayerSetUp` (`src/caffe/layers/input_layer.cpp`) gives every top the one
    shape, or each top its own: `CHECK(num_shape == 0 || num_shape == 1 || num_shape ==
    num_top) << "Must specify 'shape' once, once per top blob, or not at all: " << num_top
    << " tops vs. " << num_shape << " shapes."`. It happens when a top is added or removed
    and its shape is not.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: num_shape == 0 || num_shape == 1 ||
    num_shape == num_top Must specify 'shape' once, once per top blob, or not at all: 3 tops
    vs. 2 shapes.` while the net is built (measured with construct_net).

    ## Example
    ```
    layer { name: "input" type: "Input" top: "data" top: "label" top: "weight"
            input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } shape { dim: 2 } } }
    ```

    ## Use instead
    ```
    layer { name: "input" type: "Input" top: "data" top: "label" top: "weight"
            input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } shape { dim: 2 }
                          shape { dim: 2 } } }
    ```

    ## Fix
    Give one `shape` per top, in top order (or a single one that every top gets).
    """
    for layer, phases in set_up_layers(ctx, "Input"):
        param = layer.param("input_param")
        shapes, tops = (len(param.shape) if param is not None else 0), len(layer.tops)
        if shapes in (0, 1, tops):
            continue
        for phase in phases:
            yield Report(
                layer.at("input_param", "shape", min(shapes, tops) if shapes > tops else 0),
                f"Input layer '{layer.name}': {shapes} `shape`s for {tops} tops: Caffe aborts"
                ' at net setup with "Check failed: num_shape == 0 || num_shape == 1 ||'
                " num_shape == num_top Must specify 'shape' once, once per top blob, or not"
                f' at all: {tops} tops vs. {shapes} shapes."',
                hint=f"give {tops} shapes, one per top in order, or a single one for all",
                phase=phase)
