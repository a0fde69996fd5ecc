"""Layer types BVLC Caffe does not register: misspellings it aborts on, and custom or fork
layers it would need a different build for.

Mirrors ``LayerRegistry<Dtype>::CreateLayer`` in ``include/caffe/layer_factory.hpp``
(``CHECK_EQ(registry.count(type), 1) << "Unknown layer type: " << type << " (known types: "
...``), which ``Net::Init`` (``src/caffe/net.cpp``) calls for every layer of the
phase-filtered net. Type names are looked up as written, so they are case-sensitive.
Measured on a real BVLC build (shared/caffe-behaviour, row 6d): ``F layer_factory.hpp:81]
Check failed: registry.count(type) == 1 (0 vs. 1) Unknown layer type: FullyConnected (known
types: AbsVal, Accuracy, ...)``; lower-case ``innerproduct`` fails the same way.

V1 (``layers { type: ENUM }``) files name their types with an enum that
``UpgradeV1LayerType`` (``src/caffe/util/upgrade_proto.cpp``) maps to registered types, so
they are always known; V0 files are skipped (``UpgradeV0LayerType`` has its own names, and
``padding`` layers are folded into the next convolution).

The facts (registered types, near-misses, parameter blob counts) live in
:mod:`prototxt_lint.caffe.layers`.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.layers import (
    caffe_builds,
    fork_provides,
    is_registered,
    layer_intact,
    near_miss,
)
from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.schema import bvlc_schema


def _type_path(layer: LayerView) -> tuple[str | int, ...]:
    return layer.at("type")


def _unregistered(ctx: NetContext) -> Iterator[LayerView]:
    """Layers whose type neither BVLC Caffe nor the fork schema in use provides."""
    if not caffe_builds(ctx):
        return
    provided: dict[str, bool] = {}
    for layer in ctx.layers:
        if layer.syntax == "v0" or not layer.type or is_registered(layer):
            continue
        if layer.type not in provided:
            provided[layer.type] = fork_provides(ctx, layer.type)
        if not provided[layer.type]:
            yield layer


@net_rule("N311", "misspelled-layer-type", Severity.ERROR,
          "Layer type BVLC Caffe does not register, but close to one it does: Caffe aborts.")
def misspelled_layer_type(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer `type` that BVLC Caffe does not register but that is surely meant as one
    it does: another case or separators (`Relu`, `innerproduct`, `Inner_Product`), a V1
    enum name or V0 name written as a V2 string (`INNER_PRODUCT`, `SOFTMAX_LOSS`,
    `conv`), another framework's name (`FullyConnected`, `Dense`, `Conv2D`,
    `BatchNormalization`), or a single typo in a type of six letters or more
    (`Convolutoin`). Other unknown types are custom or fork layers (N312).

    ## Why is this bad?
    `Net::Init` (`src/caffe/net.cpp`) creates each layer through
    `LayerRegistry::CreateLayer` (`include/caffe/layer_factory.hpp`), which looks the
    type up exactly as written (type names are case-sensitive) and aborts:
    `Check failed: registry.count(type) == 1 (0 vs. 1) Unknown layer type: FullyConnected
    (known types: AbsVal, Accuracy, ...)` (measured, row 6d; `innerproduct` fails the same
    way). This happens after the data layers above it were set up, which for a big LMDB can
    take a while.

    ## Consequence
    Aborts at set-up. `LayerRegistry::CreateLayer`, called from `Net::Init`, fails `Check
    failed: registry.count(type) == 1 (0 vs. 1) Unknown layer type: ...` (measured, row 6d),
    after the data layers above the layer were set up.

    ## Example
    ```
    layer { name: "fc1" type: "FullyConnected" bottom: "data" top: "fc1"
            inner_product_param { num_output: 10 } }
    layer { name: "relu1" type: "Relu" bottom: "fc1" top: "fc1" }
    ```

    ## Use instead
    ```
    layer { name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1"
            inner_product_param { num_output: 10 } }
    layer { name: "relu1" type: "ReLU" bottom: "fc1" top: "fc1" }
    ```

    ## Fix
    Use the registered name given in the hint.
    """
    unregistered = list(_unregistered(ctx))
    if _needs_a_fork(unregistered):
        return  # a fork's file: a near-miss may be that fork's own type (N312 says so)
    for layer in unregistered:
        meant = near_miss(layer.type) if layer.syntax == "v2" else None
        if meant is None:
            continue
        for phase in ctx.active_phases(layer):
            yield Report(
                _type_path(layer),
                f'unknown layer type "{layer.type}" (layer \'{layer.name}\'): Caffe aborts'
                f' with "Unknown layer type: {layer.type} (known types: ...)"; type names are'
                " case-sensitive",
                hint=f'did you mean "{meant}"?',
                phase=phase,
            )


def _complete_fork(ctx: NetContext) -> str | None:
    """The fork the file is read as (detected or ``--dialect``), as messages name it, when
    its declared registrations are complete (``registrations.py``): then a type neither it nor
    BVLC provides is one that fork's ``LayerRegistry::CreateLayer`` aborts on. None for a
    user's schema (``--proto``) and for every fork whose sources were read only in part."""
    if ctx.schema.dialect is None:
        return None
    from prototxt_lint.dialects import BY_NAME
    from prototxt_lint.dialects.registrations import registrations

    if not registrations(ctx.schema.dialect).complete:
        return None
    return BY_NAME[ctx.schema.dialect].describe()


def _near(layer: LayerView) -> str | None:
    return near_miss(layer.type) if layer.syntax == "v2" else None


def _needs_a_fork(unregistered: list[LayerView]) -> bool:
    """Does the net use a type that is no slip of a BVLC one (a fork's own layer)? Then the
    file is written for that fork, and a near-miss type may be one it registers (OCR forks
    register "Lstm" next to BVLC's "LSTM")."""
    return any(_near(v) is None for v in unregistered)


@net_rule("N312", "custom-layer-type", Severity.WARNING,
          "Layer type BVLC Caffe does not register: needs a fork or custom build.")
def custom_layer_type(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes the layer types that BVLC Caffe does not register in a net that uses at least
    one that is no near-miss of a BVLC type: a fork's layer (`ROIPooling`, `PSROIPooling`,
    `SmoothL1Loss`, SSD's `PriorBox`/`DetectionOutput`/`MultiBoxLoss`, PSPNet's `BN` and
    `Interp`, ...) or your own C++ layer. One cause, one finding per net: every such type
    is named, with its count, at the first use of the first; the first use of each other
    type is a related place. In such a net a near-miss type (`Lstm` beside BVLC's `LSTM`)
    is listed here too, with BVLC's spelling, instead of as an N311 error: the fork the
    file is written for may register it. `Python` layers are registered (pycaffe builds
    have `WITH_PYTHON_LAYER`), and V1 enum types always map to registered ones. When the
    file is linted with a fork's schema (`--proto`), nothing is reported: a schema does not
    list the layers a fork registers (R-FCN's `SmoothL1LossOHEM` has no parameters at all),
    so the fork is taken to provide them. The same holds when the file is read as a known
    fork (recognised, or `--dialect`): the types its schema or its sources provide
    (`prototxt_lint/dialects/registrations.py`, from its `REGISTER_LAYER_CLASS` lines) are
    known, and a type it is not known to have is not claimed missing either, since the
    declarations hold what the fork's sources were seen to register, not all it has. With
    `--dialect bvlc` every type BVLC lacks is listed. Misspellings of BVLC types (N311) are
    still errors.

    ## Why is this bad?
    It is not, in the Caffe build that registers the type. In any other build,
    `LayerRegistry::CreateLayer` (`include/caffe/layer_factory.hpp`) aborts with
    `Unknown layer type: ROIPooling (known types: ...)` (measured for other names, row 6d).
    The linter does not know what such a layer computes, so the rules that follow blobs
    treat its outputs as unknown.

    ## Consequence
    Likely wrong. If the net is run with BVLC Caffe or any build that does not register these
    types, it aborts at set-up in `LayerRegistry::CreateLayer` with `Unknown layer type: ...`;
    the fork or build that registers them runs it.

    ## Example
    ```
    ~ input: "conv5_3" input_shape { dim: 1 dim: 512 dim: 14 dim: 14 }
    ~ input: "rois" input_shape { dim: 1 dim: 5 }
    layer { name: "my_pool5" type: "MyROIAlign" bottom: "conv5_3" bottom: "rois"
            top: "pool5" }
    ```

    ## Use instead
    The same, run with the Caffe build that registers the layer; lint with its schema
    (`--proto path/to/caffe.proto`) to check the layer's own parameters too.

    ## Fix
    Build the fork or custom layer into your Caffe; suppress the finding for the file
    (`# prototxt-lint: disable-file=N312`) once that is settled.
    """
    fork = None
    if ctx.schema.file is not bvlc_schema().file:
        fork = _complete_fork(ctx)
        if fork is None:
            return  # a fork's schema: the fork may register the type (SmoothL1LossOHEM in R-FCN)
    unregistered = list(_unregistered(ctx))
    if not _needs_a_fork(unregistered):
        return  # only slips of BVLC types: N311
    first: dict[str, LayerView] = {}
    counts: dict[str, int] = {}
    for layer in unregistered:
        first.setdefault(layer.type, layer)
        counts[layer.type] = counts.get(layer.type, 0) + 1

    def described(kind: str) -> str:
        n = counts[kind]
        meant = _near(first[kind])
        slip = f"; BVLC's is \"{meant}\"" if meant else ""
        return f'"{kind}" ({n} layer{"s" if n > 1 else ""}{slip})'

    kinds = list(first)
    names = ", ".join(described(k) for k in kinds)
    noun = "type" if len(kinds) == 1 else "types"
    if fork is not None:
        yield Report(
            _type_path(first[kinds[0]]),
            f"layer {noun} {names} {'is' if len(kinds) == 1 else 'are'} registered neither by"
            f" {fork} nor by BVLC Caffe: that fork aborts with \"Unknown layer type:"
            f' {kinds[0]}"; only a custom build that adds {"it" if len(kinds) == 1 else "them"}'
            " runs this net",
            hint="use a layer type the fork registers, or the build that provides these layers",
            related=tuple((_type_path(first[k]), f'first layer of type "{k}"')
                          for k in kinds[1:]),
        )
        return
    yield Report(
        _type_path(first[kinds[0]]),
        f"layer {noun} {names} {'is' if len(kinds) == 1 else 'are'} not registered by BVLC"
        " Caffe: this net is written for a fork or a custom build; a Caffe build without"
        f' {"it" if len(kinds) == 1 else "them"} aborts with "Unknown layer type:'
        f' {kinds[0]}"',
        hint="run it with the Caffe fork or build that provides these layers (lint with its"
        " schema: --proto path/to/caffe.proto)",
        related=tuple((_type_path(first[k]), f'first layer of type "{k}"') for k in kinds[1:]),
    )


@net_rule("N313", "missing-layer-type", Severity.ERROR,
          "Layer without a `type`: Caffe aborts.")
def missing_layer_type(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer with no `type` (or an empty one; in V1 files, `type: NONE` or no type).

    ## Why is this bad?
    `type` has no default. `LayerRegistry::CreateLayer`
    (`include/caffe/layer_factory.hpp`) looks up the empty string and aborts with
    `Unknown layer type:  (known types: ...)`; V1 files get the same after
    `UpgradeV1LayerType` (`src/caffe/util/upgrade_proto.cpp`) maps `NONE` to "".

    ## Consequence
    Aborts at set-up. `LayerRegistry::CreateLayer` looks up the empty type and fails with
    `Unknown layer type:  (known types: ...)`.

    ## Example
    ```
    layer { name: "relu1" bottom: "conv1" top: "conv1" }
    ```

    ## Use instead
    ```
    layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
    ```

    ## Fix
    Add the layer's `type`.
    """
    if not caffe_builds(ctx):
        return
    for layer in ctx.layers:
        if layer.syntax == "v0" or layer.type:
            continue
        if not layer_intact(ctx, layer):
            continue  # the type may be a fork's enum value, or lost to a syntax error
        for phase in ctx.active_phases(layer):
            yield Report(
                layer.at("type") if ctx.doc.loc(layer.at("type")) else layer.path,
                f"layer '{layer.name}' has no type: Caffe aborts with \"Unknown layer type: "
                ' (known types: ...)"',
                hint='add its `type`, e.g. `type: "ReLU"`',
                phase=phase,
            )
