"""Layers with weights whose shape follows from their bottoms: InnerProduct, Embed, Parameter
(``LayerSetUp`` shapes ``blobs_[0]``, which the filler rules read), and Scale/Bias (whose
scale or bias must fit the input). RNN/LSTM are in ``recurrent.py``."""

from __future__ import annotations

from prototxt_lint.shapes.blobs import Shape, blob_dims, count_of, format_shape
from prototxt_lint.shapes.env import Env, param_path
from prototxt_lint.syntax.parser import Path


def inner_product(env: Env) -> list[Shape | None]:
    """``InnerProductLayer::LayerSetUp`` / ``Reshape``: the dims from ``axis`` on are
    flattened into K; the top is ``bottom.shape[:axis] + [num_output]``."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("inner_product_param")
    if bottom is None:
        return env.unknown("input shape unknown")
    axis = env.axis("inner_product_param", "axis", bottom)
    if axis is None or p.num_output <= 0:
        return env.unknown("inner_product_param rejected by Caffe")
    k = count_of(bottom, axis)
    env.out.weight = (k, p.num_output) if p.transpose else (p.num_output, k)
    return env.all_tops((*bottom[:axis], p.num_output))


def embed(env: Env) -> list[Shape | None]:
    """``EmbedLayer::Reshape``: the bottom's shape with ``num_output`` appended."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("embed_param")
    if bottom is None or p.num_output <= 0:
        return env.unknown("input shape unknown")
    env.out.weight = (p.input_dim, p.num_output)
    return env.all_tops((*bottom, p.num_output))


def parameter(env: Env) -> list[Shape | None]:
    """``ParameterLayer::LayerSetUp``: the top is the parameter blob of ``shape``."""
    return env.all_tops(blob_dims(env.p("parameter_param").shape))



def _extends_past(env: Env, bottom: Shape, axis: int, num_axes: int, blob: str, var: str,
                  rhs: str, at: Path) -> bool:
    """``CHECK_GE(bottom[0]->num_axes(), axis + num_axes)`` of ``ScaleLayer`` /
    ``BiasLayer``; records the failure (kind ``scale-bias``) and returns False."""
    if len(bottom) >= axis + num_axes:
        return True
    layer = env.layer
    env.fail(
        "scale-bias", at,
        f"{layer.type} layer '{layer.name}': a {blob} blob of {num_axes} ax"
        f"{'is' if num_axes == 1 else 'es'} from axis {axis} does not fit `{layer.bottoms[0]}`"
        f" ({format_shape(bottom)}): Caffe aborts while setting the net up with \"Check"
        f" failed: bottom[0]->num_axes() >= {var} + {rhs} ({len(bottom)} vs. {axis + num_axes})"
        f" {blob} blob's shape extends past bottom[0]'s shape when applied starting with"
        f' bottom[0] axis = {axis}"',
        f"use an axis and num_axes within the {len(bottom)} axes of the input")
    return False


def scale_bias(env: Env) -> list[Shape | None]:
    """``ScaleLayer`` / ``BiasLayer::LayerSetUp`` and ``Reshape`` (``src/caffe/layers/
    scale_layer.cpp``, ``bias_layer.cpp``): the scale (bias) is the second bottom or a
    blob of ``num_axes`` axes from ``axis`` (-1: to the end), which must match the input
    there; a Scale with ``bias_term`` sets up a Bias of the same axes first. The top is
    shaped like the first bottom."""
    layer = env.layer
    name = "scale_param" if layer.type == "Scale" else "bias_param"
    blob = "scale" if layer.type == "Scale" else "bias"
    var = "axis_" if layer.type == "Scale" else "axis"
    p = env.p(name)
    bottom = env.bottoms[0] if env.bottoms else None
    tops = env.all_tops(bottom)
    second = env.bottoms[1] if len(env.bottoms) > 1 else None
    num_axes = int(p.num_axes)
    if len(layer.bottoms) == 1:  # the blob is learned, shaped in LayerSetUp
        axis = None if bottom is None else env.axis(name, "axis", bottom)
        if bottom is not None and axis is None:
            return tops
        if num_axes < -1:
            env.fail(
                "scale-bias", param_path(layer, name, "num_axes"),
                f"{layer.type} layer '{layer.name}': `num_axes: {num_axes}`: Caffe aborts while"
                f' setting the net up with "Check failed: num_axes >= -1 ({num_axes} vs. -1)'
                ' num_axes must be non-negative, or -1 to extend to the end of bottom[0]"',
                "use num_axes -1 (to the last axis), 0 (a single value) or more")
            return tops
        if bottom is not None and axis is not None and num_axes >= 0:
            at = param_path(layer, name, "num_axes" if p.HasField("num_axes") else "axis")
            _extends_past(env, bottom, axis, num_axes, blob, var, "num_axes", at)
        return tops
    if bottom is None or second is None:
        return tops
    at = layer.bottom_path(1)
    if layer.type == "Scale" and p.bias_term:  # BiasLayer::LayerSetUp, num_axes of bottom[1]
        axis = env.axis(name, "axis", bottom)
        if axis is None or not _extends_past(env, bottom, axis, len(second), "bias", "axis",
                                             "num_axes", at):
            return tops
    axis = 0 if not second else env.axis(name, "axis", bottom)
    if axis is None or not _extends_past(env, bottom, axis, len(second), blob, var,
                                         f"{blob}->num_axes()", at):
        return tops
    for i, dim in enumerate(second):
        have = bottom[axis + i]
        if dim is not None and have is not None and dim != have:
            env.fail(
                "scale-bias", at,
                f"{layer.type} layer '{layer.name}': `{layer.bottoms[1]}` ({format_shape(second)})"
                f" does not match `{layer.bottoms[0]}` ({format_shape(bottom)}) from axis"
                f" {axis}: Caffe aborts while setting the net up with \"Check failed:"
                f" bottom[0]->shape({var} + i) == {blob}->shape(i) ({have} vs. {dim}) dimension"
                f' mismatch between bottom[0]->shape({axis + i}) and {blob}->shape({i})"',
                f"give the {blob} the input's dims from `axis` on ({layer.bottoms[0]} has"
                f" {format_shape(bottom[axis:axis + len(second)])} there), or change `axis`")
            break
    return tops
