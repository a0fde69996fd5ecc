"""More ``param`` blocks than the layer has parameter blobs (N304): ``Net::AppendParam``
(``src/caffe/net.cpp``, BVLC master) aborts.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.layers import caffe_builds, param_blobs
from prototxt_lint.model import (
    LayerView,
    NetContext,
)
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.syntax.parser import Path


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

