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

from prototxt_lint.model import DEPLOY, TEST, TRAIN, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Edit, Fix, Report, Severity, net_rule


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


def _delete_fix(ctx: NetContext, path: tuple[str | int, ...]) -> Fix | None:
    start, end = ctx.doc.deletion(path)
    if start == end:
        return None
    return Fix("Delete `use_global_stats: true` (Caffe then chooses by phase)",
               (Edit(start, end, ""),))


def _gain(param: Any) -> str:
    """What normalizing with zero statistics multiplies the input by: 1/sqrt(eps)."""
    eps = param.eps
    return f"1/sqrt(eps) ≈ {1 / math.sqrt(eps):.0f} (eps {eps:g})" if eps > 0 else "inf"


@net_rule("N211", "batchnorm-global-stats-in-train", Severity.ERROR,
          "BatchNorm `use_global_stats: true` in TRAIN: statistics never learned.")
def batchnorm_global_stats_in_train(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a BatchNorm layer with `use_global_stats: true` that is active in the TRAIN net,
    unless the Scale layer right after it is frozen too (that fine-tuning pattern is N212).

    ## Why is this bad?
    `BatchNormLayer::Forward_cpu` (`src/caffe/layers/batch_norm_layer.cpp`) then normalizes
    with the stored mean and variance and skips the moving-average update, so in training the
    stored statistics never change. Trained from scratch they are 0 (`LayerSetUp` fills them
    with 0), and the layer divides its input by sqrt(eps): about 316x with the default eps.
    Measured on BVLC Caffe (row 3): `conv1 data: 0.468` became `bn1 data: 148.05`, the
    batch loss was 70.96 (26 of 32 samples at the 87.3365 = -log(FLT_MIN) clamp) at
    iterations 0-1, then `-nan` for the rest of the run, exit 0. The same net without the
    field trained normally.

    Fine-tuning from weights that carry trained statistics with frozen BatchNorm but a
    learned Scale is legitimate; the net file cannot show where the weights come from, so
    suppress the finding there.

    ## Example
    ```
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1"
            batch_norm_param { use_global_stats: true } }
    ```

    ## Use instead
    ```
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
    ```

    ## Fix
    Delete `use_global_stats`: Caffe uses batch statistics in TRAIN and the stored ones in
    TEST by itself.
    """
    for phase, layer, param in _explicit_stats(ctx, (TRAIN,), True):
        if _frozen_scale(ctx, phase, layer) is not None:
            continue  # N212
        yield Report(
            layer.at("batch_norm_param", "use_global_stats"),
            "`use_global_stats: true` in TRAIN: BatchNorm normalizes with its stored mean and"
            " variance, which training never updates; from scratch they are 0, so the layer"
            f" multiplies its input by {_gain(param)} (measured with the default eps: losses"
            " at the 87.3365 clamp, then nan)",
            hint="delete `use_global_stats`: Caffe uses batch statistics in TRAIN and the"
            " stored ones in TEST",
            phase=phase.name,
            fix=_delete_fix(ctx, layer.at("batch_norm_param", "use_global_stats")),
        )


@net_rule("N212", "batchnorm-frozen-for-finetuning", Severity.INFO,
          "BatchNorm and its Scale frozen in TRAIN: right only with pretrained statistics.")
def batchnorm_frozen_for_finetuning(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes a BatchNorm layer with `use_global_stats: true` active in TRAIN whose output goes
    first (directly, or in place through the same blob name) into a `Scale` layer with every
    parameter frozen: the R-FCN / py-R-FCN ResNet pattern, where the pretrained ImageNet
    statistics and affine parameters are kept fixed while detection is fine-tuned.

    ## Why is this bad?
    It is not, when the weights loaded for training (`caffe train --weights`, or the
    framework's pretrained model) carry this layer's mean/variance:
    `BatchNormLayer::Forward_cpu` (`src/caffe/layers/batch_norm_layer.cpp`) then normalizes
    with them and never updates them, as intended. Without them (training from scratch, or
    a renamed layer whose weights are not copied) the statistics stay 0 and the layer
    multiplies its input by 1/sqrt(eps), about 316x (see N211).

    "Every parameter" means every blob `ScaleLayer::LayerSetUp` creates: the scale (when the
    Scale has one bottom) and the bias (with `bias_term: true`). A blob without its own
    `param` block learns with lr_mult 1 (`Net::AppendParam` uses ParamSpec's default), so a
    `bias_term: true` Scale with a single `param { lr_mult: 0 }` is not frozen (N211).
    `param { lr_mult: 0 }` on the BatchNorm itself is not taken as evidence: old Caffe
    required it on every BatchNorm.

    ## Example
    ```
    layer { name: "bn_conv1" type: "BatchNorm" bottom: "conv1" top: "conv1"
            batch_norm_param { use_global_stats: true } }
    layer { name: "scale_conv1" type: "Scale" bottom: "conv1" top: "conv1"
            scale_param { bias_term: true }
            param { lr_mult: 0 } param { lr_mult: 0 } }
    ```

    ## Use instead
    The same, trained from a model that has the statistics; or, from scratch, without
    `use_global_stats` and without the frozen `param` blocks on the Scale.

    ## Fix
    Make sure the weights you start from contain this layer (same name) with trained
    statistics. The note is given once per net, at the first such layer, with the count.
    """
    frozen = [
        (phase, layer, param, scale)
        for phase, layer, param in _explicit_stats(ctx, (TRAIN,), True)
        if (scale := _frozen_scale(ctx, phase, layer)) is not None
    ]
    if not frozen:
        return
    # One note per net, at the first such layer: R-FCN's ResNets have 50-100 of them.
    phase, layer, param, scale = frozen[0]
    others = len(frozen) - 1
    also = f" (and {others} more BatchNorm layers like it in this net)" if others else ""
    yield Report(
        layer.at("batch_norm_param", "use_global_stats"),
        f"`use_global_stats: true` in TRAIN, and the Scale `{scale.name}` after it is"
        f" frozen (lr_mult 0){also}: BatchNorm statistics are frozen for fine-tuning, which"
        " is right only when the loaded weights carry this layer's trained mean and"
        f" variance; from scratch they stay 0 and the layer multiplies its input by"
        f" {_gain(param)}",
        hint=f"train from weights that contain layer `{layer.name}`"
        " (caffe train --weights model.caffemodel)",
        phase=phase.name,
    )


@net_rule("N213", "batchnorm-batch-stats-in-test", Severity.WARNING,
          "BatchNorm `use_global_stats: false` in TEST: outputs depend on the batch.")
def batchnorm_batch_stats_in_test(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a BatchNorm layer with `use_global_stats: false` that is active in the TEST net or
    in a deploy net (built as TEST).

    ## Why is this bad?
    `BatchNormLayer::Forward_cpu` (`src/caffe/layers/batch_norm_layer.cpp`) then normalizes
    every test batch with that batch's own mean and variance instead of the learned moving
    averages, so a sample's output depends on which other samples share its batch, and on
    the batch size (one image normalizes against itself). It also runs the moving-average
    update in TEST: the test net shares its blobs with the train net
    (`Net::ShareTrainedLayersWith` uses `ShareData`), so test passes also change the
    statistics being learned.

    ## Example
    ```
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1"
            batch_norm_param { use_global_stats: false } }
    ```

    ## Use instead
    ```
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
    ```

    ## Fix
    Delete `use_global_stats` (TEST then uses the stored statistics), or restrict
    `use_global_stats: false` to a TRAIN-only layer.
    """
    for phase, layer, _ in _explicit_stats(ctx, (TEST, DEPLOY), False):
        yield Report(
            layer.at("batch_norm_param", "use_global_stats"),
            f"`use_global_stats: false` in {phase.name}: BatchNorm normalizes each batch with"
            " that batch's own mean and variance instead of the learned ones, so a sample's"
            " output depends on the other samples in its batch and on the batch size",
            hint="delete `use_global_stats`: Caffe uses the stored statistics in TEST",
            phase=phase.name,
        )
