"""Layers whose tops are their bottom's shape, or a re-arrangement of it: neurons, Softmax,
Flatten, Reshape, Crop, Tile, Reduction, ArgMax, BatchReindex, Permute, ..."""

from __future__ import annotations

from prototxt_lint.shapes.blobs import (
    Shape,
    count_of,
    format_shape,
    proto_blob_loads,
    proto_blob_shape,
)
from prototxt_lint.shapes.env import Env


def identity(env: Env) -> list[Shape | None]:
    """``NeuronLayer::Reshape`` (``top[0]->ReshapeLike(*bottom[0])``) and the other layers
    whose tops are shaped like their first bottom: Softmax, MVN, BatchNorm, Scale, Bias,
    Dropout, Split (every top), ..."""
    return env.all_tops(env.bottoms[0] if env.bottoms else None)


def prelu(env: Env) -> list[Shape | None]:
    """``PReLULayer::LayerSetUp`` (``src/caffe/layers/prelu_layer.cpp``): an input of 2 or
    more axes (the second is the channels), whose shape the top keeps."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is not None and len(bottom) < 2:
        rank = len(bottom)
        layer = env.layer
        env.fail("rank", layer.bottom_path(0),
                 f"PReLU layer '{layer.name}' learns a slope per channel (axis 1), but"
                 f" `{layer.bottoms[0]}` is {format_shape(bottom)} ({rank}"
                 f" ax{'is' if rank == 1 else 'es'}): Caffe aborts while setting the net up"
                 f' with "Check failed: bottom[0]->num_axes() >= 2 ({rank} vs. 2) Number of'
                 ' axes of bottom blob must be >=2."',
                 "give PReLU an input with a channel axis, or use ReLU/ELU")
        return env.unknown("PReLU needs 2 axes")
    if bottom is not None and len(bottom) <= 4 and not _prelu_slopes_fit(env, bottom):
        return env.unknown("written slopes rejected")
    return env.all_tops(bottom)


def _prelu_slopes_fit(env: Env, bottom: Shape) -> bool:
    """``PReLULayer::LayerSetUp``: the slopes (written in the prototxt as ``blobs``, else
    filled) are one value, or one per channel (kind ``blobs``, N426)."""
    layer = env.layer
    if layer.syntax != "v2" or not len(layer.msg.blobs):
        return True
    blob = layer.msg.blobs[0]
    if not proto_blob_loads(blob):
        return True  # Blob::FromProto fails first, in the layer's constructor
    count = count_of(proto_blob_shape(blob))
    shared = bool(env.p("prelu_param").channel_shared)
    want = 1 if shared else bottom[1]
    if want is None or count == want:
        return True
    check = (f"this->blobs_[0]->count() == 1 ({count} vs. 1)" if shared else
             f"this->blobs_[0]->count() == channels ({count} vs. {want})")
    env.fail("blobs", layer.at("blobs", 0),
             f"PReLU layer '{layer.name}' is given {count} slope{'s' if count != 1 else ''} in"
             f" the prototxt (`blobs`), but {'shares one' if shared else f'has {want} channels'}"
             f': Caffe aborts while setting the net up with "Check failed: {check} Negative'
             ' slope size is inconsistent with prototxt config"',
             f"give {want} slope value{'s' if want != 1 else ''}, or drop the written `blobs`")
    return False


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
    dims = [int(d) for d in p.shape.dim]
    copy_axes = [i for i, d in enumerate(dims) if d == 0]
    inferred = [i for i, d in enumerate(dims) if d == -1]
    if len(inferred) > 1:
        env.fail(
            "reshape",
            env.layer.at("reshape_param", "shape", "dim", inferred[1]),
            f"Reshape layer '{env.layer.name}': `shape` has {len(inferred)} dims of -1:"
            ' Caffe aborts while setting the net up with "Check failed: inferred_axis_ =='
            f' -1 ({inferred[0]} vs. -1) new shape contains multiple -1 dims; at most a'
            ' single (1) value of -1 may be specified"',
            "keep one -1 (the dimension to infer) and write the others, or 0 to copy the"
            " input's",
        )
        return env.unknown("reshape failed")
    if bottom is None:
        return env.unknown("input shape unknown")
    if any(d < -1 for d in dims):
        return env.unknown("reshape_param rejected by Caffe")
    constant = 1
    for d in dims:
        if d > 0:
            constant *= d
    rank = len(bottom)
    start = p.axis if p.axis >= 0 else rank + p.axis + 1
    end = rank if p.num_axes == -1 else start + p.num_axes
    check = _reshape_axes(start, end, rank, p.axis, p.num_axes)
    if check is not None:
        field, text, hint = check
        env.fail("axis", env.layer.at("reshape_param", field),
                 f"Reshape layer '{env.layer.name}': axis {p.axis} with num_axes"
                 f" {p.num_axes} does not fit `{env.layer.bottoms[0]}` ({format_shape(bottom)},"
                 f" {rank} ax{'is' if rank == 1 else 'es'}): Caffe aborts while setting the net up"
                 f' with "Check failed: {text}"', hint)
        return env.unknown("reshape failed")
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


def _reshape_axes(start: int, end: int, rank: int, axis: int, num_axes: int
                  ) -> tuple[str, str, str] | None:
    """The first of ``ReshapeLayer::Reshape``'s checks of ``axis`` and ``num_axes`` that
    fails on a ``rank``-D input (kind ``axis``, N410): (field, the check, hint)."""
    span = f"from {-rank - 1} to {rank}"
    if start < 0:
        return "axis", f"start_axis >= 0 ({start} vs. 0) axis {axis} out of range", (
            f"use an axis {span} (-1 is after the last axis)")
    if start > rank:
        return "axis", (f"start_axis <= bottom[0]->num_axes() ({start} vs. {rank}) axis"
                        f" {axis} out of range for {rank}-D input blob"), (
            f"use an axis {span} (-1 is after the last axis)")
    if num_axes < -1:
        return "num_axes", (f"num_axes >= -1 ({num_axes} vs. -1) num_axes must be >= 0, or"
                            " -1 for all"), "use -1 to replace every axis from `axis` on"
    if end > rank:
        return "num_axes", (f"end_axis <= bottom[0]->num_axes() ({end} vs. {rank}) end_axis"
                            " = axis + num_axes is out of range"), (
            f"use a num_axes of at most {rank - start} here, or -1 for all the rest")
    return None


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
    if start is None:
        return env.unknown("crop_param rejected by Caffe")
    if len(offsets) > 1 and start + len(offsets) != rank:
        env.fail(
            "crop",
            env.layer.at("crop_param", "offset", 0),
            f"Crop layer '{env.layer.name}': {len(offsets)} `offset`s from axis {start} of"
            f" `{env.layer.bottoms[0]}` ({format_shape(big)}, {rank} axes), which has"
            f" {rank - start} ax{'is' if rank - start == 1 else 'es'} from there: Caffe aborts"
            ' while setting the net up with "Check failed: start_axis + param.offset_size()'
            f" == input_dim ({start + len(offsets)} vs. {rank}) number of offset values"
            ' specified must be equal to the number of dimensions following axis."',
            f"give one offset for all the cropped axes, or {rank - start} (one per axis from"
            f" axis {start} on)",
        )
        return env.unknown("crop failed")
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
    if bottom is None or p.top_k < 1:  # top_k 0: N342
        return env.unknown("input shape unknown")
    if p.HasField("axis"):
        axis = env.axis("argmax_param", "axis", bottom)
        if axis is None:
            return env.unknown("argmax axis out of range")
        if bottom[axis] is not None and p.top_k > bottom[axis]:
            env.fail("argmax", env.layer.at("argmax_param", "top_k"),
                     f"ArgMax layer '{env.layer.name}': `top_k: {p.top_k}` is more than the"
                     f" {bottom[axis]} entries of axis {axis} of `{env.layer.bottoms[0]}`"
                     f' ({format_shape(bottom)}): Caffe aborts while setting the net up with'
                     f' "Check failed: top_k_ <= bottom[0]->shape(axis_) ({p.top_k} vs.'
                     f' {bottom[axis]}) top_k must be less than or equal to the dimension of'
                     ' the axis."', f"use a top_k of at most {bottom[axis]}")
            return env.unknown("argmax failed")
        shape = list(bottom)
        shape[axis] = p.top_k
        return env.all_tops(tuple(shape))
    per_item = count_of(bottom, 1)
    if per_item is not None and p.top_k > per_item:
        env.fail("argmax", env.layer.at("argmax_param", "top_k"),
                 f"ArgMax layer '{env.layer.name}': `top_k: {p.top_k}` is more than the"
                 f" {per_item} values per item of `{env.layer.bottoms[0]}`"
                 f' ({format_shape(bottom)}): Caffe aborts while setting the net up with'
                 f' "Check failed: top_k_ <= bottom[0]->count(1) ({p.top_k} vs. {per_item})'
                 ' top_k must be less than or equal to the dimension of the flattened bottom'
                 ' blob per instance."', f"use a top_k of at most {per_item}")
        return env.unknown("argmax failed")
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
    if index is not None and len(index) != 1:
        layer = env.layer
        env.fail("rank", layer.bottom_path(1),
                 f"BatchReindex layer '{layer.name}' takes a 1-D list of indices as its second"
                 f" bottom, but `{layer.bottoms[1]}` is {format_shape(index)} ({len(index)}"
                 f" ax{'is' if len(index) == 1 else 'es'}): Caffe aborts while setting the net"
                 f' up with "Check failed: 1 == bottom[1]->num_axes() (1 vs. {len(index)})"',
                 "flatten the indices to one axis (a Reshape with `dim: -1`)")
        return env.unknown("BatchReindex failed")
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

