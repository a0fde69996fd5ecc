"""Layer facts: which types BVLC Caffe registers, and what their ``LayerSetUp`` creates.

``LayerRegistry<Dtype>::CreateLayer`` (``include/caffe/layer_factory.hpp``) aborts on a type
it does not register; V1 enum types (``UpgradeV1LayerType``, ``src/caffe/util/upgrade_proto.cpp``)
always map to registered ones. Type names are looked up as written: case-sensitive.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.model import (
    BVLC_LAYER_TYPES,
    V0_TYPES,
    V1_TYPES,
    LayerView,
    NetContext,
    type_letters,
)
from prototxt_lint.schema import bvlc_schema

#: Names other frameworks use for a BVLC layer (never registered by BVLC Caffe).
ALIASES = {
    "fullyconnected": "InnerProduct", "fc": "InnerProduct", "dense": "InnerProduct",
    "linear": "InnerProduct", "innerproductlayer": "InnerProduct",
    "conv": "Convolution", "conv2d": "Convolution", "convolution2d": "Convolution",
    "deconv": "Deconvolution", "convtranspose": "Deconvolution",
    "conv2dtranspose": "Deconvolution", "convolutiontranspose": "Deconvolution",
    "batchnormalization": "BatchNorm", "batchnorm2d": "BatchNorm",
    "maxpool": "Pooling", "maxpooling": "Pooling", "avgpool": "Pooling",
    "averagepooling": "Pooling", "pool": "Pooling", "maxpool2d": "Pooling",
    "softmaxloss": "SoftmaxWithLoss", "softmaxcrossentropy": "SoftmaxWithLoss",
    "softmaxcrossentropyloss": "SoftmaxWithLoss", "crossentropyloss": "SoftmaxWithLoss",
    "concatenate": "Concat", "dropoutlayer": "Dropout",
}

#: Layer types whose set-up refuses a top that is its bottom (``CHECK_NE(top[0], bottom[0])``):
#: ``AbsValLayer::LayerSetUp``, ``FlattenLayer::Reshape``, ``ReshapeLayer::LayerSetUp``,
#: ``SplitLayer::Reshape`` (every top).
NO_IN_PLACE = frozenset({"AbsVal", "Flatten", "Reshape", "Split"})


_norm = type_letters


#: Normalized spelling -> registered type: the types themselves, the V1 enum names and V0
#: type strings written as V2 strings, and the aliases.
_NEAR: dict[str, str] = {
    **ALIASES,
    **{_norm(k): v for k, v in V0_TYPES.items()},
    **{_norm(k): v for k, v in V1_TYPES.items() if v},
    **{_norm(t): t for t in BVLC_LAYER_TYPES},
}


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (one insertion, deletion, substitution or
    transposition of neighbours)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def near_miss(type_name: str) -> str | None:
    """The registered type ``type_name`` was surely meant as, or None.

    Only unambiguous slips count: the same letters in another case or with separators
    (``Relu``, ``innerproduct``, ``Inner_Product``), a V1 enum or V0 name written as a V2
    type (``INNER_PRODUCT``, ``SOFTMAX_LOSS``, ``conv``), another framework's name
    (``FullyConnected``, ``Dense``), or one typo in a type of six letters or more
    (``Convolutoin``). A typo that adds or changes a digit is not one (``ReLU6`` is a
    fork's layer), and neither is a longer or shorter name (``ROIPooling``, ``BN``)."""
    key = _norm(type_name)
    if key in _NEAR:
        return _NEAR[key]
    for known in sorted(BVLC_LAYER_TYPES):
        if len(known) < 6 or not _one_edit(type_name, known):
            continue
        if any(c.isdigit() for c in set(type_name) ^ set(known)):
            continue
        return known
    return None


def is_registered(layer: LayerView) -> bool:
    """True when BVLC Caffe has the layer's type (V1 enum types always map to one)."""
    if layer.syntax == "v0":
        return True  # not judged
    return layer.type in BVLC_LAYER_TYPES


def caffe_builds(ctx: NetContext) -> bool:
    """False when Caffe never builds the net as written: a file mixing `layer` and `layers`
    (refused, N221) or old `layers` inside a solver (never upgraded, N223)."""
    if ctx.syntax == "mixed":
        return False
    return not (ctx.root and ctx.syntax in ("v0", "v1"))


def layer_intact(ctx: NetContext, layer: LayerView) -> bool:
    """Nothing inside the layer was skipped or failed to parse, so a field missing from it
    is really missing (not lost to a syntax error or an unknown fork field)."""
    if not ctx.is_complete(layer.path):
        return False
    parsed = ctx.doc.parsed
    if parsed is None:
        return True
    if parsed.too_many_errors:
        return False
    loc = ctx.doc.loc(layer.path)
    if loc is None:
        return not parsed.errors
    end = loc.block_end if loc.block_end > loc.start else len(ctx.doc.source.text)
    return not any(loc.start <= e.start <= end for e in parsed.errors)


def set_up_layers(ctx: NetContext, *types: str) -> Iterator[tuple[LayerView, list[str]]]:
    """The layers of these types Caffe sets up, with their phases, in a net read with BVLC's
    schema that Caffe builds as written, each read in full (V0 layers, whose parameters the
    upgrade rewrites, are left out): what the set-up checks of BVLC's layers walk."""
    if not caffe_builds(ctx) or not ctx.schema.is_bvlc:
        return
    for layer in ctx.layers:
        if layer.type not in types or layer.syntax == "v0":
            continue
        phases = ctx.active_phases(layer)
        if phases and layer_intact(ctx, layer):
            yield layer, phases


def registered_in(ctx: NetContext, type_name: str) -> bool:
    """The dialect the file is read as (detected, or given with ``--dialect``) is declared
    to register ``type_name`` (``prototxt_lint.dialects.registrations``, from the fork's
    ``REGISTER_LAYER_CLASS`` lines)."""
    if ctx.schema.dialect is None:
        return False
    from prototxt_lint.dialects.registrations import registrations

    return type_name in registrations(ctx.schema.dialect).layers


def fork_provides(ctx: NetContext, type_name: str) -> bool:
    """The schema in use is a fork's whose LayerParameter has a parameter message named
    after the type (``roi_pooling_param`` for ``ROIPooling``, ``bn_param`` for ``BN``) that
    BVLC's lacks, or the fork is declared to register the type (:func:`registered_in`):
    the fork the user runs has that layer."""
    if ctx.schema.file is bvlc_schema().file:
        return False
    if registered_in(ctx, type_name):
        return True
    key = _norm(type_name) + "param"
    desc = ctx.schema.descriptor("LayerParameter")
    bvlc = bvlc_schema()
    return any(
        _norm(name) == key and not bvlc.has_field("LayerParameter", name)
        for name in desc.fields_by_name
    )


def param_blobs(layer: LayerView, ctx: NetContext) -> int | None:
    """How many parameter blobs the layer's ``LayerSetUp`` creates, or None when unknown
    (custom, Python, recurrent or V0 layers; a parameter message with skipped fields).

    ``BaseConvolutionLayer::LayerSetUp`` / ``InnerProductLayer::LayerSetUp`` /
    ``EmbedLayer::LayerSetUp``: weights plus a bias with ``bias_term`` (default true);
    ``BatchNormLayer::LayerSetUp``: mean, variance, count; ``ScaleLayer::LayerSetUp``: a
    scale when it has one bottom, plus a bias with ``bias_term``; ``BiasLayer::LayerSetUp``: a
    bias when it has one bottom; ``PReLULayer`` and ``ParameterLayer``: one. Every other
    BVLC layer but ``LSTM``/``RNN`` (not judged) has none."""
    if layer.syntax == "v0":
        return None
    kind = layer.type
    with_bias = {"Convolution": "convolution_param", "Deconvolution": "convolution_param",
                 "InnerProduct": "inner_product_param", "Embed": "embed_param",
                 "Scale": "scale_param"}
    if kind in with_bias:
        field = with_bias[kind]
        param = layer.param(field)
        if param is not None and not ctx.is_complete(layer.at(field)):
            return None
        bias = bool(param.bias_term) if param is not None else kind != "Scale"
        main = int(len(layer.bottoms) == 1) if kind == "Scale" else 1
        return main + int(bias)
    fixed = {"BatchNorm": 3, "PReLU": 1, "Parameter": 1}
    if kind in fixed:
        return fixed[kind]
    if kind == "Bias":
        return int(len(layer.bottoms) == 1)
    if kind in ("LSTM", "RNN", "Python") or not is_registered(layer):
        return None
    return 0


#: The layer types ``src/caffe/layer_factory.cpp`` creates per ``engine`` (CAFFE or CUDNN),
#: with the parameter message that holds it. SoftmaxWithLoss creates a Softmax from its own
#: parameters (``SoftmaxWithLossLayer::LayerSetUp``), engine included.
ENGINE_PARAMS = {
    "Convolution": "convolution_param", "Deconvolution": "convolution_param",
    "Pooling": "pooling_param", "LRN": "lrn_param", "ReLU": "relu_param",
    "Sigmoid": "sigmoid_param", "Softmax": "softmax_param", "TanH": "tanh_param",
    "SoftmaxWithLoss": "softmax_param",
}
