"""A layer with fewer or more bottoms or tops than its type takes.

Mirrors ``Layer::CheckBlobCounts`` (``include/caffe/layer.hpp``), which ``Layer::SetUp`` runs
before ``LayerSetUp``, with the counts each BVLC layer class declares (``ExactNumBottomBlobs``,
``MinTopBlobs``, ..., derived from the headers into ``prototxt_lint.caffe.blob_counts``), and the
tops ``Net::Init`` adds by itself to a loss layer (``AutoTopBlobs``).
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.blob_counts import BLOB_COUNTS
from prototxt_lint.caffe.layers import caffe_builds, is_registered, layer_intact
from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.schema import bvlc_schema


def _problem(layer: LayerView) -> tuple[str, str, str] | None:
    """(which list to point at, Caffe's CHECK message, hint) of the first count that
    ``CheckBlobCounts`` refuses, in its order."""
    counts = BLOB_COUNTS.get(layer.type)
    if counts is None:
        return None
    kind = layer.type
    if kind == "Pooling":
        # PoolingLayer::MaxTopBlobs: MAX pooling may output its argmax mask as a second top
        param = layer.param("pooling_param")
        counts = {**counts, "MaxTopBlobs": 2 if param is None or param.pool == 0 else 1}
    bottoms, tops = len(layer.bottoms), len(layer.tops)
    if counts.get("AutoTopBlobs"):
        # Net::Init appends anonymous tops up to ExactNumTopBlobs / MinTopBlobs
        tops = max(tops, counts.get("ExactNumTopBlobs", counts.get("MinTopBlobs", 0)))
    checks = (
        ("ExactNumBottomBlobs", bottoms, "==", "bottom", "takes {n} bottom blob(s) as input."),
        ("MinBottomBlobs", bottoms, "<=", "bottom", "takes at least {n} bottom blob(s) as input."),
        ("MaxBottomBlobs", bottoms, ">=", "bottom", "takes at most {n} bottom blob(s) as input."),
        ("ExactNumTopBlobs", tops, "==", "top", "produces {n} top blob(s) as output."),
        ("MinTopBlobs", tops, "<=", "top", "produces at least {n} top blob(s) as output."),
        ("MaxTopBlobs", tops, ">=", "top", "produces at most {n} top blob(s) as output."),
    )
    for name, have, op, field, text in checks:
        if name not in counts:
            continue
        n = counts[name]
        ok = have == n if op == "==" else n <= have if op == "<=" else n >= have
        if not ok:
            message = (f"Check failed: {name}() {op} {field}.size() ({n} vs. {have}) {kind} Layer"
                       f" {text.format(n=n)}")
            return field, message, _hint(field, n, name)
    if counts.get("EqualNumBottomTopBlobs") and bottoms != tops:
        return "top", (f"Check failed: bottom.size() == top.size() ({bottoms} vs. {tops})"
                       f" {kind} Layer produces one top blob as output for each bottom blob"
                       " input."), "give the layer one top for each bottom"
    if kind == "Filter" and tops != bottoms - 1:  # FilterLayer::LayerSetUp
        return "top", (f"Check failed: top.size() == bottom.size() - 1 ({tops} vs."
                       f" {bottoms - 1})"), (
            f"give the layer {bottoms - 1} top{'s' if bottoms != 2 else ''}: one per filtered"
            " bottom (the last bottom is the selector)")
    return None


def _hint(field: str, n: int, name: str) -> str:
    how = "exactly" if name.startswith("Exact") else "at least" if name.startswith("Min") else (
        "at most")
    return f"give the layer {how} {n} `{field}` blob{'s' if n != 1 else ''}"


@net_rule("N314", "wrong-blob-count", Severity.ERROR,
          "A layer with fewer or more bottoms or tops than its type takes: Caffe aborts.")
def wrong_blob_count(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer of a BVLC type whose number of `bottom` or `top` blobs is not what the
    layer class declares: a SoftmaxWithLoss without its label, an InnerProduct with two
    bottoms, an ImageData layer with one top, a Convolution with more bottoms than tops.
    A loss layer without a `top` is fine: `Net::Init` adds the loss top itself
    (`AutoTopBlobs`). LSTM, RNN and Python layers compute their counts from their
    parameters and are not judged here. Nor is a net written for a fork (a layer type BVLC
    does not register, or a fork's schema in use): forks change the blobs of BVLC layers
    (R-FCN's SoftmaxWithLoss has a third top, happynear's InnerProduct takes its weights as
    a second bottom).

    ## Why is this bad?
    `Layer::SetUp` calls `Layer::CheckBlobCounts` (`include/caffe/layer.hpp`) before the
    layer's own `LayerSetUp`, and it `CHECK`s the counts each class declares
    (`ExactNumBottomBlobs`, `MinTopBlobs`, `EqualNumBottomTopBlobs`, ... in
    `include/caffe/layers/*.hpp`), so Caffe aborts at set-up, after the data layers above
    it were set up. Checked on BVLC Caffe: `Check failed: ExactNumBottomBlobs() ==
    bottom.size() (2 vs. 1) SoftmaxWithLoss Layer takes 2 bottom blob(s) as input.`

    ## Consequence
    Aborts at set-up. `Layer::CheckBlobCounts`, which `Layer::SetUp` calls before the layer's
    own `LayerSetUp`, fails its `CHECK` (checked on BVLC Caffe).

    ## Example
    ```
    input: "data"
    input_shape { dim: 2 dim: 8 }
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
            inner_product_param { num_output: 4 } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" top: "loss" }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 2 dim: 8 }
    input: "label"
    input_shape { dim: 2 }
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
            inner_product_param { num_output: 4 } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
    ```

    ## Fix
    Give the layer the blobs its type takes (the message says how many).
    """
    if not caffe_builds(ctx) or ctx.schema.file is not bvlc_schema().file:
        return
    if any(not is_registered(v) for v in ctx.layers if v.type):
        return  # written for a fork, which may change its layers' blobs (R-FCN's 3-top loss)
    for layer in ctx.layers:
        phases = ctx.active_phases(layer)
        if not phases or layer.syntax == "v0" or not layer_intact(ctx, layer):
            continue
        found = _problem(layer)
        if found is None:
            continue
        field, check, hint = found
        names = layer.bottoms if field == "bottom" else layer.tops
        at = layer.at(field, len(names) - 1) if names else layer.at("type")
        for phase in phases:
            yield Report(at, f"layer '{layer.name}' ({layer.type}): Caffe aborts at net setup"
                             f' with "{check}"', hint=hint, phase=phase)
