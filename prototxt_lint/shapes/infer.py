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
    blob_size_check,
    count_of,
    format_shape,
)
from prototxt_lint.shapes.env import Env, NotThisLayer
from prototxt_lint.shapes.handlers import DATA_DEPENDENT, HANDLERS
from prototxt_lint.syntax.parser import Path


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
        if (shape is not None and ctx.schema.is_bvlc
                and blob_size_check(shape, written=True) is not None):
            shape = None  # Caffe aborts on it (N414): nothing downstream is judged
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
        if not out.failures and ctx.schema.is_bvlc:
            _blob_sizes(env)
        if any(t is not None and len(t) > MAX_BLOB_AXES for t in out.tops):
            out.tops = env.unknown("too many axes")
    return out


#: Layers whose tops are reshaped from a ``BlobShape`` written in the prototxt.
_WRITTEN_SHAPES = frozenset({"Input", "DummyData", "Parameter"})


def _blob_sizes(env: Env) -> None:
    """``Blob::Reshape``'s own checks (kind ``blob-size``): the weights ``LayerSetUp``
    makes, then each top; the first that fails. BVLC's limits, for nets read with its
    schema: a fork may lift them (OpenCL Caffe's ``USE_INDEX_64``) or split a batch across
    GPUs."""
    layer, out = env.layer, env.out
    blobs: list[tuple[str, Path, Shape | None, bool]] = [
        (f"the weights of `{layer.name}`", layer.at("type"), out.weight, False)]
    blobs += [(f"the top `{name}`", layer.at("top", i), shape, layer.type in _WRITTEN_SHAPES)
              for i, (name, shape) in enumerate(zip(layer.tops, out.tops, strict=True))]
    for what, at, shape, written_shape in blobs:
        check = None if shape is None else blob_size_check(shape, written_shape)
        if check is None or shape is None:
            continue
        size = (f"have {len(shape)} axes" if len(shape) > MAX_BLOB_AXES else
                f"be {format_shape(shape)} = {count_of(shape)} values")
        env.fail("blob-size", at,
                 f"{layer.type} layer '{layer.name}': {what} would {size}: Caffe aborts while"
                 f' setting the net up with "Check failed: {check}"',
                 "a Caffe blob has at most 32 axes and 2147483647 values: make it smaller"
                 " (a batch, a num_output or an input that large needs splitting)")
        return


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
    """Every phase of ``ctx`` shaped; computed once per context and kept in its ``memo`` (the rules,
    the ``shapes`` command and hover share it, and it goes when the context goes)."""
    found: list[PhaseShapes] | None = ctx.memo.get("shapes.net_shapes")
    if found is None:
        found = ctx.memo["shapes.net_shapes"] = [infer_phase(ctx, p) for p in ctx.phases]
    return found


def infer_shapes(ctx: NetContext) -> dict[str, dict[str, tuple[int | None, ...]]]:
    """Phase name -> blob name -> shape (``None`` for an unknown dimension). Blobs whose
    number of axes cannot be known (Python layers, fork layers, HDF5 data) are left out."""
    return {
        phase.phase.name: {name: shape for name, shape in phase.blobs.items()
                           if shape is not None}
        for phase in net_shapes(ctx)
    }

