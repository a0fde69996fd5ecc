"""What ``Net::CopyTrainedLayersFrom`` (``src/caffe/net.cpp``) does with a net's trained weights.

For each layer of the model, in file order, Caffe looks for the *first* layer of the net with
that name (a model layer no net layer takes is logged "Ignoring source layer" and skipped);
``CHECK_EQ(target_blobs.size(), source_layer.blobs_size())`` ("Incompatible number of blobs
for layer X"), then ``Blob::ShapeEquals`` for each blob ("Cannot copy param j weights from
layer 'X'; shape mismatch. ..."). Layers of the net that no model layer names keep their
fillers' values. Several models (``-weights a,b``) are copied one after the other.

The target blobs are the ones each layer's ``LayerSetUp`` creates, with the shapes it gives
them (:func:`target_blobs`), from the shapes the net is set up with
(:mod:`prototxt_lint.shapes`).
"""

from __future__ import annotations

from typing import Any

from prototxt_lint.caffe.layers import param_blobs
from prototxt_lint.model import LayerView, NetContext, PhaseNet
from prototxt_lint.records import Record
from prototxt_lint.shapes import Shape, net_shapes

#: "Cannot copy ..." is Caffe's own wording (net.cpp), kept so users can search for it
SHAPE_MISMATCH = ("Cannot copy param {j} weights from layer '{name}'; shape mismatch.  Source"
                  " param shape is {source}; target param shape is {target}.")
COUNT_MISMATCH = "Incompatible number of blobs for layer {name}"


class Copy(Record):
    """One model layer copied into one net layer of one phase."""

    __slots__ = ("layer", "model", "phase", "source", "targets")

    def __init__(self, phase: PhaseNet, layer: LayerView, model: Any, source: Any,
                 targets: list[Shape | None] | None) -> None:
        self.phase = phase
        self.layer = layer  # the net's (first) layer of that name
        self.model = model  # prototxt_lint.syntax.caffemodel.Weights
        self.source = source  # prototxt_lint.syntax.caffemodel.WeightLayer
        #: the blobs the net layer has (None: unknown count; a None shape: unknown shape)
        self.targets = targets


def target_blobs(ctx: NetContext, phase: PhaseNet, layer: LayerView) -> list[Shape | None] | None:
    """The parameter blobs ``layer``'s ``LayerSetUp`` creates, each with its shape where the
    input shapes are known (None shape otherwise); None when the count is unknown."""
    count = param_blobs(layer, ctx)
    if count is None:
        return None
    if count == 0:
        return []
    shapes = next((s for s in net_shapes(ctx) if s.phase is phase), None)
    here = shapes.of(layer) if shapes is not None else None
    bottom = here.bottoms[0] if here is not None and here.bottoms else None
    out: list[Shape | None] = [None] * count
    kind = layer.type
    if kind in ("Convolution", "Deconvolution", "InnerProduct", "Embed"):
        out[0] = here.weight if here is not None else None
        field = {"InnerProduct": "inner_product_param", "Embed": "embed_param"}.get(
            kind, "convolution_param")
        p = layer.param(field)
        if count == 2 and p is not None and p.num_output > 0:
            out[1] = (p.num_output,)
    elif kind == "BatchNorm":
        channels = bottom[1] if bottom is not None and len(bottom) > 1 else None
        out = [(channels,), (channels,), (1,)]
    elif kind == "PReLU":
        p = layer.param("prelu_param")
        shared = bool(p is not None and p.channel_shared)
        channels = bottom[1] if bottom is not None and len(bottom) > 1 else None
        out = [() if shared else (channels,)]  # a scalar blob when shared (prelu_layer.cpp)
    elif kind in ("Scale", "Bias") and bottom is not None and len(layer.bottoms) == 1:
        p = layer.param("scale_param" if kind == "Scale" else "bias_param")
        axis = p.axis if p is not None else 1
        num_axes = p.num_axes if p is not None else 1
        axis = axis + len(bottom) if axis < 0 else axis
        if 0 <= axis <= len(bottom):
            dims = bottom[axis:] if num_axes == -1 else bottom[axis:axis + num_axes]
            out = [tuple(dims)] * count
    return out


def copies(ctx: NetContext) -> list[Copy]:
    """Every model layer that some net layer takes, per phase, in copy order."""
    found: list[Copy] = []
    for phase in ctx.phases:
        first: dict[str, LayerView] = {}
        for layer in phase.layers:
            first.setdefault(layer.name, layer)
        for model in ctx.weights:
            for source in model.layers:
                target = first.get(source.name)
                if target is not None:
                    found.append(Copy(phase, target, model, source,
                                      target_blobs(ctx, phase, target)))
    return found


def model_layer(ctx: NetContext, name: str) -> Any:
    """The last model layer named ``name`` (the one whose values the net ends with), or None."""
    hit = None
    for model in ctx.weights:
        for source in model.layers:
            if source.name == name:
                hit = source
    return hit


def batchnorm_statistics(ctx: NetContext, layer: LayerView) -> str | None:
    """What the loaded weights give a BatchNorm layer: "trained" statistics, "zero" ones (a
    model trained with the layer frozen, or never), "none" (no model layer of that name: it
    keeps ``LayerSetUp``'s zeros), or None without weights or when the model does not say
    (a model whose statistics could not be read)."""
    if not ctx.weights:
        return None
    source = model_layer(ctx, layer.name)
    if source is None:
        return "none"
    if source.stats_zero is None:
        return None
    return "zero" if source.stats_zero else "trained"
