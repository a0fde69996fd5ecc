"""How the layers of each phase connect: what ``Net::Init`` refuses, and nets that build but
cannot learn what their author meant.

Mirrors ``Net::Init``, ``Net::FilterNet`` and ``Net::AppendTop`` in ``src/caffe/net.cpp`` and
``InsertSplits`` in ``src/caffe/util/insert_splits.cpp`` (BVLC master), run on the net Caffe
builds for each phase. Measured on a real BVLC build (shared/caffe-behaviour, rows 6b, 6c,
6k). Bottoms that nothing produces are N261 (rules/unknown_bottom.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import islice

from prototxt_lint.caffe.layers import caffe_builds, is_registered, param_blobs
from prototxt_lint.model import (
    DATA_LAYER_TYPES,
    DEPLOY,
    RESHAPING_TYPES,
    TRAIN,
    TRAIN_VAL,
    LayerView,
    NetContext,
    PhaseNet,
    written,
)
from prototxt_lint.parser import Path
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.records import Record
from prototxt_lint.roles import LEARNABLE_FILLERS

#: Layers that only change the shape of their first bottom (looked through when following a
#: blob back to where its values come from).


# --- shared helpers ---------------------------------------------------------------------------
def _line(ctx: NetContext, path: Path) -> int:
    return ctx.doc.source.line_col(ctx.doc.span(path)[0])[0]


def _phase_words(names: list[str]) -> str:
    if names == [DEPLOY]:
        return "the deploy net"
    return f"the {' and '.join(names)} net{'s' if len(names) > 1 else ''}"


def _asks_for_train(layer: LayerView) -> bool:
    """``include { phase: TRAIN }`` written on the layer: it is in TRAIN on purpose."""
    return layer.syntax != "v0" and any(
        r.HasField("phase") and r.phase == 0 for r in layer.msg.include)


def _train_for_sure(ctx: NetContext) -> PhaseNet | None:
    """The TRAIN net, when Caffe builds one for what the file is for (its role: a solver
    trains it, it has data for TRAIN, or it is a training net without phase rules)."""
    phase = ctx.phase(TRAIN)
    return phase if phase is not None and phase.layers else None


def _loss_weights(layer: LayerView) -> list[float]:
    return list(getattr(layer.msg, "loss_weight", ())) if layer.syntax != "v0" else []


def _is_loss(layer: LayerView) -> bool:
    """A loss as ``Net::Init`` counts it (a top with a loss weight: every ``*Loss`` layer
    by default, ``LossLayer::LayerSetUp``), or a fork type named like one."""
    return layer.is_loss or "loss" in layer.type.lower()


# --- N301: a top produced twice -----------------------------------------------------------------
def _inputs(ctx: NetContext) -> list[str]:
    """The net inputs Caffe keeps: ``UpgradeNetInput`` (``src/caffe/util/upgrade_proto.cpp``)
    turns `input:` fields into an Input layer when they have `input_shape` or `input_dim`,
    and drops them (a legacy caffemodel header) when they have neither."""
    net = ctx.net
    if written(net, "input_shape") or written(net, "input_dim"):
        return list(written(net, "input"))
    return []


class _Clash(Record):
    __slots__ = ("blob", "hint", "layer", "top", "why")

    def __init__(
        self,
        layer: LayerView,
        top: int,  # top index
        blob: str,
        why: str,
        hint: str,
    ) -> None:
        self.layer = layer
        self.top = top
        self.blob = blob
        self.why = why
        self.hint = hint


def _split_bottoms(
    ctx: NetContext, phase: PhaseNet
) -> tuple[list[list[str]], dict[tuple[int, int], list[int]]]:
    """``InsertSplits``: every bottom as Caffe renames it. A blob read by more than one layer
    (or read and used as a loss) gets a Split layer, and each reader a copy named
    ``<blob>_<producer>_<top index>_split_<k>``. Also returns, for a renamed bottom, the
    readers of the same blob (one list shared by all of them, the reader itself included:
    a copy per reader without it was quadratic in the blob's fan-out)."""
    inputs = _inputs(ctx)
    last_top: dict[str, tuple[int, int]] = {name: (-1, i) for i, name in enumerate(inputs)}
    source: dict[tuple[int, int], tuple[int, int]] = {}
    count: dict[tuple[int, int], int] = {}
    readers: dict[tuple[int, int], list[int]] = {}
    layers = phase.layers
    for i, layer in enumerate(layers):
        for j, blob in enumerate(layer.bottoms):
            if blob not in last_top:
                continue  # Caffe aborts here (N261)
            top = last_top[blob]
            source[(i, j)] = top
            count[top] = count.get(top, 0) + 1
            readers.setdefault(top, []).append(i)
        for j, blob in enumerate(layer.tops):
            last_top[blob] = (i, j)
        weights = _loss_weights(layer)
        for j in range(min(len(weights), len(layer.tops))):
            if weights[j]:
                top = last_top[layer.tops[j]]
                count[top] = count.get(top, 0) + 1
    names = ["input" if i < 0 else layers[i].name for i in range(-1, len(layers))]
    split_index: dict[tuple[int, int], int] = {}
    renamed: list[list[str]] = []
    others: dict[tuple[int, int], list[int]] = {}
    for i, layer in enumerate(layers):
        row = []
        for j, blob in enumerate(layer.bottoms):
            src = source.get((i, j))
            if src is None or count.get(src, 0) <= 1:
                row.append(blob)
                continue
            k = split_index.get(src, 0)
            split_index[src] = k + 1
            row.append(f"{blob}_{names[src[0] + 1]}_{src[1]}_split_{k}")
            others[(i, j)] = readers[src]
        renamed.append(row)
        weights = _loss_weights(layer)
        for j in range(len(layer.tops)):
            if count.get((i, j), 0) > 1 and j < len(weights) and weights[j]:
                split_index[(i, j)] = split_index.get((i, j), 0) + 1
    return renamed, others


def _clashes(ctx: NetContext, phase: PhaseNet) -> Iterator[_Clash]:
    """``Net::AppendTop``: a top is in place only when it equals the (split-renamed) bottom
    at the same index; otherwise a name that already exists aborts Caffe."""
    renamed, others = _split_bottoms(ctx, phase)
    made: dict[str, LayerView | None] = {}  # None: a net input
    for name in _inputs(ctx):
        made.setdefault(name, None)
    for i, layer in enumerate(phase.layers):
        for j, blob in enumerate(layer.tops):
            bottoms = renamed[i]
            if j < len(bottoms) and bottoms[j] == blob:
                continue  # in place
            if blob not in made:
                made[blob] = layer
                continue
            first = made[blob]
            # the first few other readers are all the message names (linear, not a copy)
            readers = list(islice((r for r in others.get((i, j), ()) if r != i), 3))
            yield _Clash(layer, j, blob, *_why(ctx, phase, layer, j, blob, first,
                                                bottoms, readers))


def _why(ctx: NetContext, phase: PhaseNet, layer: LayerView, j: int, blob: str,
         first: LayerView | None, bottoms: list[str], readers: list[int]) -> tuple[str, str]:
    """What makes the top a second producer, and how to fix it."""
    where = f"layer '{layer.name}'"
    if j < len(layer.bottoms) and layer.bottoms[j] == blob and bottoms[j] != blob:
        names = ", ".join(f"'{phase.layers[r].name}'" for r in readers[:3])
        return (f"{where} writes '{blob}' in place, but '{blob}' is also read by layer"
                f"{'s' if len(readers) > 1 else ''} {names}, so Caffe's InsertSplits gives"
                f" {where} a split copy '{bottoms[j]}' as its bottom, and its top '{blob}' is"
                " then a second producer of the original",
                f"give {where} its own top (e.g. '{blob}_{layer.name}'), or let the other"
                f" readers of '{blob}' read it after {where}")
    if first is layer:
        return (f"{where} lists top '{blob}' twice", f"give each top of {where} its own name")
    if blob in layer.bottoms:
        at = layer.bottoms.index(blob)
        return (f"{where} reads '{blob}' as bottom {at} but writes it as top {j}: Caffe"
                " computes in place only when a top repeats the bottom at the same index",
                f"list '{blob}' at the same position in the bottoms and tops of {where}, or"
                " give the top its own name")
    if first is None:
        return (f"{where} writes '{blob}', which the net input `input: \"{blob}\"` already"
                " declares",
                f"give the top of {where} its own name, or remove the input")
    return (f"layer '{first.name}' (line {_line(ctx, first.path)}) already produces"
            f" '{blob}', and {where} writes it again, not in place",
            f"give the top of {where} its own name and update the layers that read it")


@net_rule("N301", "top-produced-twice", Severity.ERROR,
          "A top blob produced by two layers, not in place: Caffe aborts.")
def top_produced_twice(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer `top` that, in the net Caffe builds for a phase, names a blob that a net
    input or an earlier layer already produces, when the layer does not compute it in
    place. In place means the top repeats the bottom *at the same index*
    (`bottom: "x" top: "x"`). One trap is included: a layer that writes `x` in place while
    another layer also reads the same `x` (before it) is no longer in place, because Caffe
    then gives each reader a split copy of `x` as its bottom.

    ## Why is this bad?
    `Net::AppendTop` (`src/caffe/net.cpp`) treats a top as in place only when
    `blob_name == layer_param->bottom(top_id)`; any other top whose name exists already
    aborts with `Top blob 'ip' produced by multiple sources.` (measured, row 6b, exit 134).
    It runs on the net after `InsertSplits` (`src/caffe/util/insert_splits.cpp`), which
    renames the bottoms of a blob read by several layers to `<blob>_<layer>_<i>_split_<k>`,
    so an in-place layer among several readers of a blob gets the same abort (this case is
    read from the source, not measured).

    ## Consequence
    Aborts at set-up. `Net::AppendTop` fails with `Top blob '...' produced by multiple sources.`
    while `Net::Init` builds the phase (measured, row 6b, exit 134).

    ## Example
    ```
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip" ... }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip" top: "ip" ... }  # in place: fine
    layer { name: "ip3" type: "InnerProduct" bottom: "data" top: "ip" ... }  # aborts
    ```

    ## Use instead
    ```
    layer { name: "ip3" type: "InnerProduct" bottom: "data" top: "ip3" ... }
    ```

    ## Fix
    Give the top its own name and update the layers that read it.
    """
    if not caffe_builds(ctx):
        return
    groups: dict[tuple[Path, str, str], list[str]] = {}
    found: dict[tuple[Path, str, str], _Clash] = {}
    for phase in ctx.phases:
        for clash in _clashes(ctx, phase):
            key = (clash.layer.at("top", clash.top), clash.why, clash.hint)
            groups.setdefault(key, []).append(phase.name)
            found.setdefault(key, clash)
    for key, phases in groups.items():
        clash = found[key]
        message = (f"in {_phase_words(phases)}, Caffe aborts with \"Top blob '{clash.blob}'"
                   f" produced by multiple sources.\": {clash.why}")
        for name in phases:
            yield Report(key[0], message, hint=clash.hint, phase=name)


# --- N302: include and exclude ------------------------------------------------------------------
@net_rule("N302", "include-and-exclude", Severity.ERROR,
          "A layer with both `include` and `exclude` rules: Caffe aborts.")
def include_and_exclude(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer that has both `include` and `exclude` rules.

    ## Why is this bad?
    `Net::FilterNet` (`src/caffe/net.cpp`) checks every layer of the file, in every phase,
    before it builds anything: `CHECK(layer_param.include_size() == 0 ||
    layer_param.exclude_size() == 0) << "Specify either include rules or exclude rules; not
    both."`, so Caffe aborts whichever phase it builds.

    ## Consequence
    Aborts at set-up. `Net::FilterNet`, which `Net::Init` runs on every layer before it builds
    anything, fails its `CHECK` whichever phase is built.

    ## Example
    ```
    layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc"
            include { phase: TRAIN } exclude { stage: "deploy" } }
    ```

    ## Use instead
    ```
    layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc"
            include { phase: TRAIN not_stage: "deploy" } }
    ```

    ## Fix
    Keep one kind of rule: an `include` rule can say what an `exclude` rule says with
    `not_stage`, `min_level` and `max_level`.
    """
    if not caffe_builds(ctx):
        return
    for layer in ctx.layers:
        if layer.syntax == "v0" or not (layer.msg.include and layer.msg.exclude):
            continue
        yield Report(
            layer.at("exclude", 0),
            f"layer '{layer.name}' has both `include` and `exclude` rules: Caffe aborts"
            ' with "Specify either include rules or exclude rules; not both." whichever'
            " phase it builds",
            hint="keep only `include` rules (use `not_stage` for what `exclude` said)",
        )


# --- N303: duplicate layer names ----------------------------------------------------------------
def _may_have_weights(ctx: NetContext, layer: LayerView) -> bool:
    blobs = param_blobs(layer, ctx)
    return blobs is None or blobs > 0


@net_rule("N303", "duplicate-layer-name", Severity.WARNING,
          "Two layers with the same name in one phase: their weights cannot be reloaded.")
def duplicate_layer_name(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer whose `name` an earlier layer of the same phase already uses, when one of
    them has (or may have) learnable parameters. Layers of the same name in *different*
    phases (a TRAIN and a TEST data layer both named `mnist`) are normal: they are never in
    one net. Same-name layers without parameters (two `relu` layers) are left alone: they
    carry no weights, so nothing is loaded into them.

    ## Why is this bad?
    Caffe accepts the net and trains it (measured, row 6c). But weights are matched by
    layer name: `Net::CopyTrainedLayersFrom` (`src/caffe/net.cpp`) copies each saved layer
    into the *first* layer with its name. So the second layer's weights are never restored,
    and the first gets overwritten with them: measured, loading the net's own snapshot
    fails with `Cannot copy param 0 weights from layer 'ip'; shape mismatch. Source param
    shape is 2 4 (8); target param shape is 4 64 (256).` With equal shapes the wrong
    weights load silently; with a different number of blobs Caffe aborts with
    `Incompatible number of blobs for layer ...`. Fine-tuning from a model has the same
    problem, and pycaffe's `net.params[name]` shows only one of them.

    ## Consequence
    Likely wrong. If weights are ever loaded into this net by layer name (its own snapshots,
    fine-tuning, pycaffe's `net.params`), `Net::CopyTrainedLayersFrom` aborts on a shape or
    blob-count mismatch, or silently loads the wrong weights; building and training the net work
    (measured, row 6c).

    ## Example
    ```
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip1" ... }
    layer { name: "ip" type: "InnerProduct" bottom: "ip1" top: "ip2" ... }
    ```

    ## Use instead
    ```
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" ... }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" ... }
    ```

    ## Fix
    Give every layer of a phase its own name (weights that are meant to be shared are
    shared with `param { name: "..." }`, not with layer names).
    """
    if not caffe_builds(ctx):
        return
    for phase in ctx.phases:
        seen: dict[str, list[LayerView]] = {}
        for layer in phase.layers:
            if layer.name:
                seen.setdefault(layer.name, []).append(layer)
        clashes = [(name, same) for name, same in seen.items()
                   if len(same) >= 2 and all(v.type for v in same)  # not a lost type
                   and any(_may_have_weights(ctx, v) for v in same)]
        if not clashes:
            continue
        # one cause per net (names written twice, usually by a generator): the first clash,
        # with every other repeated name as a related place
        places = [(_name_path(ctx, later), f"'{name}' again (first at line"
                   f" {_line(ctx, same[0].path)})")
                  for name, same in clashes for later in same[1:]]
        name, same = clashes[0]
        first = same[0]
        yield one_per_cause(
            places,
            f"layer name '{name}' is already used by the {first.type} layer at line"
            f" {_line(ctx, first.path)}: Caffe accepts it and trains, but it restores"
            f" weights by layer name, always into the first '{name}', so this net"
            f" cannot reload its own snapshots (measured: \"Cannot copy param 0"
            f" weights from layer '{name}'; shape mismatch\"), and with equal shapes"
            " the wrong weights load silently",
            "repeated layer names",
            hint=f"rename this layer (e.g. '{name}_2')",
            phase=phase.name,
        )


def _name_path(ctx: NetContext, layer: LayerView) -> Path:
    return layer.at("name") if ctx.doc.loc(layer.at("name")) else layer.path


# --- N304: more param specs than blobs ----------------------------------------------------------
def _param_specs(layer: LayerView) -> int:
    """How many ParamSpecs the layer has (for V1, after ``UpgradeV1LayerParameter`` made one
    per index of `param`, `blob_share_mode`, `blobs_lr` and `weight_decay`)."""
    msg = layer.msg
    if layer.syntax == "v2":
        return len(msg.param)
    if layer.syntax == "v1":
        return max(len(msg.param), len(msg.blob_share_mode), len(msg.blobs_lr),
                   len(msg.weight_decay))
    return 0


def _extra_spec_path(ctx: NetContext, layer: LayerView, blobs: int) -> Path:
    if layer.syntax == "v2":
        return layer.at("param", blobs)
    for field in ("blobs_lr", "weight_decay", "param", "blob_share_mode"):
        if ctx.doc.loc(layer.at(field, blobs)) is not None:
            return layer.at(field, blobs)
    return layer.path


def _blob_words(layer: LayerView, blobs: int) -> str:
    kind = layer.type
    if kind in ("Convolution", "Deconvolution", "InnerProduct", "Embed"):
        return ("weights and bias" if blobs == 2
                else "weights only: `bias_term: false`")
    if kind == "Scale":
        scale = len(layer.bottoms) == 1
        parts = (["scale"] if scale else []) + (["bias"] if blobs > int(scale) else [])
        if not parts:
            return "none: the scale is its second bottom and there is no `bias_term`"
        return " and ".join(parts)
    if kind == "BatchNorm":
        return "mean, variance and the moving-average factor"
    if kind == "Bias":
        return "bias" if blobs else "none: the bias is its second bottom"
    return "none" if blobs == 0 else "one"


def _spec_hint(layer: LayerView, blobs: int) -> str:
    what = "`blobs_lr`/`weight_decay` entries" if layer.syntax == "v1" else "`param` blocks"
    if blobs == 0:
        return f"remove its {what}: this layer has no weights"
    if blobs == 1:
        return f"keep only the first of its {what}"
    return f"keep only the first {blobs} of its {what}"


@net_rule("N304", "too-many-param-specs", Severity.ERROR,
          "More `param` blocks than the layer has parameter blobs: Caffe aborts.")
def too_many_param_specs(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer with more `param { ... }` blocks (in V1 files: `blobs_lr`, `weight_decay`
    or `param` entries) than the parameter blobs its type creates: Convolution,
    Deconvolution, InnerProduct and Embed have 2 (weights, bias), 1 with
    `bias_term: false`; BatchNorm 3; Scale one for the scale (with one bottom) plus one
    with `bias_term: true`; Bias 1 with one bottom, else 0; PReLU and Parameter 1; every
    other BVLC layer 0. Python, recurrent and custom layers are not judged.

    ## Why is this bad?
    After `LayerSetUp` has created the blobs, `Net::Init` (`src/caffe/net.cpp`) checks
    `CHECK_LE(param_size, num_param_blobs) << "Too many params specified for layer " <<
    layer_param.name()` and aborts. The usual cause is a `param` block for a bias that
    `bias_term: false` removed, or `param` blocks copied onto a layer without weights.

    ## Consequence
    Aborts at set-up. `Net::Init` fails `CHECK_LE(param_size, num_param_blobs)` right after the
    layer's `LayerSetUp` has created its blobs.

    ## Example
    ```
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            param { lr_mult: 1 } param { lr_mult: 2 }
            convolution_param { num_output: 64 kernel_size: 3 bias_term: false } }
    ```

    ## Use instead
    ```
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            param { lr_mult: 1 }
            convolution_param { num_output: 64 kernel_size: 3 bias_term: false } }
    ```

    ## Fix
    Remove the extra `param` blocks (the first one belongs to the weights, the second to
    the bias).
    """
    if not caffe_builds(ctx):
        return
    found = []
    for layer in ctx.layers:
        phases = ctx.active_phases(layer)
        if not phases:
            continue
        specs = _param_specs(layer)
        if not specs:
            continue
        blobs = param_blobs(layer, ctx)
        if blobs is None or specs <= blobs:
            continue
        found.append((layer, phases, specs, blobs))
    # the same mistake on many layers of one type (a generator's) is one cause: the first,
    # with the others as related places
    same: dict[tuple[str, int, int], list[tuple[LayerView, list[str]]]] = {}
    for layer, phases, specs, blobs in found:
        same.setdefault((layer.type, specs, blobs), []).append((layer, phases))
    for (_, specs, blobs), group in same.items():
        layer, phases = group[0]
        message = (
            f"layer '{layer.name}' ({layer.type}) has {specs} `param`"
            f" spec{'s' if specs != 1 else ''} but {blobs} parameter"
            f" blob{'s' if blobs != 1 else ''} ({_blob_words(layer, blobs)}):"
            f' Caffe aborts with "Check failed: param_size <= num_param_blobs ({specs} vs.'
            f' {blobs}) Too many params specified for layer {layer.name}"'
        )
        places = [(_extra_spec_path(ctx, v, blobs), f"layer '{v.name}'") for v, _ in group]
        for name in phases:
            yield one_per_cause(places, message, f"{layer.type} layers",
                                hint=_spec_hint(layer, blobs), phase=name)


# --- N305: no loss in TRAIN ---------------------------------------------------------------------
def _python_loss_without_weight(layer: LayerView) -> bool:
    if layer.type != "Python" or layer.syntax != "v2" or _loss_weights(layer):
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
    phase = _train_for_sure(ctx)
    if phase is None or any(_is_loss(v) for v in phase.layers):
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
    yield Report(
        at,
        "the TRAIN net has no loss layer: Caffe trains it without complaint (measured:"
        " \"Initial loss: 0\"), but no gradient reaches any weight, so nothing is learned"
        f"{extra}",
        hint=hint,
        phase=TRAIN,
    )


# --- N306: Accuracy in TRAIN --------------------------------------------------------------------
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
    phase = _train_for_sure(ctx)
    if phase is None:
        return
    if ctx.role.kind != TRAIN_VAL:
        return  # no TEST net to move it to: a training file reports training accuracy
    found = [v for v in phase.layers if v.type == "Accuracy" and not _asks_for_train(v)]
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


# --- N307: data layers in a deploy net ----------------------------------------------------------
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
            _declares_inputs(ctx, phase) and not any(_is_loss(v) for v in phase.layers))
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


# --- N308: Softmax into SoftmaxWithLoss ---------------------------------------------------------
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


# --- N309: several unweighted losses ------------------------------------------------------------
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
    losses = [v for v in phase.layers if _is_loss(v)]
    if len(losses) < 2 or any(_loss_weights(v) for v in losses):
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

