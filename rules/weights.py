"""The net against the trained weights it loads (``--weights``, the solver's ``weights``, the
configuration's ``weights``), as ``Net::CopyTrainedLayersFrom`` (``src/caffe/net.cpp``) copies
them: see :mod:`prototxt_lint.caffe.weights`."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prototxt_lint.caffe.layers import param_blobs
from prototxt_lint.caffe.weights import (
    COUNT_MISMATCH,
    SHAPE_MISMATCH,
    Copy,
    copies,
)
from prototxt_lint.model import TRAIN, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.syntax.caffemodel import shape_string


def _models(ctx: NetContext) -> str:
    return ", ".join(m.path for m in ctx.weights)


def _at(layer: LayerView) -> tuple[str | int, ...]:
    return layer.at("name")


def _line(ctx: NetContext, layer: LayerView) -> int:
    return ctx.doc.source.line_col(ctx.doc.span(layer.path)[0])[0]


def _mismatch(copy: Copy) -> str | None:
    """Caffe's message for a copy it refuses, or None when it takes it (or we cannot tell)."""
    source, targets = copy.source, copy.targets
    if targets is None:
        return None
    if copy.model.format == "HDF5":
        return _hdf5_mismatch(copy, targets)
    if len(targets) != len(source.blobs):
        shapes = ", ".join(b.shape_string() for b in source.blobs) or "none"
        return (f"`Check failed: target_blobs.size() == source_layer.blobs_size()"
                f" ({len(targets)} vs. {len(source.blobs)})"
                f" {COUNT_MISMATCH.format(name=source.name)}`: the model's layer has"
                f" {len(source.blobs)} blob(s) ({shapes}), this one makes {len(targets)}")
    for j, (blob, target) in enumerate(zip(source.blobs, targets, strict=True)):
        if target is not None and blob.matches(target) is False:
            return "`" + SHAPE_MISMATCH.format(j=j, name=source.name,
                                               source=blob.shape_string(),
                                               target=shape_string(target)) + "`"
    return None


def _hdf5_mismatch(copy: Copy, targets: list[tuple[int | None, ...] | None]) -> str | None:
    """``Net::CopyTrainedLayersFromHDF5`` and ``hdf5_load_nd_dataset`` (``src/caffe/util/
    hdf5.cpp``): their own wording."""
    source = copy.source
    if len(source.blobs) > len(targets):
        return (f"`Check failed: num_source_params <= target_blobs.size() ({len(source.blobs)}"
                f" vs. {len(targets)}) {COUNT_MISMATCH.format(name=source.name)}`")
    if len(source.blobs) < len(targets):
        return f"`{COUNT_MISMATCH.format(name=source.name)}` (the model has {len(source.blobs)}"\
            f" blob(s), this layer makes {len(targets)})"
    for blob, target in zip(source.blobs, targets, strict=True):
        if target is not None and blob.matches(target) is False:
            return ("`Check failed: blob_dims == blob->shape() Cannot load blob from hdf5;"
                    f" shape mismatch. Source shape is {blob.shape_string()} target shape is"
                    f" {shape_string(target)}`")
    return None


@net_rule("W100", "weights-do-not-fit", Severity.ERROR,
          "A layer's trained weights have another blob count or shape: Caffe refuses them.")
def weights_do_not_fit(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    For every layer of the loaded model (`--weights`, the solver's `weights`, the
    configuration's `weights`) that a layer of this net takes by name, compares the number of
    parameter blobs and each blob's shape with the ones the layer's `LayerSetUp` creates
    (from the net's input shapes, as `prototxt-lint shapes` shows them).

    ## Why is this bad?
    `Net::CopyTrainedLayersFrom` (`src/caffe/net.cpp`) checks
    `CHECK_EQ(target_blobs.size(), source_layer.blobs_size())` ("Incompatible number of blobs
    for layer X") and `Blob::ShapeEquals` for each blob, and aborts with "Cannot copy param j
    weights from layer 'X'; shape mismatch. Source param shape is ...; target param shape is
    ...". Usual causes: the input's channels (gray vs colour), `group`, `num_output`,
    `bias_term`, a kernel size, or a classifier kept under its old name with a new
    `num_output`.

    ## Consequence
    Aborts at load. `caffe train --weights`, `caffe test -weights` and pycaffe's `caffe.Net(net,
    weights, ...)` all stop with the F line before anything runs (measured with the models
    in `tests/fixtures/weights/`).

    ## Example
    The model has `conv1` with weights `4 3 3 3` (3 input channels):
    ```
    layer { name: "data" type: "Input" top: "data"
            input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Use instead
    ```
    layer { name: "data" type: "Input" top: "data"
            input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Fix
    Make the layer match the model (input channels, `group`, `num_output`, `bias_term`), or,
    to learn it from scratch, rename the layer (Caffe then skips the model's layer).
    """
    for copy in copies(ctx):
        message = _mismatch(copy)
        if message is not None:
            yield Report(_at(copy.layer), f"{message} (weights from {copy.model.path})",
                         hint="make the layer match the model, or rename it to learn it"
                         " from scratch", phase=copy.phase.name)


def _learnable_without_weights(ctx: NetContext, phase: PhaseNet) -> list[LayerView]:
    names = {layer.name for m in ctx.weights for layer in m.layers}
    seen: set[str] = set()
    out = []
    for layer in phase.layers:
        if layer.name in seen:
            continue
        seen.add(layer.name)
        count = param_blobs(layer, ctx)
        if count and layer.name not in names:
            out.append(layer)
    return out


def _classifier(ctx: NetContext, phase: PhaseNet) -> LayerView | None:
    """The learnable layer whose output a loss reads (its first bottom)."""
    for layer in phase.layers:
        if layer.is_loss and layer.bottoms:
            producer = phase.producer(layer, layer.bottoms[0])
            if producer is not None and param_blobs(producer, ctx):
                return producer
    return None


def _lr_mult(layer: LayerView) -> float:
    specs = list(getattr(layer.msg, "param", ()))
    if specs and specs[0].HasField("lr_mult"):
        return float(specs[0].lr_mult)
    blobs_lr = list(getattr(layer.msg, "blobs_lr", ()))
    return float(blobs_lr[0]) if blobs_lr else 1.0


#: base_lr x lr_mult at or below this, for a classifier learned from scratch, is a
#: fine-tuning learning rate: BVLC's flickr_style recipe uses base_lr 0.001 with lr_mult 10
SMALL_LR = 0.001


def _slow_new_classifier(ctx: NetContext) -> tuple[LayerView, float, float] | None:
    phase = ctx.phase(TRAIN)
    solver = ctx.trained_by
    if phase is None or solver is None or not ctx.weights or not solver.HasField("base_lr"):
        return None
    classifier = _classifier(ctx, phase)
    if classifier is None or classifier not in _learnable_without_weights(ctx, phase):
        return None
    base_lr, mult = float(solver.base_lr), _lr_mult(classifier)
    return (classifier, base_lr, mult) if base_lr * mult <= SMALL_LR else None


@net_rule("W101", "layers-without-weights", Severity.INFO,
          "Learnable layers that no loaded model names: they start from their fillers.")
def layers_without_weights(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Names the layers with parameters (Convolution, InnerProduct, BatchNorm, Scale, ...) that
    no layer of the loaded models names, once per net: in its TRAIN net when it has one (the
    test nets share the train net's weights, `Net::ShareTrainedLayersWith`), else in the
    phase it is built for.

    ## Why is this bad?
    It is how fine-tuning is done: `Net::CopyTrainedLayersFrom` (`src/caffe/net.cpp`) copies
    by name only, so a renamed layer keeps its filler's values and is learned from scratch.
    But a layer renamed by accident (a typo, a fork's naming) is silently untrained too, and
    in a deploy or test net such a layer computes with random weights.

    ## Consequence
    Reminder. In training these layers learn from their fillers; in a deploy or test net they
    compute with their fillers' values (random or constant), which is wrong unless intended.

    ## Example
    The model has no layer `fc_new`:
    ```
    ~ layer { name: "data" type: "Input" top: "data"
    ~         input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
    ~ layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
    ~         convolution_param { num_output: 4 kernel_size: 3 } }
    layer { name: "fc_new" type: "InnerProduct" bottom: "conv1" top: "fc"
            inner_product_param { num_output: 3 } }
    ```

    ## Use instead
    ```
    layer { name: "fc" type: "InnerProduct" bottom: "conv1" top: "fc"
            inner_product_param { num_output: 3 } }
    ```

    ## Fix
    Nothing, when the layer is meant to be learned anew; otherwise give it the model's name.
    """
    if not ctx.weights:
        return
    slow = _slow_new_classifier(ctx)
    trains = ctx.phase(TRAIN) is not None
    for phase in ctx.phases:
        if trains and phase.name != TRAIN:
            continue  # `Solver::TestAll` shares the train net's weights with the test nets
        layers = [v for v in _learnable_without_weights(ctx, phase)
                  if slow is None or v is not slow[0] or phase.name != TRAIN]
        if not layers:
            continue
        state = ("are learned from their fillers" if phase.name == TRAIN else
                 "compute with their fillers' values (untrained)")
        names = ", ".join(f"'{v.name}'" for v in layers)
        yield Report(
            _at(layers[0]),
            f"{len(layers)} layer(s) with parameters get no weights from {_models(ctx)} and"
            f" {state}: {names}", phase=phase.name,
            related=tuple((_at(v), f"{v.type} '{v.name}'") for v in layers[1:]))


@net_rule("W102", "new-classifier-small-lr", Severity.WARNING,
          "A fine-tuning net's classifier gets no weights and learns at the small base_lr.")
def new_classifier_small_lr(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags the layer whose output the loss reads (the classifier) in the TRAIN net of a solver
    that loads weights, when no loaded model names it and it learns at base_lr x lr_mult of
    0.001 or less.

    ## Why is this bad?
    Fine-tuning renames the classifier so that `Net::CopyTrainedLayersFrom`
    (`src/caffe/net.cpp`) skips it, and lowers `base_lr` so that the copied layers change
    little. The new classifier then starts from its filler at that small rate; BVLC's
    `flickr_style` recipe raises its `lr_mult` (10, 20 for the bias) for that reason.

    ## Consequence
    Likely wrong. If the classifier is meant to be learned anew (it is renamed so), it starts
    from scratch at the rate meant for the pretrained layers: training converges far slower
    than intended.

    ## Example (the net of a solver with `weights` and `base_lr: 0.001`)
    ```
    layer { name: "fc_new" type: "InnerProduct" bottom: "conv1" top: "fc"
            inner_product_param { num_output: 3 } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }
    ```

    ## Use instead (the same solver)
    ```
    layer { name: "fc_new" type: "InnerProduct" bottom: "conv1" top: "fc"
            param { lr_mult: 10 } param { lr_mult: 20 }
            inner_product_param { num_output: 3 } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }
    ```

    ## Fix
    Raise the new classifier's `lr_mult` (about 10x), or its own learning rate otherwise.
    """
    slow = _slow_new_classifier(ctx)
    if slow is None:
        return
    layer, base_lr, mult = slow
    yield Report(_at(layer),
                 f"the classifier '{layer.name}' gets no weights from {_models(ctx)} and learns"
                 f" from its filler at {base_lr * mult:g} (base_lr {base_lr:g} x lr_mult"
                 f" {mult:g}), the rate meant for the fine-tuned layers",
                 hint="raise its lr_mult (BVLC's flickr_style uses 10 and 20)",
                 phase=TRAIN)


@net_rule("W103", "weights-no-layer-takes", Severity.INFO,
          "Layers of a loaded model that no layer of the net takes (Caffe ignores them).")
def weights_no_layer_takes(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Names the layers with blobs in the loaded models that no layer of this net (in any
    phase it is built for) is named after.

    ## Why is this bad?
    `Net::CopyTrainedLayersFrom` (`src/caffe/net.cpp`) logs "Ignoring source layer X" at
    INFO level and goes on: the trained values are dropped. Intended for a replaced
    classifier; a layer renamed by accident loses its training silently.

    ## Consequence
    Reminder. The model's values for these layers are not used.

    ## Example
    The model has `conv1`, `bn1`, `scale1` and `fc`; this net has only `conv1`:
    ```
    layer { name: "data" type: "Input" top: "data"
            input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Use instead
    Nothing: dropping layers is often intended (a truncated net for features).

    ## Fix
    Rename the net's layer to the model's name when it is meant to get those weights.
    """
    names = {layer.name for phase in ctx.phases for layer in phase.layers}
    unused = [(m, w) for m in ctx.weights for w in m.layers if w.blobs and w.name not in names]
    if not unused:
        return
    listed = ", ".join(
        f"'{w.name}' ({w.type or '?'}: {' / '.join(b.shape_string() for b in w.blobs)})"
        for _, w in unused)
    yield Report(ctx.at(), f"{len(unused)} layer(s) of the loaded weights that no layer of this"
                 f" net is named after (Caffe: \"Ignoring source layer\"): {listed}")


@net_rule("W104", "duplicate-name-gets-no-weights", Severity.WARNING,
          "A layer named like an earlier one: Caffe copies the weights into the first only.")
def duplicate_name_gets_no_weights(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer with parameters whose name an earlier layer of the same net already has,
    when a loaded model has a layer of that name.

    ## Why is this bad?
    `Net::CopyTrainedLayersFrom` (`src/caffe/net.cpp`) looks for the *first* layer of the
    net with the model layer's name: the later one keeps its filler's values, and the first
    gets weights that may have been trained for the other (a shape mismatch abort when they
    differ). Caffe accepts duplicate names while building the net (caffe-behaviour row 6c).

    ## Consequence
    Likely wrong. Unless the second layer is meant to be learned from scratch, it computes
    with untrained (filler) values, silently.

    ## Example
    ```
    ~ layer { name: "data" type: "Input" top: "data"
    ~         input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1b"
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Use instead
    ```
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 } }
    layer { name: "conv1b" type: "Convolution" bottom: "data" top: "conv1b"
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Fix
    Give every layer its own name (and the model's name to the one meant to get it).
    """
    names = {layer.name for m in ctx.weights for layer in m.layers}
    for phase in ctx.phases:
        first: dict[str, LayerView] = {}
        for layer in phase.layers:
            if layer.name not in first:
                first[layer.name] = layer
            elif layer.name in names and param_blobs(layer, ctx):
                yield Report(_at(layer),
                             f"a second layer named '{layer.name}': Caffe copies the weights"
                             f" of '{layer.name}' into the first one (the"
                             f" {first[layer.name].type} at line {_line(ctx, first[layer.name])})"
                             " and this one keeps its filler's values",
                             hint="give each layer its own name", phase=phase.name)


@net_rule("W105", "batchnorm-statistics-zero", Severity.WARNING,
          "The loaded weights give a BatchNorm layer all-zero statistics (never trained).")
def batchnorm_statistics_zero(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags BatchNorm layers whose mean, variance and scale factor in the loaded model are all
    0, once per net and phase.

    ## Why is this bad?
    `BatchNormLayer::LayerSetUp` (`src/caffe/layers/batch_norm_layer.cpp`) starts the three
    blobs at 0; only a forward pass in TRAIN without `use_global_stats: true` updates them.
    Zero statistics mean the model was trained with the layer frozen (or never trained).
    With global statistics (TEST, deploy, or `use_global_stats: true` in TRAIN) the layer
    then divides its input by sqrt(eps), about 316x (caffe-behaviour row 3).

    ## Consequence
    Likely wrong. Unless the whole model was trained under the same frozen zeros (the
    `bn_zero` fixture was: its loss is 0 on its constant labels), the layer multiplies its
    input by 1/sqrt(eps), about 316x, in testing and in frozen training, where caffe-behaviour
    row 3 measured losses at the 87.3365 clamp, then NaN.

    ## Example
    With `tests/fixtures/weights/bn_zero.caffemodel` (trained with `bn1` frozen):
    ```
    ~ layer { name: "data" type: "Input" top: "data"
    ~         input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
    ~ layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
    ~         convolution_param { num_output: 4 kernel_size: 3 } }
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
    ```

    ## Use instead
    A model whose BatchNorm layers were trained with batch statistics.

    ## Fix
    Train the BatchNorm layers without `use_global_stats: true` first, or load a model that
    has their statistics.
    """
    for phase in ctx.phases:
        zero = [c.layer for c in copies(ctx) if c.phase is phase
                and c.layer.type == "BatchNorm" and c.source.stats_zero]
        if zero:
            yield one_per_cause(
                [(_at(v), f"BatchNorm '{v.name}'") for v in zero],
                f"the statistics of BatchNorm '{zero[0].name}' in {_models(ctx)} are all 0"
                " (never trained): with global statistics the layer divides its input by"
                " sqrt(eps)", "BatchNorm layers",
                hint="train these layers with batch statistics, or load a model that has"
                " them", phase=phase.name)


@net_rule("W106", "weights-unreadable", Severity.ERROR,
          "A model named for this net cannot be read as Caffe weights.")
def weights_unreadable(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Reports a model named by the solver's `weights` or the configuration's `weights` that is
    truncated, corrupt or not a caffemodel; a missing one is W107 (`--weights` files are
    checked before linting: a bad one stops the run with exit code 2).

    ## Why is this bad?
    `Net::CopyTrainedLayersFromBinaryProto` (`src/caffe/net.cpp`) aborts in
    `ReadNetParamsFromBinaryFileOrDie` ("Failed to parse NetParameter file").

    ## Consequence
    Aborts at load. Caffe stops before training or testing.

    ## Example (a solver)
    ```
    net: "train_val.prototxt"
    weights: "bvlc_reference_caffenet.caffemodel"  # a truncated download
    ```

    ## Fix
    Point to the right file, or download it again (a truncated download is common).
    """
    for path, why in ctx.weights_errors:
        if os.path.lexists(path):  # missing here is W107: it may be there where caffe runs
            yield Report(ctx.at(),
                         f"cannot read the weights {path}: {why.removeprefix(path + ': ')}")


@net_rule("W107", "weights-not-found", Severity.INFO,
          "A model named for this net is not where this lint looks: its weights are not checked.")
def weights_not_found(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes a model named by the solver's `weights` or the configuration's `weights` that does
    not exist where the linter looks (relative to the current folder, or `--data-root`).

    ## Why is this bad?
    `Net::CopyTrainedLayersFrom` (`src/caffe/net.cpp`) aborts if the file is missing where
    `caffe` runs. But models are often downloaded later or kept elsewhere (a script fetches
    them, a cluster has them), so a model missing here says nothing certain about the run.

    ## Consequence
    Reminder. None of the W checks (shapes against the model, BatchNorm statistics, layers
    that get no weights) ran for this net; Caffe aborts at load if the file is missing where
    it runs too.

    ## Example (a solver)
    ```
    net: "train_val.prototxt"
    weights: "models/bvlc_reference_caffenet.caffemodel"  # not downloaded yet
    ```

    ## Fix
    Download the model, or lint with `--data-root` where `caffe` runs, so that the weights
    are checked.
    """
    for path, _ in ctx.weights_errors:
        if not os.path.lexists(path):
            yield Report(ctx.at(), f"the weights {path} are not found from here, so the net is"
                         " not checked against them; Caffe aborts at load if they are missing"
                         " where it runs too")
