"""Layers that join or split blobs along an axis: Concat, Eltwise, Slice (their ``Reshape``),
and Filter, which selects items of its bottoms."""

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
    if p.HasField("axis") and p.HasField("concat_dim"):
        return env.unknown("concat_param rejected by Caffe")  # N340
    if p.HasField("concat_dim") and not _legacy_dim(env, "concat", first):
        return env.unknown("concat_dim out of range")
    if first is None:
        return env.unknown("input shape unknown")
    rank = len(first)
    if p.HasField("concat_dim"):
        axis: int | None = p.concat_dim
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
    if p.HasField("axis") and p.HasField("slice_dim"):
        return env.unknown("slice_param rejected by Caffe")  # N340
    if tops == 0:
        return env.unknown("no tops")
    if p.HasField("slice_dim") and not _legacy_dim(env, "slice", bottom):
        return env.unknown("slice_dim out of range")
    axis: int | None = None
    if bottom is not None:
        axis = p.slice_dim if p.HasField("slice_dim") else env.axis("slice_param", "axis",
                                                                    bottom)
        if axis is None:
            return env.unknown("slice axis out of range")
    points = list(p.slice_point)
    if points and not _slice_points_fit(env, points, tops, bottom, axis):
        return env.unknown("slice_point does not fit the tops")
    if bottom is None or axis is None:
        return env.unknown("input shape unknown")
    size = bottom[axis]
    if points:
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



#: ``kMaxBlobAxes`` (``include/caffe/blob.hpp``), which the uint32 checks quote
_MAX_AXES = 32


def _legacy_dim(env: Env, kind: str, bottom: Shape | None) -> bool:
    """The checks ``ConcatLayer::Reshape`` / ``SliceLayer::Reshape`` make of the old uint32
    ``concat_dim`` / ``slice_dim`` (kind ``axis``, N410): its cast to int must not be negative
    (any bottom), and it must be below the bottom's number of axes (where that is known).
    False where one fails."""
    field = f"{kind}_dim"
    value = int(getattr(env.p(f"{kind}_param"), field))
    cast = value - 2**32 if value >= 2**31 else value
    at = env.layer.at(f"{kind}_param", field)
    head = f"{env.layer.type} layer '{env.layer.name}': `{field}: {value}`"
    if cast < 0:
        env.fail("axis", at, f"{head} is negative as a C++ int ({cast}): Caffe aborts while"
                 f' setting the net up with "Check failed: {kind}_axis_ >= 0 ({cast} vs. 0)'
                 f" casting {field} from uint32 to int32 produced negative result; {field}"
                 f' must satisfy 0 <= {field} < {_MAX_AXES}"',
                 f"`{field}` counts from 0 and cannot be negative; use `axis: -1` for the"
                 " last axis")
        return False
    if bottom is not None and cast >= len(bottom):
        rank = len(bottom)
        name = env.layer.bottoms[0]
        env.fail("axis", at, f"{head} is not an axis of `{name}` ({format_shape(bottom)},"
                 f" {rank} ax{'is' if rank == 1 else 'es'}): Caffe aborts while setting the"
                 f' net up with "Check failed: {kind}_axis_ < num_axes ({cast} vs. {rank})'
                 f' {field} out of range."', f"use an axis from 0 to {rank - 1}" if rank
                 else "this input is a scalar: it has no axis to pick")
        return False
    return True


def _slice_points_fit(env: Env, points: list[int], tops: int, bottom: Shape | None,
                      axis: int | None) -> bool:
    """``SliceLayer::Reshape``'s checks of the written ``slice_point``s, in its order (kind
    ``slice``, N408): one fewer than the tops (any bottom), no more tops than the axis has
    entries (where its size is known), strictly ascending from above 0. False where one
    fails."""
    layer = env.layer
    head = f"Slice layer '{layer.name}'"
    if len(points) != tops - 1:
        env.fail("slice", layer.at("slice_param", "slice_point", 0),
                 f"{head}: {len(points)} `slice_point`s for {tops} tops: Caffe aborts while"
                 ' setting the net up with "Check failed: slice_point_.size() == top.size() -'
                 f' 1 ({len(points)} vs. {tops - 1})"',
                 f"give {tops - 1} slice point{'s' if tops != 2 else ''} (one between each"
                 f" two tops), or {len(points) + 1} tops")
        return False
    size = bottom[axis] if bottom is not None and axis is not None else None
    if bottom is not None and size is not None and tops > size:
        env.fail("slice", layer.at("top", tops - 1),
                 f"{head} cuts axis {axis} of `{layer.bottoms[0]}` ({format_shape(bottom)}),"
                 f" which has {size} entries, into {tops} tops: Caffe aborts while setting"
                 ' the net up with "Check failed: top.size() <= bottom_slice_axis'
                 f" ({tops} vs. {size}) slice axis: {axis}, bottom[0] shape:"
                 f' {shape_string(bottom)}"', f"use at most {size} tops")
        return False
    prev = 0
    for i, point in enumerate(points):
        if point <= prev:
            env.fail("slice", layer.at("slice_param", "slice_point", i),
                     f"{head}: `slice_point: {point}` is not above the point before it"
                     f" ({prev}; the first must be above 0): Caffe aborts while setting the"
                     f' net up with "Check failed: slice_point_[i] > prev ({point} vs.'
                     f' {prev})"', "give the slice points in ascending order, each above"
                     " 0 and below the axis size")
            return False
        prev = point
    return True


def filter_(env: Env) -> list[Shape | None]:
    """``FilterLayer::Reshape`` (``src/caffe/layers/filter_layer.cpp``): the last bottom
    selects items, so it must be (N, 1, 1, ...) and every other bottom have N items; how many
    are kept depends on the data, so the tops are unknown (kind ``bottoms``, N425)."""
    layer = env.layer
    bottoms = env.bottoms
    selector = bottoms[-1] if len(bottoms) >= 2 else None
    if selector is None:
        return env.unknown("depends on the data")
    name = layer.bottoms[-1]
    head = f"Filter layer '{layer.name}': the selector `{name}` ({format_shape(selector)})"
    for i, dim in enumerate(selector[1:], start=1):
        if dim is not None and dim != 1:
            env.fail("bottoms", layer.bottom_path(len(bottoms) - 1),
                     f"{head} has {dim} entries on axis {i}: Caffe aborts while setting the"
                     f' net up with "Check failed: bottom[selector_index]->shape(i) == 1 ({dim}'
                     ' vs. 1) Selector blob dimensions must be singletons (1), except the'
                     ' first"', "give the selector one value per item: shape (N) or (N, 1)")
            return env.unknown("Filter failed")
    for i, other in enumerate(bottoms[:-1]):
        if other is None or not other or not selector:
            continue
        a, b = selector[0], other[0]
        if a is not None and b is not None and a != b:
            env.fail("bottoms", layer.bottom_path(i),
                     f"{head} selects among {a} items, but `{layer.bottoms[i]}`"
                     f" ({format_shape(other)}) has {b}: Caffe aborts while setting the net up"
                     ' with "Check failed: bottom[selector_index]->shape(0) =='
                     f" bottom[i]->shape(0) ({a} vs. {b}) Each bottom should have the same 0th"
                     ' dimension as the selector blob"',
                     "feed the Filter blobs of the same batch as its selector")
            return env.unknown("Filter failed")
    return env.unknown("depends on the data")
