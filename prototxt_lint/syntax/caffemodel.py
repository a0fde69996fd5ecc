"""Reading trained weights (``.caffemodel``, ``.caffemodel.h5``) without their data.

A ``.caffemodel`` is a binary ``NetParameter``: layers in ``layer`` (field 100, V2) or
``layers`` (field 2, V1; a V0 layer nested in its field 1), each with a name, a type and
``blobs`` (``BlobProto``). Only names, types and blob shapes are needed to check a net
against it, so this reads the protobuf wire format itself and seeks past every ``data``/``diff``
payload: memory does not grow with the model (a 550 MB VGG costs no more than a small net).
BatchNorm layers are the exception: their three small statistics blobs are read to tell
trained statistics from the zeros ``BatchNormLayer::LayerSetUp`` starts with.

Caffe's ``Net::CopyTrainedLayersFrom`` (``src/caffe/net.cpp``) opens the file with
``H5Fis_hdf5`` first: HDF5 files go to ``CopyTrainedLayersFromHDF5`` (read here with h5py,
when it is installed), everything else is parsed as a binary ``NetParameter``.
"""

from __future__ import annotations

import os
import struct
from typing import IO, Any

from prototxt_lint.engine import external_reads
from prototxt_lint.records import Record

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: NetParameter's field numbers (caffe.proto): name 1, layers 2, input 3, input_dim 4,
#: force_backward 5, state 6, debug_info 7, input_shape 8, layer 100
_NET_FIELDS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 100})
_BN_STATS_MAX = 1 << 20  # floats read from a BatchNorm statistics blob at most


class WeightsError(Exception):
    """The file cannot be read as trained weights (the message says where and why)."""


class WeightBlob(Record):
    """One parameter blob: its shape as ``Blob::FromProto`` gives it, and whether it was
    written with the legacy num/channels/height/width fields (``Blob::ShapeEquals``
    compares those against the target's 4-axis legacy shape)."""

    __slots__ = ("legacy", "shape")

    def __init__(self, shape: tuple[int, ...], legacy: bool = False) -> None:
        self.shape = shape
        self.legacy = legacy

    def matches(self, target: tuple[int | None, ...]) -> bool | None:
        """``Blob::ShapeEquals`` against a target shape (None dims: unknown); None when the
        known dims do not decide it."""
        if self.legacy:
            if len(target) > 4:
                return False
            target = (1,) * (4 - len(target)) + tuple(target)
        if len(target) != len(self.shape):
            return False
        if any(t is not None and t != s for t, s in zip(target, self.shape, strict=True)):
            return False
        return True if all(t is not None for t in target) else None

    def shape_string(self) -> str:
        """``Blob::shape_string``: the dims and the count in parentheses."""
        return shape_string(self.shape)


def shape_string(shape: tuple[int | None, ...]) -> str:
    count: int | None = 1
    for d in shape:
        count = count * d if d is not None and count is not None else None
    dims = " ".join("?" if d is None else str(d) for d in shape)
    return f"{dims} ({'?' if count is None else count})" if dims else f"({count})"


class WeightLayer(Record):
    """A layer of the model: name, type (V1 enum names translated as Caffe upgrades
    them), its blobs and, for BatchNorm, whether the statistics are all zero."""

    __slots__ = ("blobs", "index", "name", "stats_zero", "type")

    def __init__(self, index: int, name: str, type: str, blobs: list[WeightBlob],
                 stats_zero: bool | None = None) -> None:
        self.index = index
        self.name = name
        self.type = type
        self.blobs = blobs
        #: BatchNorm only: True when mean, variance and scale factor are all 0 (never
        #: trained), False when trained; None for other layers or when not read
        self.stats_zero = stats_zero


class Weights(Record):
    """A model file's layers, in file order."""

    __slots__ = ("format", "layers", "name", "path")

    def __init__(self, path: str, name: str, layers: list[WeightLayer], format: str) -> None:
        self.path = path
        self.name = name
        self.layers = layers
        self.format = format  # "V2", "V1", "V0" or "HDF5"

    def layer(self, name: str) -> WeightLayer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "name": self.name, "format": self.format,
            "layers": [{"name": w.name, "type": w.type,
                        "blobs": [list(b.shape) for b in w.blobs],
                        **({"statistics_zero": w.stats_zero}
                           if w.stats_zero is not None else {})}
                       for w in self.layers],
        }


# --- protobuf wire format -------------------------------------------------------------------


class _Wire:
    """A seekable byte stream read as protobuf fields, with positions for error messages."""

    def __init__(self, handle: IO[bytes], size: int, path: str) -> None:
        self.handle = handle
        self.size = size
        self.path = path

    @property
    def pos(self) -> int:
        return self.handle.tell()

    def fail(self, what: str, at: int | None = None) -> WeightsError:
        where = self.pos if at is None else at
        return WeightsError(f"{self.path}: {what} at byte {where}")

    def varint(self, end: int) -> int:
        start = self.pos
        result = shift = 0
        while True:
            if self.pos >= end:
                raise self.fail("truncated: the file ends inside a number", start)
            byte = self.handle.read(1)
            if not byte:
                raise self.fail("truncated: the file ends inside a number", start)
            b = byte[0]
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise self.fail("corrupt: a number longer than 10 bytes", start)

    def key(self, end: int) -> tuple[int, int, int]:
        """(field, wire type, position of the key)."""
        at = self.pos
        key = self.varint(end)
        field, wire = key >> 3, key & 7
        if field == 0 or wire in (3, 4, 6, 7):
            raise self.fail(f"corrupt: invalid field key 0x{key:x} (field {field}, wire type"
                            f" {wire})", at)
        return field, wire, at

    def length(self, end: int, field: int) -> int:
        at = self.pos
        n = self.varint(end)
        if self.pos + n > end:
            what = "the file ends" if end == self.size else "its enclosing message ends"
            raise self.fail(f"truncated: field {field} says {n} bytes follow, but {what}"
                            f" after {end - self.pos}", at)
        return n

    def skip(self, wire: int, end: int, field: int) -> None:
        if wire == 0:
            self.varint(end)
        elif wire == 1 or wire == 5:
            n = 8 if wire == 1 else 4
            if self.pos + n > end:
                raise self.fail(f"truncated: field {field} needs {n} bytes")
            self.handle.seek(n, os.SEEK_CUR)
        else:
            n = self.length(end, field)
            self.handle.seek(n, os.SEEK_CUR)

    def read(self, n: int) -> bytes:
        data = self.handle.read(n)
        if len(data) != n:
            raise self.fail("truncated")
        return data


def _blob(wire: _Wire, end: int, keep_values: bool) -> tuple[WeightBlob, list[float] | None]:
    """A BlobProto: num 1, channels 2, height 3, width 4, data 5, diff 6, shape 7 (BlobShape,
    dim 1), double_data 8, double_diff 9. ``data`` is read only with ``keep_values``."""
    legacy = [0, 0, 0, 0]
    has_legacy = False
    dims: list[int] = []
    values: list[float] | None = [] if keep_values else None
    while wire.pos < end:
        field, kind, _ = wire.key(end)
        if 1 <= field <= 4 and kind == 0:
            legacy[field - 1] = _int32(wire.varint(end))
            has_legacy = True
        elif field == 7 and kind == 2:
            shape_end = wire.length(end, field)
            shape_end += wire.pos
            while wire.pos < shape_end:
                f, k, _ = wire.key(shape_end)
                if f == 1 and k == 2:  # packed int64
                    packed_end = wire.length(shape_end, f)
                    packed_end += wire.pos
                    while wire.pos < packed_end:
                        dims.append(_int64(wire.varint(packed_end)))
                elif f == 1 and k == 0:
                    dims.append(_int64(wire.varint(shape_end)))
                else:
                    wire.skip(k, shape_end, f)
        elif field in (5, 8) and values is not None and len(values) < _BN_STATS_MAX:
            size = 4 if field == 5 else 8
            fmt = "<f" if field == 5 else "<d"
            if kind == 2:
                n = wire.length(end, field)
                if n > _BN_STATS_MAX * size:
                    wire.handle.seek(n, os.SEEK_CUR)
                    values = None
                    continue
                raw = wire.read(n)
                values.extend(v for (v,) in struct.iter_unpack(fmt, raw[: n - n % size]))
            elif kind == (5 if field == 5 else 1):
                values.append(struct.unpack(fmt, wire.read(size))[0])
            else:
                wire.skip(kind, end, field)
        else:
            wire.skip(kind, end, field)  # data / diff payloads: seek past them
    if has_legacy:
        return WeightBlob(tuple(legacy), legacy=True), values
    return WeightBlob(tuple(dims)), values


def _int32(v: int) -> int:
    v &= 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v >= 1 << 63 else v


_int64 = _int32


def _layer(wire: _Wire, end: int, index: int, version: str,
           versions: set[str] | None = None) -> WeightLayer:
    """A LayerParameter (V2: name 1, type 2, blobs 7), a V1LayerParameter (name 4, type 5 as
    an enum, blobs 6, a V0 layer in field 1) or a V0LayerParameter (name 1, type 2, blobs 50)."""
    from prototxt_lint.model import v1_type_name

    name_field, type_field, blobs_field = {"V2": (1, 2, 7), "V1": (4, 5, 6),
                                           "V0": (1, 2, 50)}[version]
    name = type_name = ""
    blob_spans: list[tuple[int, int]] = []
    inner: WeightLayer | None = None
    while wire.pos < end:
        field, kind, _ = wire.key(end)
        if field == name_field and kind == 2:
            name = wire.read(wire.length(end, field)).decode("utf-8", "replace")
        elif field == type_field and kind == 2 and version != "V1":
            type_name = wire.read(wire.length(end, field)).decode("utf-8", "replace")
        elif field == type_field and kind == 0 and version == "V1":
            type_name = _v1_enum_name(wire.varint(end))
            type_name = v1_type_name(type_name) if type_name else ""
        elif field == blobs_field and kind == 2:
            n = wire.length(end, field)
            blob_spans.append((wire.pos, wire.pos + n))
            wire.handle.seek(n, os.SEEK_CUR)
        elif field == 1 and kind == 2 and version == "V1":
            sub_end = wire.length(end, field)
            sub_end += wire.pos
            inner = _layer(wire, sub_end, index, "V0")
            if versions is not None:  # NetNeedsV0ToV1Upgrade: any V1 layer holding a V0 one
                versions.add("V0")
        else:
            wire.skip(kind, end, field)
    after = wire.pos
    if inner is not None:
        name = name or inner.name
        type_name = type_name or _v0_type(inner.type)
    is_bn = type_name == "BatchNorm"
    blobs: list[WeightBlob] = list(inner.blobs) if inner is not None and not blob_spans else []
    stats: list[list[float] | None] = []
    for start, stop in blob_spans:
        wire.handle.seek(start)
        blob, vals = _blob(wire, stop, keep_values=is_bn)
        blobs.append(blob)
        stats.append(vals)
    wire.handle.seek(after)
    stats_zero = None
    if is_bn and len(stats) == 3 and all(s is not None for s in stats):
        factor = stats[2]
        stats_zero = bool(factor is not None and factor and factor[0] == 0) or all(
            v == 0 for s in stats if s is not None for v in s)
    return WeightLayer(index, name, type_name, blobs, stats_zero)


def _v0_type(name: str) -> str:
    """A V0 type string as ``UpgradeV0LayerType`` maps it (``model.V0_TYPES``)."""
    from prototxt_lint.model import V0_TYPES

    return V0_TYPES.get(name, name)


def _v1_enum_name(number: int) -> str:
    from prototxt_lint.schema.caffe_pb2 import V1LayerParameter

    try:
        return str(V1LayerParameter.LayerType.Name(number))  # type: ignore[arg-type]
    except ValueError:
        return f"enum {number}"


def read_weights(path: str) -> Weights:
    """The layers of a model file. Raises :class:`WeightsError` for a file that is missing,
    unreadable, truncated, corrupt or not a model."""
    external_reads.note(path)
    try:
        handle = open(path, "rb", buffering=1 << 16)
    except OSError as exc:
        raise WeightsError(f"{path}: cannot open: {exc.strerror or exc}") from None
    with handle:
        head = handle.read(8)
        if head == HDF5_MAGIC:
            return _read_hdf5(path)
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(0)
        if size == 0:
            raise WeightsError(f"{path}: empty file, not a caffemodel")
        if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
            raise WeightsError(f"{path}: text, not a caffemodel (a binary NetParameter):"
                               f" it starts with {head.decode('ascii')!r} at byte 0; is it"
                               " a prototxt?")
        return _read_net(_Wire(handle, size, path), path)


def _read_net(wire: _Wire, path: str) -> Weights:
    layers: list[WeightLayer] = []
    name = ""
    versions: set[str] = set()
    end = wire.size
    try:
        while wire.pos < end:
            field, kind, at = wire.key(end)
            if field not in _NET_FIELDS:
                raise wire.fail(f"not a caffemodel (binary NetParameter): unexpected field"
                                f" {field}", at)
            if field in (100, 2) and kind == 2:
                layer_end = wire.length(end, field)
                layer_end += wire.pos
                version = "V2" if field == 100 else "V1"
                versions.add(version)
                layers.append(_layer(wire, layer_end, len(layers), version, versions))
                if wire.pos != layer_end:
                    raise wire.fail(f"corrupt: layer {len(layers)} overruns its length", at)
            elif field == 1 and kind == 2:
                name = wire.read(wire.length(end, field)).decode("utf-8", "replace")
            else:
                wire.skip(kind, end, field)
    except UnicodeDecodeError as exc:  # pragma: no cover - decode uses "replace"
        raise WeightsError(f"{path}: corrupt: {exc}") from None
    if not layers:
        raise WeightsError(f"{path}: no layers in it: not a caffemodel (a binary"
                           " NetParameter with `layer` or `layers`)")
    if {"V1", "V2"} <= versions:
        raise WeightsError(f"{path}: both `layer` and `layers` fields: Caffe refuses to"
                           " upgrade an inconsistent NetParameter")
    return Weights(path, name, layers, "V0" if "V0" in versions else versions.pop())


def _read_hdf5(path: str) -> Weights:
    """``Net::ToHDF5`` layout: group ``data``, one group per layer, datasets ``0``, ``1``...
    (types are not stored: they are left empty)."""
    try:
        import h5py  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        raise WeightsError(f"{path}: an HDF5 model, which needs h5py (pip install h5py)"
                           " to be read") from None
    try:
        with h5py.File(path, "r") as handle:
            data = handle.get("data")
            if data is None:
                raise WeightsError(f"{path}: an HDF5 file without a `data` group: not a"
                                   " caffemodel.h5")
            layers = []
            for i, lname in enumerate(data):
                group = data[lname]
                keys = sorted(group, key=lambda k: int(k) if k.isdigit() else 1 << 30)
                blobs = [WeightBlob(tuple(int(d) for d in group[k].shape)) for k in keys]
                stats_zero = None
                if [len(b.shape) for b in blobs] == [1, 1, 1] and blobs[2].shape == (1,) \
                        and blobs[0].shape[0] <= _BN_STATS_MAX:
                    # BatchNorm's mean, variance and scale factor (types are not stored)
                    stats_zero = not any(float(v) != 0 for k in keys for v in group[k][()])
                layers.append(WeightLayer(i, lname, "", blobs, stats_zero))
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read as HDF5: {exc}") from None
    return Weights(path, "", layers, "HDF5")
