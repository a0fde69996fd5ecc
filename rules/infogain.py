"""InfogainLoss inputs and parameters that depend on which Caffe runs the net, and the matrix
every Caffe needs (N346).

Mirrors ``InfogainLossLayer<Dtype>::LayerSetUp`` and ``InfogainLossLayer<Dtype>::Forward_cpu``
in ``src/caffe/layers/infogain_loss_layer.cpp``. BVLC PR #3855 (merged April 2017, in tag
1.0, not in rc-rc5) made the layer apply its own internal Softmax to its first bottom, added
``InfogainLossParameter.axis`` and the check that rejects ``loss_param.normalize``. Older
Caffe and most forks read the first bottom as probabilities. Which one the user runs is
decided by the schema in use: a schema with ``InfogainLossParameter.axis`` is master-like.
Measured on a real BVLC build (shared/caffe-behaviour, rows 5a-5c).

The producer of a bottom is the last layer before the consumer, in the same phase, that
lists the blob as a top (so an in-place ReLU counts as the producer); layers that only
reshape (Reshape, Flatten, Split) are looked through.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.layers import caffe_builds, layer_intact
from prototxt_lint.model import RESHAPING_TYPES, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Report, Severity, net_rule

#: BVLC layers whose outputs are unnormalised scores, never probabilities. Anything else
#: (data and Input layers, Python and fork layers, Concat, Eltwise of probabilities, ...)
#: may legitimately carry probabilities, so it is left alone.
RAW_SCORE_TYPES = frozenset({
    "InnerProduct", "Convolution", "Deconvolution", "Embed", "Scale", "Bias", "BatchNorm",
    "LRN", "MVN", "ReLU", "PReLU", "ELU", "TanH", "AbsVal", "BNLL", "RNN", "LSTM",
})
#: Layers that change only the shape of their first bottom.


def _has_own_softmax(ctx: NetContext) -> bool:
    return ctx.schema.has_field("InfogainLossParameter", "axis")


def _origin(phase: PhaseNet, consumer: LayerView, blob: str) -> LayerView | None:
    """The producer of ``blob`` for ``consumer``, looking through reshaping layers."""
    producer = phase.producer(consumer, blob)
    while producer is not None and producer.type in RESHAPING_TYPES and producer.bottoms:
        producer = phase.producer(producer, producer.bottoms[0])
    return producer


def _infogain_inputs(ctx: NetContext) -> Iterator[tuple[PhaseNet, LayerView, LayerView]]:
    """(phase, InfogainLoss layer, producer of its first bottom) for every active one."""
    for phase in ctx.phases:
        for layer in phase.layers:
            if layer.type == "InfogainLoss" and layer.bottoms:
                origin = _origin(phase, layer, layer.bottoms[0])
                if origin is not None:
                    yield phase, layer, origin


def _via(layer: LayerView, origin: LayerView) -> str:
    blob = layer.bottoms[0]
    if blob in origin.tops:
        return f"'{blob}' comes from layer '{origin.name}' ({origin.type})"
    return f"'{blob}' is a reshaped output of layer '{origin.name}' ({origin.type})"


@net_rule("N241", "infogain-double-softmax", Severity.WARNING,
          "Softmax output fed to InfogainLoss, which applies softmax itself: training plateaus.")
def infogain_double_softmax(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an `InfogainLoss` layer whose first bottom is the output of a `Softmax` layer,
    when the schema in use is BVLC Caffe 1.0 or later (it has `InfogainLossParameter.axis`).

    ## Why is this bad?
    Since BVLC PR #3855, `InfogainLossLayer::LayerSetUp`
    (`src/caffe/layers/infogain_loss_layer.cpp`) creates an internal Softmax layer and
    `Forward_cpu` computes the loss on its output: the layer takes raw scores, like
    `SoftmaxWithLoss`. A Softmax in front of it squashes the scores twice. Nothing is
    reported: measured with 4 classes and an identity H, the net trains but the loss plateaus
    at 0.7438, the double-softmax floor -log(e/(e+3)), while the same net without the extra
    Softmax goes to 0 (shared/caffe-behaviour, row 5b). Nets written for older Caffe, where
    InfogainLoss wanted probabilities, silently change meaning on 1.0.

    ## Consequence
    Likely wrong. If the net runs on the BVLC Caffe 1.0 or later that the schema describes, it
    trains without an error but the loss plateaus at the double-softmax floor (0.7438 with 4
    classes, measured, row 5b). On an older Caffe or a fork, where InfogainLoss wants
    probabilities, the Softmax is right.

    ## Example
    ```
    layer { name: "prob" type: "Softmax" bottom: "ip2" top: "prob" }
    layer { name: "loss" type: "InfogainLoss" bottom: "prob" bottom: "label" top: "loss"
            infogain_loss_param { source: "H.binaryproto" } }
    ```

    ## Use instead
    ```
    layer { name: "loss" type: "InfogainLoss" bottom: "ip2" bottom: "label" top: "loss"
            infogain_loss_param { source: "H.binaryproto" } }
    ```

    ## Fix
    Feed the Softmax layer's input (the scores) to InfogainLoss; keep the Softmax only
    where probabilities are needed (deploy, accuracy). If you really run an older Caffe or
    a fork, lint with its schema (`--proto`).
    """
    if not _has_own_softmax(ctx):
        return
    for phase, layer, origin in _infogain_inputs(ctx):
        if origin.type != "Softmax":
            continue
        if origin.bottoms and origin.bottoms[0] in origin.tops:
            hint = (f"remove the in-place Softmax layer '{origin.name}' (or give it its own"
                    f" top), so that layer '{layer.name}' reads the scores")
        else:
            scores = f"'{origin.bottoms[0]}'" if origin.bottoms else "the scores"
            hint = f"feed the Softmax layer's input {scores} to layer '{layer.name}' instead"
        yield Report(
            layer.bottom_path(0),
            f"InfogainLoss layer '{layer.name}' applies its own softmax (this Caffe has"
            f" InfogainLossParameter.axis: BVLC 1.0 and later), but {_via(layer, origin)},"
            " so the scores are squashed twice: training runs without any error but the"
            " loss plateaus above 0 (measured with 4 classes: 0.7438, the double-softmax"
            " floor)",
            hint=hint,
            phase=phase.name,
        )


@net_rule("N242", "infogain-raw-scores", Severity.ERROR,
          "Raw scores fed to an InfogainLoss that expects probabilities (older Caffe, forks).")
def infogain_raw_scores(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an `InfogainLoss` layer whose first bottom comes straight from a layer that
    produces unnormalised scores (InnerProduct, Convolution, ReLU, Scale, ...), when the
    schema in use is a Caffe before BVLC 1.0 or a fork (no `InfogainLossParameter.axis`).
    Producers that may carry probabilities (Softmax, Sigmoid, data and Input layers, Python
    and fork layers, ...) are left alone.

    ## Why is this bad?
    Before BVLC PR #3855, `InfogainLossLayer::Forward_cpu`
    (`src/caffe/layers/infogain_loss_layer.cpp`) treats its first bottom as probabilities:
    loss = -sum H[label, j] * log(max(x_j, 1e-20)) / num, and `Backward_cpu` sets the
    gradient to -H[label, j] / max(x_j, 1e-20) / num. Scores above 1 make the loss
    negative, and scores at or below 0 are clamped to 1e-20, so their gradient is of the
    order of 1e20 and training diverges. Caffe reports nothing.

    ## Consequence
    Trains nothing. In the Caffe the schema describes (before BVLC 1.0, or a fork), scores above
    1 make the loss negative and scores at or below 0 are clamped to 1e-20, with gradients of
    the order of 1e20: training diverges, and Caffe reports nothing (read from
    `InfogainLossLayer::Forward_cpu` / `Backward_cpu`, not measured).

    ## Example
    ```
    ~ layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }
    ~         transform_param { scale: 0.00390625 }
    ~         data_param { source: "train_lmdb" batch_size: 64 } }
    ~ layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }
    ~         transform_param { scale: 0.00390625 }
    ~         data_param { source: "val_lmdb" batch_size: 64 } }
    ~ layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
    ~         inner_product_param { num_output: 100 } }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
            inner_product_param { num_output: 10 } }
    layer { name: "loss" type: "InfogainLoss" bottom: "ip2" bottom: "label" top: "loss"
            infogain_loss_param { source: "H.binaryproto" } }
    ```

    ## Use instead
    ```
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
            inner_product_param { num_output: 10 } }
    layer { name: "prob" type: "Softmax" bottom: "ip2" top: "prob" }
    layer { name: "loss" type: "InfogainLoss" bottom: "prob" bottom: "label" top: "loss"
            infogain_loss_param { source: "H.binaryproto" } }
    ```

    ## Fix
    Put a Softmax layer between the scores and InfogainLoss (or move to BVLC Caffe 1.0,
    whose InfogainLoss applies the softmax itself).
    """
    if _has_own_softmax(ctx):
        return
    for phase, layer, origin in _infogain_inputs(ctx):
        if origin.type not in RAW_SCORE_TYPES:
            continue
        yield Report(
            layer.bottom_path(0),
            f"InfogainLoss layer '{layer.name}' reads its first bottom as probabilities in"
            " this Caffe (no InfogainLossParameter.axis: before BVLC 1.0, or a fork), but"
            f" {_via(layer, origin)}, raw scores: scores above 1 make the loss negative and"
            " scores at or below 0 are clamped to 1e-20, giving gradients of order 1e20",
            hint=f"add a Softmax layer on '{layer.bottoms[0]}' and feed its top to layer"
            f" '{layer.name}'",
            phase=phase.name,
        )


@net_rule("N243", "infogain-normalize-deprecated", Severity.ERROR,
          "`loss_param { normalize }` on InfogainLoss: Caffe 1.0 aborts.")
def infogain_normalize_deprecated(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `loss_param { normalize: ... }` (true or false) on an `InfogainLoss` layer when
    the schema in use is BVLC Caffe 1.0 or later (it has `InfogainLossParameter.axis`).

    ## Why is this bad?
    `InfogainLossLayer::LayerSetUp` (`src/caffe/layers/infogain_loss_layer.cpp`) checks
    `CHECK(!this->layer_param_.loss_param().has_normalize())`, so any written value aborts
    at net construction (measured, exit 134):
    `Check failed: !this->layer_param_.loss_param().has_normalize() normalize is deprecated.
    use "normalization"`. SoftmaxWithLoss and SigmoidCrossEntropyLoss still accept
    `normalize`, so nets converted from them trip over this.

    ## Consequence
    Aborts at set-up. `InfogainLossLayer::LayerSetUp` fails
    `CHECK(!this->layer_param_.loss_param().has_normalize())` for any written value, true or
    false (measured, row 5a, exit 134).

    ## Example
    ```
    layer { name: "loss" type: "InfogainLoss" bottom: "ip2" bottom: "label" top: "loss"
            loss_param { normalize: false } }
    ```

    ## Use instead
    ```
    layer { name: "loss" type: "InfogainLoss" bottom: "ip2" bottom: "label" top: "loss"
            loss_param { normalization: BATCH_SIZE } }
    ```

    ## Fix
    Replace `normalize: true` by `normalization: VALID` (the default) and `normalize:
    false` by `normalization: BATCH_SIZE`.
    """
    if not _has_own_softmax(ctx):
        return
    for phase in ctx.phases:
        for layer in phase.layers:
            loss_param = layer.param("loss_param")
            if layer.type != "InfogainLoss" or loss_param is None:
                continue
            if not loss_param.HasField("normalize"):
                continue
            value = "true" if loss_param.normalize else "false"
            mode = "VALID" if loss_param.normalize else "BATCH_SIZE"
            yield Report(
                layer.at("loss_param", "normalize"),
                f"`normalize: {value}` on InfogainLoss layer '{layer.name}': Caffe aborts"
                " when it sets the layer up with \"Check failed:"
                " !this->layer_param_.loss_param().has_normalize() normalize is deprecated."
                ' use "normalization"" (any written value fails, true or false)',
                hint=f"replace it with `normalization: {mode}`",
                phase=phase.name,
            )


@net_rule("N346", "infogain-without-matrix", Severity.ERROR,
          "InfogainLoss with neither a matrix `source` nor a third bottom: Caffe aborts.")
def infogain_without_matrix(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an InfogainLoss layer with two bottoms (prediction and label) and no
    `infogain_loss_param { source }`: the infogain matrix H is given neither as a file nor
    as a third bottom.

    ## Why is this bad?
    `InfogainLossLayer::LayerSetUp` (`src/caffe/layers/infogain_loss_layer.cpp`) reads H
    from the file when there is no third bottom: `CHECK(this->layer_param_.
    infogain_loss_param().has_source()) << "Infogain matrix source must be specified."`.
    (InfogainLoss with an identity H is a plain multinomial logistic loss.) Checked in every
    Caffe version, so forks too, for nets read with BVLC's schema.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: this->layer_param_.infogain_loss_param().
    has_source() Infogain matrix source must be specified.` while the net is built
    (measured with construct_net).

    ## Example
    ```
    layer { name: "loss" type: "InfogainLoss" bottom: "score" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    layer { name: "loss" type: "InfogainLoss" bottom: "score" bottom: "label" top: "loss"
            infogain_loss_param { source: "infogain_H.binaryproto" } }
    ```

    ## Fix
    Give the matrix file (a BlobProto of num_classes x num_classes, written with
    `caffe.io.array_to_blobproto`), or pass H as a third bottom.
    """
    if not caffe_builds(ctx) or not ctx.schema.is_bvlc:
        return
    for layer in ctx.layers:
        if layer.type != "InfogainLoss" or layer.syntax == "v0" or len(layer.bottoms) >= 3:
            continue
        phases = ctx.active_phases(layer)
        param = layer.param("infogain_loss_param")
        if not phases or (param is not None and param.HasField("source")):
            continue
        if not layer_intact(ctx, layer):
            continue
        at = layer.at("infogain_loss_param") if param is not None else layer.at("type")
        for phase in phases:
            yield Report(at, f"InfogainLoss layer '{layer.name}' has no infogain matrix (no"
                             " `source`, no third bottom): Caffe aborts at net setup with"
                             ' "Check failed: this->layer_param_.infogain_loss_param()'
                             '.has_source() Infogain matrix source must be specified."',
                         hint="give `infogain_loss_param { source: \"H.binaryproto\" }`, or H"
                              " as a third bottom", phase=phase)
