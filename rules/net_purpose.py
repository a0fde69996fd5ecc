"""Layers that do not fit what the net is for: Accuracy in the TRAIN net (N306), a data
layer left in a deploy net (N307), judged on the role ``prototxt_lint.roles`` decides and the
nets ``Net::FilterNet`` (``src/caffe/net.cpp``, BVLC master) builds from it.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.layers import caffe_builds
from prototxt_lint.model import (
    DATA_LAYER_TYPES,
    DEPLOY,
    TRAIN,
    TRAIN_VAL,
    NetContext,
    PhaseNet,
)
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.roles import asks_for, train_net


@net_rule("N306", "accuracy-in-train", Severity.INFO,
          "Accuracy layer in the TRAIN net: harmless, usually meant for TEST only.")
def accuracy_in_train(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes `Accuracy` layers active in the TRAIN net of a train/val net (data for TRAIN and
    for TEST, or a solver that builds both from it), once per net. A training-only file
    (no TEST net to move the layer to) and a layer with `include { phase: TRAIN }` (in
    TRAIN on purpose) are left alone.

    ## Why is this bad?
    It is harmless: `AccuracyLayer` (`src/caffe/layers/accuracy_layer.cpp`) has no loss
    weight, so `Net::Init` leaves it out of the backward pass, and the solver just prints
    its value with the loss each `display` iterations. It costs a forward pass per
    iteration and shows the accuracy on the current training batch, which is often not what
    the author meant (the usual pattern limits it to `include { phase: TEST }`).

    ## Consequence
    Reminder. Harmless: Accuracy takes no part in the backward pass; it costs a forward pass per
    iteration and reports the accuracy on each training batch.

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
    ~ layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
    ~         inner_product_param { num_output: 10 } }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
    layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy" }
    ```

    ## Use instead
    ```
    layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy"
            include { phase: TEST } }
    ```

    ## Fix
    Add `include { phase: TEST }`, or keep it if training-batch accuracy is wanted.
    """
    if not caffe_builds(ctx):
        return
    phase = train_net(ctx)
    if phase is None:
        return
    if ctx.role.kind != TRAIN_VAL:
        return  # no TEST net to move it to: a training file reports training accuracy
    found = [v for v in phase.layers if v.type == "Accuracy" and not asks_for(v, 0)]
    if not found:
        return
    yield one_per_cause(
        [(v.at("type"), f"Accuracy layer '{v.name}'") for v in found],
        f"Accuracy layer '{found[0].name}' runs in the TRAIN net: harmless (it takes no"
        " part in the backward pass), it reports the accuracy on each training batch",
        "Accuracy layers",
        hint="add `include { phase: TEST }` if it is meant for testing only",
        phase=TRAIN,
    )


def _declares_inputs(ctx: NetContext, phase: PhaseNet) -> bool:
    return bool(ctx.net.input) or any(v.type == "Input" for v in phase.layers)


@net_rule("N307", "data-layer-in-deploy", Severity.WARNING,
          "A Caffe data layer left in a deploy net: it still opens its training source.")
def data_layer_in_deploy(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Caffe data layer (`Data`, `ImageData`, `HDF5Data`, `WindowData`) in a deploy
    net: a net whose phase declares its inputs (`input:` fields or an `Input` layer) and
    has no loss layer.

    ## Why is this bad?
    A data layer is set up whenever the net is built (`Net::Init`, `src/caffe/net.cpp`):
    `DataLayer`'s constructor opens its LMDB/LevelDB `source`, `ImageDataLayer`,
    `HDF5DataLayer` and `WindowDataLayer` read their list files in `DataLayerSetUp`
    (`src/caffe/layers/*_data_layer.cpp`), and each aborts when the source is missing,
    which it is wherever the model is deployed. It also starts a prefetch thread that
    reads training data for nothing, and its tops compete with the inputs.

    ## Consequence
    Likely wrong. If the model is deployed where the training source does not exist, Caffe
    aborts at set-up when it builds the net (the data layer opens its source in its constructor
    or `DataLayerSetUp`); where the source exists, the layer reads training data for nothing.

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 224 dim: 224 }
    layer { name: "data" type: "Data" top: "data2" top: "label"
            data_param { source: "train_lmdb" batch_size: 64 backend: LMDB } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 224 dim: 224 }
    ```

    ## Fix
    Delete the data layer from the deploy net (and any layer that only reads its labels).
    """
    if not caffe_builds(ctx):
        return
    for phase in ctx.phases:
        deploy = phase.name == DEPLOY or (
            _declares_inputs(ctx, phase) and not any(v.may_be_loss for v in phase.layers))
        if not deploy:
            continue
        for layer in phase.layers:
            if layer.type not in DATA_LAYER_TYPES:
                continue
            yield Report(
                layer.at("type"),
                f"{layer.type} layer '{layer.name}' is left in a deploy net (its inputs are"
                " declared with `input:` or an Input layer, and it has no loss): Caffe still"
                " sets it up when the net is loaded, opening its training source, and aborts"
                " where that source does not exist",
                hint=f"delete layer '{layer.name}' from the deploy net",
                phase=phase.name,
            )

