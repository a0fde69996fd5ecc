"""A top blob produced by two layers (N301), or computed in place by a layer that refuses it
(N341), as ``Net::AppendTop`` (``src/caffe/net.cpp``) and ``InsertSplits``
(``src/caffe/util/insert_splits.cpp``, BVLC master) see the net of each phase; measured on
a real BVLC build (shared/caffe-behaviour, row 6b; N341 with construct_net). Bottoms that
nothing produces are N261 (rules/unknown_bottom.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from prototxt_lint.caffe.layers import NO_IN_PLACE, caffe_builds
from prototxt_lint.model import (
    LayerView,
    NetContext,
    PhaseNet,
    written,
)
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.records import Record
from prototxt_lint.syntax.parser import Path
from prototxt_lint.wording import phase_words


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
        weights = layer.loss_weights
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
        weights = layer.loss_weights
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
    return (f"layer '{first.name}' (line {ctx.doc.line_of(first.path)}) already produces"
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
        message = (f"in {phase_words(phases)}, Caffe aborts with \"Top blob '{clash.blob}'"
                   f" produced by multiple sources.\": {clash.why}")
        for name in phases:
            yield Report(key[0], message, hint=clash.hint, phase=name)



@net_rule("N341", "in-place-not-allowed", Severity.ERROR,
          "AbsVal, Flatten, Reshape or Split computed in place: Caffe aborts at set-up.")
def in_place_not_allowed(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an AbsVal, Flatten, Reshape or Split layer whose top repeats its bottom
    (`bottom: "x" top: "x"`), in a phase where Caffe computes it in place.

    ## Why is this bad?
    Most neuron layers (ReLU, Sigmoid, Dropout, ...) may write their output over their
    input, and nets do that to save memory. These four refuse it:
    `AbsValLayer::LayerSetUp` (`src/caffe/layers/absval_layer.cpp`), `FlattenLayer::Reshape`,
    `ReshapeLayer::LayerSetUp` and `SplitLayer::Reshape` check `CHECK_NE(top[0], bottom[0])
    << this->type() << " Layer does not allow in-place computation."` (AbsVal's backward
    pass needs its input; Flatten and Reshape share the input's data under another shape).
    `Net::AppendTop` (`src/caffe/net.cpp`) makes a top the bottom's blob when its name
    repeats the bottom at the same index, after `InsertSplits` renamed the bottoms of a blob
    several layers read (then it is N301 instead).

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: top[0] != bottom[0] (0x... vs. 0x...) AbsVal
    Layer does not allow in-place computation.` while the net is built, in every phase the
    layer is in (measured with construct_net; glog prints the blob's address twice).

    ## Example
    ```
    input: "data"
    input_shape { dim: 2 dim: 6 dim: 4 dim: 4 }
    layer { name: "abs" type: "AbsVal" bottom: "data" top: "data" }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 2 dim: 6 dim: 4 dim: 4 }
    layer { name: "abs" type: "AbsVal" bottom: "data" top: "abs" }
    ```

    ## Fix
    Give the top its own name and let the layers after it read that name.
    """
    if not caffe_builds(ctx) or not ctx.schema.is_bvlc:
        return
    for phase in ctx.phases:
        renamed = None
        for i, layer in enumerate(phase.layers):
            if layer.type not in NO_IN_PLACE or layer.syntax == "v0" or not layer.bottoms:
                continue
            if renamed is None:
                renamed = _split_bottoms(ctx, phase)[0]
            if not layer.tops or renamed[i][0] != layer.tops[0]:
                continue
            index = "i" if layer.type == "Split" else "0"
            yield Report(layer.at("top", 0),
                         f"{layer.type} layer '{layer.name}' writes its top '{layer.tops[0]}'"
                         f" over its bottom, which {layer.type} refuses: Caffe aborts at net"
                         f' setup with "Check failed: top[{index}] != bottom[0] (0x... vs.'
                         f" 0x...) {layer.type} Layer does not allow in-place computation.\"",
                         hint=f"give the top its own name (e.g. '{layer.name}') and let the"
                         " layers after it read that", phase=phase.name)
