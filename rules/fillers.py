"""Weight initialisations that stop a net from learning when it is trained from scratch.

Caffe fills a layer's weights once, in ``LayerSetUp`` (``BaseConvolutionLayer::LayerSetUp``
in ``src/caffe/layers/base_conv_layer.cpp``, ``InnerProductLayer::LayerSetUp``), with the
filler ``GetFiller`` (``include/caffe/filler.hpp``) builds from ``weight_filler``. The
``FillerParameter`` defaults are ``type: "constant"``, ``value: 0`` and, for ``gaussian``,
``std: 1``. Only the TRAIN net matters: the TEST net shares its weights, and a deploy net
loads them. Weights copied from a trained model (``caffe train --weights``, ``copy_from``)
replace the filled ones, so nets that show they are fine-tuned are left alone (see each rule).

The fan-in is the one ``XavierFiller`` and ``MSRAFiller`` use, ``count / shape(0)`` of the
weight blob (input channels / group x kernel area for a convolution, the flattened input size
for an InnerProduct), from the shapes in ``prototxt_lint/shapes.py``; when it is unknown, the
rules that need it stay silent.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from prototxt_lint.model import TRAIN, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.records import Record
from prototxt_lint.shapes import PhaseShapes, net_shapes, param
from prototxt_lint.syntax.parser import Path

WEIGHT_PARAMS = {
    "Convolution": "convolution_param",
    "Deconvolution": "convolution_param",
    "InnerProduct": "inner_product_param",
}

#: How far above the He scale sqrt(2/fan_in) a written gaussian std must be to be reported.
TOO_LARGE = 10.0
#: The default std (1) is reported when it is more than this many times the He scale.
DEFAULT_STD_RATIO = 2.0


class _Weights(Record):
    """A layer's learned weight blob and how it is filled."""

    __slots__ = ("filler", "layer", "param")

    def __init__(
        self,
        layer: LayerView,
        param: Any,  # ConvolutionParameter / InnerProductParameter (V0 mapped)
        filler: Any,  # the weight FillerParameter, None when not written
    ) -> None:
        self.layer = layer
        self.param = param
        self.filler = filler

    @property
    def zero(self) -> bool:
        """Filled with zeros: no ``weight_filler`` (``constant`` 0), or ``constant`` 0."""
        f = self.filler
        return f is None or (f.type == "constant" and f.value == 0)

    @property
    def learned(self) -> bool:
        """The weight blob is trained (its ``lr_mult``, or V1 ``blobs_lr``, is not 0)."""
        lr = self.layer.lr_mults()
        return not lr or lr[0] != 0

    def at(self, *rest: str) -> Path:
        if self.layer.syntax == "v0":
            return self.layer.at("layer", *rest)
        return self.layer.at(WEIGHT_PARAMS[self.layer.type], *rest)


def _weights(ctx: NetContext, layer: LayerView) -> _Weights | None:
    name = WEIGHT_PARAMS.get(layer.type)
    if name is None or not ctx.is_complete(layer.path):
        return None
    p = param(layer, name, ctx)
    if p is None:
        return None
    return _Weights(layer, p, p.weight_filler if p.HasField("weight_filler") else None)


def _bias_zero(w: _Weights) -> bool:
    """The bias starts at 0 too: no bias term, or its filler is the default constant 0."""
    if not w.param.bias_term:
        return True
    f = w.param.bias_filler if w.param.HasField("bias_filler") else None
    return f is None or (f.type == "constant" and f.value == 0)


def _train_phases(ctx: NetContext) -> Iterator[tuple[PhaseNet, PhaseShapes]]:
    """The TRAIN net of a net trained from scratch: initial weights matter nowhere else (a
    fine-tuning net's come from the model it loads, see ``NetRole.finetuning``)."""
    if ctx.role.finetuning:
        return
    for shapes in net_shapes(ctx):
        if shapes.phase.name == TRAIN:
            yield shapes.phase, shapes


# --- N421: zero weights that never learn ---------------------------------------------------

#: Layers whose output is 0 wherever their (first) input is 0, and whose input gradient is
#: 0 wherever their output gradient is.
_ZERO_PRESERVING = frozenset({
    "Dropout", "Pooling", "LRN", "BatchNorm", "Split", "Flatten", "Reshape", "TanH",
    "AbsVal", "PReLU", "ELU", "Crop", "Slice", "MVN",
})


class _Node:
    """One version of a blob (in-place layers make a new one under the same name)."""

    __slots__ = ("consumers", "sources")

    def __init__(self, sources: frozenset[str], consumers: list[LayerView]) -> None:
        self.sources = sources  # zero-weight layers whose zeros it carries; empty: not all-zero
        self.consumers = consumers  # appended to as readers are found


def _scale_keeps_zero(ctx: NetContext, layer: LayerView) -> bool:
    """A one-bottom Scale layer adds no bias (or a zero one): 0 stays 0."""
    if len(layer.bottoms) != 1:
        return False
    p = param(layer, "scale_param", ctx)
    if p is None or not p.bias_term:
        return True
    f = p.bias_filler if p.HasField("bias_filler") else None
    return f is None or (f.type == "constant" and f.value == 0)


def _dead_relus(ctx: NetContext, phase: PhaseNet) -> dict[str, tuple[_Weights, LayerView]]:
    """Zero-weight layers (weights and bias both 0) that get no gradient at all: their output
    is 0 everywhere, and every path from it reaches a ReLU through layers that keep zeros zero
    (pooling, dropout, BatchNorm, a further layer with zero bias, ...).
    ``ReLULayer::Backward_cpu`` (``src/caffe/layers/relu_layer.cpp``) multiplies the
    gradient by ``(bottom_data > 0) + negative_slope * (bottom_data <= 0)``: 0 for an input
    of 0. Returns layer name -> (its weights, a ReLU that blocks it)."""
    nodes: list[_Node] = []
    current: dict[str, int] = {}  # blob name -> its latest version
    tops_of: dict[int, list[int]] = {}  # id(layer) -> the versions it produced
    weights: dict[str, _Weights] = {}
    for layer in phase.layers:
        inputs = [current.get(b) for b in layer.bottoms]
        for node in inputs:
            if node is not None:
                nodes[node].consumers.append(layer)
        zero = [nodes[n].sources if n is not None else frozenset() for n in inputs]
        first = zero[0] if zero else frozenset()
        out: frozenset[str] = frozenset()
        w = _weights(ctx, layer)
        if w is not None:
            if _bias_zero(w):
                if w.zero:
                    weights[layer.name] = w
                    out = first | {layer.name}
                else:
                    out = first
        elif layer.type in _ZERO_PRESERVING or layer.type == "ReLU":
            out = first
        elif layer.type in ("Concat", "Eltwise") and zero and all(zero):
            out = frozenset().union(*zero)
        elif layer.type == "Scale" and _scale_keeps_zero(ctx, layer):
            out = first
        produced = []
        for top in layer.tops:
            nodes.append(_Node(out, []))
            current[top] = len(nodes) - 1
            produced.append(len(nodes) - 1)
        tops_of[id(layer)] = produced

    # A blob version's consumers all come after it, so going backwards every answer needed
    # is already known: blocked[n] is a ReLU that stops all gradient to version n, or None.
    blocked: list[LayerView | None] = [None] * len(nodes)
    for node in range(len(nodes) - 1, -1, -1):
        if not nodes[node].sources or not nodes[node].consumers:
            continue
        found: LayerView | None = None
        for consumer in nodes[node].consumers:
            if consumer.type == "ReLU":
                slope = getattr(param(consumer, "relu_param", ctx), "negative_slope", 0.0)
                relu: LayerView | None = consumer if slope == 0 else None
            else:
                outs = tops_of[id(consumer)]
                relus = [blocked[n] for n in outs]
                relu = relus[0] if outs and all(relus) else None
            if relu is None:
                break
            found = found or relu
        else:
            blocked[node] = found

    dead: dict[str, tuple[_Weights, LayerView]] = {}
    for layer in phase.layers:
        if layer.name in weights and layer.name not in dead:
            outs = tops_of[id(layer)]
            relus = [blocked[n] for n in outs]
            first_relu = relus[0] if relus else None
            if first_relu is not None and all(relus):
                dead[layer.name] = (weights[layer.name], first_relu)
    return dead


@net_rule("N421", "zero-weights-never-learn", Severity.WARNING,
          "Layer without `weight_filler` (weights 0) before a ReLU: it never learns.")
def zero_weights_never_learn(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    In the TRAIN net, finds Convolution, Deconvolution and InnerProduct layers whose weights
    start at 0 (no `weight_filler`, or `constant` 0) and whose bias starts at 0 too, and
    follows their all-zero output through layers that keep zeros zero (pooling, dropout,
    BatchNorm, concatenation of zero blobs, a further layer with zero bias, ...). It flags
    the layer when every path from its output ends in a ReLU (one path straight to a loss
    is enough to keep it learning, and then it is not flagged).

    ## Why is this bad?
    Without `weight_filler`, `GetFiller` (`include/caffe/filler.hpp`) uses the
    `FillerParameter` defaults, a `constant` filler with value 0, and the bias defaults to
    0 as well. Such a layer outputs 0 for every input. With all-zero weights the units do
    not all get the same gradient by themselves (the random weights of the layer above
    differ per unit), so what actually stops learning is the ReLU: `ReLULayer::Backward_cpu`
    (`src/caffe/layers/relu_layer.cpp`) passes gradient only where its input is > 0, so an
    input of exactly 0 gets none. The layer's weight and bias gradients are therefore 0 at
    every iteration, its weights stay 0, and no layer below it receives gradient through
    it (`dL/dx = W^T dL/dy = 0`). In a LeNet with `conv1` left unfilled, only the last
    layer's bias learns: the loss stays at `log(classes)`. No error is printed. (A layer
    that feeds the loss directly learns fine from zero, which is why FCN initialises its
    score layers that way; it is not flagged.)

    Weights loaded from a trained model replace the zeros, so the rule stays silent on nets
    that show they are fine-tuned: a layer with every `lr_mult` 0 (frozen; BatchNorm
    excepted), or at least half of the learned Convolution/InnerProduct layers without a
    filler (the pretrained trunk of py-faster-rcnn, FCN and R-FCN nets, where only the new
    layers have fillers; or a test net, which shares the train net's weights). A net
    trained from scratch with most fillers missing is therefore not caught.

    ## Consequence
    Likely wrong. If this net trains from scratch (its weights are not loaded from a trained
    model), the layer trains nothing: its weights stay 0 and no layer below it learns through it
    (with LeNet's `conv1` unfilled the loss stays at `log(classes)`); no error is printed.

    ## Example
    ```
    ~ layer { name: "data" type: "DummyData" top: "data" top: "label"
    ~         dummy_data_param { shape { dim: 8 dim: 1 dim: 28 dim: 28 } shape { dim: 8 } } }
    ~ layer { name: "conv2" type: "Convolution" bottom: "data" top: "conv2"
    ~         convolution_param { num_output: 8 kernel_size: 3 weight_filler { type: "msra" } } }
    ~ layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2"
    ~         pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
    layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1"
            inner_product_param { num_output: 500 } }
    layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
    ~ layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
    ~         inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1"
            inner_product_param { num_output: 500 weight_filler { type: "msra" } } }
    layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
    ```

    ## Fix
    Add `weight_filler { type: "msra" }` (He initialisation, for ReLU nets) or `"xavier"`.
    If the weights come from a trained model, suppress the finding.
    """
    places: list[tuple[Path, str]] = []
    first: tuple[str, str, str] | None = None
    for phase, _ in _train_phases(ctx):
        dead = _dead_relus(ctx, phase)
        for layer in phase.layers:
            w = _weights(ctx, layer)
            if w is None or not w.zero or not w.learned or layer.name not in dead:
                continue
            _, relu = dead[layer.name]
            if w.filler is None:
                start = (f"`{layer.name}` has no `weight_filler`, so Caffe fills its weights"
                         " with the default `constant` filler, 0")
            else:
                start = f"`{layer.name}` has `weight_filler` `constant` 0"
            direct = relu.bottoms and relu.bottoms[0] in layer.tops
            reach = "the ReLU after it" if direct else "the first ReLU its zeros reach"
            places.append((w.at("weight_filler"), f"`{layer.name}` before `{relu.name}`"))
            if first is None:
                first = (
                    f"{start}, and its bias starts at 0: it outputs 0 for every input, and"
                    f" {reach}, `{relu.name}`, passes gradient only where its input is > 0;"
                    f" trained from scratch, `{layer.name}` gets zero gradient at every"
                    " iteration, its weights stay 0 and no layer below it learns through it",
                    phase.name, layer.name)
    if first is not None:
        yield one_per_cause(
            places, first[0], "layers",
            hint='add `weight_filler { type: "msra" }` (or "xavier"); if the weights are'
            " loaded from a trained model, suppress this",
            phase=first[1],
        )


# --- N422 / N423: gaussian std against the fan-in ------------------------------------------


def _gaussian_layers(ctx: NetContext) -> Iterator[tuple[PhaseNet, _Weights, int | None]]:
    """Learned Convolution/InnerProduct weights with a dense ``gaussian`` filler in TRAIN,
    with their fan-in (None when unknown). Sparse gaussians (``sparse`` >= 0, Martens'
    sparse initialisation, as in Caffe's MNIST autoencoder) are deliberate and skipped."""
    for phase, shapes in _train_phases(ctx):
        for layer_shapes in shapes.layers:
            w = _weights(ctx, layer_shapes.layer)
            if w is None or w.filler is None or not w.learned:
                continue
            if w.filler.type != "gaussian" or w.filler.sparse >= 0:
                continue
            yield phase, w, layer_shapes.fan_in


def _he(fan_in: int) -> float:
    return math.sqrt(2.0 / fan_in)


@net_rule("N422", "gaussian-default-std", Severity.WARNING,
          "`gaussian` weight filler without `std`: it defaults to 1, far too large.")
def gaussian_default_std(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution, Deconvolution or InnerProduct weight filler `type: "gaussian"`
    without `std`, in the TRAIN net, unless the layer's fan-in is so small (8 or less) that
    1 is within 2x of the He scale `sqrt(2/fan_in)`.

    ## Why is this bad?
    `std` defaults to 1 (`FillerParameter` in `src/caffe/proto/caffe.proto`), and
    `GaussianFiller` (`include/caffe/filler.hpp`) draws every weight from N(0, 1). A layer
    with fan-in n multiplies the scale of its output by about `std * sqrt(n/2)` (for ReLU
    units; He et al. 2015): about 17x for a 3x3 convolution over 64 channels, per layer.
    A few such layers overflow the logits, the softmax loss sits at the 87.3365
    (-log(FLT_MIN)) clamp and then turns NaN. `msra` computes `sqrt(2/fan_in)` itself, and
    `xavier` uses variance `1/fan_in`.

    ## Consequence
    Likely wrong. If this net trains from scratch with ReLU units, N(0, 1) weights multiply each
    such layer's output scale by about `sqrt(fan_in/2)`: the logits overflow, the loss sits at
    the 87.3365 clamp and then turns NaN. Weights loaded from a trained model replace the
    filler's values.

    ## Example
    ```
    ~ layer { name: "data" type: "DummyData" top: "data" top: "label"
    ~         dummy_data_param { shape { dim: 8 dim: 1 dim: 28 dim: 28 } shape { dim: 8 } } }
    ~ layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
    convolution_param { num_output: 64 kernel_size: 3 weight_filler { type: "gaussian" } }
    ~ }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "conv1" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    convolution_param { num_output: 64 kernel_size: 3 weight_filler { type: "msra" } }
    ```

    ## Fix
    Use `type: "msra"` (or `"xavier"`), or write the `std` you mean (the message gives the
    He value for the layer when its fan-in is known).
    """
    found = []
    for phase, w, fan_in in _gaussian_layers(ctx):
        if w.filler.HasField("std"):
            continue
        if fan_in is not None and 1.0 <= DEFAULT_STD_RATIO * _he(fan_in):
            continue
        found.append((phase, w, fan_in))
    if not found:
        return
    phase, w, fan_in = found[0]
    if fan_in is None:
        scale = ("more than 2x the He scale sqrt(2/fan_in) for any fan-in above 8 (it is"
                 " 0.059 for a 3x3 convolution over 64 channels)")
    else:
        scale = (f"{1.0 / _he(fan_in):.1f}x the He scale sqrt(2/fan_in) ="
                 f" {_he(fan_in):.3g} for this layer's fan-in of {fan_in}")
    places = list(dict.fromkeys((x.at("weight_filler"), f"`{x.layer.name}`")
                                for _, x, _ in found))
    yield one_per_cause(
        places,
        f'`{w.layer.name}`: `weight_filler {{ type: "gaussian" }}` without `std`: the std'
        f" defaults to 1, {scale}; every layer initialised like this multiplies the scale"
        " of its output by about std*sqrt(fan_in/2), so the loss saturates or turns NaN",
        "layers",
        hint='use `type: "msra"` (std sqrt(2/fan_in), for ReLU) or `"xavier"`'
        + (f", or `std: {_he(fan_in):.2g}`" if fan_in else ""),
        phase=phase.name,
    )


@net_rule("N423", "gaussian-std-too-large", Severity.WARNING,
          "`gaussian` weight filler std 10x or more above sqrt(2/fan_in).")
def gaussian_std_too_large(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a written `std` of a `gaussian` weight filler (Convolution, Deconvolution,
    InnerProduct; TRAIN net) that is 10 times the He scale `sqrt(2/fan_in)` or more, when
    the layer's fan-in is known.

    ## Why is this bad?
    A layer with fan-in n multiplies the scale of its output by about `std * sqrt(n/2)` for
    ReLU units (He et al. 2015): at 10x the He scale that is 10x per layer, 100x across two.
    The logits overflow, the softmax loss sits at the 87.3365 (-log(FLT_MIN)) clamp and
    then turns NaN. `GaussianFiller` (`include/caffe/filler.hpp`) uses the std as written;
    `msra` computes `sqrt(2/fan_in)` for each layer.

    Why only too large, and only from 10x: many published nets use a fixed small std and
    train fine with their learning rate. BVLC's AlexNet and CaffeNet use 0.01 and 0.005
    (1/3 to 1/7 of the He scale), `cifar10_quick` uses 0.0001 on `conv1` (1/1600) and 0.1
    on `ip1` (2.3x), NIN uses 0.05. Too small a std slows deep plain nets rather than
    breaking them, and up to a few times too large is within what biases, pooling and the
    learning rate absorb; 10x per layer is not. Sparse gaussian fillers (`sparse`, as in
    Caffe's MNIST autoencoder) are skipped: they are meant to use a large std.

    ## Consequence
    Likely wrong. If this net trains from scratch with ReLU units, a std 10x the He scale
    multiplies the layer's output scale by about 10 per layer: the logits overflow, the loss
    sits at the 87.3365 clamp and then turns NaN. Weights loaded from a trained model replace
    the filler's values.

    ## Example
    ```
    ~ layer { name: "data" type: "DummyData" top: "pool5" top: "label"
    ~         dummy_data_param { shape { dim: 8 dim: 256 dim: 6 dim: 6 } shape { dim: 8 } } }
    ~ layer { name: "fc6" type: "InnerProduct" bottom: "pool5" top: "fc6"
    inner_product_param { num_output: 4096 weight_filler { type: "gaussian" std: 0.5 } }
    # on a 9216-wide input: He scale 0.0147, 34x
    ~ }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc6" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    inner_product_param { num_output: 4096 weight_filler { type: "msra" } }
    ```

    ## Fix
    Use `type: "msra"` or `"xavier"`, or the std the message gives.
    """
    found = []
    for phase, w, fan_in in _gaussian_layers(ctx):
        if not w.filler.HasField("std") or fan_in is None:
            continue
        std = float(w.filler.std)
        ratio = std / _he(fan_in)
        if ratio >= TOO_LARGE:
            found.append((phase, w, fan_in, std, ratio))
    if not found:
        return
    phase, w, fan_in, std, ratio = found[0]
    places = list(dict.fromkeys((x.at("weight_filler", "std"), f"`{x.layer.name}`")
                                for _, x, _, _, _ in found))
    yield one_per_cause(
        places,
        f"`{w.layer.name}`: gaussian `std: {std:g}` is {ratio:.0f}x the He scale"
        f" sqrt(2/fan_in) = {_he(fan_in):.3g} for this layer's fan-in of {fan_in}: the"
        f" layer multiplies the scale of its output by about {ratio:.0f}, so the loss"
        " saturates or turns NaN",
        "layers",
        hint=f'use `type: "msra"` (or "xavier"), or `std: {_he(fan_in):.2g}`',
        phase=phase.name,
    )
