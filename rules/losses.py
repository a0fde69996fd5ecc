"""What a net learns from: a TRAIN net with no loss (N305), Softmax fed to SoftmaxWithLoss
(N308), several losses of weight 0 or 1 (N309), as ``Net::Init`` (``src/caffe/net.cpp``) and
``LossLayer::LayerSetUp`` (``src/caffe/layers/loss_layer.cpp``, BVLC master) count losses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from prototxt_lint.caffe.layers import caffe_builds, is_registered
from prototxt_lint.model import (
    RESHAPING_TYPES,
    TRAIN,
    LayerView,
    NetContext,
    PhaseNet,
)
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.roles import LEARNABLE_FILLERS, train_net


def _python_loss_without_weight(layer: LayerView) -> bool:
    if layer.type != "Python" or layer.syntax != "v2" or layer.loss_weights:
        return False
    param = layer.param("python_param")
    return param is not None and "loss" in (param.layer + param.module).lower()


def _unknown_sink(phase: PhaseNet, layer: LayerView) -> bool:
    """A custom layer with an output nothing reads: it may be a loss (fork loss layers
    inherit ``LossLayer`` whatever they are called)."""
    if layer.type == "Python" or is_registered(layer):
        return False
    after = phase.layers[phase.position(layer) + 1:]
    read = {b for v in after for b in v.bottoms}
    return any(t not in read for t in layer.tops)


#: Layer types with learnable blobs (the others, and Python layers, may have none): without
#: one, a TRAIN net without loss has nothing to learn anyway.
_WEIGHTED = frozenset({*LEARNABLE_FILLERS, "LSTM", "RNN", "Parameter"})


@net_rule("N305", "no-loss-in-train", Severity.WARNING,
          "A TRAIN net with no loss layer: it trains nothing.")
def no_loss_in_train(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a TRAIN net with no loss: no `*Loss` layer and no layer with a `loss_weight`.
    Only nets whose role has a TRAIN net are judged: named by a solver for TRAIN, or with
    data for TRAIN (a file with data and no loss at all is an evaluation or feature-
    extraction net, and is not). A net with a custom layer whose output nothing reads is
    left alone (it may be a fork's loss layer), and so is a net with no layer that has
    weights (a data-layer demo: there is nothing to learn).

    ## Why is this bad?
    `Net::Init` (`src/caffe/net.cpp`) marks for backward only the layers that lead to a top
    with a loss weight, and only `LossLayer` subclasses get a default loss weight of 1
    (`LossLayer::LayerSetUp`). Without one, Caffe starts training without complaint
    (measured, row 6k: `Initial loss: 0`, exit 0), but no gradient reaches any weight: only
    weight decay changes them. Python layers count only with an explicit `loss_weight`,
    since `PythonLayer` is not a `LossLayer`.

    ## Consequence
    Likely wrong. If this net is trained (its role says Caffe builds a TRAIN net from it), it
    trains nothing: Caffe runs without complaint (`Initial loss: 0`, measured, row 6k), no
    gradient reaches any weight, and only weight decay changes them.

    ## Example
    ```
    ~ layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }
    ~         transform_param { scale: 0.00390625 }
    ~         data_param { source: "train_lmdb" batch_size: 64 } }
    ~ layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
    ~         inner_product_param { num_output: 100 } }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
            inner_product_param { num_output: 10 } }
    layer { name: "prob" type: "Softmax" bottom: "ip2" top: "prob" }
    ```

    ## Use instead
    ```
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
            inner_product_param { num_output: 10 } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
    ```

    ## Fix
    Add a loss layer to the TRAIN net, or `loss_weight: 1` to the Python layer that
    computes the loss.
    """
    if not caffe_builds(ctx):
        return
    phase = train_net(ctx)
    if phase is None or any(v.may_be_loss for v in phase.layers):
        return
    if ctx.doc.parsed is not None and any(e.code == "P001" for e in ctx.doc.parsed.errors):
        return  # a loss layer may be among what the syntax error cut off
    if any(_unknown_sink(phase, v) for v in phase.layers):
        return
    if not any(v.type in _WEIGHTED for v in phase.layers):
        return  # nothing to learn: a data-layer demo or a net of parameter-free layers
    python = next((v for v in phase.layers if _python_loss_without_weight(v)), None)
    extra = ""
    hint = "add a loss layer (e.g. SoftmaxWithLoss on the scores and the labels)"
    if python is not None:
        extra = (f"; Python layer '{python.name}' has no `loss_weight`, and Caffe gives Python"
                 " layers a loss weight of 0")
        hint = f"add `loss_weight: 1` to layer '{python.name}'"
    first = phase.layers[0]
    at = ctx.at("name") if ctx.doc.loc(ctx.at("name")) else first.path
    # the assumption stated: a solver trains it, or only the file's data layers say so
    trained = "a solver trains this net" if ctx.phases_from_solver else (
        "this file has data for a TRAIN net; if that net is trained")
    yield Report(
        at,
        f"the TRAIN net has no loss layer: {trained}, Caffe trains it without complaint"
        " (measured: \"Initial loss: 0\"), but no gradient reaches any weight, so nothing is"
        f" learned{extra}",
        hint=hint,
        phase=TRAIN,
    )


def _scores_origin(phase: PhaseNet, consumer: LayerView, blob: str) -> LayerView | None:
    """The layer whose values reach ``consumer`` as ``blob``: the producer, looking through
    in-place layers after it and through reshaping layers."""
    producer = phase.producer(consumer, blob)
    while producer is not None:
        if producer.type == "Softmax":
            return producer
        if blob in producer.bottoms or (producer.type in RESHAPING_TYPES and producer.bottoms):
            blob = blob if blob in producer.bottoms else producer.bottoms[0]
            producer = phase.producer(producer, blob)
            continue
        return producer
    return None


def _classes(phase: PhaseNet, softmax: LayerView) -> int | None:
    if not softmax.bottoms:
        return None
    scores = phase.producer(softmax, softmax.bottoms[0])
    if scores is None or scores.type not in ("InnerProduct", "Convolution"):
        return None
    field = "inner_product_param" if scores.type == "InnerProduct" else "convolution_param"
    if scores.syntax == "v0":
        return None
    param = scores.param(field)
    return int(param.num_output) if param is not None and param.num_output > 1 else None


@net_rule("N308", "double-softmax", Severity.WARNING,
          "Softmax output fed to SoftmaxWithLoss, which applies softmax itself.")
def double_softmax(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a `SoftmaxWithLoss` layer whose first bottom comes from a `Softmax` layer
    (directly, through in-place layers after it, or through Reshape/Flatten/Split).

    ## Why is this bad?
    `SoftmaxWithLossLayer` (`src/caffe/layers/softmax_loss_layer.cpp`) runs its own
    internal Softmax on the first bottom: it takes raw scores. Fed probabilities, it
    squashes them a second time. Nothing is reported, but the outputs all lie in [0, 1],
    so the best the loss can reach is -log(e / (e + K - 1)) for K classes (log(1 + (K-1)/e):
    0.74 for 4 classes, 1.46 for 10, 5.91 for 1000) and the gradients are small: training
    plateaus. The same was measured for InfogainLoss, which has the same internal softmax
    (row 5b: loss stuck at 0.7438 with 4 classes).

    ## Consequence
    Likely wrong. If the net is meant to learn from its scores, the second softmax keeps the
    loss at or above log(1 + (K-1)/e) for K classes, with small gradients: training plateaus,
    and Caffe reports nothing.

    ## Example
    ```
    layer { name: "prob" type: "Softmax" bottom: "fc8" top: "prob" }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "prob" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc8" bottom: "label" top: "loss" }
    layer { name: "prob" type: "Softmax" bottom: "fc8" top: "prob"
            include { phase: TEST } }
    ```

    ## Fix
    Feed the scores (the Softmax layer's input) to SoftmaxWithLoss.
    """
    if not caffe_builds(ctx):
        return
    for phase in ctx.phases:
        for layer in phase.layers:
            if layer.type != "SoftmaxWithLoss" or not layer.bottoms:
                continue
            origin = _scores_origin(phase, layer, layer.bottoms[0])
            if origin is None or origin.type != "Softmax":
                continue
            k = _classes(phase, origin)
            floor = (f" (with {k} classes it cannot go below log(1 + {k - 1}/e) ="
                     f" {math.log(1 + (k - 1) / math.e):.2f})") if k else ""
            scores = f"'{origin.bottoms[0]}'" if origin.bottoms else "the scores"
            yield Report(
                layer.bottom_path(0),
                f"SoftmaxWithLoss layer '{layer.name}' applies softmax itself, but its input"
                f" '{layer.bottoms[0]}' is already the output of Softmax layer"
                f" '{origin.name}': the probabilities are squashed again, so training"
                f" plateaus with small gradients and a loss that stays high{floor}",
                hint=f"feed the scores {scores} to layer '{layer.name}'",
                phase=phase.name,
            )


@net_rule("N309", "unweighted-losses", Severity.INFO,
          "Several loss layers, none with a `loss_weight`: they count equally.")
def unweighted_losses(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes a TRAIN net with two or more loss layers none of which writes a `loss_weight`.

    ## Why is this bad?
    It is often fine. Each loss layer then has weight 1 (`LossLayer::LayerSetUp`,
    `src/caffe/layers/loss_layer.cpp`) and the solver minimizes their plain sum. When one
    term is on a much larger scale (a regression loss in pixels next to a classification
    loss) it dominates the gradients, and when it diverges the usual reaction, lowering
    `base_lr`, slows every task down. `loss_weight` on each loss balances them separately.

    ## Consequence
    Reminder. Often fine: each loss counts with weight 1 and the solver minimizes their sum; a
    term on a much larger scale dominates the gradients.

    ## Example
    ```
    layer { name: "loss_cls" type: "SoftmaxWithLoss" bottom: "cls" bottom: "label" top: "loss_cls" }
    layer { name: "loss_box" type: "EuclideanLoss" bottom: "box" bottom: "target" top: "loss_box" }
    ```

    ## Use instead
    ```
    layer { name: "loss_cls" type: "SoftmaxWithLoss" bottom: "cls" bottom: "label" top: "loss_cls"
            loss_weight: 1 }
    layer { name: "loss_box" type: "EuclideanLoss" bottom: "box" bottom: "target" top: "loss_box"
            loss_weight: 0.1 }
    ```

    ## Fix
    Give each loss a `loss_weight` that brings the terms to a similar scale.
    """
    if not caffe_builds(ctx):
        return
    phase = ctx.phase(TRAIN)
    if phase is None:
        return
    losses = [v for v in phase.layers if v.may_be_loss]
    if len(losses) < 2 or any(v.loss_weights for v in losses):
        return
    names = ", ".join(f"'{v.name}'" for v in losses[:4]) + (", ..." if len(losses) > 4 else "")
    yield Report(
        losses[1].at("type"),
        f"the TRAIN net has {len(losses)} loss layers ({names}) and none has a `loss_weight`:"
        " each counts with weight 1 and the solver minimizes their sum; if one term dominates"
        " or diverges, balance them with `loss_weight` rather than lowering base_lr for all",
        hint="add `loss_weight: w` to each loss layer",
        phase=TRAIN,
    )

