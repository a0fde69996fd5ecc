"""Pooling: ``PoolingLayer::LayerSetUp`` and ``Reshape`` (``src/caffe/layers/pooling_layer.cpp``),
with CEIL rounding and the last-window clip; and the other layers that window a 4-D (num,
channels, height, width) input: LRN and SPP (their axis checks)."""

from __future__ import annotations

import math
from typing import Any

from prototxt_lint.shapes.blobs import Shape, format_shape
from prototxt_lint.shapes.convolution import blob_reshape_failure
from prototxt_lint.shapes.env import Env, param_path


def _ceil_rounding(env: Env, p: Any) -> bool:
    """CEIL unless ``round_mode: FLOOR`` (or a fork's ``ceil_mode: false``)."""
    if env.has("PoolingParameter", "round_mode") and p.HasField("round_mode"):
        enum = p.DESCRIPTOR.fields_by_name["round_mode"].enum_type
        return bool(enum.values_by_number[p.round_mode].name != "FLOOR")
    if env.has("PoolingParameter", "ceil_mode") and p.HasField("ceil_mode"):
        return bool(p.ceil_mode)
    return True


def pooling(env: Env) -> list[Shape | None]:
    """``PoolingLayer::LayerSetUp`` and ``PoolingLayer::Reshape``
    (``src/caffe/layers/pooling_layer.cpp``): ``pooled = ceil((in + 2*pad - kernel) /
    stride) + 1`` (``floor`` with ``round_mode: FLOOR``), then, when there is padding, one
    window less if the last one would start in the padding (``(pooled-1)*stride >= in +
    pad``). Global pooling uses the whole input as kernel."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("pooling_param")
    if bottom is None:
        return env.unknown("input shape unknown")
    rank4 = len(bottom) == 4
    n, c, h, w = bottom if rank4 else (None, None, None, None)
    if p.global_pooling:
        if p.HasField("kernel_size") or p.HasField("kernel_h") or p.HasField("kernel_w"):
            return env.unknown("pooling_param rejected by Caffe")
        kernel = (h, w)
    else:
        pair = p.HasField("kernel_h") and p.HasField("kernel_w")
        if p.HasField("kernel_size") == pair:
            return env.unknown("pooling_param rejected by Caffe")
        kernel = (p.kernel_size, p.kernel_size) if p.HasField("kernel_size") else \
            (p.kernel_h, p.kernel_w)
    for one, pair_names in (("pad", ("pad_h", "pad_w")), ("stride", ("stride_h", "stride_w"))):
        written = [x for x in pair_names if p.HasField(x)]
        if written and (p.HasField(one) or len(written) != 2):
            return env.unknown("pooling_param rejected by Caffe")
    pad = (p.pad_h, p.pad_w) if p.HasField("pad_h") else (p.pad, p.pad)
    stride = (p.stride_h, p.stride_w) if p.HasField("stride_h") else (p.stride, p.stride)
    if any(k is not None and k <= 0 for k in kernel) or any(s <= 0 for s in stride):
        return env.unknown("pooling_param rejected by Caffe")
    if p.global_pooling and (any(pad) or stride != (1, 1)):
        return env.unknown("pooling_param rejected by Caffe")
    if any(pad):
        if p.pool not in (0, 1) or any(k is not None and pd >= k for pd, k in zip(pad, kernel,
                                                                                   strict=True)):
            return env.unknown("pooling_param rejected by Caffe")
    if not rank4:
        four_axes(env, bottom, legacy=bool(p.global_pooling))
        return env.unknown("Pooling needs 4 axes")
    ceil = _ceil_rounding(env, p)
    pooled: list[int | None] = []
    for size, k, s, pd in zip((h, w), kernel, stride, pad, strict=True):
        if size is None or k is None:
            pooled.append(None)
            continue
        ratio = (size + 2 * pd - k) / s
        out = (math.ceil(ratio) if ceil else math.floor(ratio)) + 1
        if any(pad) and (out - 1) * s >= size + pd:
            out -= 1
        pooled.append(out)
    top = (n, c, *pooled)
    failure = blob_reshape_failure(pooled)
    if failure is not None:
        _pool_output_failure(env, p, bottom, kernel, stride, pad, pooled, failure)
    tops: list[Shape | None] = [top]
    return tops + [top] * (len(env.layer.tops) - 1)  # top[1] (the mask) is shaped alike


def _pool_output_failure(
    env: Env,
    p: Any,
    bottom: Shape,
    kernel: tuple[int | None, int | None],
    stride: tuple[int, int],
    pad: tuple[int, int],
    pooled: list[int | None],
    failure: str,
) -> None:
    i = next(j for j, d in enumerate(pooled) if d is not None and d <= 0)
    name = ("height", "width")[i]
    size = bottom[2 + i]
    assert size is not None
    shape = "x".join("?" if d is None else str(d) for d in bottom)
    if p.HasField("kernel_size"):
        at = param_path(env.layer, "pooling_param", "kernel_size")
    else:
        at = param_path(env.layer, "pooling_param", ("kernel_h", "kernel_w")[i])
    what = (f"kernel {kernel[i]} is larger than the padded input {name} {size} + 2*{pad[i]}"
            f" = {size + 2 * pad[i]}: the output {name} is {pooled[i]}")
    if failure.endswith('data_"'):
        top = " ".join("?" if d is None else str(d) for d in (*bottom[:2], *pooled))
        effect = (f"Caffe builds an empty top ({top}) without a pooling error; the next layer"
                  " that uses it aborts (measured: an InnerProduct after it fails with"
                  ' "Check failed: blob->count()"), and at the latest the first forward pass'
                  ' fails with "Check failed: data_"')
    else:
        effect = f"Caffe aborts while setting the net up with {failure}"
    env.fail("pool-output", at, f"`{env.layer.name}` on input {shape}: {what}; {effect}",
             "make the pooling kernel smaller, or use `global_pooling: true` to pool the"
             " whole input")



def four_axes(env: Env, bottom: Shape, legacy: bool = False) -> None:
    """The layer's ``CHECK_EQ(4, bottom[0]->num_axes()) << "Input must have 4 axes, ..."``
    (``PoolingLayer``, ``LRNLayer``, ``SPPLayer::Reshape``), kind ``rank`` (N424). With
    ``legacy`` (global pooling, SPP), ``LayerSetUp`` reads ``bottom[0]->height()`` first,
    which refuses a blob of more than 4 axes (``Blob::LegacyShape``, ``include/caffe/blob.hpp``)."""
    rank = len(bottom)
    if legacy and rank > 4:
        check = (f"num_axes() <= 4 ({rank} vs. 4) Cannot use legacy accessors on Blobs with"
                 " > 4 axes.")
    else:
        check = (f"4 == bottom[0]->num_axes() (4 vs. {rank}) Input must have 4 axes,"
                 " corresponding to (num, channels, height, width)")
    layer = env.layer
    env.fail("rank", layer.bottom_path(0),
             f"{layer.type} layer '{layer.name}' windows a (num, channels, height, width)"
             f" input, but `{layer.bottoms[0]}` is {format_shape(bottom)} ({rank}"
             f" ax{'is' if rank == 1 else 'es'}): Caffe aborts while setting the net up with"
             f' "Check failed: {check}"',
             "add the missing axes first (a Reshape with `shape {"
             + " dim: 0" * rank + " dim: 1" * (4 - rank) + " }`)" if rank < 4 else
             "fold the extra axes into the batch or the channels first (a Reshape), or use a"
             " layer made for 5-D blobs (a Convolution)")


def lrn(env: Env) -> list[Shape | None]:
    """``LRNLayer::Reshape`` (``src/caffe/layers/lrn_layer.cpp``): a 4-D input, whose shape
    the top keeps."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is not None and len(bottom) != 4:
        four_axes(env, bottom)
        return env.unknown("LRN needs 4 axes")
    return env.all_tops(bottom)


def spp(env: Env) -> list[Shape | None]:
    """``SPPLayer::LayerSetUp`` / ``Reshape`` (``src/caffe/layers/spp_layer.cpp``): a 4-D
    input whose height and width are not 0 (its top is not computed here)."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is None:
        return env.unknown("input shape unknown")
    if len(bottom) > 4:
        four_axes(env, bottom, legacy=True)
        return env.unknown("SPP needs 4 axes")
    # LayerSetUp reads height() and width() (1 for a missing axis) before Reshape's check
    legacy = (*bottom, 1, 1, 1, 1)[:4]
    for i, name in ((2, "bottom_h_"), (3, "bottom_w_")):
        if legacy[i] == 0:
            layer = env.layer
            env.fail("rank", layer.bottom_path(0),
                     f"SPP layer '{layer.name}': `{layer.bottoms[0]}` ({format_shape(bottom)})"
                     f" has {('height', 'width')[i - 2]} 0: Caffe aborts while setting the"
                     f' net up with "Check failed: {name} > 0 (0 vs. 0) Input dimensions'
                     ' cannot be zero."', "give the SPP layer an input with a height and"
                     " width of 1 or more")
            return env.unknown("SPP failed")
    if len(bottom) != 4:
        four_axes(env, bottom)
        return env.unknown("SPP needs 4 axes")
    return env.unknown("SPP output not computed")
