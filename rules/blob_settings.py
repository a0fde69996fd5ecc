"""Per-blob lists of a layer whose length does not fit its blobs: `loss_weight` (one per top)
and `propagate_down` (one per bottom). ``Net::Init`` and ``Layer::SetLossWeights``
(``src/caffe/net.cpp``, ``include/caffe/layer.hpp``, BVLC master) abort when one is given,
but not once per blob. (`param` blocks, one per parameter blob, are N304.)
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.blob_counts import BLOB_COUNTS
from prototxt_lint.caffe.layers import caffe_builds, is_registered, layer_intact
from prototxt_lint.model import LayerView, NetContext, written
from prototxt_lint.plugin import Report, Severity, net_rule


def _tops(layer: LayerView) -> int:
    """The tops the layer has at ``SetUp``: those written, and for a loss layer
    (``AutoTopBlobs``) the ones ``Net::Init`` appends up to its required number."""
    tops = len(layer.tops)
    counts = BLOB_COUNTS.get(layer.type, {})
    if counts.get("AutoTopBlobs"):
        tops = max(tops, counts.get("ExactNumTopBlobs", counts.get("MinTopBlobs", 0)))
    return tops


def _problem(layer: LayerView, forks: bool) -> tuple[str, str, str] | None:
    """(field, Caffe's check, hint) of the first count that fails, in Caffe's order:
    ``Net::Init`` checks `propagate_down` before it creates the layer; ``SetLossWeights``
    runs at the end of ``Layer::SetUp``. ``forks``: the net has types BVLC lacks, whose
    tops a fork decides, so `loss_weight` is not judged."""
    msg = layer.msg
    if "propagate_down" in msg.DESCRIPTOR.fields_by_name:
        given, bottoms = len(msg.propagate_down), len(layer.bottoms)
        if given and given != bottoms:
            return "propagate_down", (
                f"layer_param.propagate_down_size() == layer_param.bottom_size() ({given} vs."
                f" {bottoms}) propagate_down param must be specified either 0 or bottom_size"
                " times"), (f"give one `propagate_down` per bottom ({bottoms}, in order), or"
                            " none")
    weights = len(written(msg, "loss_weight"))
    if not weights or forks or not is_registered(layer):
        return None
    tops = _tops(layer)
    if weights != tops:
        return "loss_weight", (
            f"top.size() == num_loss_weights ({tops} vs. {weights}) loss_weight must be"
            " unspecified or specified once per top blob."), (
            f"give one `loss_weight` per top ({tops}, in order), or none"
            if tops else "remove `loss_weight`: this layer has no top")
    return None


@net_rule("N334", "blob-settings-count", Severity.ERROR,
          "`loss_weight` or `propagate_down` given, but not once per top or bottom: aborts.")
def blob_settings_count(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer with `propagate_down` values but not one per bottom, or with
    `loss_weight` values but not one per top (a loss layer without a written top has the
    one `Net::Init` adds).

    ## Why is this bad?
    `Net::Init` (`src/caffe/net.cpp`) checks `CHECK_EQ(propagate_down_size(),
    bottom_size()) << "propagate_down param must be specified either 0 or bottom_size
    times "` before it creates the layer, and `Layer::SetLossWeights`
    (`include/caffe/layer.hpp`), at the end of `Layer::SetUp`, checks
    `CHECK_EQ(top.size(), num_loss_weights) << "loss_weight must be unspecified or
    specified once per top blob."`. A `loss_weight: 1 loss_weight: 0` copied onto a loss
    with one top, or `propagate_down: false` written once on a two-input loss to mean "not
    into the labels", aborts.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: top.size() == num_loss_weights (1 vs. 2)
    loss_weight must be unspecified or specified once per top blob.` (or the
    `propagate_down` check) while the net is built (measured with construct_net).

    ## Example
    ```
    input: "score"
    input_shape { dim: 2 dim: 10 }
    input: "label"
    input_shape { dim: 2 }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" top: "loss"
            propagate_down: false }
    ```

    ## Use instead
    ```
    input: "score"
    input_shape { dim: 2 dim: 10 }
    input: "label"
    input_shape { dim: 2 }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" top: "loss"
            propagate_down: true propagate_down: false }
    ```

    ## Fix
    Give one value per bottom (`propagate_down`) or per top (`loss_weight`), in the order
    of the blobs, or leave the field out.
    """
    if not caffe_builds(ctx):
        return
    forks = not ctx.schema.is_bvlc or any(not is_registered(v) for v in ctx.layers if v.type)
    for layer in ctx.layers:
        if layer.syntax == "v0":
            continue
        phases = ctx.active_phases(layer)
        if not phases or not layer_intact(ctx, layer):
            continue
        found = _problem(layer, forks)
        if found is None:
            continue
        field, check, hint = found
        for phase in phases:
            yield Report(layer.at(field, 0), f"{layer.type} layer '{layer.name}': Caffe aborts"
                                              f' at net setup with "Check failed: {check}"',
                         hint=hint, phase=phase)
