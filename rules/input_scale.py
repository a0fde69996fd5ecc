"""Image data fed to a training net as raw 0-255 pixels (no scale, no mean).

Mirrors ``DataTransformer<Dtype>::Transform`` in ``src/caffe/data_transformer.cpp`` (BVLC
master): each value becomes ``(pixel - mean) * scale``, with no mean unless ``mean_file`` or
``mean_value`` is given and ``scale`` defaulting to 1. ``WindowDataLayer::load_batch``
(``src/caffe/layers/window_data_layer.cpp``) does the same by hand, with the scale taken from
``window_data_param``. Old per-layer fields (``data_param { scale mean_file }`` ...) count only
in V1/V0 files, where ``UpgradeNetDataTransformation`` / ``UpgradeV0LayerParameter``
(``src/caffe/util/upgrade_proto.cpp``) move them into ``transform_param``. Measured effect:
shared/caffe-behaviour row 7.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prototxt_lint.caffe.layers import is_registered
from prototxt_lint.model import TRAIN, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Report, Severity, net_rule

#: Layer types that decode images (or, for Data, usually uint8 Datums) into the top blob.
IMAGE_LAYERS = {"Data": "data_param", "ImageData": "image_data_param",
                "WindowData": "window_data_param"}


def _has(msg: Any, name: str) -> bool:
    """Is the (singular) field ``name`` written in ``msg``? False if the schema lacks it."""
    return msg is not None and name in msg.DESCRIPTOR.fields_by_name and msg.HasField(name)


def _scaled(msg: Any, name: str = "scale") -> bool:
    return _has(msg, name) and getattr(msg, name) != 1


def _has_mean(msg: Any) -> bool:
    if msg is None:
        return False
    values = getattr(msg, "mean_value", ())
    return _has(msg, "mean_file") or len(values) > 0


def _normalisation(layer: LayerView) -> tuple[bool, list[str]]:
    """Does Caffe scale or centre this layer's pixels? And which written fields does it
    ignore (the second item, for the message)?"""
    if layer.syntax == "v0":
        v0 = layer.msg.layer
        return _scaled(v0) or _has(v0, "meanfile"), []
    transform = layer.param("transform_param")
    own_name = IMAGE_LAYERS[layer.type]
    own = layer.param(own_name)
    if _has_mean(transform):
        return True, []
    if layer.syntax == "v1":
        # UpgradeNetDataTransformation moves the per-layer fields into transform_param.
        return _scaled(transform) or _scaled(own) or _has(own, "mean_file"), []
    ignored = []
    if layer.type == "WindowData":
        # WindowDataLayer reads its scale from window_data_param, its mean from
        # transform_param: transform_param.scale and window_data_param.mean_file are unused.
        if _scaled(own):
            return True, []
        if _scaled(transform):
            ignored.append("`transform_param { scale }`")
        if _has(own, "mean_file"):
            ignored.append(f"`{own_name} {{ mean_file }}`")
        return False, ignored
    if _scaled(transform):
        return True, []
    for field in ("scale", "mean_file"):
        if _has(own, field):
            ignored.append(f"`{own_name} {{ {field} }}`")
    return False, ignored


def _normalises(layer: LayerView) -> bool:
    """A layer that rescales its input whatever its range: BatchNorm (batch statistics in
    TRAIN), MVN, or Power with a scale."""
    if layer.type in ("BatchNorm", "MVN"):
        return True
    power = layer.param("power_param")
    return layer.type == "Power" and _scaled(power)


#: Layers whose output scales with their input (up to a per-channel shift) and mixes no other
#: values into a channel: a normalisation after them removes the input's range as it would
#: right after the data layer (BatchNorm subtracts the batch mean and divides by the batch
#: std per channel, src/caffe/layers/batch_norm_layer.cpp). Eltwise is not one: a sum mixes
#: the raw range with other values inside each channel.
_SCALE_FOLLOWING = frozenset({"Convolution", "Deconvolution", "InnerProduct", "Pooling",
                              "Scale", "Bias", "Flatten", "Reshape", "Split", "Dropout",
                              "Concat", "Slice", "Crop"})


def _normalised_in_net(ctx: NetContext, phase: PhaseNet, layer: LayerView) -> bool:
    """Is the data top normalised by the net itself before any layer that its range could
    saturate (a ReLU, a loss)? Followed through layers that only scale it (a convolution,
    pooling): the cvjena models put a BatchNorm right after an unscaled ImageData layer,
    MobileNets after the first convolution."""
    if not layer.tops:
        return False
    raw = {layer.tops[0]}  # blobs that still carry the input's range
    seen = False
    for reader in phase.layers[phase.position(layer) + 1:]:
        if not raw:
            break
        reads = [b for b in reader.bottoms if b in raw]
        if not reads:
            raw.difference_update(reader.tops)  # rewritten by a layer that did not read it
            continue
        if _normalises(reader):
            seen = True
            raw.difference_update(reader.tops)  # in place: later readers see it normalised
        elif reader.type in _SCALE_FOLLOWING:
            raw.update(reader.tops)
        else:
            return False
    return seen


def _labels_only(ctx: NetContext, phase: PhaseNet, layer: LayerView) -> bool:
    """Does every layer that reads this data layer's tops read them as labels (a bottom
    after the first of a loss or Accuracy layer)? Then it carries labels, not pixels: the
    ground-truth maps of a segmentation net come from a second Data layer."""
    tops = set(layer.tops)
    readers = ctx.next_consumers(phase, layer)
    if not readers:
        return False
    for reader in readers:
        positions = [i for i, b in enumerate(reader.bottoms) if b in tops]
        if not (reader.is_loss or reader.type == "Accuracy") or 0 in positions:
            return False
    return True


def _used_by_caffe(ctx: NetContext, layer: LayerView) -> bool:
    """Old-syntax layers of a net embedded in a solver are never upgraded, so Caffe does not
    build them (see N223)."""
    return not ctx.root or layer.syntax == "v2"


@net_rule("N231", "missing-input-scale", Severity.WARNING,
          "Training image data layer without scale or mean: raw 0-255 pixels reach the net.")
def missing_input_scale(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a `Data`, `ImageData` or `WindowData` layer active in the TRAIN phase whose pixels
    are neither scaled nor mean-centred: no `transform_param { scale }` (for `WindowData`,
    `window_data_param { scale }`) and no `transform_param { mean_file }` or `mean_value`.
    In V1/V0 files the old per-layer fields (`data_param { scale mean_file }`,
    `image_data_param { ... }`, `window_data_param { ... }`) count too, because Caffe's
    upgrade moves them into `transform_param`. A mean without a scale is accepted (the BVLC
    reference ImageNet models train that way), and so is a data blob that the net normalises
    (`BatchNorm`, `MVN`, or `Power` with a scale) before anything its range could saturate:
    right after the data layer (the cvjena models) or after layers that only scale it, such
    as the first convolution and pooling of a MobileNet (a BatchNorm's output does not depend
    on its input's scale: measured, the same first loss with 0-255 and 0-1 input). A
    template whose data layers name no source (DIGITS' networks) is left alone: DIGITS adds
    the dataset's mean when it writes the net Caffe reads. So is a data layer no layer
    reads (a labels layer whose loss was removed): it feeds nothing.

    ## Why is this bad?
    `DataTransformer::Transform` (`src/caffe/data_transformer.cpp`) computes
    `(pixel - mean) * scale` with no mean and scale 1 by default, so the first layer sees
    values up to 255. Measured on BVLC Caffe (LMDB `Data` layer, MLP, 4 classes): without a
    scale the loss was 67.87, 57.31, 62.77 (per-sample losses at the 87.3365 clamp) and then
    stuck at ~1.38 = ln 4, chance, at lr 0.01 and 0.1: every ReLU had died
    (`relu1 ... data: 0`). With `scale: 0.00390625` the same net trained to 0.009.

    On a V2 `layer`, the old `data_param { scale mean_file }` and
    `image_data_param { scale mean_file }` fields are not read at all (the upgrade that moves
    them runs only for V1 `layers`), and `WindowDataLayer` ignores `transform_param { scale }`
    and `window_data_param { mean_file }`; the message names such fields when present. In
    V1/V0 files any written scale or mean is accepted (conservatively: the V1 upgrade moves a
    `WindowData` layer's `window_data_param { scale }` into `transform_param`, where
    `WindowDataLayer` does not read it).

    Limitation: a `Data` layer may read an LMDB/LevelDB of float Datums (features already
    normalised) rather than uint8 images; that cannot be seen from the prototxt, so this is
    a warning. Suppress it for such a layer.

    ## Consequence
    Likely wrong. If the layer reads 0-255 images (not a database of already-normalised float
    Datums), the net trains nothing useful: measured, the per-sample losses sat at the 87.3365
    clamp for a few iterations, then every ReLU died and the loss stayed at chance (row 7).

    ## Example
    ```
    layer { name: "mnist" type: "Data" top: "data" top: "label"
            include { phase: TRAIN }
            data_param { source: "mnist_train_lmdb" backend: LMDB batch_size: 64 } }
    ~ layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
    ~         inner_product_param { num_output: 10 } }
    ```

    ## Use instead
    ```
    layer { name: "mnist" type: "Data" top: "data" top: "label"
            include { phase: TRAIN }
            transform_param { scale: 0.00390625 }
            data_param { source: "mnist_train_lmdb" backend: LMDB batch_size: 64 } }
    ~ layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
    ~         inner_product_param { num_output: 10 } }
    ```

    ## Fix
    Add `transform_param { scale: 0.00390625 }` (1/256, as in BVLC's MNIST examples) or a
    `mean_file`/`mean_value`, and use the same preprocessing in the TEST and deploy nets.
    """
    phase = ctx.phase(TRAIN)
    if phase is None or ctx.role.template:
        return  # a DIGITS template: DIGITS adds the mean it computed for the dataset
    for layer in phase.layers:
        if layer.type not in IMAGE_LAYERS or not _used_by_caffe(ctx, layer):
            continue
        if not ctx.is_complete(layer.path):
            continue  # a fork's field was skipped: it may be the normalisation
        normalised, ignored = _normalisation(layer)
        if normalised or _normalised_in_net(ctx, phase, layer) or _labels_only(ctx, phase, layer):
            continue
        readers = ctx.next_consumers(phase, layer)
        if not readers:
            continue  # no layer reads what it loads (a labels layer whose loss is gone)
        if any(not is_registered(v) for v in readers):
            continue  # a fork's layer reads it first (DetectNetTransformation): unknown
        note = (f" ({' and '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} written"
                " but not read by Caffe for this layer)") if ignored else ""
        hint = "add `transform_param { scale: 0.00390625 }` (1/256) or a `mean_file` / `mean_value`"
        if layer.type == "Data":
            hint += "; if this database holds already-normalised float data, suppress this"
            hint += " warning"
        if ctx.role.finetuning:  # the measurement is of a net trained from scratch
            effect = (" This net looks fine-tuned from pretrained weights"
                      f" ({ctx.role.finetuning[0]}); if those were trained on normalised input"
                      " (BVLC's reference models subtract the ImageNet mean), every input is"
                      " off by that offset and the pretrained features do not fit it")
        else:
            effect = (" Measured on BVLC Caffe, such a net's loss jumps by multiples of 87.3365"
                      " for a few iterations, then every ReLU dies and the loss stays at"
                      " chance")
        yield Report(
            layer.at("transform_param"),
            f"`{layer.type}` layer \"{layer.name}\" has no scale and no mean{note}: it feeds"
            f" raw 0-255 pixel values to the net.{effect}",
            hint=hint,
            phase=TRAIN,
        )
