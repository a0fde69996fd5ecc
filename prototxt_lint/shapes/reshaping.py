"""Layers whose tops are their bottom's shape, or a re-arrangement of it: neurons, Softmax,
Flatten, Reshape, Crop, Tile, Reduction, ArgMax, BatchReindex, Permute, ..."""

from __future__ import annotations

from prototxt_lint.shapes.blobs import Shape, count_of, format_shape
from prototxt_lint.shapes.env import Env


def identity(env: Env) -> list[Shape | None]:
    """``NeuronLayer::Reshape`` (``top[0]->ReshapeLike(*bottom[0])``) and the other layers
    whose tops are shaped like their first bottom: Softmax, LRN, MVN, BatchNorm,
    Dropout, Split (every top), ..."""
    return env.all_tops(env.bottoms[0] if env.bottoms else None)


def softmax(env: Env) -> list[Shape | None]:
    """``SoftmaxLayer::Reshape``: the input's shape; the softmax axis must be one of its
    axes."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is not None and env.axis("softmax_param", "axis", bottom) is None:
        return env.unknown("softmax axis out of range")
    return env.all_tops(bottom)


def flatten(env: Env) -> list[Shape | None]:
    """``FlattenLayer::Reshape``: axes ``axis`` .. ``end_axis`` become one."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is None:
        return env.unknown("input shape unknown")
    start = env.axis("flatten_param", "axis", bottom)
    end = None if start is None else env.axis("flatten_param", "end_axis", bottom)
    if start is None or end is None:
        return env.unknown("flatten axes out of range")
    return env.all_tops((*bottom[:start], count_of(bottom, start, end + 1), *bottom[end + 1 :]))


def reshape(env: Env) -> list[Shape | None]:
    """``ReshapeLayer::LayerSetUp`` / ``Reshape`` (``src/caffe/layers/reshape_layer.cpp``):
    ``shape`` replaces axes ``axis`` .. ``axis + num_axes``; 0 copies the bottom's dim, one
    -1 is inferred from the count; the counts must match."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("reshape_param")
    if bottom is None:
        return env.unknown("input shape unknown")
    dims = [int(d) for d in p.shape.dim]
    copy_axes = [i for i, d in enumerate(dims) if d == 0]
    inferred = [i for i, d in enumerate(dims) if d == -1]
    if len(inferred) > 1 or any(d < -1 for d in dims):
        return env.unknown("reshape_param rejected by Caffe")
    constant = 1
    for d in dims:
        if d > 0:
            constant *= d
    rank = len(bottom)
    start = p.axis if p.axis >= 0 else rank + p.axis + 1
    if start < 0 or start > rank or p.num_axes < -1:
        return env.unknown("reshape_param rejected by Caffe")
    end = rank if p.num_axes == -1 else start + p.num_axes
    if end > rank:
        return env.unknown("reshape_param rejected by Caffe")
    top: list[int | None] = [*bottom[:start], *dims, *bottom[end:]]
    at = env.layer.at("reshape_param", "shape")
    for i in copy_axes:
        if start + i >= rank:
            env.fail(
                "reshape",
                env.layer.at("reshape_param", "shape", "dim", i),
                f"`dim: 0` at position {i} copies axis {start + i} of"
                f" `{env.layer.bottoms[0]}`, which has only {rank} axes"
                f" ({format_shape(bottom)}): Caffe aborts while setting the net up with"
                f' "Check failed: bottom[0]->num_axes() > start_axis + copy_axis_index'
                f" ({rank} vs. {start + i}) new shape contains a 0, but there was no"
                ' corresponding bottom axis to copy"',
                "use the dimension you want instead of 0",
            )
            return env.unknown("reshape failed")
        top[start + i] = bottom[start + i]
    total = count_of(bottom)
    if inferred:
        explicit: int | None = constant
        for part in (count_of(bottom, 0, start), count_of(bottom, end),
                     *(top[start + i] for i in copy_axes)):
            explicit = None if explicit is None or part is None else explicit * part
        if total is None or explicit is None or explicit == 0:
            top[start + inferred[0]] = None
        elif total % explicit:
            env.fail(
                "reshape",
                at,
                f"`{env.layer.name}` reshapes `{env.layer.bottoms[0]}` ({format_shape(bottom)},"
                f" {total} values) with a -1, but the other dimensions multiply to"
                f" {explicit}, which does not divide {total}: Caffe aborts while setting the"
                f' net up with "Check failed: 0 == bottom[0]->count() % explicit_count'
                f" (0 vs. {total % explicit}) bottom count ({total}) must be divisible by the"
                f' product of the specified dimensions ({explicit})"',
                "make the fixed dimensions divide the input's element count",
            )
            return env.unknown("reshape failed")
        else:
            top[start + inferred[0]] = total // explicit
    new_count = count_of(top)
    if total is not None and new_count is not None and total != new_count:
        env.fail(
            "reshape",
            at,
            f"`{env.layer.name}` reshapes `{env.layer.bottoms[0]}` ({format_shape(bottom)},"
            f" {total} values) to {format_shape(tuple(top))} ({new_count} values): Caffe"
            " aborts while setting the net up with \"Check failed: top[0]->count() =="
            f' bottom[0]->count() ({new_count} vs. {total}) output count must match input'
            ' count"',
            "use 0 to copy a dimension and -1 to infer one, so the count cannot differ",
        )
        return env.unknown("reshape failed")
    return env.all_tops(tuple(top))


def crop(env: Env) -> list[Shape | None]:
    """``CropLayer::LayerSetUp`` / ``Reshape`` (``src/caffe/layers/crop_layer.cpp``): from
    ``axis`` on, bottom 0 is cropped to bottom 1's size at ``offset``."""
    if len(env.bottoms) != 2 or env.bottoms[0] is None:
        return env.unknown("input shape unknown")
    big, ref = env.bottoms[0], env.bottoms[1]
    p = env.p("crop_param")
    rank = len(big)
    start = env.axis("crop_param", "axis", big)
    offsets = list(p.offset)
    if start is None or (len(offsets) > 1 and start + len(offsets) != rank):
        return env.unknown("crop_param rejected by Caffe")
    top = list(big)
    for i in range(start, rank):
        if ref is None or i >= len(ref):
            top[i] = None
            continue
        offset = offsets[0] if len(offsets) == 1 else (offsets[i - start] if offsets else 0)
        top[i] = ref[i]
        have, want = big[i], ref[i]
        if have is not None and want is not None and have - offset < want:
            at = env.layer.at("crop_param", "offset", 0 if len(offsets) == 1 else i - start) \
                if offsets else env.layer.bottom_path(1)
            env.fail(
                "crop",
                at,
                f"`{env.layer.name}` crops `{env.layer.bottoms[0]}` ({format_shape(big)}) to"
                f" the size of `{env.layer.bottoms[1]}` ({format_shape(ref)}) at offset"
                f" {offset}, but axis {i} has only {have} - {offset} = {have - offset} left"
                f" for {want}: Caffe aborts while setting the net up with \"Check failed:"
                f" bottom[0]->shape(i) - crop_offset >= bottom[1]->shape(i) ({have - offset}"
                f" vs. {want}) the crop for dimension {i} is out-of-bounds with size {want}"
                f' and offset {offset}"',
                "the first bottom must be at least as large as the second plus the offset;"
                " check the order of the bottoms and the offset",
            )
            return env.unknown("crop failed")
    return env.all_tops(tuple(top))


def tile(env: Env) -> list[Shape | None]:
    """``TileLayer::Reshape``: the ``axis`` dim times ``tiles``."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("tile_param")
    if bottom is None or p.tiles <= 0:
        return env.unknown("input shape unknown")
    axis = env.axis("tile_param", "axis", bottom)
    if axis is None:
        return env.unknown("tile axis out of range")
    shape = list(bottom)
    shape[axis] = None if shape[axis] is None else shape[axis] * p.tiles  # type: ignore[operator]
    return env.all_tops(tuple(shape))


def reduction(env: Env) -> list[Shape | None]:
    """``ReductionLayer::Reshape``: the axes before ``axis`` are kept."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is None:
        return env.unknown("input shape unknown")
    axis = env.axis("reduction_param", "axis", bottom)
    if axis is None:
        return env.unknown("reduction axis out of range")
    return env.all_tops(bottom[:axis])


def argmax(env: Env) -> list[Shape | None]:
    """``ArgMaxLayer::Reshape``: with ``axis``, that axis becomes ``top_k``; without, (N,
    1 or 2, top_k) padded to at least 3 axes."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("argmax_param")
    if bottom is None:
        return env.unknown("input shape unknown")
    if p.HasField("axis"):
        axis = env.axis("argmax_param", "axis", bottom)
        if axis is None:
            return env.unknown("argmax axis out of range")
        shape = list(bottom)
        shape[axis] = p.top_k
        return env.all_tops(tuple(shape))
    dims: list[int | None] = [1] * max(len(bottom), 3)
    dims[0] = bottom[0]
    dims[2] = p.top_k
    if p.out_max_val:
        dims[1] = 2
    return env.all_tops(tuple(dims))


def batch_reindex(env: Env) -> list[Shape | None]:
    """``BatchReindexLayer::Reshape``: one row per index of bottom 1."""
    data = env.bottoms[0] if env.bottoms else None
    index = env.bottoms[1] if len(env.bottoms) > 1 else None
    if data is None or index is None or not data:
        return env.unknown("input shape unknown")
    return env.all_tops((count_of(index), *data[1:]))


def padding_v0(env: Env) -> list[Shape | None]:
    """V0 ``padding`` layers: ``UpgradeV0PaddingLayers`` folds ``pad`` into the next
    convolution, which sees the input padded by ``pad`` on each side."""
    bottom = env.bottoms[0] if env.bottoms else None
    if env.layer.syntax != "v0" or bottom is None or len(bottom) != 4:
        return env.unknown("input shape unknown")
    pad = env.layer.msg.layer.pad
    n, c, h, w = bottom
    return env.all_tops((n, c, None if h is None else h + 2 * pad,
                         None if w is None else w + 2 * pad))


def permute(env: Env) -> list[Shape | None]:
    """SSD's ``PermuteLayer::LayerSetUp`` / ``Reshape`` (weiliu89/caffe, only with a schema
    that has ``permute_param``): the written ``order``, then the remaining axes in order."""
    bottom = env.bottoms[0] if env.bottoms else None
    if not env.has("LayerParameter", "permute_param"):
        return env.unknown("layer type unknown to BVLC Caffe")
    if bottom is None:
        return env.unknown("input shape unknown")
    order = list(env.p("permute_param").order)
    if len(set(order)) != len(order) or any(i >= len(bottom) for i in order):
        return env.unknown("permute_param rejected")
    order += [i for i in range(len(bottom)) if i not in order]
    return env.all_tops(tuple(bottom[i] for i in order))


def normalize(env: Env) -> list[Shape | None]:
    """SSD's ``NormalizeLayer::Reshape`` (only with a schema that has ``norm_param``): the
    top is shaped like the bottom."""
    if not env.has("LayerParameter", "norm_param"):
        return env.unknown("layer type unknown to BVLC Caffe")
    return identity(env)


def no_tops(env: Env) -> list[Shape | None]:
    return [None] * len(env.layer.tops)

