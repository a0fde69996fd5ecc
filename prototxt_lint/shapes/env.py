"""What a shape handler works with: the layer, its bottoms' shapes, its parameters, and the
places to record tops and failures (:class:`Env`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.shapes.blobs import (
    Failure,
    LayerShapes,
    Shape,
    canonical,
    format_shape,
    shape_string,
)
from prototxt_lint.shapes.params import V0_FIELDS, field_param
from prototxt_lint.syntax.parser import Path


class NotThisLayer(Exception):
    """The schema in use has no such parameter for this layer: not BVLC's layer."""


class Env:
    """What a handler needs: the layer, its bottoms' shapes, and where to record results."""

    def __init__(self, ctx: NetContext, out: LayerShapes) -> None:
        self.ctx = ctx
        self.out = out
        self.layer = out.layer

    @property
    def bottoms(self) -> list[Shape | None]:
        return self.out.bottoms

    def p(self, name: str) -> Any:
        found = field_param(self.layer, name, self.ctx.schema)
        if found is None:  # a fork's layer of the same name, with other parameters
            raise NotThisLayer(name)
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
        found = canonical(value, len(shape))
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
            param_path(layer, param_name, field),
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


Handler = Callable[[Env], list[Shape | None]]


def param_path(layer: LayerView, param_name: str, *rest: str | int) -> Path:
    """Path of a parameter field; for V0 layers, of its flat V0 counterpart."""
    if layer.syntax == "v0":
        v0_name = V0_FIELDS.get(str(rest[0])) if rest else None
        return layer.at("layer", v0_name) if v0_name else layer.at("layer")
    return layer.at(param_name, *rest)

