"""Layer parameters Caffe aborts on at start-up, or accepts and then trains badly.

Mirrors ``BaseConvolutionLayer::LayerSetUp`` (``src/caffe/layers/base_conv_layer.cpp``),
``InnerProductLayer::LayerSetUp`` (``src/caffe/layers/inner_product_layer.cpp``) and the
fillers in ``include/caffe/filler.hpp``, ``DropoutLayer`` (``src/caffe/layers/
dropout_layer.cpp``) with ``caffe_rng_bernoulli`` (``src/caffe/util/math_functions.cpp``), and
``BatchNormLayer::LayerSetUp`` (``src/caffe/layers/batch_norm_layer.cpp``), BVLC master.
Measured on a real BVLC build (shared/caffe-behaviour, rows 6e-6h). Shapes are not needed
for any of these; ``group`` and filler checks live with the shape and filler rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prototxt_lint.caffe.layers import caffe_builds, is_registered, layer_intact
from prototxt_lint.model import STAGED, TRAIN, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.schema import bvlc_schema
from prototxt_lint.syntax.parser import Path

_NUM_OUTPUT_FIELD = {
    "Convolution": "convolution_param",
    "Deconvolution": "convolution_param",
    "InnerProduct": "inner_product_param",
    "LSTM": "recurrent_param",
    "RNN": "recurrent_param",
}
#: What the filler of a 0-row weight blob fails on first (``include/caffe/filler.hpp``):
#: these check ``blob->count()`` before touching the data; constant, gaussian and
#: positive_unitball ask for the data first, and an empty blob has none (``Blob::
#: mutable_cpu_data``: ``CHECK(data_)``).
_COUNT_FIRST = frozenset({"xavier", "msra", "uniform"})


def _num_output(layer: LayerView) -> tuple[int, Path, Any] | None:
    """(num_output, where to point, the parameter message) for a layer that needs one."""
    if layer.syntax == "v0":
        inner = layer.msg.layer
        return int(inner.num_output), layer.at("layer", "type"), None
    field = _NUM_OUTPUT_FIELD[layer.type]
    param = layer.param(field)
    if param is None:
        return 0, layer.at("type"), None
    return int(param.num_output), layer.at(field), param


#: Layers that only read a net's output: a top read by nothing else is the net's output.
_OUTPUT_READERS = frozenset({"Accuracy", "Softmax", "Silence"})


def _network_output(ctx: NetContext, layer: LayerView) -> bool:
    """An InnerProduct whose tops only losses, Accuracy or Softmax read (or nothing): the
    output layer, whose ``num_output`` DIGITS (``caffe_train.py``) sets to the number of
    classes in the nets it generates from a stage-gated template."""
    if layer.type != "InnerProduct":
        return False
    tops = set(layer.tops)
    return all(v is layer or v.is_loss or v.type in _OUTPUT_READERS
               or not tops.intersection(v.bottoms) for v in ctx.layers)


def _misplaced(layer: LayerView) -> str | None:
    """The other layer family's parameter message, when it carries the num_output."""
    if layer.syntax == "v0" or layer.type in ("LSTM", "RNN"):
        return None
    other = ("inner_product_param" if _NUM_OUTPUT_FIELD[layer.type] == "convolution_param"
             else "convolution_param")
    param = layer.param(other)
    return other if param is not None and param.num_output > 0 else None


@net_rule("N321", "missing-num-output", Severity.ERROR,
          "Convolution, InnerProduct, LSTM or RNN without `num_output`: Caffe aborts.")
def missing_num_output(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution, Deconvolution, InnerProduct, LSTM or RNN layer whose `num_output` is
    missing (it defaults to 0) or 0, including one whose `num_output` sits in the other layer
    family's parameter block (`convolution_param` on an InnerProduct). A template for DIGITS
    (data layers that name no source, or stage-gated data layers) is not judged on its output
    InnerProduct: DIGITS' `caffe_train.py` sets that layer's `num_output` to the number of
    classes when it writes the net Caffe reads.

    ## Why is this bad?
    `BaseConvolutionLayer::LayerSetUp` (`src/caffe/layers/base_conv_layer.cpp`) checks
    `CHECK_GT(num_output_, 0)`: measured, `Check failed: num_output_ > 0 (0 vs. 0)`.
    `InnerProductLayer::LayerSetUp` has no such check: it makes a weight blob with 0 rows,
    and the weight filler (`include/caffe/filler.hpp`) aborts with an obscure message,
    measured `Check failed: data_` with the default constant filler and
    `Check failed: blob->count()` with xavier; `convolution_param { num_output: 2 }` on an
    InnerProduct gives the same (its own num_output stays 0). `LSTMLayer::FillUnrolledNet`
    and `RNNLayer::FillUnrolledNet` (`src/caffe/layers/lstm_layer.cpp`, `rnn_layer.cpp`)
    check `CHECK_GT(num_output, 0) << "num_output must be positive"`. Either way Caffe dies
    at start-up, after the data layers above were set up.

    ## Consequence
    Aborts at set-up. A Convolution or Deconvolution fails `CHECK_GT(num_output_, 0)` in
    `BaseConvolutionLayer::LayerSetUp` (an LSTM or RNN `num_output > 0` in
    `FillUnrolledNet`); an InnerProduct dies in the weight filler that
    `InnerProductLayer::LayerSetUp` runs on its 0-row weights (`Check failed: data_` or `Check
    failed: blob->count()`; measured, rows 6e, 6f).

    ## Example
    ```
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
            inner_product_param { weight_filler { type: "xavier" } } }
    ```

    ## Use instead
    ```
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
            inner_product_param { num_output: 500 weight_filler { type: "xavier" } } }
    ```

    ## Fix
    Set `num_output` (the number of filters or outputs) in the layer's own parameter block.
    """
    if not caffe_builds(ctx):
        return
    for layer in ctx.layers:
        phases = ctx.active_phases(layer) if layer.type in _NUM_OUTPUT_FIELD else []
        if not phases:
            continue
        found = _num_output(layer)
        if found is None:
            continue
        value, at, param = found
        if value > 0:
            continue
        if not layer_intact(ctx, layer):
            continue  # a skipped or cut-off value may have been the num_output
        if len(layer.bottoms) > 1 and layer.type not in ("LSTM", "RNN"):
            continue  # a fork's layer that takes its weights from a bottom (caffe-windows)
        if (ctx.role.kind == STAGED or ctx.role.template) and _network_output(ctx, layer):
            continue  # a DIGITS template: DIGITS sets it to the number of classes
        field = _NUM_OUTPUT_FIELD[layer.type]
        state = ("is 0" if param is not None and param.HasField("num_output")
                 else "is missing (it defaults to 0)")
        if layer.type == "InnerProduct":
            filler = (param.weight_filler.type if param is not None
                      and param.HasField("weight_filler") else "constant")
            check = "blob->count()" if filler in _COUNT_FIRST else "data_"
            effect = ("Caffe makes a weight blob with 0 rows and aborts in its"
                      f" {filler} weight filler with \"Check failed: {check}\"")
        elif field == "recurrent_param":
            effect = ('Caffe aborts with "Check failed: num_output > 0 (0 vs. 0) num_output must'
                      ' be positive"')
        else:
            effect = 'Caffe aborts with "Check failed: num_output_ > 0 (0 vs. 0)"'
        other = _misplaced(layer)
        hint = f"set `num_output` in `{field}`"
        if other is not None:
            hint = (f"move `num_output` from `{other}` (which {layer.type} ignores) into"
                    f" `{field}`")
        for name in phases:
            yield Report(
                at,
                f"{layer.type} layer '{layer.name}': `num_output` {state}: {effect}",
                hint=hint,
                phase=name,
            )


@net_rule("N322", "dropout-ratio-out-of-range", Severity.ERROR,
          "`dropout_ratio` outside [0, 1): NaN or an abort in TRAIN.")
def dropout_ratio_out_of_range(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Dropout layer active in the TRAIN net whose `dropout_ratio` is 1 or more, or
    negative.

    ## Why is this bad?
    `DropoutLayer::LayerSetUp` (`src/caffe/layers/dropout_layer.cpp`) only `DCHECK`s the
    ratio, which release builds compile out, and sets `scale_ = 1 / (1 - ratio)`. In TRAIN,
    `Forward_cpu` draws its mask with `caffe_rng_bernoulli(count, 1 - ratio, mask)`
    (`src/caffe/util/math_functions.cpp`), which checks `p >= 0` and `p <= 1`. Measured
    (rows 6g, 6h): `dropout_ratio: 1.0` is accepted, the mask is all 0 and the scale is
    inf, so every output is 0 x inf = NaN (`Initial loss: -nan`, exit 0);
    `dropout_ratio: 1.5` aborts at the first TRAIN forward pass with
    `Check failed: p >= 0 (-0.5 vs. 0)`; a negative ratio fails `p <= 1` the same way. In
    TEST the layer passes its input through, so only training is hit. (Measured on CPU;
    the GPU kernel compares against a threshold instead of checking.)

    ## Consequence
    NaN. With `dropout_ratio: 1` Caffe accepts the net (the range check is a `DCHECK`) and every
    TRAIN output is 0 x inf = NaN (`Initial loss: -nan`, measured, row 6g). Aborts at run time
    with a ratio above 1 or below 0: `caffe_rng_bernoulli` fails `p >= 0` or `p <= 1` at the
    first TRAIN forward pass (measured, row 6h). TEST is not affected.

    ## Example
    ```
    ~ layer { name: "data" type: "DummyData" top: "fc7" top: "label"
    ~         dummy_data_param { shape { dim: 8 dim: 4096 } shape { dim: 8 } } }
    layer { name: "drop7" type: "Dropout" bottom: "fc7" top: "fc7"
            dropout_param { dropout_ratio: 1.0 } }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc7" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    layer { name: "drop7" type: "Dropout" bottom: "fc7" top: "fc7"
            dropout_param { dropout_ratio: 0.5 } }
    ```

    ## Fix
    Use the fraction of units to drop, in [0, 1) (0.5 is usual).
    """
    if not caffe_builds(ctx):
        return
    phase = ctx.phase(TRAIN)
    if phase is None:
        return
    for layer in phase.layers:
        if layer.type != "Dropout":
            continue
        if layer.syntax == "v0":
            ratio = float(layer.msg.layer.dropout_ratio)
            at: Path = layer.at("layer", "dropout_ratio")
        else:
            param = layer.param("dropout_param")
            if param is None or not param.HasField("dropout_ratio"):
                continue
            ratio = float(param.dropout_ratio)
            at = layer.at("dropout_param", "dropout_ratio")
        if 0 <= ratio < 1:
            continue
        p = 1 - ratio
        if ratio == 1:
            effect = ("Caffe accepts it (the range check is a DCHECK), but in TRAIN every output"
                      " is 0 x inf = NaN (measured: \"Initial loss: -nan\")")
        elif ratio > 1:
            effect = ("Caffe aborts at the first TRAIN forward pass with \"Check failed:"
                      f" p >= 0 ({p:g} vs. 0)\"")
        else:
            effect = ("Caffe aborts at the first TRAIN forward pass with \"Check failed:"
                      f" p <= 1 ({p:g} vs. 1)\"")
        yield Report(
            at,
            f"`dropout_ratio: {ratio:g}` on layer '{layer.name}' is outside [0, 1): {effect}",
            hint="use the fraction of units to drop, in [0, 1) (0.5 is usual)",
            phase=TRAIN,
        )


#: Layers that apply a learned affine map themselves: a BatchNorm feeding one directly
#: loses nothing without a Scale (its weights and bias absorb the scale and shift).
_LINEAR_TYPES = frozenset({"Convolution", "Deconvolution", "InnerProduct"})


def _scale_bias(layer: LayerView) -> bool:
    param = layer.param("scale_param")
    return bool(param is not None and param.bias_term)


def _affine_after(ctx: NetContext, phase: PhaseNet, bn: LayerView) -> str | None:
    """What is missing after ``bn`` in ``phase`` ("scale and shift", "shift"), or None
    when its output gets a learned affine map (or cannot be judged)."""
    consumers = ctx.next_consumers(phase, bn)
    if not consumers or not bn.tops:
        return None
    first = consumers[0]
    if not is_registered(first) or first.type == "Python":
        return None
    if first.type in _LINEAR_TYPES:
        return None
    if first.type == "Scale" and first.bottoms and first.bottoms[0] == bn.tops[0]:
        if _scale_bias(first):
            return None
        after = ctx.next_consumers(phase, first)
        if after and after[0].type == "Bias":
            return None
        return "shift"
    if first.type == "Bias":
        return "scale"
    return "scale and shift"


def _sets_fork_fields(layer: LayerView, param_name: str) -> bool:
    """Does the layer's parameter message set a field BVLC's schema does not declare (a
    fork's own: NVCaffe's BatchNorm `scale_bias`, `scale_filler`, `bias_filler`, which make
    it learn a scale and a shift)?"""
    param = layer.param(param_name)
    if param is None:
        return False
    bvlc = bvlc_schema()
    name = param.DESCRIPTOR.name
    return any(not bvlc.has_field(name, fd.name) for fd, _ in param.ListFields())


@net_rule("N323", "batchnorm-without-scale", Severity.WARNING,
          "BatchNorm not followed by a Scale with `bias_term: true`: no learned scale/shift.")
def batchnorm_without_scale(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a BatchNorm layer whose output goes first to a layer other than a `Scale` with
    `bias_term: true` (or a `Scale` then a `Bias`), e.g. straight into a ReLU or Sigmoid.
    A fork's BatchNorm that sets fields of the fork's own (NVCaffe's `scale_bias`,
    `scale_filler`, `bias_filler`: it learns the scale and shift itself) is not judged.
    A BatchNorm that feeds a Convolution, Deconvolution or InnerProduct directly is left
    alone (their weights and bias absorb the missing scale and shift), and so is one
    feeding a Python or custom layer. Only the TRAIN net is judged (a deploy or test net
    has the architecture its weights were trained with), and not a BatchNorm with fields
    of a fork's (NVCaffe's `scale_bias` learns the affine part inside the layer). Reported
    once per net, at the first such layer, with the count and the others as related places.

    ## Why is this bad?
    Caffe's BatchNorm only normalizes: `BatchNormLayer` (`src/caffe/layers/
    batch_norm_layer.cpp`) has three blobs, all statistics (mean, variance, moving-average
    factor), and no learned gamma/beta. The batch-normalization paper's affine part is a
    separate `Scale` layer with `bias_term: true`. Without it the next layer always sees
    zero-mean, unit-variance inputs per channel: a ReLU after it keeps about half of each
    channel, a Sigmoid stays in its near-linear middle, and the net cannot learn to change
    that. Caffe accepts the net silently. (BVLC's own `cifar10_full_sigmoid_train_test_bn`
    example omits the Scale on purpose, to show normalization alone.)

    ## Consequence
    Likely wrong. If BatchNorm is meant to come with a learned scale and shift (gamma and beta,
    as in the batch-normalization paper), it has none: the next layer always sees zero-mean,
    unit-variance channels. Caffe accepts the net silently; BVLC's
    `cifar10_full_sigmoid_train_test_bn` leaves the Scale out on purpose.

    ## Example
    ```
    ~ layer { name: "data" type: "DummyData" top: "conv1" top: "label"
    ~         dummy_data_param { shape { dim: 8 dim: 64 dim: 56 dim: 56 }
    ~                            shape { dim: 8 dim: 1 dim: 56 dim: 56 } } }
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
    layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "conv1" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
    layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1"
            scale_param { bias_term: true } }
    layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
    ```

    ## Fix
    Add a `Scale` layer with `scale_param { bias_term: true }` right after each BatchNorm.
    """
    if not caffe_builds(ctx):
        return
    flagged: dict[int, tuple[LayerView, str, str]] = {}
    for phase in ctx.phases:
        if phase.name != TRAIN:
            continue  # a deploy or test net has the architecture its weights were trained in
        for layer in phase.layers:
            if layer.type != "BatchNorm" or id(layer) in flagged:
                continue
            if not layer_intact(ctx, layer) or _sets_fork_fields(layer, "batch_norm_param"):
                continue  # a fork's BatchNorm fields (NVCaffe's `scale_bias`): its own affine
            missing = _affine_after(ctx, phase, layer)
            if missing is not None:
                consumer = ctx.next_consumers(phase, layer)[0]
                flagged[id(layer)] = (layer, missing, consumer.name)
    if not flagged:
        return
    ordered = sorted(flagged.values(), key=lambda item: item[0].index)
    first, missing, nxt = ordered[0]
    others = len(flagged) - 1
    also = f" (and {others} more BatchNorm layers like it in this net)" if others else ""
    message = (
        f"BatchNorm layer '{first.name}' feeds layer '{nxt}' with no learned {missing}"
        f"{also}: Caffe's BatchNorm only normalizes (its blobs are statistics, not gamma and"
        " beta), so the next layer always sees zero-mean, unit-variance channels"
    )
    related = tuple((v.at("type"), f"BatchNorm '{v.name}'") for v, _, _ in ordered[1:])
    hint = ("add a `Scale` layer with `scale_param { bias_term: true }` right after each"
            " BatchNorm")
    if missing == "shift":
        hint = f"set `scale_param {{ bias_term: true }}` on the Scale after '{first.name}'"
    yield Report(first.at("type"), message, hint=hint, phase=TRAIN, related=related)


@net_rule("N324", "batchnorm-learned-statistics", Severity.ERROR,
          "BatchNorm `param` with a non-zero `lr_mult`: Caffe aborts.")
def batchnorm_learned_statistics(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a BatchNorm layer with a `param { ... }` block (for one of its three blobs) whose
    `lr_mult` is not 0, including a block that leaves `lr_mult` out (it defaults to 1), such
    as `param { decay_mult: 0 }`.

    ## Why is this bad?
    The three BatchNorm blobs are the running mean, variance and moving-average factor,
    not weights. `BatchNormLayer::LayerSetUp` (`src/caffe/layers/batch_norm_layer.cpp`,
    BVLC master) adds `param { lr_mult: 0 }` for each blob that has none, and checks the
    ones that are written: `CHECK_EQ(this->layer_param_.param(i).lr_mult(), 0.f) << "Cannot
    configure batch normalization statistics as layer parameters."`, so Caffe aborts at
    start-up in every phase. Older Caffe versions, which made you write the three
    `param { lr_mult: 0 }` blocks yourself, let the solver change the statistics instead.

    Exactly three `param` blocks are not flagged: `UpgradeNetBatchNorm`
    (`src/caffe/util/upgrade_proto.cpp`) runs when the file is read and sets their
    `lr_mult` and `decay_mult` to 0 (the old definition required three), so the net builds
    (checked on BVLC Caffe with `lr_mult: 1` on all three). Nor is a fork whose
    `BatchNormParameter` adds fields (NVCaffe's `scale_filler`/`bias_filler`: its BatchNorm
    learns a scale and a bias, with other blobs).

    ## Consequence
    Aborts at set-up. `BatchNormLayer::LayerSetUp` fails
    `CHECK_EQ(this->layer_param_.param(i).lr_mult(), 0.f)` in every phase the layer is in.

    ## Example
    ```
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1"
            param { lr_mult: 1 } }
    ```

    ## Use instead
    ```
    layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
    ```

    ## Fix
    Delete the `param` blocks (master adds the right ones), or make every `lr_mult` 0.
    """
    if not caffe_builds(ctx) or ctx.schema.extends_bvlc("BatchNormParameter"):
        return
    for layer in ctx.layers:
        if layer.type != "BatchNorm" or layer.syntax != "v2" or len(layer.msg.param) == 3:
            continue  # three: UpgradeNetBatchNorm zeroes their lr_mult at load
        if not layer_intact(ctx, layer):
            continue  # a fork's BatchNorm fields (NVCaffe's scale_filler): the fork's layer
        phases = ctx.active_phases(layer)
        if not phases:
            continue
        names = ("mean", "variance", "moving-average factor")
        for i, spec in enumerate(layer.msg.param[:3]):
            if spec.lr_mult == 0:
                continue
            if not ctx.is_complete(layer.at("param", i)):
                continue
            written = spec.HasField("lr_mult")
            at = layer.at("param", i, "lr_mult") if written else layer.at("param", i)
            value = f"`lr_mult: {spec.lr_mult:g}`" if written else "no `lr_mult` (default 1)"
            message = (
                f"BatchNorm layer '{layer.name}': `param` {i} (the {names[i]}) has {value}:"
                " Caffe aborts with \"Check failed: this->layer_param_.param(i).lr_mult() =="
                f" 0.f ({spec.lr_mult:g} vs. 0) Cannot configure batch normalization"
                " statistics as layer parameters.\""
            )
            for name in phases:
                yield Report(at, message,
                             hint="delete the BatchNorm's `param` blocks, or set each"
                             " `lr_mult: 0`", phase=name)
            break
