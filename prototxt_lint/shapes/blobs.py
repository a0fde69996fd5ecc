"""Blob shapes and what a layer's set-up makes of them: :class:`LayerShapes` per layer,
:class:`PhaseShapes` per phase, a :class:`Failure` where Caffe's ``CHECK`` would fail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prototxt_lint.model import LayerView, PhaseNet
from prototxt_lint.records import Record
from prototxt_lint.syntax.parser import Path

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
        return count_of(self.weight) // self.weight[0]  # type: ignore[operator]


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


def count_of(shape: Sequence[int | None], start: int = 0, end: int | None = None) -> int | None:
    """``Blob::count(start, end)``: the product of the dims, None if one is unknown."""
    total = 1
    for dim in shape[start:end]:
        if dim is None:
            return None
        total *= dim
    return total


def canonical(axis: int, rank: int) -> int | None:
    """``Blob::CanonicalAxisIndex``; None where Caffe's CHECK would fail."""
    if -rank <= axis < rank:
        return axis + rank if axis < 0 else axis
    return None


def cdiv(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero, unlike Python's ``//``)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def shape_string(shape: Shape) -> str:
    """``Blob::shape_string``: ``"1 64 56 56 (200704)"``, with ``?`` for unknown dims."""
    count = count_of(shape)
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


def blank(shape: Shape | None) -> Shape | None:
    """The same rank with every dimension unknown (what a failed layer passes on)."""
    return None if shape is None else tuple(None for _ in shape)


def blob_dims(blob_shape: Any) -> Shape:
    """A written ``BlobShape``; a negative dim (which ``Blob::Reshape`` refuses, e.g. a -1
    batch copied from another framework) is left unknown rather than computed with."""
    return tuple(int(d) if d >= 0 else None for d in blob_shape.dim)



def proto_blob_shape(proto: Any) -> Shape:
    """``Blob::FromProto`` (``src/caffe/blob.cpp``): the legacy (num, channels, height,
    width) when any of them is written, else ``shape``."""
    if any(proto.HasField(f) for f in ("num", "channels", "height", "width")):
        return (proto.num, proto.channels, proto.height, proto.width)
    return tuple(int(d) for d in proto.shape.dim)


def proto_blob_loads(proto: Any) -> bool:
    """``Blob::FromProto`` accepts the values: as many as the shape has (else it fails
    ``CHECK_EQ(count_, proto.data_size())`` first, in the layer's constructor)."""
    count = count_of(proto_blob_shape(proto))
    values = len(proto.double_data) or len(proto.data)
    return count is not None and count >= 0 and values == count
