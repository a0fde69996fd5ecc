"""Layers that join or split blobs along an axis: Concat, Eltwise, Slice (their ``Reshape``)."""

from __future__ import annotations

from prototxt_lint.shapes.blobs import Shape, format_shape, shape_string
from prototxt_lint.shapes.env import Env


def concat(env: Env) -> list[Shape | None]:
    """``ConcatLayer::Reshape`` (``src/caffe/layers/concat_layer.cpp``): same number of axes,
    same dims except on the concat axis (``concat_dim`` if written, else ``axis``), which
    adds up."""
    bottoms = env.bottoms
    p = env.p("concat_param")
    first = bottoms[0] if bottoms else None
    if first is None:
        return env.unknown("input shape unknown")
    rank = len(first)
    if p.HasField("concat_dim"):
        axis: int | None = p.concat_dim if p.concat_dim < rank else None
    else:
        axis = env.axis("concat_param", "axis", first)
    if axis is None:
        return env.unknown("concat axis out of range")
    top = list(first)
    for i, other in enumerate(bottoms[1:], start=1):
        if other is None:
            top[axis] = None
            continue
        if len(other) != rank:
            env.fail(
                "concat",
                env.layer.bottom_path(i),
                f"`{env.layer.name}` concatenates `{env.layer.bottoms[0]}`"
                f" ({format_shape(first)}) and `{env.layer.bottoms[i]}`"
                f" ({format_shape(other)}), which have different numbers of axes: Caffe"
                " aborts while setting the net up with \"Check failed: num_axes =="
                f" bottom[i]->num_axes() ({rank} vs. {len(other)}) All inputs must have the"
                ' same #axes."',
                "flatten or reshape the inputs to the same number of axes",
            )
            return env.unknown("concat failed")
        for j in range(rank):
            if j == axis:
                continue
            a, b = first[j], other[j]
            if a is not None and b is not None and a != b:
                env.fail(
                    "concat",
                    env.layer.bottom_path(i),
                    f"`{env.layer.name}` concatenates on axis {axis}, but `"
                    f"{env.layer.bottoms[0]}` is {format_shape(first)} and `"
                    f"{env.layer.bottoms[i]}` is {format_shape(other)} (axis {j}: {a} vs."
                    f" {b}): Caffe aborts while setting the net up with \"Check failed:"
                    f" top_shape[j] == bottom[i]->shape(j) ({a} vs. {b}) All inputs must have"
                    ' the same shape, except at concat_axis."',
                    _size_hint(axis, j),
                )
                return env.unknown("concat failed")
            if top[j] is None:
                top[j] = b
        top[axis] = None if top[axis] is None or other[axis] is None else \
            top[axis] + other[axis]  # type: ignore[operator]
    return env.all_tops(tuple(top))


def _size_hint(axis: int, j: int) -> str:
    if j >= 2:
        return ("make the spatial sizes agree (pad, crop or resize one branch), or"
                " concatenate on the axis where they differ")
    return f"concatenate on the axis where the inputs differ, or make axis {j} agree"


def eltwise(env: Env) -> list[Shape | None]:
    """``EltwiseLayer::Reshape`` (``src/caffe/layers/eltwise_layer.cpp``): every bottom must
    have exactly the shape of ``bottom[0]``."""
    bottoms = env.bottoms
    first = bottoms[0] if bottoms else None
    if first is None:
        merged: list[int | None] | None = None
    else:
        merged = list(first)
    for i, other in enumerate(bottoms[1:], start=1):
        if first is None or other is None:
            continue
        differs = len(other) != len(first) or any(
            a is not None and b is not None and a != b for a, b in zip(first, other,
                                                                      strict=True)
        )
        if differs:
            env.fail(
                "eltwise",
                env.layer.bottom_path(i),
                f"`{env.layer.name}` combines `{env.layer.bottoms[0]}` ({format_shape(first)})"
                f" and `{env.layer.bottoms[i]}` ({format_shape(other)}) element by element,"
                " but their shapes differ: Caffe aborts while setting the net up with"
                ' "Check failed: bottom[0]->shape() == bottom[i]->shape() bottom[0]:'
                f' {shape_string(first)}, bottom[{i}]: {shape_string(other)}"',
                "give both inputs the same shape (for a residual block, a projection"
                " shortcut: a 1x1 convolution with the same stride and num_output)",
            )
            return env.unknown("eltwise failed")
        assert merged is not None
        merged = [a if a is not None else b for a, b in zip(merged, other, strict=True)]
    if merged is None:
        return env.unknown("input shape unknown")
    return env.all_tops(tuple(merged))


def slice_(env: Env) -> list[Shape | None]:
    """``SliceLayer::Reshape``: ``slice_point``s cut the slice axis (``slice_dim`` if written,
    else ``axis``); without them every top gets an equal share."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("slice_param")
    tops = len(env.layer.tops)
    if bottom is None or tops == 0:
        return env.unknown("input shape unknown")
    rank = len(bottom)
    if p.HasField("slice_dim"):
        axis: int | None = p.slice_dim if p.slice_dim < rank else None
    else:
        axis = env.axis("slice_param", "axis", bottom)
    if axis is None:
        return env.unknown("slice axis out of range")
    size = bottom[axis]
    points = list(p.slice_point)
    if points:
        if len(points) != tops - 1 or any(b <= a for a, b in zip([0, *points], points,
                                                                 strict=False)):
            return env.unknown("slice_point does not fit the tops")
        if size is None:
            sizes: list[int | None] = [b - a for a, b in zip([0, *points], points,
                                                             strict=False)]
            sizes.append(None)
        else:
            sizes = [b - a for a, b in zip([0, *points], [*points, size], strict=True)]
            if points[-1] >= size:
                env.fail(
                    "slice",
                    env.layer.at("slice_param", "slice_point", len(points) - 1),
                    f"`slice_point: {points[-1]}` is not inside axis {axis} of"
                    f" `{env.layer.bottoms[0]}` ({format_shape(bottom)}), which has {size}"
                    f" entries: the last top would have {size - points[-1]}; "
                    + (f'Caffe aborts while setting the net up with "Check failed: shape[i] >='
                       f' 0 ({size - points[-1]} vs. 0)"' if size - points[-1] < 0 else
                       "the last top is empty, and the first forward pass aborts with"
                       ' "Check failed: data_"'),
                    f"slice points must be below {size}",
                )
                return env.unknown("slice failed")
    else:
        if size is not None and size % tops:
            env.fail(
                "slice",
                env.layer.at("top", tops - 1),
                f"`{env.layer.name}` splits axis {axis} of `{env.layer.bottoms[0]}`"
                f" ({format_shape(bottom)}) into {tops} equal parts, but {size} is not a"
                f" multiple of {tops}: Caffe aborts while setting the net up with \"Check"
                f" failed: bottom_slice_axis % top.size() == 0 ({size % tops} vs. 0) Number"
                f' of top blobs ({tops}) should evenly divide input slice axis ({size})"',
                "give `slice_point`s, or use a number of tops that divides the axis",
            )
            return env.unknown("slice failed")
        sizes = [None if size is None else size // tops] * tops
    out: list[Shape | None] = []
    for part in sizes:
        shape = list(bottom)
        shape[axis] = part
        out.append(tuple(shape))
    return out

