"""What a net is for, decided once from evidence in the file (and the solver naming it).

An experienced Caffe user reads a net before judging it: is it a deploy net, a train/val net,
a training-only file, an evaluation or feature-extraction net, a fragment? Which nets can
Caffe build from it, and does it train from pretrained weights? :func:`decide_role` answers
that once, in words (``NetRole.evidence``); :func:`build_net_context` builds exactly those
phases (``Net::FilterNet``), and every rule asks ``ctx.role`` instead of guessing.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf.message import Message

from prototxt_lint.model import (
    DEPLOY,
    DEPLOY_ROLE,
    EVALUATION,
    FRAGMENT,
    STAGED,
    TEST,
    TRAIN,
    TRAIN_ONLY,
    TRAIN_VAL,
    Document,
    LayerView,
    NetContext,
    NetRole,
    PhaseNet,
    layer_included,
    layer_views,
    make_state,
    written,
    written_message,
)
from prototxt_lint.syntax.parser import Path

#: Layer types with no bottom that are not inputs: ``Parameter`` holds a learned blob.
_NOT_SOURCES = frozenset({"Parameter"})

#: Learnable layer types and the field of their weight filler (per ``LayerSetUp``).
LEARNABLE_FILLERS = {
    "Convolution": ("convolution_param", "weight_filler"),
    "Deconvolution": ("convolution_param", "weight_filler"),
    "InnerProduct": ("inner_product_param", "weight_filler"),
    "Embed": ("embed_param", "weight_filler"),
    "Scale": ("scale_param", "filler"),
    "Bias": ("bias_param", "filler"),
    "PReLU": ("prelu_param", "filler"),
}


def is_source(layer: LayerView) -> bool:
    """A layer that brings data into the net: no bottom, at least one top (Caffe's data
    layers, Input, DummyData, MemoryData, a Python data layer, a fork's data layer)."""
    return not layer.bottoms and bool(layer.tops) and layer.type not in _NOT_SOURCES


def asks_for(layer: LayerView, phase: int) -> bool:
    """``include { phase: ... }`` written on the layer (0: TRAIN, 1: TEST): it is in that
    phase on purpose."""
    return layer.syntax != "v0" and any(
        r.HasField("phase") and r.phase == phase for r in layer.msg.include)


def _phase_rules(layers: list[LayerView]) -> bool:
    """Does any layer select a phase (``include``/``exclude`` with ``phase``)?"""
    return any(
        rule.HasField("phase")
        for v in layers if v.syntax != "v0"
        for rule in (*v.msg.include, *v.msg.exclude)
    )


def _global_stats_written(layers: list[LayerView]) -> set[bool]:
    values = set()
    for v in layers:
        param = v.param("batch_norm_param") if v.type == "BatchNorm" else None
        if param is not None and param.HasField("use_global_stats"):
            values.add(bool(param.use_global_stats))
    return values


def _training_signs(layers: list[LayerView]) -> list[str]:
    """What only a training net asks for: shuffled or mirrored input, batch statistics."""
    signs = []
    for v in layers:
        if not is_source(v):
            continue
        if v.syntax == "v0":  # flat V0 fields: `mirror`, `shuffle_images`
            inner = v.msg.layer
            if inner.mirror or inner.shuffle_images:
                signs.append(f"layer '{v.name}' shuffles or mirrors its input")
            continue
        for name in ("image_data_param", "hdf5_data_param"):
            param = v.param(name)
            if param is not None and param.shuffle:
                signs.append(f"layer '{v.name}' shuffles its data")
        transform = v.param("transform_param")
        if transform is not None and transform.mirror:
            signs.append(f"layer '{v.name}' mirrors its input (augmentation)")
    if False in _global_stats_written(layers):
        signs.append("BatchNorm `use_global_stats: false` (batch statistics)")
    # `lr_mult: 0` pins weights while training: only a training net needs to say it
    return signs + _frozen_signs(layers)


_WORDS = re.compile(r"[A-Za-z]+")


def _sources_named(readers: list[LayerView], *words: str) -> list[str]:
    """Data layers whose ``source`` names one of ``words`` as a word (``val_lmdb``,
    ``data/test.txt``): the split of the data tells which phase the file is for."""
    signs = []
    for v in readers:
        params = [v.msg.layer] if v.syntax == "v0" else [
            v.param(name) for name in
            ("data_param", "image_data_param", "hdf5_data_param", "window_data_param")]
        for param in params:
            if param is None or not param.source:
                continue
            found = set(_WORDS.findall(param.source.lower().rsplit("/", 1)[-1])) & set(words)
            if found:
                signs.append(f"layer '{v.name}' reads `{param.source}`")
    return signs


def finetuning_signs(layers: list[LayerView]) -> list[str]:
    """Signs that a training net starts from pretrained weights: a learnable layer frozen
    with ``lr_mult: 0`` and no filler of its own, or a trunk mostly without fillers."""
    return _frozen_signs(layers) + _bare_trunk_signs(layers)


def _frozen_signs(layers: list[LayerView]) -> list[str]:
    """A learnable layer frozen with ``lr_mult: 0`` on every blob it has a ``param`` for,
    with no filler or a random one: frozen zeros or noise are useless, so its weights must
    come from a model. A frozen ``bilinear`` or ``constant`` filler is a fixed operation on
    purpose (FCN's upsampling Deconvolution), no sign."""
    frozen = []
    for v in layers:
        spec = LEARNABLE_FILLERS.get(v.type)
        if spec is None:
            continue
        mults = v.lr_mults()
        if not mults or any(m != 0 for m in mults):
            continue
        param = v.param(spec[0])
        filler = getattr(param, spec[1], None) if param is not None else None
        if filler is not None and param.HasField(spec[1]) and filler.type in _FIXED_FILLERS:
            continue
        frozen.append(v.name)
    if not frozen:
        return []
    more = f" and {len(frozen) - 1} more" if len(frozen) > 1 else ""
    return [f"layer '{frozen[0]}'{more} frozen (`lr_mult: 0`) with no filler or a random one"]


#: Fillers that make meaningful fixed weights: a frozen layer with one computes on purpose.
_FIXED_FILLERS = frozenset({"bilinear", "constant"})


def _bare_trunk_signs(layers: list[LayerView]) -> list[str]:
    """At least half of the learned Convolution/InnerProduct layers (two or more) have no
    weight filler: their weights are zeros unless a model provides them."""
    signs = []
    # a trunk written without fillers: its weights are zeros unless a model provides them
    weights = [v for v in layers if v.type in ("Convolution", "InnerProduct")
               and not (v.lr_mults() and all(m == 0 for m in v.lr_mults()))]
    bare = [v for v in weights if not _filler_written(v)]
    if len(weights) >= 2 and 2 * len(bare) >= len(weights):
        signs.append(f"{len(bare)} of its {len(weights)} Convolution/InnerProduct layers have"
                     " no weight filler (a pretrained trunk)")
    elif bare and weights[0] is bare[0] and len(bare) < len(weights):
        # the layers nearest the input come without fillers, later ones (new heads) with:
        # the layout of a net fine-tuned from a trained trunk
        signs.append(f"its first learned layer '{bare[0].name}' has no weight filler while"
                     " later ones do (a pretrained trunk with new layers)")
    return signs


def _filler_written(layer: LayerView) -> bool:
    spec = LEARNABLE_FILLERS.get(layer.type)
    if spec is None:
        return False
    if layer.syntax == "v0":
        return bool(layer.msg.layer.HasField("weight_filler"))
    if layer.syntax == "v1":
        return layer.msg.HasField(spec[0]) and getattr(layer.msg, spec[0]).HasField(spec[1])
    param = layer.param(spec[0])
    return param is not None and param.HasField(spec[1])


def _unfed_phases(layers: list[LayerView], has_loss: bool) -> tuple[str, ...]:
    """The nets to check the layers of a file no phase of which Caffe can build alone (a
    fragment, a staged net): every layer rule still applies, only its bottoms are not
    judged (N261 asks the role). With a loss or phase rules, as TRAIN and TEST."""
    return (TRAIN, TEST) if has_loss or _phase_rules(layers) else (DEPLOY,)


#: Data layers and the parameter that names what they read.
_SOURCE_PARAMS = {"Data": "data_param", "ImageData": "image_data_param",
                  "HDF5Data": "hdf5_data_param", "WindowData": "window_data_param"}


def template_signs(layers: list[LayerView]) -> tuple[str, ...]:
    """Signs that a tool completes the file before Caffe reads it: data layers that name no
    source, which Caffe cannot open (DIGITS' ``caffe_train.py`` asserts that the source is
    not set, and fills it in with the mean and the output layer's ``num_output``)."""
    blank = [v.name for v in layers if v.syntax == "v2" and v.type in _SOURCE_PARAMS
             and not getattr(v.msg, _SOURCE_PARAMS[v.type]).source]
    if not blank:
        return ()
    return (f"data layer{'s' if len(blank) > 1 else ''} {', '.join(repr(n) for n in blank)}"
            " name no source: a template that a tool (DIGITS) completes",)


def decide_role(
    doc: Document, net: Any, layers: list[LayerView],
    solver_phases: tuple[str, ...] | None = None,
    solver_finetunes: tuple[str, ...] = (),
) -> NetRole:
    """The role of a net and the phases Caffe builds for it. A solver that names the net
    decides the phases; otherwise the file's own evidence does."""
    role = _decide_role(doc, net, layers, solver_phases, solver_finetunes)
    role.template = template_signs(layers)
    return role


def _decide_role(
    doc: Document, net: Any, layers: list[LayerView],
    solver_phases: tuple[str, ...] | None,
    solver_finetunes: tuple[str, ...],
) -> NetRole:
    finetuning = tuple(solver_finetunes) + tuple(finetuning_signs(layers))
    if solver_phases is not None:
        kind = (TRAIN_VAL if set(solver_phases) == {TRAIN, TEST}
                else TRAIN_ONLY if TRAIN in solver_phases else EVALUATION)
        return NetRole(kind, solver_phases,
                       (f"a solver builds it for {' and '.join(solver_phases)}",), finetuning)
    net_inputs = list(written(net, "input"))
    sources = [v for v in layers if is_source(v)]
    readers = [v for v in sources if v.type != "Input"]
    has_loss = any(v.may_be_loss for v in layers)
    if not sources and not net_inputs:
        return NetRole(FRAGMENT, _unfed_phases(layers, has_loss),
                       ("no data layer, no Input layer and no `input:`",), ())
    if (net_inputs or len(readers) < len(sources)) and not has_loss:
        # a data layer left in such a net is a mistake of the deploy net (N307)
        return NetRole(DEPLOY_ROLE, (DEPLOY,),
                       ("inputs declared with `input:` or an Input layer, and no loss",), ())
    file_state = written_message(net, "state")
    fed = [name for name in (TRAIN, TEST)
           if net_inputs or any(layer_included(v, make_state(doc.schema, name, file_state))
                                for v in sources)]
    if not fed:
        staged = sorted({st for v in sources if v.syntax != "v0"
                         for rule in v.msg.include for st in rule.stage})
        if staged:
            # DIGITS and others gate their data layers by stage: only the solver's
            # train_state/test_state (or the caller) says which net is built
            return NetRole(STAGED, _unfed_phases(layers, has_loss), (
                "its data layers are active only with NetState stages"
                f" ({', '.join(staged)}) that the solver or the caller sets",), ())
        return NetRole(FRAGMENT, _unfed_phases(layers, has_loss),
                       ("no data source is active in TRAIN or in TEST",), ())
    if not has_loss and fed == [TRAIN, TEST] and not any(
            v.type == "Accuracy" for v in layers) and any(
            is_source(v) and v.type != "Input" and asks_for(v, 0) for v in layers):
        # a data layer written for TRAIN (`include { phase: TRAIN }`) says the author builds
        # a TRAIN net from this file, and nothing in it evaluates (no Accuracy, which an
        # evaluation or net-surgery file keeps): a train/val net whose loss is missing (N305)
        return NetRole(TRAIN_VAL, (TRAIN, TEST), (
            "data layers for TRAIN and for TEST, one of them written for TRAIN, no loss and"
            " no Accuracy",), finetuning)
    if not has_loss and TEST in fed:
        # nothing to train: an evaluation, feature-extraction or benchmark net
        return NetRole(EVALUATION, (TEST,),
                       ("data layers but no loss: an evaluation or feature-extraction net",),
                       ())
    if not _phase_rules(layers):
        train_signs = _training_signs(layers) + _sources_named(readers, "train")
        test_signs = _sources_named(readers, "test", "val", "validation", "eval")
        if True in _global_stats_written(layers):
            test_signs.append("BatchNorm `use_global_stats: true`, which a file meant for"
                              " testing writes")
        test_signs += _bare_trunk_signs(layers)
        if test_signs and not train_signs:
            return NetRole(EVALUATION, (TEST,),
                           ("no phase rules", *test_signs), ())
        why = ("a loss and data layers without phase rules",
               *(f"{s}" for s in train_signs))
        return NetRole(TRAIN_ONLY, (TRAIN,), why, finetuning)
    if fed == [TRAIN, TEST]:
        states = {name: make_state(doc.schema, name, file_state) for name in fed}
        if not any(layer_included(v, states[TEST]) and not layer_included(v, states[TRAIN])
                   for v in layers):
            # py-faster-rcnn's and R-C3D's train.prototxt: phase-less (Python) data, layers
            # kept out of TEST, none meant for TEST: only the TRAIN net is meant to be built
            return NetRole(TRAIN_ONLY, (TRAIN,), (
                "phase rules only keep layers out of TEST, and no layer is meant for TEST",),
                finetuning)
        return NetRole(TRAIN_VAL, (TRAIN, TEST), ("data layers for TRAIN and for TEST",),
                       finetuning)
    if fed == [TRAIN]:
        return NetRole(TRAIN_ONLY, (TRAIN,), ("data layers only for TRAIN",), finetuning)
    return NetRole(EVALUATION, (TEST,),
                   ("data layers only for TEST: an evaluation or feature-extraction net",), ())


def build_net_context(
    doc: Document,
    net: Any,
    root: Path = (),
    phases: tuple[str, ...] | None = None,
    solver_states: dict[str, Message | None] | None = None,
    solver_finetunes: tuple[str, ...] = (),
) -> NetContext:
    """The per-phase nets of ``net``: the phases ``phases`` names (from the solver that
    names this net), or else the ones its role (:func:`decide_role`) says Caffe builds. A
    deploy net gets a single ``deploy`` phase, built as TEST like pycaffe and ``caffe test``
    do."""
    layers, syntax = layer_views(net, root)
    role = decide_role(doc, net, layers, phases, solver_finetunes)
    file_state = written_message(net, "state")
    built = []
    for name in role.phases:
        extra = (solver_states or {}).get(name)
        state = make_state(doc.schema, TEST if name == DEPLOY else name, file_state, extra)
        built.append(PhaseNet(name, state, [v for v in layers if layer_included(v, state)]))
    return NetContext(doc, net, root, layers, syntax, built, phases is not None, role)


def train_net(ctx: NetContext) -> PhaseNet | None:
    """The TRAIN net, when Caffe builds one for what the file is for (its role: a solver
    trains it, it has data for TRAIN, or it is a training net without phase rules)."""
    phase = ctx.phase(TRAIN)
    return phase if phase is not None and phase.layers else None
