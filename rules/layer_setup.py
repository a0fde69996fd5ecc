"""Layer parameters that a BVLC layer's ``LayerSetUp`` (or ``Net::AppendParam``, for shared
blobs) refuses: Caffe aborts while it builds the net, after loading the data layers, in every
phase the layer is in.

Each rule repeats one layer's ``CHECK``s in Caffe's order and quotes the first that fails as
glog prints it (``Check failed: <condition> <message>``); every quoted message was produced
by BVLC Caffe's ``construct_net`` on the fixtures in ``tests/fixtures/layer_setup/``
(``tests/test_oracle.py`` compares them). None of these needs blob shapes, except that a
convolution's number of spatial axes is taken from its input where it is known. Only nets
read with BVLC's schema are checked: a fork may have changed the layer.

Length: one rule per layer type's ``LayerSetUp``; most of the module is their documentation.
"""

from __future__ import annotations

import difflib
import math
import struct
from collections.abc import Iterator
from typing import Any

from prototxt_lint.caffe.layers import caffe_builds, is_registered, set_up_layers
from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.shapes import net_shapes, shape_string
from prototxt_lint.syntax.parser import Path


def _reports(layer: LayerView, phases: list[str], at: Path, check: str,
             hint: str) -> Iterator[Report]:
    for phase in phases:
        yield Report(at, f"{layer.type} layer '{layer.name}': Caffe aborts at net setup with"
                         f' "Check failed: {check}"', hint=hint, phase=phase)


# --- N325: BaseConvolutionLayer::LayerSetUp ---------------------------------------------------


def _spatial_axes(ctx: NetContext, layer: LayerView, param: Any) -> int | None:
    """``num_spatial_axes_``: the input's axes after the channel axis, where known."""
    for phase in net_shapes(ctx):
        shapes = phase.of(layer)
        if shapes is None or not shapes.bottoms or shapes.bottoms[0] is None:
            continue
        rank = len(shapes.bottoms[0])
        axis = param.axis + rank if param.axis < 0 else param.axis
        return rank - axis - 1 if 0 <= axis < rank else None
    return None


def _dims(param: Any, name: str, n: int | None, end: str = ").") -> tuple[str, str] | None:
    """The count CHECK of ``kernel_size``, ``stride``, ``pad`` or ``dilation`` (once, or once
    per spatial axis; the kernel must be given): (field, Caffe's check) when it fails.
    ``end``: how Caffe's message ends (``Im2colLayer`` ends three of them in ``);``)."""
    count = len(getattr(param, name))
    allowed = {1} if name == "kernel_size" else {0, 1}
    if count in allowed or (n is not None and count == n):
        return None
    if n is None and count > 1:
        return None  # fine for some number of spatial axes
    var = {"kernel_size": "num_kernel_dims"}.get(name, f"num_{name}_dims")
    cond = (f"{var} == 1 || {var} == num_spatial_axes_" if name == "kernel_size" else
            f"{var} == 0 || {var} == 1 || {var} == num_spatial_axes_")
    spatial = f"; {n} spatial dims{end}" if n is not None else "; ..."
    return name, (f"{cond} {name} must be specified once, or once per spatial dimension"
                  f" ({name} specified {count} times{spatial}")


def _conv_rejection(param: Any, n: int | None,
                    im2col: bool = False) -> tuple[Path, str, str] | None:
    """The first CHECK of ``BaseConvolutionLayer::LayerSetUp`` (``src/caffe/layers/
    base_conv_layer.cpp``) before ``num_output`` that the parameters fail: (field path
    inside ``convolution_param``, the check as glog prints it, hint). ``im2col``:
    ``Im2colLayer::LayerSetUp`` (``src/caffe/layers/im2col_layer.cpp``), the same checks
    after ``CHECK_GE(num_spatial_axes_, 1)``, three messages ending in ``);``."""
    if im2col and n is not None and n < 1:
        return ("axis",) if param.HasField("axis") else (), (
            f"num_spatial_axes_ >= 1 ({n} vs. 1)"), (
            "give Im2col an input with a spatial axis after its channel `axis`")
    end = ");" if im2col else ")."
    kernel_pair = [f for f in ("kernel_h", "kernel_w") if param.HasField(f)]
    if kernel_pair:
        if n is not None and n != 2:
            return (kernel_pair[0],), (f"num_spatial_axes_ == 2 ({n} vs. 2) kernel_h & kernel_w"
                                       " can only be used for 2D convolution."), (
                "give `kernel_size` once per spatial axis")
        if len(param.kernel_size):
            return (kernel_pair[0],), (
                f"0 == conv_param.kernel_size_size() (0 vs. {len(param.kernel_size)}) Either"
                " kernel_size or kernel_h/w should be specified; not both."), (
                "keep either `kernel_size` or the `kernel_h`/`kernel_w` pair")
        if len(kernel_pair) == 1:
            missing = "kernel_w" if kernel_pair[0] == "kernel_h" else "kernel_h"
            if getattr(param, kernel_pair[0]) > 0:
                return (kernel_pair[0],), ("kernel_shape_data[i] > 0 (0 vs. 0) Filter"
                                           " dimensions must be nonzero."), (
                    f"give `{missing}` too (it defaults to 0)")
        kernel: list[tuple[Path, int]] = [(("kernel_h",), param.kernel_h),
                                          (("kernel_w",), param.kernel_w)]
    else:
        failed = _dims(param, "kernel_size", n, end)
        if failed is not None:
            return ("kernel_size", 0) if len(param.kernel_size) else (), failed[1], (
                "give the kernel size (`kernel_size: 3`, or `kernel_h` and `kernel_w`)"
                if not len(param.kernel_size) else "give `kernel_size` once, or once per"
                " spatial axis")
        kernel = [(("kernel_size", i), k) for i, k in enumerate(param.kernel_size)]
    for at, value in kernel:
        if value <= 0:
            return at, (f"kernel_shape_data[i] > 0 ({value} vs. 0) Filter dimensions must be"
                        " nonzero."), "give a kernel of 1 or more"
    for name, noun in (("stride", "stride"), ("pad", "pad")):
        pair = [f for f in (f"{name}_h", f"{name}_w") if param.HasField(f)]
        if pair:
            if n is not None and n != 2:
                return (pair[0],), (f"num_spatial_axes_ == 2 ({n} vs. 2) {name}_h & {name}_w"
                                    " can only be used for 2D convolution."), (
                    f"give `{name}` once per spatial axis")
            if len(getattr(param, name)):
                return (pair[0],), (
                    f"0 == conv_param.{name}_size() (0 vs. {len(getattr(param, name))})"
                    f" Either {noun} or {noun}_h/w should be specified; not both."), (
                    f"keep either `{name}` or the `{name}_h`/`{name}_w` pair")
            continue
        failed = _dims(param, name, n, end)
        if failed is not None:
            return (name, 0), failed[1], f"give `{name}` once, or once per spatial axis"
        if name == "stride":
            for i, value in enumerate(param.stride):
                if value <= 0:
                    return ("stride", i), (f"stride_data[i] > 0 ({value} vs. 0) Stride"
                                           " dimensions must be nonzero."), (
                        "use a stride of 1 or more")
    failed = _dims(param, "dilation", n)
    if failed is not None:
        return ("dilation", 0), failed[1], "give `dilation` once, or once per spatial axis"
    return None


@net_rule("N325", "convolution-parameters-rejected", Severity.ERROR,
          "Convolution kernel, stride or pad that BaseConvolutionLayer refuses: Caffe aborts.")
def convolution_parameters_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution, Deconvolution or Im2col layer whose kernel, stride, pad or
    dilation fails a check of `BaseConvolutionLayer::LayerSetUp` (`Im2colLayer::LayerSetUp`),
    with Caffe's own message: no kernel size
    (also a layer without `convolution_param`), a kernel or stride of 0, `kernel_size`
    together with `kernel_h`/`kernel_w` (the same for `stride` and `pad`), `_h`/`_w` on an
    input that does not have two spatial axes, or a value given neither once nor once per
    spatial axis (`kernel_size: 3 kernel_size: 3 kernel_size: 3` on a 4-D input); for
    Im2col also an input with no spatial axis after the channel axis (a 2-D blob).

    ## Why is this bad?
    `BaseConvolutionLayer::LayerSetUp` (`src/caffe/layers/base_conv_layer.cpp`) `CHECK`s
    each of these while the net is set up: a kernel has no default (`kernel_size` must be
    given once or once per spatial axis, and be nonzero), a stride defaults to 1 but must be
    nonzero when written, and the single and `_h`/`_w` forms exclude each other. Caffe only
    gets there after loading the data layers. (`num_output` and `group` are N321 and N407.)
    A written `stride_h` without `stride_w` (which then is 0) is not checked there: it
    divides by zero later; that case is not reported here. `Im2colLayer::LayerSetUp`
    (`src/caffe/layers/im2col_layer.cpp`) repeats the same checks after
    `CHECK_GE(num_spatial_axes_, 1)` (three of its messages end in `);`, not `).`).

    ## Consequence
    Aborts at set-up. `BaseConvolutionLayer::LayerSetUp` fails the `CHECK` quoted in the
    message while the net is built, in every phase the layer is in (each message measured
    with construct_net, `tests/fixtures/layer_setup/`).

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 16 kernel_h: 3 kernel_w: 3 kernel_size: 3 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 16 kernel_size: 3 } }
    ```

    ## Fix
    Give the kernel as `kernel_size` (once, or once per spatial axis) or as the pair
    `kernel_h`/`kernel_w`, with sizes and strides of 1 or more.
    """
    default = None
    for layer, phases in set_up_layers(ctx, "Convolution", "Deconvolution", "Im2col"):
        param = layer.param("convolution_param")
        if param is None:
            if default is None:
                default = ctx.schema.message_class("ConvolutionParameter")()
            param = default
        found = _conv_rejection(param, _spatial_axes(ctx, layer, param),
                                im2col=layer.type == "Im2col")
        if found is None:
            continue
        field, check, hint = found
        at = layer.at("convolution_param", *field) if param is not default else layer.at("type")
        yield from _reports(layer, phases, at, check, hint)


# --- N326: LRNLayer::LayerSetUp ----------------------------------------------------------------


@net_rule("N326", "lrn-even-local-size", Severity.ERROR,
          "LRN `local_size` that is even: Caffe aborts at set-up.")
def lrn_even_local_size(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an LRN layer whose `local_size` is even (0 included).

    ## Why is this bad?
    `LRNLayer::LayerSetUp` (`src/caffe/layers/lrn_layer.cpp`) centres the window on each
    channel (or pixel) and `CHECK_EQ(size_ % 2, 1) << "LRN only supports odd values for
    local_size"`. The default, 5, is odd.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: size_ % 2 == 1 (0 vs. 1) LRN only supports
    odd values for local_size` while the net is built (measured with construct_net).

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 8 dim: 16 dim: 16 }
    layer { name: "norm1" type: "LRN" bottom: "data" top: "norm1"
            lrn_param { local_size: 4 alpha: 0.0001 beta: 0.75 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 8 dim: 16 dim: 16 }
    layer { name: "norm1" type: "LRN" bottom: "data" top: "norm1"
            lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
    ```

    ## Fix
    Use an odd `local_size` (5 is AlexNet's and Caffe's default).
    """
    for layer, phases in set_up_layers(ctx, "LRN"):
        param = layer.param("lrn_param")
        if param is None or param.local_size % 2 == 1:
            continue
        yield from _reports(
            layer, phases, layer.at("lrn_param", "local_size"),
            "size_ % 2 == 1 (0 vs. 1) LRN only supports odd values for local_size",
            f"use an odd local_size ({param.local_size + 1} or {param.local_size - 1})"
            if param.local_size else "use an odd local_size (5 is Caffe's default)")


# --- N327: EltwiseLayer::LayerSetUp ------------------------------------------------------------

_COEFF_COUNT = ("this->layer_param().eltwise_param().coeff_size() == 0 ||"
                " this->layer_param().eltwise_param().coeff_size() == bottom.size() Eltwise"
                " Layer takes one coefficient per bottom blob.")
_COEFF_PROD = ("!(this->layer_param().eltwise_param().operation() =="
               " EltwiseParameter_EltwiseOp_PROD &&"
               " this->layer_param().eltwise_param().coeff_size()) Eltwise layer only takes"
               " coefficients for summation.")


@net_rule("N327", "eltwise-coeff-rejected", Severity.ERROR,
          "Eltwise `coeff` count not one per bottom, or coefficients with PROD: Caffe aborts.")
def eltwise_coeff_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an Eltwise layer with `coeff` values whose number differs from its number of
    bottoms, or with any `coeff` when the operation is PROD.

    ## Why is this bad?
    `EltwiseLayer::LayerSetUp` (`src/caffe/layers/eltwise_layer.cpp`) checks that there is
    no coefficient or one per bottom blob, and that coefficients are only given for SUM
    (the default operation). A residual `coeff: 1 coeff: -1` copied onto a three-input sum,
    or a sum changed to PROD with its coefficients left, aborts.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: ... Eltwise Layer takes one coefficient per
    bottom blob.` or `... Eltwise layer only takes coefficients for summation.` while the net
    is built (measured with construct_net).

    ## Example
    ```
    input: "a"
    input_shape { dim: 1 dim: 4 }
    input: "b"
    input_shape { dim: 1 dim: 4 }
    layer { name: "diff" type: "Eltwise" bottom: "a" bottom: "b" top: "diff"
            eltwise_param { operation: SUM coeff: 1 } }
    ```

    ## Use instead
    ```
    input: "a"
    input_shape { dim: 1 dim: 4 }
    input: "b"
    input_shape { dim: 1 dim: 4 }
    layer { name: "diff" type: "Eltwise" bottom: "a" bottom: "b" top: "diff"
            eltwise_param { operation: SUM coeff: 1 coeff: -1 } }
    ```

    ## Fix
    Give one `coeff` per bottom, in bottom order, or none; give none for PROD (MAX ignores
    them).
    """
    for layer, phases in set_up_layers(ctx, "Eltwise"):
        param = layer.param("eltwise_param")
        if param is None or not len(param.coeff):
            continue
        count, bottoms = len(param.coeff), len(layer.bottoms)
        at = layer.at("eltwise_param", "coeff", 0)
        if count != bottoms:
            yield from _reports(layer, phases, at, _COEFF_COUNT,
                                f"give {bottoms} `coeff` values (one per bottom, in order),"
                                " or none")
        elif param.operation == 0:  # PROD
            yield from _reports(layer, phases, at, _COEFF_PROD,
                                "drop the `coeff` values: a product has no coefficients")


# --- N340: SliceLayer / ConcatLayer::LayerSetUp ------------------------------------------------

#: Layer type -> (parameter message, its old uint32 axis field).
_LEGACY_AXIS = {"Slice": ("slice_param", "slice_dim"), "Concat": ("concat_param", "concat_dim")}


@net_rule("N340", "axis-with-legacy-dim", Severity.ERROR,
          "Slice or Concat with both `axis` and the old `slice_dim`/`concat_dim`: Caffe aborts.")
def axis_with_legacy_dim(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Slice layer that writes both `axis` and `slice_dim`, or a Concat layer that
    writes both `axis` and `concat_dim`, even when the two name the same axis.

    ## Why is this bad?
    `slice_dim` and `concat_dim` are the old (uint32) spellings of `axis`.
    `SliceLayer::LayerSetUp` (`src/caffe/layers/slice_layer.cpp`) checks
    `CHECK(!(slice_param.has_axis() && slice_param.has_slice_dim())) << "Either axis or
    slice_dim should be specified; not both."`, and `ConcatLayer::LayerSetUp`
    (`src/caffe/layers/concat_layer.cpp`) the same for `concat_dim`. It happens when an old
    net is half edited to the new field. (An old field that is out of range is N410.)

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: !(slice_param.has_axis() &&
    slice_param.has_slice_dim()) Either axis or slice_dim should be specified; not both.` (or
    the Concat one) while the net is built, in every phase the layer is in (measured with
    construct_net).

    ## Example
    ```
    input: "data"
    input_shape { dim: 2 dim: 6 dim: 4 dim: 4 }
    layer { name: "cut" type: "Slice" bottom: "data" top: "a" top: "b"
            slice_param { axis: 1 slice_dim: 1 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 2 dim: 6 dim: 4 dim: 4 }
    layer { name: "cut" type: "Slice" bottom: "data" top: "a" top: "b"
            slice_param { axis: 1 } }
    ```

    ## Fix
    Keep `axis` (it also takes negative values, counted from the end) and delete the old
    field.
    """
    for layer, phases in set_up_layers(ctx, *_LEGACY_AXIS):
        name, old = _LEGACY_AXIS[layer.type]
        param = layer.param(name)
        if param is None or not (param.HasField("axis") and param.HasField(old)):
            continue
        yield from _reports(
            layer, phases, layer.at(name, old),
            f"!({name}.has_axis() && {name}.has_{old}()) Either axis or {old} should be"
            " specified; not both.", f"delete `{old}` and keep `axis`")


# --- N331: ExpLayer / LogLayer::LayerSetUp ------------------------------------------------------


def _base_check(kind: str, base: float) -> tuple[str, str] | None:
    """The first CHECK of ``ExpLayer::LayerSetUp`` or ``LogLayer::LayerSetUp`` (``src/caffe/
    layers/exp_layer.cpp``, ``log_layer.cpp``) that ``base`` fails: (check, hint). -1 means
    e; a NaN base fails ``base > 0`` already, so the ``isnan`` checks after it never fail."""
    if base == -1:
        return None
    shown = f"{base:g}"
    if not base > 0:
        return (f"base > 0 ({shown} vs. 0) base must be strictly positive.",
                "use a positive base, or leave it out (-1, the default, means e)")
    if math.isinf(base):
        return (f"!isinf(log_base) Inf result: log(base) = log({shown}) = inf",
                "use a finite base, or leave it out (-1, the default, means e)")
    if kind == "Log" and base == 1:
        return ("!isinf(base_scale_) Inf result: 1/log(base) = 1/log(1) = inf",
                "a logarithm to base 1 does not exist: use another base, or leave it out (-1,"
                " the default, means e)")
    return None


@net_rule("N331", "exp-log-base-rejected", Severity.ERROR,
          "Exp or Log `base` that is not positive (or 1 for Log): Caffe aborts at set-up.")
def exp_log_base_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an Exp or Log layer whose `base` is 0, negative (other than -1, which means e),
    infinite, NaN, or, for Log, exactly 1.

    ## Why is this bad?
    `ExpLayer::LayerSetUp` and `LogLayer::LayerSetUp` (`src/caffe/layers/exp_layer.cpp`,
    `log_layer.cpp`) compute `log(base)` once: they `CHECK_GT(base, 0) << "base must be
    strictly positive."` unless the base is -1 (e, the default), then check that the
    logarithm is finite; Log divides by it too (`base_scale_ = 1 / log(base)`), which is
    infinite for base 1. Exp with base 1 is allowed (a constant 1).

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: base > 0 (-2 vs. 0) base must be strictly
    positive.` (or `!isinf(base_scale_) Inf result: 1/log(base) = 1/log(1) = inf` for Log)
    while the net is built (measured with construct_net).

    ## Example
    ```
    input: "data"
    input_shape { dim: 2 dim: 3 }
    layer { name: "log" type: "Log" bottom: "data" top: "log" log_param { base: 1 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 2 dim: 3 }
    layer { name: "log" type: "Log" bottom: "data" top: "log" log_param { base: 10 } }
    ```

    ## Fix
    Give a positive base other than 1 (10, 2), or leave `base` out for the natural
    logarithm and exponential.
    """
    for layer, phases in set_up_layers(ctx, "Exp", "Log"):
        name = "exp_param" if layer.type == "Exp" else "log_param"
        param = layer.param(name)
        if param is None:
            continue
        found = _base_check(layer.type, float(param.base))
        if found is not None:
            yield from _reports(layer, phases, layer.at(name, "base"), *found)


# --- N332: DummyDataLayer::LayerSetUp ----------------------------------------------------------


def _dummy_data_check(layer: LayerView, param: Any) -> tuple[Path, str, str] | None:
    """The first count CHECK of ``DummyDataLayer::LayerSetUp`` (``src/caffe/layers/
    dummy_data_layer.cpp``) that fails: (where, check, hint)."""
    tops = len(layer.tops)
    if param is None:
        return layer.at("type"), (
            f"param.shape_size() == 1 || param.shape_size() == num_top Must specify 'shape'"
            f" once, or once per top blob ({tops}); specified 0."), (
            "give `dummy_data_param { shape { dim: ... } }`, once or once per top")
    here = ("dummy_data_param",)
    fillers = len(param.data_filler)
    if fillers not in (0, 1, tops):
        return layer.at(*here, "data_filler", 0), (
            "num_data_filler == 0 || num_data_filler == 1 || num_data_filler == num_top"
            f" Number of data fillers must be 0, 1 or equal to the number of tops: {tops};"
            f" you specified {fillers} data fillers."), (
            f"give one `data_filler` for all tops, or {tops} (one per top, in order)")
    legacy = [(name, len(getattr(param, name)))
              for name in ("num", "channels", "height", "width")]
    if any(count for _, count in legacy):
        if len(param.shape):
            return layer.at(*here, "shape", 0), (
                f"0 == param.shape_size() (0 vs. {len(param.shape)}) Both shape and legacy"
                " fields were specified"), (
                "keep either the `shape` blocks or `num`/`channels`/`height`/`width`")
        for name, count in legacy:
            if count not in (1, tops):
                return layer.at(*here, name, 0) if count else layer.at(*here), (
                    f"param.{name}_size() == 1 || param.{name}_size() == num_top Must specify"
                    f" '{name}' once, or once per top blob ({tops}); specified {count}."), (
                    f"give `{name}` once, or {tops} times (one per top)")
        return None
    shapes = len(param.shape)
    if shapes not in (1, tops):
        return layer.at(*here, "shape", 0) if shapes else layer.at(*here), (
            "param.shape_size() == 1 || param.shape_size() == num_top Must specify 'shape'"
            f" once, or once per top blob ({tops}); specified {shapes}."), (
            f"give one `shape` for all tops, or {tops} (one per top, in order)")
    return None


@net_rule("N332", "dummy-data-counts-rejected", Severity.ERROR,
          "DummyData shapes or fillers given neither once nor once per top: Caffe aborts.")
def dummy_data_counts_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a DummyData layer whose `shape` blocks, legacy `num`/`channels`/`height`/`width`
    values or `data_filler`s are neither given once (for every top) nor once per top; also
    one without any shape, and one that mixes `shape` with the legacy fields.

    ## Why is this bad?
    `DummyDataLayer::LayerSetUp` (`src/caffe/layers/dummy_data_layer.cpp`) checks that there
    are 0, 1 or one-per-top data fillers, that `shape` and the legacy 4-D fields are not
    both used, and that each is given once or once per top blob (a shape is required: there
    is no default). A DummyData written to stand in for a data layer with two tops (data and
    label) and given three shapes, or a `num` but no `channels`, aborts.

    ## Consequence
    Aborts at set-up. Caffe fails e.g. `Check failed: param.shape_size() == 1 ||
    param.shape_size() == num_top Must specify 'shape' once, or once per top blob (2);
    specified 3.` while the net is built (measured with construct_net).

    ## Example
    ```
    layer { name: "data" type: "DummyData" top: "data" top: "label"
            dummy_data_param { shape { dim: 8 dim: 3 dim: 32 dim: 32 } shape { dim: 8 }
                               shape { dim: 8 } } }
    ```

    ## Use instead
    ```
    layer { name: "data" type: "DummyData" top: "data" top: "label"
            dummy_data_param { shape { dim: 8 dim: 3 dim: 32 dim: 32 } shape { dim: 8 } } }
    ```

    ## Fix
    Give one `shape` (and at most one `data_filler`) for all tops, or exactly one per top in
    top order.
    """
    for layer, phases in set_up_layers(ctx, "DummyData"):
        if not layer.tops:
            continue  # N314: CheckBlobCounts comes first
        found = _dummy_data_check(layer, layer.param("dummy_data_param"))
        if found is not None:
            yield from _reports(layer, phases, *found)


# --- N328: GetFiller -----------------------------------------------------------------------------

#: ``GetFiller`` (``include/caffe/filler.hpp``): the filler names BVLC Caffe knows.
FILLER_TYPES = ("constant", "gaussian", "positive_unitball", "uniform", "xavier", "msra",
                "bilinear")


def _fillers(layer: LayerView) -> Iterator[tuple[Path, Any]]:
    """The fillers ``LayerSetUp`` passes to ``GetFiller``: (path, FillerParameter)."""
    def get(param_name: str, field: str) -> Iterator[tuple[Path, Any]]:
        param = layer.param(param_name)
        if param is not None and param.HasField(field):
            yield layer.at(param_name, field), getattr(param, field)

    one_bottom = len(layer.bottoms) == 1
    kind = layer.type
    if kind in ("Convolution", "Deconvolution", "InnerProduct", "Embed", "RNN", "LSTM"):
        name = {"Convolution": "convolution_param", "Deconvolution": "convolution_param",
                "InnerProduct": "inner_product_param", "Embed": "embed_param"}.get(
                    kind, "recurrent_param")
        yield from get(name, "weight_filler")
        param = layer.param(name)
        if param is not None and (name == "recurrent_param" or param.bias_term):
            yield from get(name, "bias_filler")
    elif kind == "PReLU":
        yield from get("prelu_param", "filler")
    elif kind == "Scale":
        if one_bottom:
            yield from get("scale_param", "filler")
        param = layer.param("scale_param")
        if param is not None and param.bias_term:
            yield from get("scale_param", "bias_filler")
    elif kind == "Bias" and one_bottom:
        yield from get("bias_param", "filler")
    elif kind == "DummyData":
        param = layer.param("dummy_data_param")
        for i, filler in enumerate(param.data_filler if param is not None else ()):
            yield layer.at("dummy_data_param", "data_filler", i), filler


_FillerProblem = tuple[LayerView, list[str], Path, str, str | None]


def _filler_problems(ctx: NetContext) -> list[_FillerProblem]:
    """Fillers with a name BVLC's ``GetFiller`` does not know: (layer, phases, path of the
    type, the name, the BVLC filler it is a slip of or None). Worked out once per net, for
    N328 and N330 both."""
    found: list[_FillerProblem] | None = ctx.memo.get("layer_setup.filler_problems")
    if found is None:
        found = ctx.memo["layer_setup.filler_problems"] = list(_walk_filler_problems(ctx))
    return found


def _walk_filler_problems(ctx: NetContext) -> Iterator[_FillerProblem]:
    if any(not is_registered(v) for v in ctx.layers if v.type):
        return
    for layer, phases in set_up_layers(ctx, "Convolution", "Deconvolution", "InnerProduct",
                                         "Embed", "RNN", "LSTM", "PReLU", "Scale", "Bias",
                                         "DummyData"):
        for at, filler in _fillers(layer):
            name = filler.type
            if name in FILLER_TYPES:
                continue
            close = difflib.get_close_matches(name.strip().lower(), FILLER_TYPES, n=1,
                                              cutoff=0.8)
            yield layer, phases, (*at, "type"), name, close[0] if close else None


def _by_filler(ctx: NetContext, slips: bool
               ) -> dict[tuple[str, str | None, str], list[tuple[LayerView, Path]]]:
    """The fillers of one unknown name, per phase, in file order: one cause (Caffe aborts
    at the first), however many layers repeat it. ``slips``: the names close to a BVLC
    filler (N328), else the others (N330)."""
    found: dict[tuple[str, str | None, str], list[tuple[LayerView, Path]]] = {}
    for layer, phases, at, name, close in _filler_problems(ctx):
        if (close is not None) == slips:
            for phase in phases:
                found.setdefault((name, close, phase), []).append((layer, at))
    return found


@net_rule("N328", "misspelled-filler-type", Severity.ERROR,
          "A filler `type` that is a slip of one of Caffe's (names are case-sensitive): aborts.")
def misspelled_filler_type(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a `weight_filler`, `bias_filler`, `filler` or `data_filler` whose `type` is not
    one of BVLC Caffe's fillers (constant, gaussian, positive_unitball, uniform, xavier,
    msra, bilinear) but is one of them in other case, with spaces, or with a letter or two
    wrong (`Xavier`, `MSRA`, `guassian`), on a layer that fills it at set-up. A name that
    is not close to any of them is N330 (a fork's filler).

    ## Why is this bad?
    `GetFiller` (`include/caffe/filler.hpp`) compares the name exactly and ends in
    `CHECK(false) << "Unknown filler name: "`. Convolution, Deconvolution, InnerProduct,
    Embed, RNN/LSTM, PReLU, Scale, Bias and DummyData layers create their fillers in
    `LayerSetUp`, also when weights are loaded afterwards from a caffemodel
    (`Net::CopyTrainedLayersFrom` runs after the net is built). A bias filler is only used
    with `bias_term` (the default for Convolution and InnerProduct).

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: false Unknown filler name: Xavier` while the net is
    built, in every phase, deploy nets included (measured with construct_net). Forks keep
    BVLC's names, so a slip of one aborts there too. Not checked for nets of a fork or with
    layer types BVLC lacks.

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3
                                weight_filler { type: "Xavier" } } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3
                                weight_filler { type: "xavier" } } }
    ```

    ## Fix
    Use Caffe's filler name exactly, in lower case.
    """
    for (name, close, phase), places in _by_filler(ctx, slips=True).items():
        layer = places[0][0]
        yield one_per_cause(
            [(at, f"layer '{v.name}'") for v, at in places],
            f"{layer.type} layer '{layer.name}': Caffe aborts at net setup with"
            f' "Check failed: false Unknown filler name: {name}"',
            "layers", hint=f'write `type: "{close}"`', phase=phase)


@net_rule("N330", "custom-filler-type", Severity.WARNING,
          "A filler `type` BVLC Caffe does not have: only a fork that registers it can run this.")
def custom_filler_type(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a filler `type` that BVLC Caffe does not have and that is not a slip of one of
    its names (that is N328): `gabor` (Intel Caffe), `identity`, `glorot`, ... on a layer
    that fills it at set-up.

    ## Why is this bad?
    `GetFiller` (`include/caffe/filler.hpp`) knows constant, gaussian, positive_unitball,
    uniform, xavier, msra and bilinear; forks add their own (Intel Caffe's `gabor`, others'
    `identity` or `glorot`). Filler names are strings, so nothing else in the file shows
    which Caffe it is written for.

    ## Consequence
    Likely wrong. If the net is run with BVLC Caffe, it aborts at set-up with `Check failed:
    false Unknown filler name: gabor` (measured with construct_net); it is right with the fork
    that registers the name.

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3
                                weight_filler { type: "gabor" } } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3
                                weight_filler { type: "msra" } } }
    ```

    ## Fix
    Run the net with the fork that has the filler (`--dialect NAME` says so, and silences
    this), or use one of BVLC's fillers.
    """
    for (name, _, phase), places in _by_filler(ctx, slips=False).items():
        layer = places[0][0]
        yield one_per_cause(
            [(at, f"layer '{v.name}'") for v, at in places],
            f"{layer.type} layer '{layer.name}': BVLC Caffe has no filler '{name}'"
            f' and aborts at net setup with "Check failed: false Unknown filler name:'
            f' {name}"; only a fork or custom build that registers it can set this net up',
            "layers", hint=f"use one of {', '.join(FILLER_TYPES)}, or name the fork with"
            " --dialect", phase=phase)


# --- N333: the fillers' own checks (include/caffe/filler.hpp) -----------------------------------

#: (rank, height, width) of a blob a filler fills: None where unknown.
_Blob = tuple[int | None, int | None, int | None]


def _conv_weight(ctx: NetContext, layer: LayerView) -> _Blob:
    """``blobs_[0]`` of a Convolution or Deconvolution: (num_output or channels, ...,
    kernel per spatial axis), from the shapes where known, else from the kernel fields."""
    for phase in net_shapes(ctx):
        shapes = phase.of(layer)
        if shapes is not None and shapes.weight is not None:
            w = shapes.weight
            return (len(w), w[2], w[3]) if len(w) == 4 else (len(w), None, None)
    param = layer.param("convolution_param")
    if param is None:
        return None, None, None
    if param.HasField("kernel_h") or param.HasField("kernel_w"):
        return 4, param.kernel_h, param.kernel_w
    kernel = list(param.kernel_size)
    if len(kernel) == 2:
        return 4, kernel[0], kernel[1]
    return (len(kernel) + 2 if len(kernel) > 2 else None), None, None


def _axes_blob(ctx: NetContext, layer: LayerView, axis: int, num_axes: int) -> _Blob:
    """The blob ``BiasLayer``/``ScaleLayer::LayerSetUp`` makes: the input's shape from
    ``axis``, ``num_axes`` long (to the end for -1)."""
    if num_axes >= 0 and num_axes != 4:
        return num_axes, None, None
    for phase in net_shapes(ctx):
        shapes = phase.of(layer)
        if shapes is None or not shapes.bottoms or shapes.bottoms[0] is None:
            continue
        bottom = shapes.bottoms[0]
        start = axis + len(bottom) if axis < 0 else axis
        if not 0 <= start < len(bottom):
            return None, None, None  # N410
        dims = bottom[start:] if num_axes < 0 else bottom[start:start + num_axes]
        if num_axes >= 0 and len(dims) != num_axes:
            return None, None, None  # N411: it extends past the input
        return (len(dims), dims[2], dims[3]) if len(dims) == 4 else (len(dims), None, None)
    return (4, None, None) if num_axes == 4 else (None, None, None)


def _filled_blob(ctx: NetContext, layer: LayerView, at: Path) -> _Blob:
    """The blob the filler at ``at`` fills in ``LayerSetUp``."""
    field = str(at[-1])
    kind = layer.type
    if field == "bias_filler" and kind != "Scale":
        return 1, None, None  # (num_output): Convolution, InnerProduct, Embed, RNN/LSTM
    if kind in ("Convolution", "Deconvolution"):
        return _conv_weight(ctx, layer)
    if kind in ("InnerProduct", "Embed", "RNN", "LSTM"):
        return 2, None, None
    if kind == "PReLU":
        param = layer.param("prelu_param")
        return (0 if param is not None and param.channel_shared else 1), None, None
    if kind in ("Scale", "Bias"):
        param = layer.param("scale_param" if kind == "Scale" else "bias_param")
        if param is None:
            return 1, None, None
        if field == "bias_filler" and len(layer.bottoms) > 1:
            return None, None, None  # the rank of the second bottom
        return _axes_blob(ctx, layer, param.axis, param.num_axes)
    return None, None, None


def _outputs(ctx: NetContext, layer: LayerView, at: Path) -> int | None:
    """``blob->shape(0)`` of the blob the filler at ``at`` fills, where plain: the outputs
    a sparse gaussian spreads its non-zero weights over."""
    field = str(at[-1])
    name = {"Convolution": "convolution_param", "Deconvolution": "convolution_param",
            "InnerProduct": "inner_product_param", "Embed": "embed_param"}.get(layer.type)
    param = layer.param(name) if name else None
    if param is None:
        return None
    if field == "bias_filler":
        return int(param.num_output)
    if layer.type == "Convolution" or (layer.type == "InnerProduct" and not param.transpose):
        return int(param.num_output)
    if layer.type == "Embed":
        return int(param.input_dim)
    return None


def _float(x: float) -> float:
    """``x`` as a C++ ``float``."""
    return float(struct.unpack("f", struct.pack("f", x))[0])


def _filler_check(filler: Any, blob: _Blob,
                  outputs: int | None = None) -> tuple[str, str, str] | None:
    """The first CHECK of the filler's ``Fill`` (``include/caffe/filler.hpp``) that fails:
    (field of the filler to point at, check, hint). ``outputs``: ``blob->shape(0)``, where
    known."""
    rank, height, width = blob
    if filler.type == "bilinear":
        if rank is None:
            return None  # which of its checks fails first depends on the rank
        if rank != 4:
            return "type", (f"blob->num_axes() == 4 ({rank} vs. 4) Blob must be 4 dim."), (
                "the bilinear filler is for 4-D Deconvolution weights (a 2-D kernel): use"
                " another filler here")
        if height is not None and width is not None and height != width:
            return "type", (f"blob->width() == blob->height() ({width} vs. {height}) Filter"
                            " must be square"), "give the layer a square kernel"
    sparse = filler.sparse
    if filler.type == "gaussian":
        if sparse < -1:
            return "sparse", f"sparse >= -1 ({sparse} vs. -1)", (
                "give `sparse` the mean number of non-zero inputs per output, or leave it out")
        if sparse >= 0 and rank == 0:  # a shared PReLU slope
            return "sparse", "blob->num_axes() >= 1 (0 vs. 1)", (
                "drop `sparse`: this blob is a single value, with no outputs to spread over")
        if sparse >= 0 and outputs:  # caffe_rng_bernoulli(p = sparse / num_outputs)
            p = _float(_float(sparse) / _float(outputs))
            if p > 1:
                return "sparse", f"p <= 1 ({p:g} vs. 1)", (
                    f"`sparse` is the mean number of non-zero weights per output: at most"
                    f" {outputs} here")
        return None
    if sparse != -1:
        return "sparse", (f"this->filler_param_.sparse() == -1 ({sparse} vs. -1) Sparsity not"
                          " supported by this Filler."), (
            'only the gaussian filler takes `sparse`: drop it, or use `type: "gaussian"`')
    return None


@net_rule("N333", "filler-param-rejected", Severity.ERROR,
          "`sparse` on a filler other than gaussian, or bilinear on other than square 4-D.")
def filler_param_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a filler that refuses the blob it fills or its own parameters: `sparse` on any
    filler but `gaussian` (or below -1, or above the outputs, on gaussian), and `bilinear`
    on a blob that is not
    4-D (an InnerProduct's weights, any bias, a 3-D convolution's weights) or whose kernel
    is not square. Checked on the fillers a layer uses in `LayerSetUp`, as N328 does.

    ## Why is this bad?
    Each filler in `include/caffe/filler.hpp` ends its `Fill` with `CHECK_EQ(sparse, -1)
    << "Sparsity not supported by this Filler."` except `GaussianFiller`, which takes
    `sparse` (the mean number of non-zero weights per output), checks
    `CHECK_GE(sparse, -1)` and, when sparse, that the blob has an axis of outputs (a shared
    PReLU slope has none); it keeps each weight with probability `sparse / num_outputs`,
    which `caffe_rng_bernoulli` (`src/caffe/util/math_functions.cpp`) checks is at most 1.
    `BilinearFiller` builds an upsampling kernel and first checks
    `CHECK_EQ(blob->num_axes(), 4) << "Blob must be 4 dim."` and `CHECK_EQ(blob->width(),
    blob->height()) << "Filter must be square"`. Layers fill their weights at set-up
    (unless the prototxt holds `blobs`); a DummyData layer fills only its constant tops
    then, the others at each forward pass, so only those are checked here.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: this->filler_param_.sparse() == -1 (5 vs.
    -1) Sparsity not supported by this Filler.` or `Check failed: blob->num_axes() == 4 (2
    vs. 4) Blob must be 4 dim.` while the net is built (measured with construct_net).

    ## Example
    ```
    input: "data"
    input_shape { dim: 2 dim: 8 }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
            inner_product_param { num_output: 4
                                  weight_filler { type: "xavier" sparse: 2 } } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 2 dim: 8 }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
            inner_product_param { num_output: 4
                                  weight_filler { type: "gaussian" std: 0.1 sparse: 2 } } }
    ```

    ## Fix
    Use `sparse` only with the gaussian filler; use the bilinear filler only on the square
    2-D kernels of a Deconvolution (upsampling) layer.
    """
    if any(not is_registered(v) for v in ctx.layers if v.type):
        return
    for layer, phases in set_up_layers(ctx, "Convolution", "Deconvolution", "InnerProduct",
                                         "Embed", "RNN", "LSTM", "PReLU", "Scale", "Bias",
                                         "DummyData"):
        if len(layer.msg.blobs):
            continue  # "Skipping parameter initialization"
        for at, filler in _fillers(layer):
            if filler.type not in FILLER_TYPES:
                break  # N328/N330: GetFiller aborts first
            if layer.type == "DummyData":
                if filler.type != "constant":
                    continue  # filled at each forward pass, not at set-up
                blob: _Blob = (None, None, None)
            else:
                blob = _filled_blob(ctx, layer, at)
            found = _filler_check(filler, blob, _outputs(ctx, layer, at))
            if found is not None:
                field, check, hint = found
                yield from _reports(layer, phases, (*at, field), check, hint)
                break


# --- N329: Net::AppendParam --------------------------------------------------------------------

#: Layer types whose parameter blobs are known without shapes: (weights, bias with bias_term).
_SHARED_TYPES = {"Convolution": "convolution_param", "Deconvolution": "convolution_param",
                 "InnerProduct": "inner_product_param", "Embed": "embed_param"}


class _Owner:
    """The first layer of a phase that names a shared parameter blob."""

    __slots__ = ("decay", "index", "layer", "lr", "shape")

    def __init__(self, layer: LayerView, index: int, shape: tuple[int | None, ...] | None,
                 spec: Any) -> None:
        self.layer = layer
        self.index = index
        self.shape = shape
        self.lr: float | None = spec.lr_mult if spec.HasField("lr_mult") else None
        self.decay: float | None = spec.decay_mult if spec.HasField("decay_mult") else None


def _blob_shapes(layer: LayerView, weight: Any) -> list[tuple[int | None, ...] | None]:
    param = layer.param(_SHARED_TYPES[layer.type])
    bias = param is None or param.bias_term
    num_output = param.num_output if param is not None else 0
    return [weight, (num_output,)] if bias else [weight]


def _share_problem(owner: _Owner, layer: LayerView, spec: Any,
                   shape: tuple[int | None, ...] | None) -> tuple[str, str, str] | None:
    """The first CHECK of ``Net::AppendParam`` the sharing layer fails: (what, check,
    hint)."""
    name = spec.name
    if (owner.shape is not None and shape is not None
            and all(d is not None for d in (*owner.shape, *shape))):
        mine, theirs = shape_string(shape), shape_string(owner.shape)
        head = (f"Cannot share param '{name}' owned by layer '{owner.layer.name}' with layer"
                f" '{layer.name}'")
        if spec.share_mode == 1:  # PERMISSIVE: the counts must agree
            a, b = math.prod(shape), math.prod(owner.shape)  # type: ignore[arg-type]
            if a != b:
                return "shape", (
                    f"this_blob->count() == owner_blob->count() ({a} vs. {b}) {head}; count"
                    f" mismatch.  Owner layer param shape is {theirs}; sharing layer shape is"
                    f" {mine}"), "give the sharing layers blobs with the same number of values"
        elif shape != owner.shape:
            return "shape", (
                f"this_blob->shape() == owner_blob->shape() {head}; shape mismatch.  Owner"
                f" layer param shape is {theirs}; sharing layer expects shape {mine}"), (
                "give the sharing layers the same num_output, kernel and input channels (or"
                " `share_mode: PERMISSIVE` when only the counts agree)")
    for field, owned in (("lr_mult", owner.lr), ("decay_mult", owner.decay)):
        if spec.HasField(field) and owned is not None and getattr(spec, field) != owned:
            return field, (
                f"param_spec->{field}() == params_{'lr' if field == 'lr_mult' else 'weight_decay'}"
                f"_[learnable_param_id] ({getattr(spec, field):g} vs. {owned:g}) Shared param"
                f" '{name}' has mismatched {field}."), (
                f"give every `param {{ name: \"{name}\" }}` the same {field}, or write it only"
                " on the first")
    return None


@net_rule("N329", "shared-param-mismatch", Severity.ERROR,
          "Layers sharing a named `param` with other shapes or `lr_mult`s: Caffe aborts.")
def shared_param_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution, Deconvolution, InnerProduct or Embed layer that shares a parameter
    blob by name (`param { name: "conv1_w" }`, as siamese nets do) with an earlier layer of
    the same phase, when the two blobs have different shapes (different counts with
    `share_mode: PERMISSIVE`), or when both write a different `lr_mult` or `decay_mult`.

    ## Why is this bad?
    `Net::AppendParam` (`src/caffe/net.cpp`) makes the first layer that names a blob its
    owner; every later layer naming it must have a blob of exactly the owner's shape
    (`CHECK(this_blob->shape() == owner_blob->shape())`, or equal counts with PERMISSIVE),
    and an `lr_mult` or `decay_mult` it writes must equal the one already set for that
    blob. Shapes are compared where `prototxt-lint shapes` knows both (the input channels
    come from the net's inputs).

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: this_blob->shape() == owner_blob->shape()
    Cannot share param ... shape mismatch.` or `... Shared param 'w' has mismatched lr_mult.`
    while the net is built (measured with construct_net).

    ## Example
    ```
    input: "a"
    input_shape { dim: 1 dim: 8 }
    input: "b"
    input_shape { dim: 1 dim: 8 }
    layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "ip_a"
            param { name: "ip_w" lr_mult: 1 } param { name: "ip_b" lr_mult: 2 }
            inner_product_param { num_output: 4 } }
    layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "ip_b"
            param { name: "ip_w" lr_mult: 1 } param { name: "ip_b" lr_mult: 1 }
            inner_product_param { num_output: 4 } }
    ```

    ## Use instead
    ```
    input: "a"
    input_shape { dim: 1 dim: 8 }
    input: "b"
    input_shape { dim: 1 dim: 8 }
    layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "ip_a"
            param { name: "ip_w" lr_mult: 1 } param { name: "ip_b" lr_mult: 2 }
            inner_product_param { num_output: 4 } }
    layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "ip_b"
            param { name: "ip_w" lr_mult: 1 } param { name: "ip_b" lr_mult: 2 }
            inner_product_param { num_output: 4 } }
    ```

    ## Fix
    Give the layers that share a blob the same `num_output`, kernel and input channels, and
    the same `lr_mult`/`decay_mult` on each shared `param` (or write them only on the first).
    """
    if not caffe_builds(ctx) or not ctx.schema.is_bvlc:
        return
    for phase in net_shapes(ctx):
        owners: dict[str, _Owner] = {}
        for layer in phase.phase.layers:
            if layer.type not in _SHARED_TYPES or layer.syntax != "v2":
                continue
            shapes = phase.of(layer)
            blobs = _blob_shapes(layer, shapes.weight if shapes is not None else None)
            for i, spec in enumerate(list(layer.msg.param)[: len(blobs)]):
                if not spec.name:
                    continue
                owner = owners.get(spec.name)
                if owner is None:
                    owners[spec.name] = _Owner(layer, i, blobs[i], spec)
                    continue
                found = _share_problem(owner, layer, spec, blobs[i])
                if found is not None:
                    what, check, hint = found
                    at = layer.at("param", i, *(() if what == "shape" else (what,)))
                    yield Report(at, f"{layer.type} layer '{layer.name}': Caffe aborts at net"
                                     f' setup with "Check failed: {check}"', hint=hint,
                                 phase=phase.phase.name)
                    break
                if owner.lr is None and spec.HasField("lr_mult"):
                    owner.lr = spec.lr_mult
                if owner.decay is None and spec.HasField("decay_mult"):
                    owner.decay = spec.decay_mult
