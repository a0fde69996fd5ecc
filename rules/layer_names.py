"""Two layers of one phase with the same name (N303): ``Net::CopyTrainedLayersFrom`` and
``Net::ShareTrainedLayersWith`` (``src/caffe/net.cpp``) find a layer's weights by its name.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.layers import caffe_builds, param_blobs
from prototxt_lint.model import (
    LayerView,
    NetContext,
)
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.syntax.parser import Path


def _has_weights(ctx: NetContext, layer: LayerView) -> bool:
    """The layer's ``LayerSetUp`` creates parameter blobs, as far as is known: a Python or
    fork layer (unknown) does not count, so two same-named layers of which one is a Python
    loss and one a SoftmaxWithLoss are no claim (their snapshot reloads, measured)."""
    blobs = param_blobs(layer, ctx)
    return blobs is not None and blobs > 0


@net_rule("N303", "duplicate-layer-name", Severity.WARNING,
          "Two layers with the same name in one phase: their weights cannot be reloaded.")
def duplicate_layer_name(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer whose `name` an earlier layer of the same phase already uses, when one of
    them has learnable parameters (a BVLC layer whose set-up creates them; a Python or fork
    layer, whose parameters are not known here, does not count). Layers of the same name in
    *different* phases (a TRAIN and a TEST data layer both named `mnist`) are normal: they
    are never in one net. Same-name layers without parameters (two `relu` layers) are left
    alone: they carry no weights, so nothing is loaded into them.

    ## Why is this bad?
    Caffe accepts the net and trains it (measured, row 6c). But weights are matched by
    layer name: `Net::CopyTrainedLayersFrom` (`src/caffe/net.cpp`) copies each saved layer
    into the *first* layer with its name. So the second layer's weights are never restored,
    and the first gets overwritten with them: measured, loading the net's own snapshot
    fails with `Cannot copy param 0 weights from layer 'ip'; shape mismatch. Source param
    shape is 2 4 (8); target param shape is 4 64 (256).` With equal shapes the wrong
    weights load silently; with a different number of blobs Caffe aborts with
    `Incompatible number of blobs for layer ...`. Fine-tuning from a model has the same
    problem, and pycaffe's `net.params[name]` shows only one of them.

    ## Consequence
    Likely wrong. If weights are ever loaded into this net by layer name (its own snapshots,
    fine-tuning, pycaffe's `net.params`), `Net::CopyTrainedLayersFrom` aborts on a shape or
    blob-count mismatch, or silently loads the wrong weights; building and training the net work
    (measured, row 6c).

    ## Example
    ```
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip1" ... }
    layer { name: "ip" type: "InnerProduct" bottom: "ip1" top: "ip2" ... }
    ```

    ## Use instead
    ```
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" ... }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" ... }
    ```

    ## Fix
    Give every layer of a phase its own name (weights that are meant to be shared are
    shared with `param { name: "..." }`, not with layer names).
    """
    if not caffe_builds(ctx):
        return
    for phase in ctx.phases:
        seen: dict[str, list[LayerView]] = {}
        for layer in phase.layers:
            if layer.name:
                seen.setdefault(layer.name, []).append(layer)
        clashes = [(name, same) for name, same in seen.items()
                   if len(same) >= 2 and all(v.type for v in same)  # not a lost type
                   and any(_has_weights(ctx, v) for v in same)]
        if not clashes:
            continue
        # one cause per net (names written twice, usually by a generator): the first clash,
        # with every other repeated name as a related place
        places = [(_name_path(ctx, later), f"'{name}' again (first at line"
                   f" {ctx.doc.line_of(same[0].path)})")
                  for name, same in clashes for later in same[1:]]
        name, same = clashes[0]
        first = same[0]
        yield one_per_cause(
            places,
            f"layer name '{name}' is already used by the {first.type} layer at line"
            f" {ctx.doc.line_of(first.path)}: Caffe accepts it and trains, but it restores"
            f" weights by layer name, always into the first '{name}', so this net"
            f" cannot reload its own snapshots (measured: \"Cannot copy param 0"
            f" weights from layer '{name}'; shape mismatch\"), and with equal shapes"
            " the wrong weights load silently",
            "repeated layer names",
            hint=f"rename this layer (e.g. '{name}_2')",
            phase=phase.name,
        )


def _name_path(ctx: NetContext, layer: LayerView) -> Path:
    return layer.at("name") if ctx.doc.loc(layer.at("name")) else layer.path

