"""Running the handlers over each phase in file order, as ``Net::Init`` sets layers up."""

from __future__ import annotations

from prototxt_lint.model import LayerView, NetContext, PhaseNet, written
from prototxt_lint.schema import bvlc_schema
from prototxt_lint.shapes.blobs import (
    MAX_BLOB_AXES,
    LayerShapes,
    PhaseShapes,
    Shape,
    blank,
    blob_dims,
)
from prototxt_lint.shapes.env import Env, NotThisLayer
from prototxt_lint.shapes.handlers import DATA_DEPENDENT, HANDLERS


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
                shape = blob_dims(input_shape[i])
        elif input_dim and 4 * i + 3 < len(input_dim):
            shape = tuple(int(d) if d >= 0 else None for d in input_dim[4 * i : 4 * i + 4])
        out[name] = shape
    return out


def _layer_shapes(ctx: NetContext, layer: LayerView, blobs: dict[str, Shape | None]
                  ) -> LayerShapes:
    out = LayerShapes(layer, [blobs.get(b) for b in layer.bottoms])
    env = Env(ctx, out)
    handler = HANDLERS.get(layer.type)
    if handler is None:
        note = DATA_DEPENDENT.get(layer.type, "layer type unknown to BVLC Caffe")
        out.tops = env.unknown(note)
    elif not ctx.is_complete(layer.path):
        out.tops = env.unknown("fields skipped (fork schema?)")
    else:
        try:
            tops = handler(env)
        except NotThisLayer as exc:
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
            blobs[name] = blank(shape) if failed else shape
    return PhaseShapes(phase, layers, blobs)


def net_shapes(ctx: NetContext) -> list[PhaseShapes]:
    """Every phase of ``ctx`` shaped; computed once per context and kept on it (the rules,
    the ``shapes`` command and hover share it, and it goes when the context goes)."""
    if ctx.shapes is None:
        ctx.shapes = [infer_phase(ctx, phase) for phase in ctx.phases]
    return ctx.shapes  # type: ignore[no-any-return]


def infer_shapes(ctx: NetContext) -> dict[str, dict[str, tuple[int | None, ...]]]:
    """Phase name -> blob name -> shape (``None`` for an unknown dimension). Blobs whose
    number of axes cannot be known (Python layers, fork layers, HDF5 data) are left out."""
    return {
        phase.phase.name: {name: shape for name, shape in phase.blobs.items()
                           if shape is not None}
        for phase in net_shapes(ctx)
    }

