"""Convolution, Deconvolution and Im2col: ``BaseConvolutionLayer::LayerSetUp`` and
``Reshape`` (``src/caffe/layers/base_conv_layer.cpp``), the output size and the group checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from prototxt_lint.records import Record
from prototxt_lint.shapes.blobs import (
    Shape,
    cdiv,
    format_shape,
    proto_blob_loads,
    proto_blob_shape,
    shape_string,
)
from prototxt_lint.shapes.env import Env, param_path


class _ConvGeometry(Record):
    """What ``BaseConvolutionLayer::LayerSetUp`` resolves, per spatial axis."""

    __slots__ = ("channel_axis", "dilation", "kernel", "kernel_field", "pad", "stride")

    def __init__(
        self,
        channel_axis: int,
        kernel: list[int],
        stride: list[int],
        pad: list[int],
        dilation: list[int],
        kernel_field: str,
    ) -> None:
        self.channel_axis = channel_axis
        self.kernel = kernel
        self.stride = stride
        self.pad = pad
        self.dilation = dilation
        self.kernel_field = kernel_field


def _per_axis(values: list[int], n: int, default: int) -> list[int] | None:
    if not values:
        return [default] * n
    if len(values) == 1:
        return values * n
    return values if len(values) == n else None


def _values(p: Any, name: str) -> list[int]:
    """A repeated field as a list; old Caffe (and forks built on it) had ``kernel_size``,
    ``pad`` and ``stride`` as single optional values: the written one, or none."""
    value = getattr(p, name)
    if isinstance(value, int):
        return [value] if p.HasField(name) else []
    return list(value)


def _conv_geometry(env: Env, bottom: Shape) -> _ConvGeometry | None:
    """``BaseConvolutionLayer::LayerSetUp`` (``src/caffe/layers/base_conv_layer.cpp``) up to
    the kernel/stride/pad/dilation arrays; None where one of its CHECKs fails first."""
    p = env.p("convolution_param")
    channel_axis = env.axis("convolution_param", "axis", bottom)
    if channel_axis is None:
        return None
    n = len(bottom) - channel_axis - 1
    if n < 0:
        return None
    if p.HasField("kernel_h") or p.HasField("kernel_w"):
        if n != 2 or _values(p, "kernel_size"):
            return None
        kernel: list[int] | None = [p.kernel_h, p.kernel_w]
        kernel_field = "kernel_h"
    else:
        kernel = _values(p, "kernel_size")
        if len(kernel) not in (1, n):
            return None
        kernel = kernel * n if len(kernel) == 1 else kernel
        kernel_field = "kernel_size"
    if p.HasField("stride_h") or p.HasField("stride_w"):
        stride: list[int] | None = (
            [p.stride_h, p.stride_w] if n == 2 and not _values(p, "stride") else None
        )
    else:
        stride = _per_axis(_values(p, "stride"), n, 1)
    if p.HasField("pad_h") or p.HasField("pad_w"):
        pad: list[int] | None = [p.pad_h, p.pad_w] if n == 2 and not _values(p, "pad") else None
    else:
        pad = _per_axis(_values(p, "pad"), n, 0)
    dilation = _per_axis(_values(p, "dilation"), n, 1)
    if kernel is None or stride is None or pad is None or dilation is None:
        return None
    if any(k <= 0 for k in kernel) or any(s <= 0 for s in stride):
        return None
    return _ConvGeometry(channel_axis, kernel, stride, pad, dilation, kernel_field)


def blob_reshape_failure(dims: Sequence[int | None]) -> str | None:
    """What ``Blob::Reshape`` (``src/caffe/blob.cpp``) and the first use of a 0-sized blob
    say about these dims: the first negative one fails ``CHECK_GE(shape[i], 0)``; a 0 makes
    an empty blob whose data pointer is never allocated (``Check failed: data_``)."""
    for dim in dims:
        if dim is not None and dim < 0:
            return f'"Check failed: shape[i] >= 0 ({dim} vs. 0)"'
    if any(dim == 0 for dim in dims):
        return '"Check failed: data_"'
    return None


def convolution(env: Env) -> list[Shape | None]:
    """``BaseConvolutionLayer::LayerSetUp`` / ``Reshape`` with
    ``ConvolutionLayer::compute_output_shape`` (``(in + 2*pad - ext) / stride + 1``, C++
    integer division, ``ext = dilation*(kernel-1) + 1``) or
    ``DeconvolutionLayer::compute_output_shape`` (``stride*(in-1) + ext - 2*pad``)."""
    bottom = env.bottoms[0] if env.bottoms else None
    layer = env.layer
    p = env.p("convolution_param")
    deconv = layer.type == "Deconvolution"
    geo = None if bottom is None else _conv_geometry(env, bottom)
    if bottom is not None and geo is None:
        return env.unknown("convolution_param rejected by Caffe")
    if p.num_output <= 0:
        return env.unknown("no num_output")
    channels = None if bottom is None or geo is None else bottom[geo.channel_axis]
    if not _group_checks(env, p, channels):
        return env.unknown("group does not fit")
    if bottom is None or geo is None:
        return env.unknown("input shape unknown")
    group = p.group
    if deconv:
        env.out.weight = (channels, p.num_output // group, *geo.kernel)
    else:
        env.out.weight = (p.num_output, None if channels is None else channels // group,
                          *geo.kernel)
    if layer.syntax == "v2" and len(layer.msg.blobs) and not _written_weights_fit(
            env, p, env.out.weight):
        return env.unknown("written weights rejected")
    for i, other in enumerate(env.bottoms[1:], start=1):
        if other is None or other == bottom:
            continue
        if len(other) == len(bottom) and all(a is None or b is None or a == b
                                             for a, b in zip(bottom, other, strict=True)):
            return env.unknown("inputs of shapes that may differ")
        env.fail("bottoms", layer.bottom_path(i),
                 f"{layer.type} layer '{layer.name}' convolves each bottom with the same"
                 f" weights, but `{layer.bottoms[0]}` is {format_shape(bottom)} and"
                 f" `{layer.bottoms[i]}` is {format_shape(other)}: Caffe aborts while setting"
                 ' the net up with "Check failed: bottom[0]->shape() =='
                 f" bottom[bottom_id]->shape() shape mismatch - bottom[0]:"
                 f' {shape_string(bottom)} vs. bottom[{i}]: {shape_string(other)}"',
                 "give every bottom of the layer the same shape, or use one layer per input"
                 " (sharing the weights with `param { name: ... }`)")
        return env.unknown("inputs of different shapes")
    spatial: list[int | None] = []
    for i, size in enumerate(bottom[geo.channel_axis + 1 :]):
        ext = geo.dilation[i] * (geo.kernel[i] - 1) + 1
        if size is None:
            spatial.append(None)
        elif deconv:
            spatial.append(geo.stride[i] * (size - 1) + ext - 2 * geo.pad[i])
        else:
            spatial.append(cdiv(size + 2 * geo.pad[i] - ext, geo.stride[i]) + 1)
    top = (*bottom[: geo.channel_axis], p.num_output, *spatial)
    failure = blob_reshape_failure(spatial)
    if failure is not None:
        _conv_output_failure(env, geo, bottom, spatial, failure, deconv)
    return env.all_tops(top)


def _conv_output_failure(
    env: Env,
    geo: _ConvGeometry,
    bottom: Shape,
    spatial: list[int | None],
    failure: str,
    deconv: bool,
) -> None:
    i = next(j for j, d in enumerate(spatial) if d is not None and d <= 0)
    size = bottom[geo.channel_axis + 1 + i]
    assert size is not None
    k, s, pad, dil = geo.kernel[i], geo.stride[i], geo.pad[i], geo.dilation[i]
    ext = dil * (k - 1) + 1
    kernel_text = f"kernel {k}" + (f" (extent {ext} with dilation {dil})" if dil != 1 else "")
    name = ("height", "width")[i] if len(spatial) == 2 else f"spatial axis {i}"
    if deconv:
        what = (f"the output {name} stride*(in-1) + extent - 2*pad = {s}*({size}-1) + {ext}"
                f" - 2*{pad} is {spatial[i]}")
    else:
        what = (f"{kernel_text} is larger than the padded input {name} {size} + 2*{pad} ="
                f" {size + 2 * pad}: the output {name} is {spatial[i]}")
    p = env.p("convolution_param")
    if not failure.endswith('data_"'):
        effect = f"Caffe aborts while setting the net up with {failure}"
    elif p.bias_term:  # BaseConvolutionLayer::Reshape fills the empty bias multiplier
        effect = f"Caffe aborts while setting the net up with {failure} (an empty top)"
    else:
        effect = ("Caffe builds an empty top; the next layer that uses it aborts, and at the"
                  ' latest the first forward pass fails with "Check failed: data_"')
    pads = _values(p, "pad")
    if deconv and (pads or p.HasField("pad_h")):  # the pad is what makes it negative
        if p.HasField("pad_h"):
            at = param_path(env.layer, "convolution_param", ("pad_h", "pad_w")[i])
        elif isinstance(p.pad, int):
            at = param_path(env.layer, "convolution_param", "pad")
        else:
            at = param_path(env.layer, "convolution_param", "pad", i if len(pads) > 1 else 0)
    elif geo.kernel_field == "kernel_h":
        at = param_path(env.layer, "convolution_param", ("kernel_h", "kernel_w")[i])
    elif isinstance(p.kernel_size, int):
        at = param_path(env.layer, "convolution_param", "kernel_size")
    else:
        at = param_path(env.layer, "convolution_param", "kernel_size",
                 i if len(p.kernel_size) > 1 else 0)
    hint = ("lower stride or kernel, or add pad" if deconv else
            "make the kernel smaller, pad the input, or give the net a larger input")
    env.fail("conv-output", at,
             f"`{env.layer.name}` on input {format_shape(bottom)}: {what}; {effect}", hint)


def _written_weights_fit(env: Env, p: Any, weight: Shape) -> bool:
    """``BaseConvolutionLayer::LayerSetUp`` with ``blobs`` written in the prototxt (kind
    ``blobs``, N426): one blob per parameter, the weights and the bias of the shapes it
    would have made. False where a check fails; quiet where a shape is not known."""
    layer = env.layer
    blobs = list(layer.msg.blobs)
    if not all(proto_blob_loads(b) for b in blobs):
        return True  # Blob::FromProto fails first, in the layer's constructor
    want = 1 + int(p.bias_term)
    head = f"{layer.type} layer '{layer.name}' is given weights in the prototxt (`blobs`)"
    if len(blobs) != want:
        env.fail("blobs", layer.at("blobs", min(len(blobs), want) - 1 if blobs else 0),
                 f"{head}: {len(blobs)} blob{'s' if len(blobs) != 1 else ''}, but it has"
                 f" {want} (weights{' and bias' if p.bias_term else ''}): Caffe aborts while"
                 ' setting the net up with "Check failed: 1 + bias_term_ =='
                 f' this->blobs_.size() ({want} vs. {len(blobs)}) Incorrect number of weight'
                 ' blobs."', f"give {want} `blobs`, or none (the fillers make them)")
        return False
    for i, (what, expected) in enumerate((("weight", weight), ("bias", (p.num_output,)))):
        if i >= want or any(d is None for d in expected):
            continue
        got = proto_blob_shape(blobs[i])
        if got != expected:
            env.fail("blobs", layer.at("blobs", i),
                     f"{head}: blob {i} is {format_shape(got)}, but the layer's {what} is"
                     f" {format_shape(expected)}: Caffe aborts while setting the net up with"
                     f' "Incorrect {what} shape: expected shape {shape_string(expected)};'
                     f' instead, shape was {shape_string(got)}"',
                     f"give blob {i} the shape {format_shape(expected)}, or drop the written"
                     " `blobs` and let the fillers make them")
            return False
    return True


def _group_checks(env: Env, p: Any, channels: int | None) -> bool:
    """The group CHECKs of ``BaseConvolutionLayer::LayerSetUp``, in its order:
    ``CHECK_EQ(channels_ % group_, 0)`` (needs the input channels), then
    ``CHECK_EQ(num_output_ % group_, 0)``. Returns False when one fails."""
    layer = env.layer
    group = p.group
    at = param_path(layer, "convolution_param", "group")
    if group == 0:
        env.fail(
            "group",
            at,
            "`group: 0`: BaseConvolutionLayer::LayerSetUp computes channels_ % group_, an"
            " integer division by zero: the process is killed by SIGFPE (Floating point"
            " exception) while setting the net up",
            "use `group: 1` (the default) for an ordinary convolution",
        )
        return False
    if channels is not None and channels % group:
        env.fail(
            "group",
            at,
            f"`group: {group}` does not divide the {channels} input channels of"
            f" `{layer.name}`: Caffe aborts while setting the net up with \"Check failed:"
            f' channels_ % group_ == 0 ({channels % group} vs. 0)"',
            f"use a group that divides {channels} (a depthwise convolution has group ="
            " input channels)",
        )
        return False
    if p.num_output % group:
        env.fail(
            "group",
            at,
            f"`group: {group}` does not divide `num_output: {p.num_output}`: Caffe aborts"
            " while setting the net up with \"Check failed: num_output_ % group_ == 0"
            f' ({p.num_output % group} vs. 0) Number of output should be multiples of'
            ' group."',
            f"make num_output a multiple of {group}",
        )
        return False
    return True


def im2col(env: Env) -> list[Shape | None]:
    """``Im2colLayer::Reshape``: channels times the kernel size, spatial dims as a
    convolution's output."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is None:
        return env.unknown("input shape unknown")
    geo = _conv_geometry(env, bottom)
    if geo is None:
        return env.unknown("convolution_param rejected by Caffe")
    channels = bottom[geo.channel_axis]
    spatial: list[int | None] = []
    for i, size in enumerate(bottom[geo.channel_axis + 1 :]):
        ext = geo.dilation[i] * (geo.kernel[i] - 1) + 1
        spatial.append(None if size is None else
                       cdiv(size + 2 * geo.pad[i] - ext, geo.stride[i]) + 1)
    kdim = None if channels is None else channels * math.prod(geo.kernel)
    return env.all_tops((*bottom[: geo.channel_axis], kdim, *spatial))

