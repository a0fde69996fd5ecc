"""Blob shapes per phase, computed the way Caffe computes them while it builds a net.

``Net::Init`` (``src/caffe/net.cpp``) sets layers up in file order; each layer's ``LayerSetUp``
and ``Reshape`` give its tops their shapes from its bottoms' and its parameters. This module
repeats that arithmetic for every layer type whose ``Reshape`` is known (BVLC master, commit
9b891540; each handler names the C++ function it follows), per phase, without running
anything. Dimensions that cannot be known from the file (the channels of an LMDB, the size of
the images an ImageData layer reads without resizing) are ``None`` and stay ``None`` through
every layer, so they never lead to a finding. Python layers, fork layers and types BVLC does
not register make their tops fully unknown (rank unknown).

Where Caffe's set-up would fail a ``CHECK`` (a kernel larger than its padded input, concat
inputs of different sizes, ...) the layer records a :class:`Failure` with the message Caffe
prints; the rules in ``rules/shape_checks.py`` report them. A failed layer's tops are unknown
downstream, so one mistake gives one finding, not a cascade.

Public API: :func:`infer_shapes` (phase -> blob -> shape; the language server's hover uses it)
and :func:`net_shapes` (per-layer shapes with failures and weight shapes, cached per context).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from prototxt_lint.model import LayerView, NetContext, PhaseNet, written
from prototxt_lint.parser import Path
from prototxt_lint.records import Record
from prototxt_lint.schema import bvlc_schema

#: A blob shape; ``None`` for a dimension that cannot be known statically.
Shape = tuple[int | None, ...]

#: Caffe's ``kMaxBlobAxes`` (``include/caffe/blob.hpp``).
MAX_BLOB_AXES = 32


class Failure(Record):
    """A ``CHECK`` that Caffe would fail while setting up or reshaping a layer."""

    __slots__ = ("at", "hint", "kind", "message")

    def __init__(
        self,
        kind: str,  # conv-output, pool-output, concat, eltwise, reshape, label-count, group, ...
        at: Path,  # where the finding points
        message: str,
        hint: str,
    ) -> None:
        self.kind = kind
        self.at = at
        self.message = message
        self.hint = hint


class LayerShapes:
    """One layer of one phase: the shapes it reads and makes."""

    # one per layer and phase: slotted, a third of the size of an instance with a __dict__
    __slots__ = ("bottoms", "failures", "layer", "note", "tops", "weight")

    def __init__(self, layer: LayerView, bottoms: list[Shape | None]) -> None:
        self.layer = layer
        self.bottoms = bottoms  # None: rank unknown (or the blob does not exist)
        self.tops: list[Shape | None] = []  # as Caffe computes them
        self.failures: list[Failure] = []
        #: ``blobs_[0]`` of Convolution / Deconvolution / InnerProduct / Embed, as
        #: ``LayerSetUp`` shapes it (``None`` dims when the input is unknown).
        self.weight: Shape | None = None
        #: Why the tops are unknown, for the ``shapes`` table ("" when they are known).
        self.note = ""

    def __repr__(self) -> str:
        return f"LayerShapes({self.layer.name!r}, {self.bottoms} -> {self.tops})"

    @property
    def fan_in(self) -> int | None:
        """``blob->count() / blob->shape(0)``: the fan-in ``XavierFiller`` and ``MSRAFiller``
        use (``include/caffe/filler.hpp``), or None when unknown."""
        if not self.weight or any(d is None for d in self.weight) or not self.weight[0]:
            return None
        return _count(self.weight) // self.weight[0]  # type: ignore[operator]


class PhaseShapes:
    """Every layer of one phase with its shapes, and the final shape of each blob."""

    def __init__(
        self, phase: PhaseNet, layers: list[LayerShapes], blobs: dict[str, Shape | None]
    ) -> None:
        self.phase = phase
        self.layers = layers
        self.blobs = blobs
        self._index: dict[int, LayerShapes] = {}  # id(layer view) -> its shapes, built lazily
        self._indexed = 0  # how many of ``layers`` are in the index

    def __repr__(self) -> str:
        return f"PhaseShapes({self.phase.name!r}, <{len(self.layers)} layers>)"

    def of(self, layer: LayerView) -> LayerShapes | None:
        """The shapes of ``layer`` in this phase (a dict lookup: rules ask it for every layer,
        and a scan of the list made a lint quadratic in the net's size)."""
        if self._indexed != len(self.layers):
            self._index = {}
            for shapes in self.layers:
                self._index.setdefault(id(shapes.layer), shapes)  # the first, as a scan finds
            self._indexed = len(self.layers)
        found = self._index.get(id(layer))
        return found if found is not None and found.layer is layer else None


# --- small helpers -------------------------------------------------------------------------


def _count(shape: Sequence[int | None], start: int = 0, end: int | None = None) -> int | None:
    """``Blob::count(start, end)``: the product of the dims, None if one is unknown."""
    total = 1
    for dim in shape[start:end]:
        if dim is None:
            return None
        total *= dim
    return total


def _canonical(axis: int, rank: int) -> int | None:
    """``Blob::CanonicalAxisIndex``; None where Caffe's CHECK would fail."""
    if -rank <= axis < rank:
        return axis + rank if axis < 0 else axis
    return None


def _cdiv(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero, unlike Python's ``//``)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def shape_string(shape: Shape) -> str:
    """``Blob::shape_string``: ``"1 64 56 56 (200704)"``, with ``?`` for unknown dims."""
    count = _count(shape)
    dims = "".join(f"{'?' if d is None else d} " for d in shape)
    return f"{dims}({'?' if count is None else count})"


def format_shape(shape: Shape | None) -> str:
    """``10x3x224x224`` (``?`` for an unknown dim), ``scalar`` for a 0-axis blob (a loss),
    ``?`` when even the number of axes is unknown."""
    if shape is None:
        return "?"
    if not shape:
        return "scalar"
    return "x".join("?" if d is None else str(d) for d in shape)


def _blank(shape: Shape | None) -> Shape | None:
    """The same rank with every dimension unknown (what a failed layer passes on)."""
    return None if shape is None else tuple(None for _ in shape)


def _blob_dims(blob_shape: Any) -> Shape:
    """A written ``BlobShape``; a negative dim (which ``Blob::Reshape`` refuses, e.g. a -1
    batch copied from another framework) is left unknown rather than computed with."""
    return tuple(int(d) if d >= 0 else None for d in blob_shape.dim)


def _param(layer: LayerView, name: str, schema: Any) -> Any:
    """The layer's ``name`` parameter message with Caffe's defaults where not written. V0
    layers keep their parameters flat; they are mapped the way ``UpgradeV0LayerParameter``
    (``src/caffe/util/upgrade_proto.cpp``) maps them."""
    # a BVLC field the fork lacks (given back for the engine, see Schema.absent) is not the
    # fork's: HED's Crop has no crop_param, and crops otherwise
    if (layer.msg.DESCRIPTOR.full_name, name) in schema.absent:
        return None
    if layer.syntax != "v0" and name in layer.msg.DESCRIPTOR.fields_by_name:
        return _Defaults.wrap(getattr(layer.msg, name))
    found = _v0_param(layer.msg.layer, name, schema) if layer.syntax == "v0" else None
    if found is None:  # not in this syntax: Caffe's defaults
        fields = schema.descriptor("LayerParameter").fields_by_name
        if name in fields and fields[name].message_type is not None:
            found = schema.message_class(fields[name].message_type.name)()
    return None if found is None else _Defaults.wrap(found)


class _Defaults:
    """A parameter message whose fields missing from the schema in use (an older fork's: no
    ``dilation``, no ``transpose``, no ``axis``) read as BVLC's defaults, which is how that
    older Caffe behaves: the feature did not exist yet."""

    def __init__(self, msg: Any, fallback: Any) -> None:
        self._msg = msg
        self._fallback = fallback
        self._fields = msg.DESCRIPTOR.fields_by_name

    @staticmethod
    def wrap(msg: Any) -> Any:
        bvlc = bvlc_schema()
        name = msg.DESCRIPTOR.name
        if msg.DESCRIPTOR.file is bvlc.file or not bvlc.has_message(name):
            return msg
        return _Defaults(msg, bvlc.message_class(name)())

    def __getattr__(self, name: str) -> Any:
        if name in self._fields or name not in self._fallback.DESCRIPTOR.fields_by_name:
            return getattr(self._msg, name)  # a field of the schema in use, or a method
        return getattr(self._fallback, name)

    def HasField(self, name: str) -> bool:  # protobuf's name
        return name in self._fields and bool(self._msg.HasField(name))


def _v0_param(v0: Any, name: str, schema: Any) -> Any:
    type_name = {
        "convolution_param": "ConvolutionParameter",
        "pooling_param": "PoolingParameter",
        "inner_product_param": "InnerProductParameter",
        "concat_param": "ConcatParameter",
        "data_param": "DataParameter",
        "image_data_param": "ImageDataParameter",
        "window_data_param": "WindowDataParameter",
        "transform_param": "TransformationParameter",
    }.get(name)
    if type_name is None or not schema.has_message(type_name):
        return None
    param = schema.message_class(type_name)()
    if name == "convolution_param":
        if v0.HasField("num_output"):
            param.num_output = v0.num_output
        param.bias_term = v0.biasterm
        for name_v2, name_v0 in (("kernel_size", "kernelsize"), ("pad", "pad"),
                                 ("stride", "stride")):
            if v0.HasField(name_v0):
                if isinstance(getattr(param, name_v2), int):  # an old schema: one value
                    setattr(param, name_v2, getattr(v0, name_v0))
                else:
                    getattr(param, name_v2).append(getattr(v0, name_v0))
        param.group = v0.group
        if v0.HasField("weight_filler"):
            param.weight_filler.CopyFrom(v0.weight_filler)
        if v0.HasField("bias_filler"):
            param.bias_filler.CopyFrom(v0.bias_filler)
    elif name == "pooling_param":
        if v0.HasField("kernelsize"):
            param.kernel_size = v0.kernelsize
        param.stride = v0.stride
        param.pad = v0.pad
        param.pool = v0.pool
    elif name == "inner_product_param":
        if v0.HasField("num_output"):
            param.num_output = v0.num_output
        param.bias_term = v0.biasterm
        if v0.HasField("weight_filler"):
            param.weight_filler.CopyFrom(v0.weight_filler)
        if v0.HasField("bias_filler"):
            param.bias_filler.CopyFrom(v0.bias_filler)
    elif name == "concat_param":
        if v0.HasField("concat_dim"):
            param.concat_dim = v0.concat_dim
    elif name in ("data_param", "image_data_param", "window_data_param"):
        if v0.HasField("batchsize"):
            param.batch_size = v0.batchsize
        if name == "image_data_param":
            param.new_height = max(v0.new_height, 0)
            param.new_width = max(v0.new_width, 0)
    elif name == "transform_param":
        param.crop_size = v0.cropsize
    return param


def param(layer: LayerView, name: str, ctx: NetContext) -> Any:
    """Public form of the parameter accessor (fillers use it for V0 layers too)."""
    return _param(layer, name, ctx.schema)


# --- the per-layer computations ------------------------------------------------------------


class _NotThisLayer(Exception):
    """The schema in use has no such parameter for this layer: not BVLC's layer."""


class _Env:
    """What a handler needs: the layer, its bottoms' shapes, and where to record results."""

    def __init__(self, ctx: NetContext, out: LayerShapes) -> None:
        self.ctx = ctx
        self.out = out
        self.layer = out.layer

    @property
    def bottoms(self) -> list[Shape | None]:
        return self.out.bottoms

    def p(self, name: str) -> Any:
        found = _param(self.layer, name, self.ctx.schema)
        if found is None:  # a fork's layer of the same name, with other parameters
            raise _NotThisLayer(name)
        return found

    def has(self, message: str, name: str) -> bool:
        return bool(self.ctx.schema.has_field(message, name))

    def fail(self, kind: str, at: Path, message: str, hint: str) -> None:
        self.out.failures.append(Failure(kind, at, message, hint))

    def axis(self, param_name: str, field: str, shape: Shape, bottom: int = 0) -> int | None:
        """``Blob::CanonicalAxisIndex`` of the parameter ``field`` on the input ``shape``
        (``include/caffe/blob.hpp``); where its ``CHECK`` fails, the failure is recorded
        (kind ``axis``, N410) and None returned."""
        value = int(getattr(self.p(param_name), field))
        found = _canonical(value, len(shape))
        if found is not None:
            return found
        rank = len(shape)
        layer = self.layer
        check = (f"axis_index >= -num_axes() ({value} vs. {-rank})" if value < -rank
                 else f"axis_index < num_axes() ({value} vs. {rank})")
        known = all(d is not None for d in shape)
        tail = f" with shape {shape_string(shape)}" if known else ""
        name = layer.bottoms[bottom] if bottom < len(layer.bottoms) else "its input"
        self.fail(
            "axis",
            _at(layer, param_name, field),
            f"{layer.type} layer '{layer.name}': `{field}: {value}` is not an axis of"
            f" `{name}` ({format_shape(shape)}, {rank} ax{'is' if rank == 1 else 'es'}):"
            f' Caffe aborts while setting the net up with "Check failed: {check} axis'
            f' {value} out of range for {rank}-D Blob{tail}"',
            f"use an axis from {-rank} to {rank - 1}" if rank else
            "this input is a scalar: it has no axis to pick",
        )
        return None

    def unknown(self, note: str) -> list[Shape | None]:
        self.out.note = self.out.note or note
        return [None] * len(self.layer.tops)

    def all_tops(self, shape: Shape | None) -> list[Shape | None]:
        return [shape] * len(self.layer.tops)


Handler = Callable[[_Env], list[Shape | None]]


def _identity(env: _Env) -> list[Shape | None]:
    """``NeuronLayer::Reshape`` (``top[0]->ReshapeLike(*bottom[0])``) and the other layers
    whose tops are shaped like their first bottom: Softmax, LRN, MVN, BatchNorm, Scale, Bias,
    Dropout, Split (every top), ..."""
    return env.all_tops(env.bottoms[0] if env.bottoms else None)


def _softmax(env: _Env) -> list[Shape | None]:
    """``SoftmaxLayer::Reshape``: the input's shape; the softmax axis must be one of its
    axes."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is not None and env.axis("softmax_param", "axis", bottom) is None:
        return env.unknown("softmax axis out of range")
    return env.all_tops(bottom)


def _input_layer(env: _Env) -> list[Shape | None]:
    """``InputLayer::LayerSetUp``: one ``shape`` for every top, or one per top."""
    shapes = list(env.p("input_param").shape)
    tops = len(env.layer.tops)
    if not shapes or len(shapes) not in (1, tops):
        return env.unknown("no input shape")
    return [_blob_dims(shapes[0 if len(shapes) == 1 else i]) for i in range(tops)]


def _dummy_data(env: _Env) -> list[Shape | None]:
    """``DummyDataLayer::LayerSetUp``: ``shape`` (one, or one per top) or the legacy
    ``num``/``channels``/``height``/``width`` lists."""
    p = env.p("dummy_data_param")
    tops = len(env.layer.tops)
    legacy = [list(p.num), list(p.channels), list(p.height), list(p.width)]
    if any(legacy):
        if p.shape or any(len(v) not in (1, tops) for v in legacy):
            return env.unknown("dummy_data_param does not fit the tops")
        return [tuple(v[0 if len(v) == 1 else i] for v in legacy) for i in range(tops)]
    shapes = list(p.shape)
    if len(shapes) not in (1, tops):
        return env.unknown("dummy_data_param does not fit the tops")
    return [_blob_dims(shapes[0 if len(shapes) == 1 else i]) for i in range(tops)]


def _memory_data(env: _Env) -> list[Shape | None]:
    """``MemoryDataLayer::DataLayerSetUp``: (batch_size, channels, height, width) and a
    label of shape (batch_size)."""
    p = env.p("memory_data_param")
    dims = (p.batch_size, p.channels, p.height, p.width)
    if not all(dims):
        return env.unknown("memory_data_param incomplete")
    return [dims, (p.batch_size,)]


def _crop_size(env: _Env, old: str) -> int:
    """``transform_param.crop_size``; V1/V0 files may still carry it in the data layer's own
    parameter, which ``UpgradeNetDataTransformation`` moves there."""
    crop = int(env.p("transform_param").crop_size)
    if not crop and env.layer.syntax in ("v1", "v0"):
        old_param = env.p(old)
        crop = int(getattr(old_param, "crop_size", 0) or 0)
    return crop


def _data_tops(env: _Env, batch: int, image: Shape) -> list[Shape | None]:
    b: int | None = batch or None
    tops: list[Shape | None] = [(b, *image)]
    if len(env.layer.tops) > 1:
        tops.append((b,))  # vector<int> label_shape(1, batch_size)
    return tops + [None] * (len(env.layer.tops) - len(tops))


def _data(env: _Env) -> list[Shape | None]:
    """``DataLayer::DataLayerSetUp``: ``DataTransformer::InferBlobShape`` of the first datum
    with ``top_shape[0] = batch_size``; channels and size come from the database (unknown
    here) unless ``crop_size`` fixes the size."""
    crop = _crop_size(env, "data_param") or None
    return _data_tops(env, int(env.p("data_param").batch_size), (None, crop, crop))


def _image_data(env: _Env) -> list[Shape | None]:
    """``ImageDataLayer::DataLayerSetUp``: images are read with ``is_color`` (3 channels,
    else 1), resized to ``new_height`` x ``new_width`` when both are set, then cropped."""
    p = env.p("image_data_param")
    crop = _crop_size(env, "image_data_param")
    channels = 3 if p.is_color else 1
    if crop:
        size: tuple[int | None, int | None] = (crop, crop)
    elif p.new_height > 0 and p.new_width > 0:
        size = (p.new_height, p.new_width)
    else:
        size = (None, None)
    return _data_tops(env, int(p.batch_size), (channels, *size))


def _window_data(env: _Env) -> list[Shape | None]:
    """``WindowDataLayer::DataLayerSetUp``: (batch_size, channels, crop_size, crop_size)."""
    crop = _crop_size(env, "window_data_param") or None
    return _data_tops(env, int(env.p("window_data_param").batch_size), (None, crop, crop))


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


def _conv_geometry(env: _Env, bottom: Shape) -> _ConvGeometry | None:
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


def _blob_reshape_failure(dims: Sequence[int | None]) -> str | None:
    """What ``Blob::Reshape`` (``src/caffe/blob.cpp``) and the first use of a 0-sized blob
    say about these dims: the first negative one fails ``CHECK_GE(shape[i], 0)``; a 0 makes
    an empty blob whose data pointer is never allocated (``Check failed: data_``)."""
    for dim in dims:
        if dim is not None and dim < 0:
            return f'"Check failed: shape[i] >= 0 ({dim} vs. 0)"'
    if any(dim == 0 for dim in dims):
        return '"Check failed: data_"'
    return None


def _convolution(env: _Env) -> list[Shape | None]:
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
    if any(b is not None and b != bottom for b in env.bottoms[1:]):
        return env.unknown("inputs of different shapes")
    spatial: list[int | None] = []
    for i, size in enumerate(bottom[geo.channel_axis + 1 :]):
        ext = geo.dilation[i] * (geo.kernel[i] - 1) + 1
        if size is None:
            spatial.append(None)
        elif deconv:
            spatial.append(geo.stride[i] * (size - 1) + ext - 2 * geo.pad[i])
        else:
            spatial.append(_cdiv(size + 2 * geo.pad[i] - ext, geo.stride[i]) + 1)
    top = (*bottom[: geo.channel_axis], p.num_output, *spatial)
    failure = _blob_reshape_failure(spatial)
    if failure is not None:
        _conv_output_failure(env, geo, bottom, spatial, failure, deconv)
    return env.all_tops(top)


def _conv_output_failure(
    env: _Env,
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
            at = _at(env.layer, "convolution_param", ("pad_h", "pad_w")[i])
        elif isinstance(p.pad, int):
            at = _at(env.layer, "convolution_param", "pad")
        else:
            at = _at(env.layer, "convolution_param", "pad", i if len(pads) > 1 else 0)
    elif geo.kernel_field == "kernel_h":
        at = _at(env.layer, "convolution_param", ("kernel_h", "kernel_w")[i])
    elif isinstance(p.kernel_size, int):
        at = _at(env.layer, "convolution_param", "kernel_size")
    else:
        at = _at(env.layer, "convolution_param", "kernel_size",
                 i if len(p.kernel_size) > 1 else 0)
    hint = ("lower stride or kernel, or add pad" if deconv else
            "make the kernel smaller, pad the input, or give the net a larger input")
    env.fail("conv-output", at,
             f"`{env.layer.name}` on input {format_shape(bottom)}: {what}; {effect}", hint)


#: V0 names of the fields the findings point at (``UpgradeV0LayerParameter``).
_V0_FIELDS = {"kernel_size": "kernelsize", "group": "group", "num_output": "num_output",
              "weight_filler": "weight_filler", "bias_filler": "bias_filler"}


def _at(layer: LayerView, param_name: str, *rest: str | int) -> Path:
    """Path of a parameter field; for V0 layers, of its flat V0 counterpart."""
    if layer.syntax == "v0":
        v0_name = _V0_FIELDS.get(str(rest[0])) if rest else None
        return layer.at("layer", v0_name) if v0_name else layer.at("layer")
    return layer.at(param_name, *rest)


def _group_checks(env: _Env, p: Any, channels: int | None) -> bool:
    """The group CHECKs of ``BaseConvolutionLayer::LayerSetUp``, in its order:
    ``CHECK_EQ(channels_ % group_, 0)`` (needs the input channels), then
    ``CHECK_EQ(num_output_ % group_, 0)``. Returns False when one fails."""
    layer = env.layer
    group = p.group
    at = _at(layer, "convolution_param", "group")
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


def _ceil_rounding(env: _Env, p: Any) -> bool:
    """CEIL unless ``round_mode: FLOOR`` (or a fork's ``ceil_mode: false``)."""
    if env.has("PoolingParameter", "round_mode") and p.HasField("round_mode"):
        enum = p.DESCRIPTOR.fields_by_name["round_mode"].enum_type
        return bool(enum.values_by_number[p.round_mode].name != "FLOOR")
    if env.has("PoolingParameter", "ceil_mode") and p.HasField("ceil_mode"):
        return bool(p.ceil_mode)
    return True


def _pooling(env: _Env) -> list[Shape | None]:
    """``PoolingLayer::LayerSetUp`` and ``PoolingLayer::Reshape``
    (``src/caffe/layers/pooling_layer.cpp``): ``pooled = ceil((in + 2*pad - kernel) /
    stride) + 1`` (``floor`` with ``round_mode: FLOOR``), then, when there is padding, one
    window less if the last one would start in the padding (``(pooled-1)*stride >= in +
    pad``). Global pooling uses the whole input as kernel."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("pooling_param")
    if bottom is None:
        return env.unknown("input shape unknown")
    if len(bottom) != 4:
        return env.unknown("Pooling needs 4 axes")
    n, c, h, w = bottom
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
    failure = _blob_reshape_failure(pooled)
    if failure is not None:
        _pool_output_failure(env, p, bottom, kernel, stride, pad, pooled, failure)
    tops: list[Shape | None] = [top]
    return tops + [top] * (len(env.layer.tops) - 1)  # top[1] (the mask) is shaped alike


def _pool_output_failure(
    env: _Env,
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
        at = _at(env.layer, "pooling_param", "kernel_size")
    else:
        at = _at(env.layer, "pooling_param", ("kernel_h", "kernel_w")[i])
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


def _inner_product(env: _Env) -> list[Shape | None]:
    """``InnerProductLayer::LayerSetUp`` / ``Reshape``: the dims from ``axis`` on are
    flattened into K; the top is ``bottom.shape[:axis] + [num_output]``."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("inner_product_param")
    if bottom is None:
        return env.unknown("input shape unknown")
    axis = env.axis("inner_product_param", "axis", bottom)
    if axis is None or p.num_output <= 0:
        return env.unknown("inner_product_param rejected by Caffe")
    k = _count(bottom, axis)
    env.out.weight = (k, p.num_output) if p.transpose else (p.num_output, k)
    return env.all_tops((*bottom[:axis], p.num_output))


def _embed(env: _Env) -> list[Shape | None]:
    """``EmbedLayer::Reshape``: the bottom's shape with ``num_output`` appended."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("embed_param")
    if bottom is None or p.num_output <= 0:
        return env.unknown("input shape unknown")
    env.out.weight = (p.input_dim, p.num_output)
    return env.all_tops((*bottom, p.num_output))


def _concat(env: _Env) -> list[Shape | None]:
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


def _eltwise(env: _Env) -> list[Shape | None]:
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


def _slice(env: _Env) -> list[Shape | None]:
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


def _flatten(env: _Env) -> list[Shape | None]:
    """``FlattenLayer::Reshape``: axes ``axis`` .. ``end_axis`` become one."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is None:
        return env.unknown("input shape unknown")
    start = env.axis("flatten_param", "axis", bottom)
    end = None if start is None else env.axis("flatten_param", "end_axis", bottom)
    if start is None or end is None:
        return env.unknown("flatten axes out of range")
    return env.all_tops((*bottom[:start], _count(bottom, start, end + 1), *bottom[end + 1 :]))


def _reshape(env: _Env) -> list[Shape | None]:
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
    total = _count(bottom)
    if inferred:
        explicit: int | None = constant
        for part in (_count(bottom, 0, start), _count(bottom, end),
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
    new_count = _count(top)
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


def _crop(env: _Env) -> list[Shape | None]:
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


def _loss(env: _Env) -> list[Shape | None]:
    """``LossLayer::Reshape`` (``src/caffe/layers/loss_layer.cpp``): data and label share
    their first dimension; the loss is a scalar (0 axes). ``SoftmaxWithLossLayer::Reshape``,
    ``EuclideanLossLayer::Reshape`` and ``SigmoidCrossEntropyLossLayer::Reshape`` add their
    own count checks."""
    layer = env.layer
    pred = env.bottoms[0] if env.bottoms else None
    label = env.bottoms[1] if len(env.bottoms) > 1 else None
    tops: list[Shape | None] = [()]
    if layer.type == "SoftmaxWithLoss" and len(layer.tops) > 1:
        tops.append(pred)
    tops += [None] * (len(layer.tops) - len(tops))
    if pred is None or label is None or not pred or not label:
        return tops[: len(layer.tops)]
    at = layer.bottom_path(1)
    names = f"`{layer.bottoms[0]}` ({format_shape(pred)}) and `{layer.bottoms[1]}`" \
        f" ({format_shape(label)})"
    if pred[0] is not None and label[0] is not None and pred[0] != label[0]:
        env.fail(
            "label-count",
            at,
            f"`{layer.name}` gets {names} with different first (batch) dimensions: Caffe"
            " aborts while setting the net up with \"Check failed: bottom[0]->shape(0) =="
            f" bottom[1]->shape(0) ({pred[0]} vs. {label[0]}) The data and label should have"
            ' the same first dimension."',
            "feed the prediction and the label of the same batch",
        )
        return tops[: len(layer.tops)]
    if layer.type == "SoftmaxWithLoss":
        axis = env.axis("softmax_param", "axis", pred)
        if axis is not None:
            _label_count(env, pred, label, axis, "softmax", "outer_num_ * inner_num_")
    elif layer.type == "EuclideanLoss":
        a, b = _count(pred, 1), _count(label, 1)
        if a is not None and b is not None and a != b:
            env.fail(
                "label-count",
                at,
                f"`{layer.name}` compares {names}, which have different sizes per sample ({a}"
                f" vs. {b}): Caffe aborts while setting the net up with \"Check failed:"
                f' bottom[0]->count(1) == bottom[1]->count(1) ({a} vs. {b}) Inputs must have'
                ' the same dimension."',
                "give the prediction as many outputs per sample as the target has values",
            )
    elif layer.type == "SigmoidCrossEntropyLoss":
        a, b = _count(pred), _count(label)
        if a is not None and b is not None and a != b:
            env.fail(
                "label-count",
                at,
                f"`{layer.name}` gets {names}, which have different counts ({a} vs. {b}):"
                " Caffe aborts while setting the net up with \"Check failed:"
                f" bottom[0]->count() == bottom[1]->count() ({a} vs. {b})"
                ' SIGMOID_CROSS_ENTROPY_LOSS layer inputs must have the same count."',
                "give the prediction one output per target value",
            )
    return tops[: len(layer.tops)]


def _label_count(env: _Env, pred: Shape, label: Shape, axis: int, word: str,
                 lhs: str) -> bool:
    """The label-count CHECK of ``SoftmaxWithLossLayer::Reshape`` and
    ``AccuracyLayer::Reshape``: ``outer_num_ * inner_num_ == bottom[1]->count()``."""
    outer, inner, count = _count(pred, 0, axis), _count(pred, axis + 1), _count(label)
    if outer is None or inner is None or count is None or outer * inner == count:
        return True
    layer = env.layer
    env.fail(
        "label-count",
        layer.bottom_path(1),
        f"`{layer.name}` gets {outer * inner} predictions (`{layer.bottoms[0]}`"
        f" {format_shape(pred)}, classes on axis {axis}) but {count} labels (`"
        f"{layer.bottoms[1]}` {format_shape(label)}): Caffe aborts while setting the net"
        f' up with "Check failed: {lhs} == bottom[1]->count() ({outer * inner} vs.'
        f' {count}) Number of labels must match number of predictions; e.g., if {word}'
        " axis == 1 and prediction shape is (N, C, H, W), label count (number of labels)"
        ' must be N*H*W, with integer values in {0, 1, ..., C-1}."',
        "the prediction needs one vector of class scores per label: check num_output and"
        f" the {word} axis, and that the label blob holds one class index per sample",
    )
    return False


def _accuracy(env: _Env) -> list[Shape | None]:
    """``AccuracyLayer::Reshape``: ``top_k`` at most the classes, one label per prediction;
    the accuracy is a scalar, the optional per-class accuracy a vector."""
    pred = env.bottoms[0] if env.bottoms else None
    label = env.bottoms[1] if len(env.bottoms) > 1 else None
    p = env.p("accuracy_param")
    tops: list[Shape | None] = [()]
    axis = None if pred is None else env.axis("accuracy_param", "axis", pred)
    if len(env.layer.tops) > 1:
        tops.append(None if pred is None or axis is None else (pred[axis],))
    if pred is None or label is None or axis is None:
        return tops
    total, count = _count(pred), _count(label)
    if total is not None and count and p.top_k > total // count:
        env.fail(
            "label-count",
            env.layer.bottom_path(1),
            f"`{env.layer.name}` has `top_k: {p.top_k}` but {total // count} predictions per"
            f" label (`{env.layer.bottoms[0]}` {format_shape(pred)}, `{env.layer.bottoms[1]}`"
            f" {format_shape(label)}): Caffe aborts while setting the net up with \"Check"
            f" failed: top_k_ <= bottom[0]->count() / bottom[1]->count() ({p.top_k} vs."
            f' {total // count}) top_k must be less than or equal to the number of classes."',
            "use a top_k no larger than the number of classes, and one label per sample",
        )
        return tops
    _label_count(env, pred, label, axis, "label", "outer_num_ * inner_num_")
    return tops


def _argmax(env: _Env) -> list[Shape | None]:
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


def _tile(env: _Env) -> list[Shape | None]:
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


def _reduction(env: _Env) -> list[Shape | None]:
    """``ReductionLayer::Reshape``: the axes before ``axis`` are kept."""
    bottom = env.bottoms[0] if env.bottoms else None
    if bottom is None:
        return env.unknown("input shape unknown")
    axis = env.axis("reduction_param", "axis", bottom)
    if axis is None:
        return env.unknown("reduction axis out of range")
    return env.all_tops(bottom[:axis])


def _im2col(env: _Env) -> list[Shape | None]:
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
                       _cdiv(size + 2 * geo.pad[i] - ext, geo.stride[i]) + 1)
    kdim = None if channels is None else channels * math.prod(geo.kernel)
    return env.all_tops((*bottom[: geo.channel_axis], kdim, *spatial))


def _parameter(env: _Env) -> list[Shape | None]:
    """``ParameterLayer::LayerSetUp``: the top is the parameter blob of ``shape``."""
    return env.all_tops(_blob_dims(env.p("parameter_param").shape))


def _batch_reindex(env: _Env) -> list[Shape | None]:
    """``BatchReindexLayer::Reshape``: one row per index of bottom 1."""
    data = env.bottoms[0] if env.bottoms else None
    index = env.bottoms[1] if len(env.bottoms) > 1 else None
    if data is None or index is None or not data:
        return env.unknown("input shape unknown")
    return env.all_tops((_count(index), *data[1:]))


def _recurrent(env: _Env) -> list[Shape | None]:
    """``RecurrentLayer::Reshape``: the output is (T, N, num_output)."""
    bottom = env.bottoms[0] if env.bottoms else None
    n = env.p("recurrent_param").num_output
    if bottom is None or len(bottom) < 2 or n <= 0:
        return env.unknown("input shape unknown")
    return [(bottom[0], bottom[1], n)] + [None] * (len(env.layer.tops) - 1)


def _padding_v0(env: _Env) -> list[Shape | None]:
    """V0 ``padding`` layers: ``UpgradeV0PaddingLayers`` folds ``pad`` into the next
    convolution, which sees the input padded by ``pad`` on each side."""
    bottom = env.bottoms[0] if env.bottoms else None
    if env.layer.syntax != "v0" or bottom is None or len(bottom) != 4:
        return env.unknown("input shape unknown")
    pad = env.layer.msg.layer.pad
    n, c, h, w = bottom
    return env.all_tops((n, c, None if h is None else h + 2 * pad,
                         None if w is None else w + 2 * pad))


def _permute(env: _Env) -> list[Shape | None]:
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


def _normalize(env: _Env) -> list[Shape | None]:
    """SSD's ``NormalizeLayer::Reshape`` (only with a schema that has ``norm_param``): the
    top is shaped like the bottom."""
    if not env.has("LayerParameter", "norm_param"):
        return env.unknown("layer type unknown to BVLC Caffe")
    return _identity(env)


def _no_tops(env: _Env) -> list[Shape | None]:
    return [None] * len(env.layer.tops)


IDENTITY_TYPES = frozenset({
    "AbsVal", "BatchNorm", "Bias", "BNLL", "Clip", "Dropout", "ELU", "Exp", "Log", "LRN",
    "MVN", "Power", "PReLU", "ReLU", "Scale", "Sigmoid", "Split", "Swish", "TanH",
    "Threshold",
})
LOSS_TYPES = frozenset({
    "SoftmaxWithLoss", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss",
    "InfogainLoss", "MultinomialLogisticLoss", "ContrastiveLoss",
})

HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(IDENTITY_TYPES, _identity),
    **dict.fromkeys(LOSS_TYPES, _loss),
    "Softmax": _softmax,
    "Input": _input_layer,
    "DummyData": _dummy_data,
    "MemoryData": _memory_data,
    "Data": _data,
    "ImageData": _image_data,
    "WindowData": _window_data,
    "Convolution": _convolution,
    "Deconvolution": _convolution,
    "Pooling": _pooling,
    "InnerProduct": _inner_product,
    "Embed": _embed,
    "Concat": _concat,
    "Eltwise": _eltwise,
    "Slice": _slice,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Crop": _crop,
    "Accuracy": _accuracy,
    "ArgMax": _argmax,
    "Tile": _tile,
    "Reduction": _reduction,
    "Im2col": _im2col,
    "Parameter": _parameter,
    "BatchReindex": _batch_reindex,
    "RNN": _recurrent,
    "LSTM": _recurrent,
    "padding": _padding_v0,
    "Permute": _permute,
    "Normalize": _normalize,
    "Silence": _no_tops,
    "HDF5Output": _no_tops,
}

#: Types whose output shape depends on data the file does not hold.
_DATA_DEPENDENT = {
    "HDF5Data": "shape read from the HDF5 files",
    "Python": "Python layer",
    "Filter": "depends on the data",
}


# --- running it over a phase ---------------------------------------------------------------


def _net_inputs(ctx: NetContext) -> dict[str, Shape | None]:
    """``UpgradeNetInput`` (``src/caffe/util/upgrade_proto.cpp``) turns ``input`` /
    ``input_shape`` / ``input_dim`` into an Input layer: ``input_shape(i)``, or four
    ``input_dim`` values per input."""
    net = ctx.net
    out: dict[str, Shape | None] = {}
    input_shape, input_dim = written(net, "input_shape"), written(net, "input_dim")
    for i, name in enumerate(written(net, "input")):
        shape: Shape | None = None
        if input_shape:
            if i < len(input_shape):
                shape = _blob_dims(input_shape[i])
        elif input_dim and 4 * i + 3 < len(input_dim):
            shape = tuple(int(d) if d >= 0 else None for d in input_dim[4 * i : 4 * i + 4])
        out[name] = shape
    return out


def _layer_shapes(ctx: NetContext, layer: LayerView, blobs: dict[str, Shape | None]
                  ) -> LayerShapes:
    out = LayerShapes(layer, [blobs.get(b) for b in layer.bottoms])
    env = _Env(ctx, out)
    handler = HANDLERS.get(layer.type)
    if handler is None:
        note = _DATA_DEPENDENT.get(layer.type, "layer type unknown to BVLC Caffe")
        out.tops = env.unknown(note)
    elif not ctx.is_complete(layer.path):
        out.tops = env.unknown("fields skipped (fork schema?)")
    else:
        try:
            tops = handler(env)
        except _NotThisLayer as exc:
            out.failures.clear()
            tops = env.unknown(f"no {exc} in this schema")
        except (TypeError, ValueError, AttributeError):
            if ctx.schema is bvlc_schema():
                raise
            # a fork's schema declares this layer's fields otherwise (C3D's repeated
            # PoolingParameter.kernel_size): BVLC's arithmetic does not apply
            out.failures.clear()
            tops = env.unknown("parameters declared otherwise in this schema")
        out.tops = (tops + [None] * len(layer.tops))[: len(layer.tops)]
        if any(t is not None and len(t) > MAX_BLOB_AXES for t in out.tops):
            out.tops = env.unknown("too many axes")
    return out


def infer_phase(ctx: NetContext, phase: PhaseNet) -> PhaseShapes:
    """Shape every layer of ``phase`` in order, as ``Net::Init`` does."""
    blobs: dict[str, Shape | None] = dict(_net_inputs(ctx))
    layers: list[LayerShapes] = []
    for layer in phase.layers:
        shapes = _layer_shapes(ctx, layer, blobs)
        layers.append(shapes)
        failed = bool(shapes.failures)
        for name, shape in zip(layer.tops, shapes.tops, strict=True):
            blobs[name] = _blank(shape) if failed else shape
    return PhaseShapes(phase, layers, blobs)


_CACHE: dict[int, tuple[weakref.ref[NetContext], list[PhaseShapes]]] = {}


def net_shapes(ctx: NetContext) -> list[PhaseShapes]:
    """Every phase of ``ctx`` shaped; computed once per context (rules share it)."""
    key = id(ctx)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is ctx:
        return hit[1]
    result = [infer_phase(ctx, phase) for phase in ctx.phases]
    for stale in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[stale]
    _CACHE[key] = (weakref.ref(ctx), result)
    return result


def infer_shapes(ctx: NetContext) -> dict[str, dict[str, tuple[int | None, ...]]]:
    """Phase name -> blob name -> shape (``None`` for an unknown dimension). Blobs whose
    number of axes cannot be known (Python layers, fork layers, HDF5 data) are left out."""
    return {
        phase.phase.name: {name: shape for name, shape in phase.blobs.items()
                           if shape is not None}
        for phase in net_shapes(ctx)
    }


__all__ = [
    "Failure",
    "LayerShapes",
    "PhaseShapes",
    "Shape",
    "format_shape",
    "infer_phase",
    "infer_shapes",
    "net_shapes",
    "param",
    "shape_string",
]
