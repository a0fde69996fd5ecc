"""BatchNorm ``use_global_stats`` set against the phase the layer runs in.

These mirror ``BatchNormLayer<Dtype>::LayerSetUp`` and ``BatchNormLayer<Dtype>::Forward_cpu``
in ``src/caffe/layers/batch_norm_layer.cpp`` (BVLC master): ``use_global_stats_ = this->phase_
== TEST`` unless ``batch_norm_param { use_global_stats }`` is written. With global stats the
layer normalizes with its stored mean/variance blobs (divided by the stored count, and 0 when
the count is 0) and never updates them; without, it uses the batch's own statistics and
updates the stored moving averages. Measured on a real BVLC build in shared/caffe-behaviour,
row 3. A deploy net is built as TEST, where global stats are the default.

Only the written field is judged: ``param { lr_mult: 0 }`` blocks on a BatchNorm prove
nothing (old Caffe required them on every BatchNorm, and master adds them itself).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from prototxt_lint.caffe.weights import batchnorm_statistics
from prototxt_lint.model import DEPLOY, TEST, TRAIN, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Edit, Fix, Report, Severity, net_rule, one_per_cause


def _explicit_stats(ctx: NetContext, phases: tuple[str, ...],
                    value: bool) -> Iterator[tuple[PhaseNet, LayerView, Any]]:
    """Active BatchNorm layers of ``phases`` that write ``use_global_stats: value``."""
    for phase in ctx.phases:
        if phase.name not in phases:
            continue
        for layer in phase.layers:
            if layer.type != "BatchNorm":
                continue
            param = layer.param("batch_norm_param")
            if param is not None and param.HasField("use_global_stats") \
                    and param.use_global_stats == value:
                yield phase, layer, param


def _scale_blobs(scale: LayerView) -> int:
    """``ScaleLayer::LayerSetUp``: a learned scale blob when there is one bottom, plus a bias
    blob with ``bias_term: true``."""
    param = scale.param("scale_param")
    return int(len(scale.bottoms) == 1) + int(bool(param is not None and param.bias_term))


def _frozen_scale(ctx: NetContext, phase: PhaseNet, layer: LayerView) -> LayerView | None:
    """The Scale layer that reads this BatchNorm's output first (in place or not), if every
    one of its blobs has a ``param`` with ``lr_mult: 0``. A blob without a ``param`` block
    learns with lr_mult 1 (``Net::AppendParam`` uses ParamSpec's default), so it is not
    frozen: `bias_term: true` with one `param { lr_mult: 0 }` leaves the bias learning."""
    consumers = ctx.next_consumers(phase, layer)
    if not consumers or not layer.tops:
        return None
    first = consumers[0]
    if first.type != "Scale" or not first.bottoms or first.bottoms[0] != layer.tops[0]:
        return None
    blobs = _scale_blobs(first)
    lr = first.lr_mults()
    if blobs == 0 or len(lr) < blobs or any(m != 0 for m in lr[:blobs]):
        return None
    return first


def _delete_fix(ctx: NetContext, layers: list[LayerView]) -> Fix | None:
    """Delete `use_global_stats: true` from each of ``layers``. Unsafe: it changes how the
    net trains (right from scratch, wrong when fine-tuning from trained statistics)."""
    edits = []
    for layer in layers:
        start, end, kept = ctx.doc.deletion(layer.at("batch_norm_param", "use_global_stats"))
        if start != end:
            edits.append(Edit(start, end, kept))
    if not edits:
        return None
    return Fix("Delete `use_global_stats: true` (Caffe then chooses by phase)", tuple(edits),
               safe=False)


def _gain(param: Any) -> str:
    """What normalizing with zero statistics multiplies the input by: 1/sqrt(eps)."""
    eps = param.eps
    return f"1/sqrt(eps) ≈ {1 / math.sqrt(eps):.0f} (eps {eps:g})" if eps > 0 else "inf"


def _frozen_in_train(ctx: NetContext) -> tuple[list[tuple[PhaseNet, LayerView, Any]],
                                               list[tuple[LayerView, LayerView]]]:
    """BatchNorm layers of the TRAIN net with `use_global_stats: true`, and those of them
    whose Scale is frozen too (with that Scale)."""
    found = list(_explicit_stats(ctx, (TRAIN,), True))
    scales = [(layer, scale) for phase, layer, _ in found
              if (scale := _frozen_scale(ctx, phase, layer)) is not None]
    return found, scales


def _place(layer: LayerView) -> tuple[tuple[str | int, ...], str]:
    return layer.at("batch_norm_param", "use_global_stats"), f"BatchNorm '{layer.name}'"


def _without_statistics(ctx: NetContext, found: list[Any]) -> bool:
    """The loaded weights name none of the frozen BatchNorm layers: their statistics stay at
    ``LayerSetUp``'s zeros, as when training from scratch."""
    return bool(found) and all(batchnorm_statistics(ctx, v) == "none" for _, v, _ in found)


@net_rule("N211", "batchnorm-global-stats-in-train", Severity.WARNING,
          "BatchNorm `use_global_stats: true` in TRAIN: statistics never learned.")
def batchnorm_global_stats_in_train(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags BatchNorm layers with `use_global_stats: true` in the TRAIN net of a net that
    shows no sign of fine-tuning (then it is N212), or whose loaded weights (`--weights`, the
    solver's `weights`) have none of these layers: once per net, at the first such layer,
    with the others as related places.

    The TRAIN net is judged only where Caffe builds one for what the file is for (see the
    net's role): a solver trains it, the file has data for TRAIN, or, without phase rules,
    it has a loss and nothing that marks it as written for testing. A file without phase
    rules whose BatchNorm layers say `use_global_stats: true` and that neither shuffles nor
    mirrors its input is an evaluation net, and is not judged as a training net.

    ## Why is this bad?
    `BatchNormLayer::Forward_cpu` (`src/caffe/layers/batch_norm_layer.cpp`) then normalizes
    with the stored mean and variance and skips the moving-average update, so in training the
    stored statistics never change. Trained from scratch they are 0 (`LayerSetUp` fills them
    with 0), and the layer divides its input by sqrt(eps): about 316x with the default eps.
    Measured on BVLC Caffe (row 3): `conv1 data: 0.468` became `bn1 data: 148.05`, the
    batch loss was 70.96 (26 of 32 samples at the 87.3365 = -log(FLT_MIN) clamp) at
    iterations 0-1, then `-nan` for the rest of the run, exit 0. The same net without the
    field trained normally.

    ## Consequence
    Likely wrong. If this net trains from scratch, the result is NaN: the stored statistics are
    0 and never updated, the layer multiplies its input by 1/sqrt(eps), and the loss is `-nan`
    from the third iteration on (measured, row 3). Weights given on the command line (`caffe
    train --weights`) can carry trained statistics, and then freezing them is a legitimate
    fine-tuning choice, so this is a warning that states that assumption, never an error.

    ## Example
    ```
    layer { name: "data" type: "Data" top: "data" top: "label"
            transform_param { scale: 0.00390625 }
            data_param { source: "train_lmdb" batch_size: 64 backend: LMDB } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 8 kernel_size: 3
                                weight_filler { type: "xavier" } } }
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1"
            batch_norm_param { use_global_stats: true } }
    layer { name: "ip" type: "InnerProduct" bottom: "conv1" top: "ip"
            inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
    ```

    ## Use instead
    The same net without `batch_norm_param { use_global_stats: true }`.

    ## Fix
    Delete `use_global_stats` (Caffe uses batch statistics in TRAIN and the stored ones in
    TEST by itself). The fix is unsafe (`--unsafe-fixes`): it changes how the net trains,
    which is wrong when you fine-tune from weights with trained statistics.
    """
    found, scales = _frozen_in_train(ctx)
    unloaded = _without_statistics(ctx, found)
    if not found or ((scales or ctx.role.finetuning) and not unloaded):
        return  # nothing frozen, or a fine-tuning net (N212)
    phase, _, param = found[0]
    layers = [layer for _, layer, _ in found]
    yield one_per_cause(
        [_place(layer) for layer in layers],
        "`use_global_stats: true` in TRAIN: BatchNorm normalizes with its stored mean and"
        " variance, which training never updates; if this net trains from scratch they are 0,"
        f" so the layer multiplies its input by {_gain(param)} (measured with the default"
        " eps: losses at the 87.3365 clamp, then nan)",
        "BatchNorm layers",
        hint="delete `use_global_stats` (Caffe uses batch statistics in TRAIN and the"
        " stored ones in TEST); keep it only when fine-tuning from weights that carry these"
        " layers' statistics (caffe train --weights)",
        phase=phase.name,
        fix=_delete_fix(ctx, layers),
    )


@net_rule("N212", "batchnorm-frozen-for-finetuning", Severity.INFO,
          "BatchNorm frozen in TRAIN in a fine-tuning net: right only with trained statistics.")
def batchnorm_frozen_for_finetuning(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes BatchNorm layers with `use_global_stats: true` in the TRAIN net of a net that
    shows signs of fine-tuning: the Scale layer right after a BatchNorm (directly, or in
    place through the same blob name) has every parameter frozen (the R-FCN / py-R-FCN
    ResNet pattern), a learnable layer is frozen with `lr_mult: 0` and has no filler of its
    own, or the solver that trains it loads `weights`. Once per net, at the first such
    layer, with the others as related places. When the weights loaded into the net
    (`--weights`, the solver's `weights`) carry these layers, they decide and nothing is
    reported here: trained statistics make the frozen layers right, all-zero ones are W105.

    ## Why is this bad?
    It is not, when the weights loaded for training (`caffe train --weights`, or the
    framework's pretrained model) carry these layers' mean/variance:
    `BatchNormLayer::Forward_cpu` (`src/caffe/layers/batch_norm_layer.cpp`) then normalizes
    with them and never updates them, as intended. Without them (training from scratch, or
    a renamed layer whose weights are not copied) the statistics stay 0 and the layer
    multiplies its input by 1/sqrt(eps), about 316x (see N211).

    "Every parameter" of a Scale means every blob `ScaleLayer::LayerSetUp` creates: the
    scale (when the Scale has one bottom) and the bias (with `bias_term: true`). A blob
    without its own `param` block learns with lr_mult 1 (`Net::AppendParam` uses
    ParamSpec's default). `param { lr_mult: 0 }` on the BatchNorm itself is not taken as
    evidence: old Caffe required it on every BatchNorm.

    ## Consequence
    Reminder. Right when the weights loaded for training carry these layers' trained mean and
    variance; without them the statistics stay 0 and the layer multiplies its input by
    1/sqrt(eps) (see N211).

    ## Example
    ```
    layer { name: "data" type: "Data" top: "data" top: "label"
            transform_param { scale: 0.00390625 }
            data_param { source: "train_lmdb" batch_size: 64 backend: LMDB } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 8 kernel_size: 3
                                weight_filler { type: "xavier" } } }
    layer { name: "bn_conv1" type: "BatchNorm" bottom: "conv1" top: "conv1"
            batch_norm_param { use_global_stats: true } }
    layer { name: "scale_conv1" type: "Scale" bottom: "conv1" top: "conv1"
            scale_param { bias_term: true }
            param { lr_mult: 0 } param { lr_mult: 0 } }
    layer { name: "ip" type: "InnerProduct" bottom: "conv1" top: "ip"
            inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
    ```

    ## Use instead
    The same, trained from a model that has the statistics; or, from scratch, without
    `use_global_stats` and without the frozen `param` blocks on the Scale.

    ## Fix
    Make sure the weights you start from contain these layers (same names) with trained
    statistics.
    """
    found, scales = _frozen_in_train(ctx)
    if not found or not (scales or ctx.role.finetuning):
        return
    if all(batchnorm_statistics(ctx, v) in ("trained", "zero") for _, v, _ in found):
        return  # the weights decide: trained statistics are right, zero ones are W105's
    if _without_statistics(ctx, found):
        return  # the weights have none of these layers: N211
    phase, layer, param = found[0]
    signs = ([f"the Scale '{scales[0][1].name}' after BatchNorm '{scales[0][0].name}' is"
              " frozen (lr_mult 0)"] if scales else []) + list(ctx.role.finetuning)
    yield one_per_cause(
        [_place(v) for _, v, _ in found],
        "`use_global_stats: true` in TRAIN in a net that fine-tunes"
        f" ({'; '.join(signs)}): BatchNorm statistics are frozen, which is right only when"
        " the loaded weights carry these layers' trained mean and variance; from scratch"
        f" they stay 0 and the layer multiplies its input by {_gain(param)}",
        "BatchNorm layers",
        hint=f"train from weights that contain layer `{layer.name}`"
        " (caffe train --weights model.caffemodel)",
        phase=phase.name,
    )


@net_rule("N213", "batchnorm-batch-stats-in-test", Severity.WARNING,
          "BatchNorm `use_global_stats: false` in TEST: outputs depend on the batch.")
def batchnorm_batch_stats_in_test(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags BatchNorm layers with `use_global_stats: false` in the TEST net or in a deploy net
    (built as TEST): once per net, at the first such layer, with the others as related
    places. TEST is judged only where Caffe builds a TEST net for what the file is for: a
    deploy or evaluation net, a file with data for TEST, or a solver's test net; a training
    file without phase rules is not (its TEST net is never built).

    ## Why is this bad?
    `BatchNormLayer::Forward_cpu` (`src/caffe/layers/batch_norm_layer.cpp`) then normalizes
    every test batch with that batch's own mean and variance instead of the learned moving
    averages, so a sample's output depends on which other samples share its batch, and on
    the batch size (one image normalizes against itself). It also runs the moving-average
    update in TEST: the test net shares its blobs with the train net
    (`Net::ShareTrainedLayersWith` uses `ShareData`), so test passes also change the
    statistics being learned.

    ## Consequence
    Likely wrong. If each test or deploy output is meant to depend on its own sample only, it
    does not: it depends on the other samples of its batch and on the batch size, and test
    passes also change the moving averages the train net learns (the nets share these blobs).

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 8 kernel_size: 3 } }
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1"
            batch_norm_param { use_global_stats: false } }
    ```

    ## Use instead
    The same net without `batch_norm_param { use_global_stats: false }`.

    ## Fix
    Delete `use_global_stats` (TEST then uses the stored statistics), or restrict
    `use_global_stats: false` to a TRAIN-only layer.
    """
    found = list(_explicit_stats(ctx, (TEST, DEPLOY), False))
    if not found:
        return
    phase = found[0][0]
    yield one_per_cause(
        [_place(layer) for p, layer, _ in found if p is phase],
        f"`use_global_stats: false` in {phase.name}: BatchNorm normalizes each batch with"
        " that batch's own mean and variance instead of the learned ones, so a sample's"
        " output depends on the other samples in its batch and on the batch size",
        "BatchNorm layers",
        hint="delete `use_global_stats`: Caffe uses the stored statistics in TEST",
        phase=phase.name,
    )
