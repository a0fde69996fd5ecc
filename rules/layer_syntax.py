"""Old (V0/V1) layer syntax: mixed files Caffe refuses, old files it upgrades, embedded nets
it does not upgrade at all, V0 files its upgrade refuses.

These mirror ``UpgradeNetAsNeeded``, ``NetNeedsV0ToV1Upgrade``, ``NetNeedsV1ToV2Upgrade``,
``UpgradeV0Net`` and ``UpgradeV1Net`` in ``src/caffe/util/upgrade_proto.cpp`` (BVLC master),
which ``ReadNetParamsFromTextFileOrDie`` runs on every net *file* Caffe reads, and
``Net::FilterNet`` in ``src/caffe/net.cpp``, which builds a net from its ``layer`` fields only.
Measured on a real BVLC build: shared/caffe-behaviour rows 4a (mixed file: FATAL) and 4b (pure
V1 file: upgraded with INFO lines only).
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.model import V0_TYPES, LayerView, NetContext, type_letters
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.syntax.parser import Path

_REFUSAL = (
    "Refusing to upgrade inconsistent NetParameter input; the definition includes both"
    " 'layer' and 'layers' fields."
)


def _line(ctx: NetContext, *rest: str | int) -> int | None:
    """1-based line of the field at ``ctx.at(*rest)``, when it is written in the file."""
    loc = ctx.doc.loc(ctx.at(*rest))
    return ctx.doc.source.line_col(loc.start)[0] if loc is not None else None


def _blocks(n: int, word: str) -> str:
    return f"{n} `{word}` block{'s' if n != 1 else ''}"


def _embedded(ctx: NetContext) -> bool:
    """A net written inside a solver (``net_param``, ``train_net_param``, ...)."""
    return bool(ctx.root)


@net_rule("N221", "mixed-layer-syntax", Severity.ERROR,
          "Net mixes V2 `layer` and V1 `layers` blocks: Caffe refuses to load it.")
def mixed_layer_syntax(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a net file that has both V2 `layer { type: "..." }` blocks and old V1
    `layers { type: ENUM }` (or V0 `layers { layer { ... } }`) blocks. The finding points at
    the first `layers {` block: whichever syntax is in the minority, the `layers` blocks are
    the ones Caffe asks you to convert.

    ## Why is this bad?
    `UpgradeNetAsNeeded` (`src/caffe/util/upgrade_proto.cpp`) upgrades any net file with
    `layers` blocks, and `UpgradeV1Net` refuses a net that also has `layer` blocks. Measured on
    BVLC Caffe, both `caffe` and `upgrade_net_proto_text` abort (exit 134) with
    `Refusing to upgrade inconsistent NetParameter input; the definition includes both 'layer'
    and 'layers' fields. ... Manually switch the definition to 'layer' format to continue.`
    Caffe builds before that check (BVLC issue #3381, 2015) instead logged an ERROR and dropped
    the `layer` blocks silently. With V0 blocks the V1 check never sees the `layer` blocks:
    see N224.

    Nets written inside a solver are not upgraded at all: see N223.

    ## Consequence
    Aborts at load. `UpgradeV1Net` refuses the file while `ReadNetParamsFromTextFileOrDie`
    reads it (measured, row 4a, exit 134). (With V0 `layers` blocks Caffe does not abort but
    drops the `layer` blocks: that is N224.)

    ## Example
    ```
    layers { name: "fc8" type: INNER_PRODUCT bottom: "fc7" top: "fc8"
             inner_product_param { num_output: 16 } }
    layer { name: "relu8" type: "ReLU" bottom: "fc8" top: "fc8" }
    ```

    ## Use instead
    ```
    layer { name: "fc8" type: "InnerProduct" bottom: "fc7" top: "fc8"
            inner_product_param { num_output: 16 } }
    layer { name: "relu8" type: "ReLU" bottom: "fc8" top: "fc8" }
    ```

    ## Fix
    Convert every `layers` block to `layer`: the enum type becomes the V2 string
    (`INNER_PRODUCT` -> `"InnerProduct"`, `SOFTMAX_LOSS` -> `"SoftmaxWithLoss"`, ...),
    `blobs_lr: x` becomes `param { lr_mult: x }` and `weight_decay: y` becomes
    `param { decay_mult: y }` (one `param` per blob, in order). Or put only the `layers` blocks
    in a copy, run `upgrade_net_proto_text copy.prototxt upgraded.prototxt`, and paste the
    `layer` blocks back.
    """
    if ctx.syntax != "mixed" or _embedded(ctx) or _v0(ctx):
        return
    net = ctx.net
    counts = f"{_blocks(len(net.layer), 'layer')} and {_blocks(len(net.layers), 'layers')}"
    first_v2 = _line(ctx, "layer", 0)
    where = f" (the first `layer` block is on line {first_v2})" if first_v2 else ""
    yield Report(
        ctx.at("layers", 0),
        f"this net mixes {counts}{where}: Caffe aborts when it reads the file with"
        f' "{_REFUSAL}"',
        hint=_CONVERT,
    )


_CONVERT = ('convert the `layers` blocks to `layer { type: "..." }` (enum -> string type,'
            " `blobs_lr` -> `param { lr_mult }`, `weight_decay` -> `param { decay_mult }`), or"
            " run `upgrade_net_proto_text` on a copy holding only the `layers` blocks")


def _v0(ctx: NetContext) -> bool:
    return any(view.syntax == "v0" for view in ctx.layers)


@net_rule("N222", "deprecated-layer-syntax", Severity.INFO,
          "Net in the old V1/V0 `layers` syntax: Caffe upgrades it on every load.")
def deprecated_layer_syntax(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Reports, once per file at the first `layers {`, a net file written only in the
    deprecated V1 syntax (`layers { type: CONVOLUTION blobs_lr: 1 }`) or the older V0 syntax
    (`layers { layer { type: "conv" } }`).

    ## Why is this bad?
    It works: `UpgradeNetAsNeeded` (`src/caffe/util/upgrade_proto.cpp`) converts it in memory
    each time the file is read (`UpgradeV1Net`, after `UpgradeV0Net` for V0). Measured on BVLC
    Caffe, a pure V1 file logs only `Attempting to upgrade input file specified using
    deprecated V1LayerParameter` / `Successfully upgraded ...` at INFO level and runs (exit 0).
    V0 files also get a WARNING that future releases will not support V0NetParameter. The cost
    is elsewhere: current tools, forks and converters expect the V2 `layer` syntax, and mixing
    a copied V2 block into this file makes it unloadable (N221).

    ## Consequence
    Reminder. The file loads and runs: `UpgradeNetAsNeeded` converts it in memory on every read,
    logging INFO lines (and a WARNING for V0); the cost is for other tools, and for a V2 block
    pasted into it (N221).

    ## Example
    ```
    layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
             blobs_lr: 1 blobs_lr: 2 convolution_param { num_output: 20 kernel_size: 5 } }
    ```

    ## Use instead
    ```
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            param { lr_mult: 1 } param { lr_mult: 2 }
            convolution_param { num_output: 20 kernel_size: 5 } }
    ```

    Nothing is reported for a fork whose only format is V1 (C3D v1.0's NetParameter has no
    `layer` field): there `layers` is the native syntax, and there is nothing to upgrade to.

    ## Fix
    Upgrade the file once with Caffe's tool: `upgrade_net_proto_text old.prototxt
    new.prototxt` (in `build/tools/`).
    """
    if ctx.syntax not in ("v1", "v0") or _embedded(ctx) or ctx.schema.v1_native:
        return
    if ctx.syntax == "v0":
        message = (
            "this net uses the deprecated V0 syntax (`layers { layer { ... } }`): Caffe"
            " upgrades it to V1 and then to V2 `layer` blocks each time it reads the file,"
            " with a WARNING that future releases will not support V0NetParameter"
        )
    else:
        message = (
            "this net uses the deprecated V1 `layers` syntax (enum layer types): Caffe"
            " upgrades it to V2 `layer` blocks each time it reads the file, logging only"
            ' INFO lines ("Attempting to upgrade input file specified using deprecated'
            ' V1LayerParameter")'
        )
    yield Report(
        ctx.at("layers", 0),
        message,
        hint="upgrade it once: `upgrade_net_proto_text old.prototxt new.prototxt`",
    )


@net_rule("N223", "embedded-net-not-upgraded", Severity.ERROR,
          "V1/V0 `layers` inside a solver's net_param are ignored: Caffe never upgrades them.")
def embedded_net_not_upgraded(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `layers` blocks (V1 or V0 syntax) in a net written inside a solver: `net_param`,
    `train_net_param` or `test_net_param`. Reported once, at the first `layers {`.

    ## Why is this bad?
    Caffe upgrades old syntax only for net *files*: `ReadNetParamsFromTextFileOrDie` calls
    `UpgradeNetAsNeeded` (`src/caffe/util/upgrade_proto.cpp`). A net embedded in a solver is
    copied as it is (`Solver::InitTrainNet` / `InitTestNets` in `src/caffe/solver.cpp`;
    `ReadSolverParamsFromTextFileOrDie` upgrades only the solver type), and `Net::FilterNet`
    (`src/caffe/net.cpp`) builds the net from the `layer` field alone. The `layers` blocks are
    therefore skipped without a message and the net Caffe builds is empty: measured with
    `caffe train` on a solver whose `net_param` holds V1 `layers` only, the first iteration
    aborts with `Check failed: end < layers_.size() (-1 vs. 0)`. BVLC's own
    `examples/mnist/lenet_consolidated_solver.prototxt` is in this state.

    ## Consequence
    Aborts at run time. The embedded net has only `layers` blocks, so Caffe builds it empty,
    and the first forward pass of `caffe train` fails `Check failed: end < layers_.size() (-1
    vs. 0)` in `Net::ForwardFromTo` (measured). With `layer` blocks as well, Caffe builds the
    net from those alone: that is N224.

    ## Example
    ```
    net_param {
      layers { name: "mnist" type: DATA top: "data" top: "label" ... }
    }
    ```

    ## Use instead
    ```
    net_param {
      layer { name: "mnist" type: "Data" top: "data" top: "label" ... }
    }
    ```

    ## Fix
    Convert the blocks to `layer { type: "..." }` (copy the net into a file, run
    `upgrade_net_proto_text`, paste the result back), or move the net to its own file and
    name it with `net: "..."`, which Caffe does upgrade.
    """
    if not _embedded(ctx) or not ctx.net.layers or ctx.net.layer:
        return
    yield Report(
        ctx.at("layers", 0),
        f"`layers` blocks (old syntax) inside the solver's `{ctx.root[0]}` are never upgraded:"
        " Caffe upgrades only net files, and Net::FilterNet reads `layer` blocks only, so"
        f" these {_blocks(len(ctx.net.layers), 'layers')} are silently ignored and the net is"
        ' built empty: the first iteration aborts with "Check failed: end < layers_.size() (-1'
        ' vs. 0)"',
        hint='convert them to `layer { type: "..." }` (e.g. with `upgrade_net_proto_text` on a'
        ' copy), or move the net to a file named by `net: "..."`',
    )


@net_rule("N224", "layer-blocks-dropped", Severity.WARNING,
          "Old and new layer blocks mixed where Caffe silently drops one kind of them.")
def layer_blocks_dropped(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a net that mixes V2 `layer` blocks with old `layers` blocks where Caffe does not
    refuse it but silently builds the net from one kind alone: a net file whose `layers`
    blocks are in the V0 syntax (`layers { layer { ... } }`), and a net written inside a
    solver (`net_param`, `train_net_param`, `test_net_param`) with both kinds.

    ## Why is this bad?
    For V0 blocks, `UpgradeNetAsNeeded` (`src/caffe/util/upgrade_proto.cpp`) runs
    `UpgradeV0Net`, which clears the net and rebuilds it from the `layers` blocks (and the
    inputs) only, so the `layer` blocks are gone before `UpgradeV1Net` could refuse the mix
    (N221). Measured: an Input, a V0 convolution and a V2 ReLU build as 2 layers, without the
    ReLU, and Caffe logs only the V0 deprecation WARNING. A net inside a solver is never
    upgraded (`Solver::InitTrainNet`, `src/caffe/solver.cpp`), and `Net::FilterNet` reads the
    `layer` blocks alone, so there the `layers` blocks are the ones dropped (N223 when there is
    nothing else).

    ## Consequence
    Likely wrong. Caffe builds a net without some of the blocks that are written, and says
    nothing; it aborts only if a kept layer reads a blob that a dropped one makes.

    ## Example
    ```
    input: "data"
    input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
    layers { layer { name: "conv1" type: "conv" num_output: 4 kernelsize: 3 }
             bottom: "data" top: "conv1" }
    layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 } }
    layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
    ```

    ## Fix
    Convert the old blocks to `layer { type: "..." }` (`upgrade_net_proto_text` on a copy
    that holds only them), so that every block is in the net Caffe builds.
    """
    net = ctx.net
    if not net.layer or not net.layers:
        return
    counts = f"{_blocks(len(net.layer), 'layer')} and {_blocks(len(net.layers), 'layers')}"
    if _embedded(ctx):
        yield Report(
            ctx.at("layers", 0),
            f"the solver's `{ctx.root[0]}` mixes {counts}: a net inside a solver is never"
            " upgraded and Net::FilterNet reads `layer` blocks only, so Caffe silently builds"
            f" it from the {_blocks(len(net.layer), 'layer')} alone, without these"
            f" {_blocks(len(net.layers), 'layers')}",
            hint=_CONVERT,
        )
    elif _v0(ctx):
        first_v2 = _line(ctx, "layer", 0)
        where = f" (the first `layer` block is on line {first_v2})" if first_v2 else ""
        yield Report(
            ctx.at("layers", 0),
            f"this net has {counts}{where}, some in the V0 syntax: Caffe's V0 upgrade"
            " (UpgradeV0Net) rebuilds the net from the `layers` blocks only and silently"
            f" drops the {_blocks(len(net.layer), 'layer')}",
            hint=_CONVERT,
        )


def _v0_refusals(ctx: NetContext) -> Iterator[tuple[LayerView, Path, str, str]]:
    """What ``UpgradeV0Net`` refuses, in its order: first ``UpgradeV0PaddingLayers`` (a
    ``padding`` layer must feed one conv or pool layer that takes only it, and have one
    bottom and one top), then ``UpgradeV0LayerType`` on each layer. (layer, where, what
    Caffe prints, hint.)"""
    views = ctx.layers
    last_top: dict[str, int] = dict.fromkeys(ctx.net.input, -1)
    for i, view in enumerate(views):
        for blob in view.bottoms:
            src = last_top.get(blob)
            if src is None or src < 0 or views[src].msg.layer.type != "padding":
                continue  # an unknown bottom is N261
            pad = views[src]
            kind = view.msg.layer.type
            if kind not in ("conv", "pool"):
                yield view, view.at("layer", "type"), (
                    'Check failed: (layer_param.type() == "conv") || (layer_param.type() =='
                    ' "pool") Padding layer input to non-convolutional / non-pooling layer'
                    f" type {kind}"), (f"give the pad to a conv or pool layer, or drop"
                                       f" padding layer '{pad.name}'")
                return
            for size, check, what in (
                    (len(view.bottoms), "layer_connection.bottom_size() == 1",
                     "Conv Layer takes a single blob as input."),
                    (len(pad.bottoms), "source_layer.bottom_size() == 1",
                     "Padding Layer takes a single blob as input."),
                    (len(pad.tops), "source_layer.top_size() == 1",
                     "Padding Layer produces a single blob as output.")):
                if size != 1:
                    at = view if check.startswith("layer_") else pad
                    yield at, at.at("layer"), f"Check failed: {check} ({size} vs. 1) {what}", (
                        f"write the pad into the {kind} layer itself (`pad: "
                        f"{pad.msg.layer.pad}`) and drop padding layer '{pad.name}'")
                    return
        for blob in view.tops:
            last_top[blob] = i
    for view in views:
        kind = view.msg.layer.type
        if kind != "padding" and view.msg.layer.HasField("type") and kind not in V0_TYPES:
            close = next((k for k, v in V0_TYPES.items() if kind in (v, k.upper())
                          or type_letters(kind) == type_letters(k)), None)
            yield view, view.at("layer", "type"), f"Unknown layer name: {kind}", (
                f'write `type: "{close}"` (V0 names are lower case)' if close else
                f"use one of the V0 layer names ({', '.join(sorted(V0_TYPES))}), or upgrade"
                " the file to `layer` blocks")
            return


@net_rule("N344", "v0-upgrade-rejected", Severity.ERROR,
          "A V0 net that Caffe's upgrade refuses (padding layers, unknown V0 type): aborts.")
def v0_upgrade_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a net in the 2014 V0 syntax (`layers { layer { type: "conv" } }`) that Caffe's
    upgrade refuses while it reads the file: a `padding` layer that feeds a layer other than
    `conv` or `pool`, or feeds one with several bottoms, or has several bottoms or tops
    itself; and a V0 layer `type` that is not one of the V0 names (`relu`, `innerproduct`,
    ...; a V2 name such as `ReLU` is not one).

    ## Why is this bad?
    `ReadNetParamsFromTextFileOrDie` runs `UpgradeV0Net` (`src/caffe/util/upgrade_proto.cpp`)
    on every V0 file. `UpgradeV0PaddingLayers` folds each `padding` layer into the layer it
    feeds, and `CHECK`s that it can: `Padding layer input to non-convolutional /
    non-pooling layer type relu`, `Conv Layer takes a single blob as input.`, `Padding Layer
    takes a single blob as input.`, `Padding Layer produces a single blob as output.`. Then
    `UpgradeV0LayerType` maps each type name and ends in `LOG(FATAL) << "Unknown layer
    name: " << type`. Both run before any layer is built, in every phase.

    ## Consequence
    Aborts at load. Caffe fails `Check failed: (layer_param.type() == "conv") ||
    (layer_param.type() == "pool") Padding layer input to non-convolutional / non-pooling
    layer type relu` or `Unknown layer name: ReLU` while it reads the file (measured with
    construct_net).

    ## Example
    ```
    input: "data"
    input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
    layers { layer { name: "pad1" type: "padding" pad: 1 } bottom: "data" top: "pad1" }
    layers { layer { name: "relu1" type: "relu" } bottom: "pad1" top: "relu1" }
    ```

    ## Use instead
    ```
    input: "data"
    input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
    layers { layer { name: "conv1" type: "conv" num_output: 4 kernelsize: 3 pad: 1 }
             bottom: "data" top: "conv1" }
    ```

    ## Fix
    Give the pad to the conv or pool layer (`pad: 1`) instead of a `padding` layer, use
    the V0 type names, or better, upgrade the file once with `upgrade_net_proto_text`.
    """
    if ctx.syntax != "v0" or _embedded(ctx) or not ctx.schema.is_bvlc:
        return
    for view, at, said, hint in _v0_refusals(ctx):
        yield Report(at, f"V0 layer '{view.name}': Caffe aborts when it reads the file with"
                         f' "{said}"', hint=hint)
