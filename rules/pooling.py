"""Pooling settings that abort Caffe, produce NaN / -FLT_MAX, or silently skip input.

All of these mirror ``PoolingLayer<Dtype>::LayerSetUp`` and ``PoolingLayer<Dtype>::Reshape``
in ``src/caffe/layers/pooling_layer.cpp`` (BVLC master): kernel, stride and pad are resolved
per axis exactly as ``LayerSetUp`` does (``kernel_size`` or ``kernel_h``/``kernel_w``,
``stride`` (default 1) or ``stride_h``/``stride_w``, ``pad`` (default 0) or
``pad_h``/``pad_w``), and the output size as ``Reshape`` computes it (``round_mode`` CEIL by
default, FLOOR, and the "clip the last window" step that runs only when some pad is non-zero).
The forward and backward behaviour is that of ``Forward_cpu`` / ``Backward_cpu`` (and, for
STOCHASTIC, the GPU kernels in ``pooling_layer.cu``). Measured on a real BVLC CPU build in
shared/caffe-behaviour, rows 2a-2e.

A layer whose ``pooling_param`` Caffe would reject for another reason first (both
``kernel_size`` and ``kernel_h``, ``stride_h`` without ``stride_w``, a zero kernel, padding
with STOCHASTIC pooling) gets none of these findings: Caffe never reaches the check. Neither
does a ``pooling_param`` the parser only partly read (a fork's field such as ``ceil_mode``).

Length: seven rules (N201-N207) on one pooling geometry, ``PoolingLayer::Reshape``'s; most of
the module is their documentation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from prototxt_lint.model import TRAIN, LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.records import Record
from prototxt_lint.shapes import net_shapes
from prototxt_lint.syntax.parser import Path

#: Input sizes (height or width) scanned for empty windows.
SCAN_SIZES = range(1, 65)
#: How many of them a message lists before "..." (all sizes, then the NaN / -0 ones).
SHOWN = 6
SHOWN_EACH = 3


class _Axis(Record):
    """One spatial axis as ``LayerSetUp`` resolves it."""

    __slots__ = ("kernel", "kernel_field", "name", "pad", "pad_field", "stride", "stride_field")

    def __init__(
        self,
        name: str,  # "h" or "w", as in Caffe's pad_h_ / kernel_w_
        kernel: int,
        stride: int,
        pad: int,
        kernel_field: str,  # the field the value came from, for messages and positions
        stride_field: str,
        pad_field: str,
    ) -> None:
        self.name = name
        self.kernel = kernel
        self.stride = stride
        self.pad = pad
        self.kernel_field = kernel_field
        self.stride_field = stride_field
        self.pad_field = pad_field


class _Pool(Record):
    """A pooling layer of one phase with its resolved geometry."""

    __slots__ = ("ceil", "h", "layer", "method", "param", "phase", "w")

    def __init__(
        self,
        layer: LayerView,
        phase: str,
        param: Any,  # PoolingParameter
        method: str,  # MAX, AVE or STOCHASTIC
        ceil: bool,
        h: _Axis,
        w: _Axis,
    ) -> None:
        self.layer = layer
        self.phase = phase
        self.param = param
        self.method = method
        self.ceil = ceil
        self.h = h
        self.w = w

    def at(self, field: str) -> Path:
        return self.layer.at("pooling_param", field)

    @property
    def axes(self) -> tuple[_Axis, _Axis]:
        return self.h, self.w

    @property
    def padded(self) -> bool:
        """``if (pad_h_ || pad_w_)``: the clip in ``Reshape`` runs for both axes."""
        return self.h.pad != 0 or self.w.pad != 0


def _written(param: Any, *names: str) -> list[str]:
    return [n for n in names if param.HasField(n)]


def _ceil_rounding(ctx: NetContext, param: Any) -> bool:
    """CEIL unless ``round_mode: FLOOR`` (or a fork's ``ceil_mode: false`` when the schema
    in use has that field). Caffe before round_mode always rounded up."""
    if ctx.schema.has_field("PoolingParameter", "round_mode") and param.HasField("round_mode"):
        enum = param.DESCRIPTOR.fields_by_name["round_mode"].enum_type
        return enum.values_by_number[param.round_mode].name != "FLOOR"
    if ctx.schema.has_field("PoolingParameter", "ceil_mode") and param.HasField("ceil_mode"):
        return bool(param.ceil_mode)
    return True


def _structure_ok(param: Any, global_pooling: bool) -> bool:
    """The ``CHECK``s at the top of ``LayerSetUp`` that are not ours (kernel/pad/stride
    given either as one value or as an h/w pair)."""
    if not global_pooling:
        has_pair = param.HasField("kernel_h") and param.HasField("kernel_w")
        if param.HasField("kernel_size") == has_pair:
            return False
    for one, pair in (("pad", ("pad_h", "pad_w")), ("stride", ("stride_h", "stride_w"))):
        written = _written(param, *pair)
        if written and (param.HasField(one) or len(written) != 2):
            return False
    return True


def _axes(param: Any) -> tuple[_Axis, _Axis]:
    axes = []
    for name in ("h", "w"):
        kernel_field = "kernel_size" if param.HasField("kernel_size") else f"kernel_{name}"
        pad_field = f"pad_{name}" if param.HasField("pad_h") else "pad"
        stride_field = f"stride_{name}" if param.HasField("stride_h") else "stride"
        axes.append(_Axis(name, getattr(param, kernel_field), getattr(param, stride_field),
                          getattr(param, pad_field), kernel_field, stride_field, pad_field))
    return axes[0], axes[1]


def _pooling_layers(ctx: NetContext) -> Iterator[tuple[_Pool, bool]]:
    """Each active Pooling layer of each phase whose parameters pass Caffe's structural
    checks, with its ``global_pooling`` flag."""
    if not ctx.schema.declares_like_bvlc("PoolingParameter"):
        return
    for phase in ctx.phases:
        for layer in phase.layers:
            if layer.type != "Pooling":
                continue
            param = layer.param("pooling_param")
            if param is None or not ctx.is_complete(layer.at("pooling_param")):
                continue
            global_pooling = bool(param.global_pooling)
            if not _structure_ok(param, global_pooling):
                continue
            method = param.DESCRIPTOR.fields_by_name["pool"].enum_type.values_by_number.get(
                param.pool)
            h, w = _axes(param)
            yield _Pool(layer, phase.name, param, method.name if method else "?",
                        _ceil_rounding(ctx, param), h, w), global_pooling


def _set_up(ctx: NetContext) -> Iterator[_Pool]:
    """Layers that get through ``LayerSetUp`` (not global, kernels > 0, pad < kernel, pad
    only with AVE/MAX): the ones whose windows N201/N202 can judge."""
    for pool, global_pooling in _pooling_layers(ctx):
        if global_pooling or pool.h.kernel <= 0 or pool.w.kernel <= 0:
            continue
        if pool.padded and (pool.method not in ("AVE", "MAX")
                            or any(a.pad >= a.kernel for a in pool.axes)):
            continue
        yield pool


def _pooled(size: int, axis: _Axis, ceil: bool, clip: bool) -> int:
    """``Reshape``: the number of windows along one axis for an input of ``size``."""
    ratio = (size + 2 * axis.pad - axis.kernel) / axis.stride
    pooled = (math.ceil(ratio) if ceil else math.floor(ratio)) + 1
    if clip and (pooled - 1) * axis.stride >= size + axis.pad:
        pooled -= 1
    return pooled


def _empty_last_window(axis: _Axis) -> tuple[list[int], list[int]]:
    """Input sizes whose last window (CEIL, no pad anywhere) starts exactly at the input end
    (AVE: pool_size 0, 0/0 = NaN) and past it (pool_size < 0, 0/negative = -0)."""
    at_end, past_end = [], []
    for size in SCAN_SIZES:
        start = (_pooled(size, axis, True, False) - 1) * axis.stride
        if start == size:
            at_end.append(size)
        elif start > size:
            past_end.append(size)
    return at_end, past_end


def _sizes(sizes: list[int], shown: int = SHOWN) -> str:
    listed = ", ".join(str(s) for s in sizes[:shown])
    return listed + (", ..." if len(sizes) > shown else "")


def _bad_axes(pool: _Pool) -> list[tuple[_Axis, str]]:
    """Axes with stride > kernel, and how to name their input size in a message. Two equal
    axes read from the same fields are reported once, as "input sizes"."""
    bad = [a for a in pool.axes if a.stride > a.kernel]
    if len(bad) == 2 and (pool.h.kernel, pool.h.stride, pool.h.pad, pool.h.stride_field) == (
            pool.w.kernel, pool.w.stride, pool.w.pad, pool.w.stride_field):
        return [(pool.h, "sizes")]
    return [(a, "heights" if a.name == "h" else "widths") for a in bad]


def _empty_window_effect(method: str) -> str:
    if method == "MAX":
        return ("MAX pooling outputs -FLT_MAX (-3.40282e+38) for it, and in training its CPU"
                " backward pass writes before the gradient buffer (bottom_diff[-1], heap"
                " corruption): the loss turns NaN or the run aborts at exit with \"double free"
                ' or corruption (out)"')
    if method == "STOCHASTIC":
        return ("STOCHASTIC pooling (GPU only) never writes that output in TRAIN (it keeps"
                " stale memory) and outputs 0 in TEST")
    return "AVE pooling divides by the empty window's size"


#: Layers that multiply a blob by weights and sum: -FLT_MAX in their input overflows to inf
#: (and inf - inf to NaN) in the first forward pass (measured: an InnerProduct after MAX
#: pooling with an empty window, tests/fixtures/logs/max_pool_stride/net.prototxt, TEST).
_WEIGHTED = frozenset({"InnerProduct", "Convolution", "Deconvolution"})
#: Layers that pass values through unchanged in a net that is not trained.
_PASS_THROUGH = frozenset({"Dropout", "Flatten", "Reshape", "Split", "Concat", "Slice"})


def _overflowing_reader(ctx: NetContext, pool: _Pool) -> LayerView | None:
    """The weighted layer (InnerProduct, Convolution, Deconvolution) that reads MAX pooling's
    -FLT_MAX output, directly or through layers that pass it on unchanged, in ``pool``'s
    phase; None when a ReLU, Sigmoid, TanH or anything else is in between, or no layer
    reads it."""
    phase = ctx.phase(pool.phase)
    if phase is None or pool.layer not in phase:
        return None
    carrying = set(pool.layer.tops)
    for layer in phase.layers[phase.position(pool.layer) + 1:]:
        read = [b for b in layer.bottoms if b in carrying]
        if not read:
            continue
        if layer.type in _WEIGHTED:
            return layer
        if layer.type in _PASS_THROUGH:
            carrying.update(layer.tops)
        else:  # clamped (ReLU: 0; Sigmoid, TanH: finite) or not followed: no claim
            carrying.difference_update(layer.tops)
            carrying.difference_update(b for b in read if b in layer.tops)
    return None


def _max_effect(ctx: NetContext, pool: _Pool) -> str:
    """What MAX pooling's empty window does in this net, the same words in every phase (so
    that one layer is one finding): an overflowing reader, the training backward pass, or
    nothing worse than a constant."""
    reader = _overflowing_reader(ctx, pool)
    train = ctx.phase(TRAIN)
    trained = train is not None and pool.layer in train
    if reader is None and not trained:
        return _untrained_effect("MAX")
    effect = "MAX pooling outputs -FLT_MAX (-3.40282e+38) for it"
    if reader is not None:
        effect += (f", which {reader.type} layer '{reader.name}' multiplies by its weights and"
                   " sums: the result overflows to inf (NaN where infinities of both signs"
                   " meet) in the first forward pass (measured on BVLC Caffe)")
    if trained:
        effect += ("; and" if reader is not None else ", and") + (
            " in training its CPU backward pass writes before the gradient buffer"
            " (bottom_diff[-1], heap corruption): the loss turns NaN or the run aborts at exit"
            ' with "double free or corruption (out)"')
    return effect


def _untrained_effect(method: str) -> str:
    value = "-FLT_MAX (-3.40282e+38)" if method == "MAX" else "0"
    return (f"{method} pooling outputs {value} for it, a finite value: this net is not"
            " trained, so the backward pass that breaks on it never runs")


def _input_size(ctx: NetContext, pool: _Pool, axis: _Axis) -> int | None:
    """The height (axis h) or width (w) of the layer's input in its phase, when the shapes
    the net gives (``prototxt_lint.shapes``) make it known."""
    for phase in net_shapes(ctx):
        if phase.phase.name != pool.phase:
            continue
        found = phase.of(pool.layer)
        bottom = found.bottoms[0] if found is not None and found.bottoms else None
        if bottom is None or len(bottom) != 4:
            return None
        return bottom[2 if axis.name == "h" else 3]
    return None


#: How a message names the input dimension of a bad axis (``_bad_axes``'s ``what``).
_NOUN = {"sizes": "size", "heights": "height", "widths": "width"}


def _known_sizes(ctx: NetContext, pool: _Pool, axis: _Axis, what: str) -> list[int] | None:
    """The input sizes the bad axis (both axes, for ``what == "sizes"``) has in this net, or
    None when one is not known."""
    axes = [pool.h, pool.w] if what == "sizes" else [axis]
    sizes = [_input_size(ctx, pool, a) for a in axes]
    return None if any(size is None for size in sizes) else sizes  # type: ignore[return-value]


def _empty_windows(ctx: NetContext, mode: str) -> Iterator[Report]:
    """N201 (``mode == "fatal"``: the known input size empties the last window, and the
    empty window gives NaN or, in training, a heap write), N207 (``"finite"``: it gives a
    finite value, -0 from AVE past the input's end or -FLT_MAX / 0 from MAX / STOCHASTIC in
    a net that is not trained) or N206 (``"unknown"``: the sizes that would)."""
    known: dict[int, list[tuple[bool, _Pool, _Axis, str, list[int], list[int], int]]] = {}
    for pool in _set_up(ctx):
        if not pool.ceil or pool.padded:
            continue
        for axis, what in _bad_axes(pool):
            at_end, past_end = _empty_last_window(axis)
            sizes_here = _known_sizes(ctx, pool, axis, what)
            if sizes_here is None:
                if mode == "unknown":
                    yield _empty_window_report(ctx, pool, axis, what, at_end, past_end, None)
                continue
            nan = [size for size in sizes_here if size in at_end]
            hit = nan or [size for size in sizes_here if size in past_end]
            if hit:
                fatal = bool(nan) if pool.method == "AVE" else (
                    pool.phase == TRAIN
                    or (pool.method == "MAX" and _overflowing_reader(ctx, pool) is not None))
                known.setdefault(id(pool.layer), []).append(
                    (fatal, pool, axis, what, at_end, past_end, hit[0]))
    for found in known.values():
        # one finding per layer: fatal in one phase (training) is what the layer gets
        fatal = any(item[0] for item in found)
        if mode != ("fatal" if fatal else "finite"):
            continue
        for is_fatal, pool, axis, what, at_end, past_end, size in found:
            if is_fatal == fatal:
                yield _empty_window_report(ctx, pool, axis, what, at_end, past_end, size)


def _empty_window_report(ctx: NetContext, pool: _Pool, axis: _Axis, what: str,
                         at_end: list[int], past_end: list[int], size: int | None) -> Report:
    effect = _empty_window_effect(pool.method)
    if size is not None and pool.method == "MAX":
        effect = _max_effect(ctx, pool)
    elif size is not None and pool.method != "AVE" and pool.phase != TRAIN:
        effect = _untrained_effect(pool.method)
    name = _NOUN[what]
    if size is not None:
        kind = ("NaN (0/0)" if size in at_end else
                "-0, a finite value, so nothing turns NaN, but that output is constant and"
                " reads no input")
        if pool.method == "AVE":
            effect += f": {kind}"
        where = (f"for this net's input {name} {size} the last pooling window starts"
                 f" {'at' if size in at_end else 'past'} the end of the input and is empty")
    else:
        if pool.method == "AVE":
            parts = [f"NaN (0/0) for {_sizes(at_end, SHOWN_EACH)}"] if at_end else []
            parts += [f"-0 for {_sizes(past_end, SHOWN_EACH)}"] if past_end else []
            effect += ": " + " and ".join(parts)
        where = (f"if the input {name} is one of {_sizes(sorted(at_end + past_end))} (it is not"
                 " known here), the last pooling window starts at or past the end of the input"
                 " and is empty")
    return Report(
        pool.at(axis.stride_field),
        f"`{axis.stride_field}: {axis.stride}` is larger than the kernel ({axis.kernel}) with"
        f" pad 0 and round_mode CEIL: {where}; {effect}",
        hint=f"make `{axis.stride_field}` <= {axis.kernel}, or add pad, or set"
        " `round_mode: FLOOR`",
        phase=pool.phase,
    )


@net_rule("N201", "pooling-stride-exceeds-kernel", Severity.ERROR,
          "Pooling stride larger than the kernel, CEIL, no pad: this input gets an empty window.")
def pooling_stride_exceeds_kernel(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Pooling layer whose stride is larger than its kernel on an axis, with the default
    `round_mode: CEIL` and no padding (`pad`, `pad_h` and `pad_w` all 0), when the input
    height or width the net gives it (from `input_shape`, an Input layer, a data layer's
    `crop_size`, through the layers before it) is one that makes the last window empty, and
    the empty window is fatal: with AVE pooling when it starts exactly at the input's end
    (0/0), with MAX or STOCHASTIC pooling in a TRAIN net, and with MAX pooling whose -FLT_MAX
    output reaches an InnerProduct, Convolution or Deconvolution (through layers that pass
    it on unchanged, not through a ReLU): the weighted sum overflows to inf in the first
    forward pass, in any net. Where it gives a finite value (AVE past the end: -0; MAX or
    STOCHASTIC otherwise in a net that is not trained) N207 says so, as a warning.
    When the input size is not known here (a Data layer without `crop_size`), N206 says the
    same as a warning, with the sizes that would break; when it is known and none breaks,
    nothing is reported (N202 may still say that input is skipped).

    ## Why is this bad?
    `PoolingLayer::Reshape` (`src/caffe/layers/pooling_layer.cpp`) sizes the output as
    `ceil((H - kernel) / stride) + 1`. With stride > kernel, rounding up can add a last window
    that starts at or past the end of the input, for some input sizes H: with kernel 3 and
    stride 5, H = 4, 5, 9, 10, 14, 15, ... (every H with `(H - 3) % 5` in 1..2). The clip
    that drops such a window runs only when some pad is non-zero. What the empty window
    gives (`Forward_cpu` / `Backward_cpu`, measured on BVLC Caffe, rows 2a-2b):

    - AVE divides the empty sum by the window size `(hend - hstart) * (wend - wstart)`: 0/0
      = NaN when the window starts exactly at the end (H = 5, 10, 15), 0/negative = -0 when
      it starts past it (H = 4, 9, 14). In training the loss is `-nan` from iteration 0.
    - MAX outputs its initial value -FLT_MAX (-3.40282e+38); the mask index stays -1, and
      the CPU backward pass does `bottom_diff[-1] += ...`: heap corruption, and the process
      aborts at exit with `double free or corruption (out)` (exit 134) even though training
      "finished".
    - STOCHASTIC (GPU only; the CPU path is not implemented) never writes the output of an
      empty window in TRAIN (`StoPoolForwardTrain` returns without a write, so the value is
      stale memory) and outputs 0 in TEST. This is read from `pooling_layer.cu`, not measured.

    Measured on the CPU build; with the cuDNN engine AVE pooling runs in cuDNN (not measured).

    ## Consequence
    NaN. With AVE pooling, for the input sizes the message lists, an empty last window gives
    0/0, and in training the loss is `-nan` from iteration 0 (measured, row 2a).
    Aborts at run time with MAX pooling in training: the empty window outputs -FLT_MAX, the CPU
    backward pass writes `bottom_diff[-1]`, and the process aborts at exit with `double free or
    corruption (out)`, exit 134 (row 2b), or the loss turns NaN (measured on
    `tests/fixtures/pooling/bad_stride_past_input_train.prototxt`: loss 87.3365 at iteration
    0, `-nan` from iteration 1). With STOCHASTIC pooling (GPU only) the output of an empty
    window is stale memory in TRAIN (read from `pooling_layer.cu`). In a net that is not
    trained MAX and STOCHASTIC give a finite value (N207), unless MAX's -FLT_MAX goes into a
    weighted layer: `InnerProductLayer::Forward_cpu` sums it times the weights, which
    overflows to inf (measured: construct_net on
    `tests/fixtures/pooling/bad_max_window_into_inner_product.prototxt`, 6 of 16 outputs
    inf). Other input sizes are not hit.

    ## Example
    ```
    input: "x"  input_shape { dim: 1 dim: 3 dim: 10 dim: 10 }
    layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
            pooling_param { pool: AVE stride: 5 kernel_size: 3 } }
    ```

    ## Use instead
    ```
    layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
            pooling_param { pool: AVE stride: 3 kernel_size: 3 } }
    ```

    ## Fix
    Make the stride at most the kernel size; or pad; or set `round_mode: FLOOR` (no empty
    window, but input pixels between windows are still skipped: N202).
    """
    return _empty_windows(ctx, "fatal")


@net_rule("N206", "pooling-stride-may-empty-window", Severity.WARNING,
          "Pooling stride larger than the kernel, CEIL, no pad: some input sizes get empty"
          " windows.")
def pooling_stride_may_empty_window(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    N201 where the layer's input height or width is not known from the file (a Data,
    ImageData or HDF5 layer without `crop_size`, a layer the shape inference does not know):
    the stride is larger than the kernel, with `round_mode: CEIL` and no pad, so some input
    sizes (listed in the message) make the last window empty.

    ## Why is this bad?
    See N201: `PoolingLayer::Reshape` (`src/caffe/layers/pooling_layer.cpp`) rounds the
    output size up, and for those sizes the last window is empty: AVE pooling gives NaN
    (0/0) or -0, MAX pooling outputs -FLT_MAX and, in training, corrupts the heap in the CPU
    backward pass (measured, rows 2a-2b).

    ## Consequence
    Likely wrong. If the input the net is fed has one of the listed heights or widths, the
    consequences of N201 follow (NaN from iteration 0 with AVE pooling); for other sizes the
    stride still skips input (N202).

    ## Example
    ```
    layer { name: "data" type: "Data" top: "data" data_param { source: "lmdb" batch_size: 8 } }
    layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
            pooling_param { pool: AVE stride: 5 kernel_size: 3 } }
    ```

    ## Use instead
    ```
    layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
            pooling_param { pool: AVE stride: 3 kernel_size: 3 } }
    ```

    ## Fix
    Make the stride at most the kernel size; or pad; or set `round_mode: FLOOR`.
    """
    return _empty_windows(ctx, "unknown")


@net_rule("N207", "pooling-window-past-input", Severity.WARNING,
          "Pooling stride larger than the kernel, CEIL, no pad: an empty last window that"
          " gives a finite value.")
def pooling_window_past_input(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    N201's case where the empty last window is not fatal: stride larger than the kernel,
    `round_mode: CEIL`, no pad, and an input height or width (known from the file) that
    empties the last window, where that window gives a finite value: AVE pooling whose last
    window starts past the end of the input (not exactly at it), or MAX or STOCHASTIC
    pooling in a net that is not trained (deploy, evaluation) whose output does not go
    straight into a weighted layer (that is N201: it overflows to inf).

    ## Why is this bad?
    `PoolingLayer::Reshape` (`src/caffe/layers/pooling_layer.cpp`) rounds the output size up,
    so the last window holds no input. In `Forward_cpu`, AVE divides the empty sum by
    `(hend - hstart) * (wend - wstart)`, negative when the window starts past the end: 0 /
    negative = -0 (measured on BVLC Caffe, row 2a: only a window starting exactly at the end
    gives 0/0). MAX outputs its initial -FLT_MAX (-3.40282e+38), and STOCHASTIC 0 in TEST;
    what breaks MAX pooling (the backward pass writing `bottom_diff[-1]`, row 2b) runs only
    in training. That output row or column is a constant that reads no input: -0 is
    harmless to the numbers, -FLT_MAX is a huge activation the next layers pass on (a sum
    of a few is -inf).

    ## Consequence
    Likely wrong. Unless the extra row or column is intended, the pooling output has a
    border that reads no input: -0 with AVE (the net trains; nothing turns NaN, measured),
    -FLT_MAX with MAX, which can reach the scores as -inf.

    ## Example
    ```
    ~ input: "x"  input_shape { dim: 1 dim: 3 dim: 9 dim: 9 }
    ~ layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
    pooling_param { pool: AVE kernel_size: 2 stride: 5 }
    ~ }
    ```

    ## Use instead
    ```
    pooling_param { pool: AVE kernel_size: 2 stride: 5 round_mode: FLOOR }
    ```

    ## Fix
    Make the stride at most the kernel size; or pad; or set `round_mode: FLOOR`.
    """
    return _empty_windows(ctx, "finite")


@net_rule("N202", "pooling-stride-skips-input", Severity.WARNING,
          "Pooling stride larger than the kernel: input pixels between windows are skipped.")
def pooling_stride_skips_input(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Pooling layer whose stride is larger than its kernel on an axis when no window
    is empty (N201 and N206 cover that case): with `round_mode: FLOOR`, with some pad, or
    with CEIL on an input whose size the net makes known and that empties no window.

    ## Why is this bad?
    Windows start every `stride` pixels and cover `kernel` of them
    (`PoolingLayer::Forward_cpu`, `src/caffe/layers/pooling_layer.cpp`), so `stride - kernel`
    of every `stride` input rows or columns are never read, and get no gradient. The output
    is finite: with FLOOR the last window ends inside the input; with pad >= 1,
    `PoolingLayer::Reshape` drops a last window that would start in the bottom/right padding
    (`if ((pooled_height_ - 1) * stride_h_ >= height_ + pad_h_) --pooled_height_;`), so every
    window holds input pixels (measured: finite, row 2c). The pixels between windows are
    still skipped, so pad with CEIL gets this warning too. Skipping may be intended
    (subsampling with `kernel_size: 1 stride: 2`); the warning says what happens.

    ## Consequence
    Likely wrong. If every input pixel is meant to count, `stride - kernel` of every `stride`
    input rows or columns are never read and get no gradient; the output is finite, and
    subsampling on purpose (`kernel_size: 1 stride: 2`) is fine.

    ## Example
    ```
    ~ input: "x"  input_shape { dim: 1 dim: 3 dim: 12 dim: 12 }
    ~ layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
    pooling_param { pool: MAX kernel_size: 2 stride: 3 round_mode: FLOOR }
    ~ }
    ```

    ## Use instead
    ```
    pooling_param { pool: MAX kernel_size: 3 stride: 3 round_mode: FLOOR }
    ```

    ## Fix
    Make the kernel at least as large as the stride, or use a strided convolution if the
    subsampling is what you want.
    """
    for pool in _set_up(ctx):
        for axis, what in _bad_axes(pool):
            if pool.ceil and not pool.padded:
                reason = _safe_known_size(ctx, pool, axis, what)
                if reason is None:
                    continue  # N201 or N206
            else:
                reason = _no_empty_window_reason(pool, axis)
            lines = {"sizes": "rows and columns", "heights": "rows", "widths": "columns"}[what]
            yield Report(
                pool.at(axis.stride_field),
                f"`{axis.stride_field}: {axis.stride}` is larger than the kernel"
                f" ({axis.kernel}), with {reason}: no window is"
                f" empty, but {axis.stride - axis.kernel} of every {axis.stride} input {lines}"
                " lie between windows and are never read (they get no gradient either)",
                hint=f"make `{axis.stride_field}` <= {axis.kernel} if every input pixel should"
                " count",
                phase=pool.phase,
            )


def _safe_known_size(ctx: NetContext, pool: _Pool, axis: _Axis, what: str) -> str | None:
    """With CEIL and no pad: the reason no window is empty when the input size is known and
    is none of those that empty the last window; None otherwise (N201 or N206 speaks)."""
    at_end, past_end = _empty_last_window(axis)
    sizes = _known_sizes(ctx, pool, axis, what)
    if sizes is None or any(size in at_end or size in past_end for size in sizes):
        return None
    name = _NOUN[what]
    shown = " x ".join(str(size) for size in dict.fromkeys(sizes))
    return f"this net's input {name} {shown} and round_mode CEIL"


def _no_empty_window_reason(pool: _Pool, axis: _Axis) -> str:
    if not pool.ceil:
        return "round_mode FLOOR"
    padded = next(a for a in (axis, *pool.axes) if a.pad)  # this axis first
    return (f"`{padded.pad_field}: {padded.pad}` (Caffe then drops a last window that would"
            " start past the input)")


@net_rule("N203", "pooling-pad-not-less-than-kernel", Severity.ERROR,
          "Pooling pad not smaller than the kernel: Caffe aborts.")
def pooling_pad_not_less_than_kernel(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Pooling layer whose pad is at least its kernel size on an axis.

    ## Why is this bad?
    `PoolingLayer::LayerSetUp` (`src/caffe/layers/pooling_layer.cpp`) checks
    `CHECK_LT(pad_h_, kernel_h_)` then `CHECK_LT(pad_w_, kernel_w_)` whenever a pad is set,
    so Caffe aborts at net construction: `Check failed: pad_h_ < kernel_h_ (3 vs. 3)`
    (measured with pad 3, kernel 3, row 2d). A window of padding only would have nothing to
    pool. The message quotes the first check that fails, as Caffe does.

    ## Consequence
    Aborts at set-up. `PoolingLayer::LayerSetUp` fails `CHECK_LT(pad_h_, kernel_h_)` (or its
    `_w` twin) when the net is constructed (measured, row 2d, exit 134).

    ## Example
    ```
    ~ input: "x"  input_shape { dim: 1 dim: 3 dim: 12 dim: 12 }
    ~ layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
    pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 3 }
    ~ }
    ```

    ## Use instead
    ```
    pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }
    ```

    ## Fix
    Use a pad smaller than the kernel, usually `(kernel - 1) / 2`.
    """
    for pool, global_pooling in _pooling_layers(ctx):
        if global_pooling or pool.h.kernel <= 0 or pool.w.kernel <= 0:
            continue  # global: N204 fires first; kernel 0: "Filter dimensions cannot be zero"
        if not pool.padded or pool.method not in ("AVE", "MAX"):
            continue  # no check, or "Padding implemented only for average and max pooling."
        axis = next((a for a in pool.axes if a.pad >= a.kernel), None)
        if axis is None:
            continue
        n = axis.name
        yield Report(
            pool.at(axis.pad_field),
            f"`{axis.pad_field}: {axis.pad}` is not less than the kernel ({axis.kernel}):"
            f' Caffe aborts at net setup with "Check failed: pad_{n}_ < kernel_{n}_'
            f' ({axis.pad} vs. {axis.kernel})"',
            hint=f"use a pad below {axis.kernel}, usually (kernel - 1) / 2"
            f" = {(axis.kernel - 1) // 2}",
            phase=pool.phase,
        )


@net_rule("N204", "global-pooling-with-kernel", Severity.ERROR,
          "`global_pooling: true` with a kernel size, pad or stride: Caffe aborts.")
def global_pooling_with_kernel(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags `global_pooling: true` together with `kernel_size`/`kernel_h`/`kernel_w`, or with a
    non-zero pad or a stride other than 1.

    ## Why is this bad?
    With global pooling the kernel is the whole input (`kernel_h_ = bottom[0]->height()`), and
    `PoolingLayer::LayerSetUp` (`src/caffe/layers/pooling_layer.cpp`) refuses anything else
    (measured, row 2e):

    - a kernel size: `Check failed: !(pool_param.has_kernel_size() ||
      pool_param.has_kernel_h() || pool_param.has_kernel_w()) With Global_pooling: true
      Filter size cannot specified` (checked first);
    - pad or stride: `Check failed: pad_h_ == 0 && pad_w_ == 0 && stride_h_ == 1 &&
      stride_w_ == 1 With Global_pooling: true; only pad = 0 and stride = 1`.

    ## Consequence
    Aborts at set-up. `PoolingLayer::LayerSetUp` refuses a kernel size, a pad or a stride other
    than 1 with `global_pooling: true` (measured, row 2e).

    ## Example
    ```
    ~ input: "x"  input_shape { dim: 1 dim: 3 dim: 12 dim: 12 }
    ~ layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
    pooling_param { pool: AVE global_pooling: true kernel_size: 7 }
    ~ }
    ```

    ## Use instead
    ```
    pooling_param { pool: AVE global_pooling: true }
    ```

    ## Fix
    Delete the kernel size, pad and stride: global pooling always covers the whole input.
    """
    for pool, global_pooling in _pooling_layers(ctx):
        if not global_pooling:
            continue
        param = pool.param
        kernels = _written(param, "kernel_size", "kernel_h", "kernel_w")
        if kernels:
            written = " ".join(f"`{k}: {getattr(param, k)}`" for k in kernels)
            yield Report(
                pool.at(kernels[0]),
                f"`global_pooling: true` with {written}: Caffe aborts at net setup with"
                ' "Check failed: !(pool_param.has_kernel_size() || pool_param.has_kernel_h()'
                " || pool_param.has_kernel_w()) With Global_pooling: true Filter size cannot"
                ' specified"',
                hint="delete the kernel size: global pooling covers the whole input",
                phase=pool.phase,
            )
            continue
        bad = [f for f in ("pad", "pad_h", "pad_w") if param.HasField(f) and getattr(param, f)]
        bad += [f for f in ("stride", "stride_h", "stride_w")
                if param.HasField(f) and getattr(param, f) != 1]
        if bad:
            written = " ".join(f"`{f}: {getattr(param, f)}`" for f in bad)
            yield Report(
                pool.at(bad[0]),
                f"`global_pooling: true` with {written}: Caffe aborts at net setup with"
                ' "Check failed: pad_h_ == 0 && pad_w_ == 0 && stride_h_ == 1 &&'
                ' stride_w_ == 1 With Global_pooling: true; only pad = 0 and stride = 1"',
                hint="delete the pad and stride: global pooling covers the whole input",
                phase=pool.phase,
            )


# --- N205: the other checks of PoolingLayer::LayerSetUp -------------------------------------

_KERNEL_CHECK = ("Check failed: !pool_param.has_kernel_size() != !(pool_param.has_kernel_h()"
                 " && pool_param.has_kernel_w()) Filter size is kernel_size OR kernel_h and"
                 " kernel_w; not both")


def _pair_check(one: str, noun: str) -> str:
    return (f"Check failed: (!pool_param.has_{one}() && pool_param.has_{one}_h() &&"
            f" pool_param.has_{one}_w()) || (!pool_param.has_{one}_h() &&"
            f" !pool_param.has_{one}_w()) {noun} is {one} OR {one}_h and {one}_w are"
            " required.")


def _rejection(param: Any) -> tuple[str | None, str, str] | None:
    """The first ``CHECK`` of ``PoolingLayer::LayerSetUp`` that the layer fails, in Caffe's
    order, other than N203's and N204's: (field to point at, Caffe's message, hint)."""
    if not param.global_pooling:
        has_pair = param.HasField("kernel_h") and param.HasField("kernel_w")
        if param.HasField("kernel_size") == has_pair:
            written = _written(param, "kernel_size", "kernel_h", "kernel_w")
            hint = ("keep either `kernel_size` or the `kernel_h`/`kernel_w` pair" if written
                    and param.HasField("kernel_size") else
                    "give `kernel_size` (or both `kernel_h` and `kernel_w`)")
            return (written[0] if written else None), _KERNEL_CHECK, hint
    for one, noun in (("pad", "pad"), ("stride", "Stride")):
        pair = _written(param, f"{one}_h", f"{one}_w")
        if pair and (param.HasField(one) or len(pair) != 2):
            return pair[0], _pair_check(one, noun), (
                f"write `{one}` alone, or both `{one}_h` and `{one}_w`")
    if param.global_pooling:
        return None
    for field in ("kernel_size", "kernel_h"):  # kernel_h_ is checked first
        if param.HasField(field) and getattr(param, field) <= 0:
            return field, (f"Check failed: kernel_h_ > 0 ({getattr(param, field)} vs. 0)"
                           " Filter dimensions cannot be zero."), "give a kernel of 1 or more"
    if param.HasField("kernel_w") and param.kernel_w <= 0:
        return "kernel_w", (f"Check failed: kernel_w_ > 0 ({param.kernel_w} vs. 0) Filter"
                            " dimensions cannot be zero."), "give a kernel of 1 or more"
    pads = [f for f in ("pad", "pad_h", "pad_w") if param.HasField(f) and getattr(param, f)]
    method = param.DESCRIPTOR.fields_by_name["pool"].enum_type.values_by_number.get(param.pool)
    if pads and method is not None and method.name not in ("AVE", "MAX"):
        return pads[0], ("Check failed: this->layer_param_.pooling_param().pool() =="
                         " PoolingParameter_PoolMethod_AVE ||"
                         " this->layer_param_.pooling_param().pool() =="
                         " PoolingParameter_PoolMethod_MAX Padding implemented only for"
                         " average and max pooling."), (
            f"drop the padding, or pool with AVE or MAX (not {method.name})")
    return None


@net_rule("N205", "pooling-parameters-rejected", Severity.ERROR,
          "Pooling parameters that PoolingLayer::LayerSetUp refuses: Caffe aborts.")
def pooling_parameters_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Pooling layer whose parameters fail one of the checks at the top of
    `PoolingLayer::LayerSetUp` that N203 and N204 do not cover, with Caffe's own message:
    no kernel (also a Pooling layer without `pooling_param`), `kernel_size` together with
    `kernel_h`/`kernel_w`, or only one of the pair; `pad_h` or `stride_h` without its `_w`
    partner, or with `pad`/`stride`; a kernel of 0; padding with STOCHASTIC pooling.

    ## Why is this bad?
    `PoolingLayer::LayerSetUp` (`src/caffe/layers/pooling_layer.cpp`) `CHECK`s each of these
    when the net is set up, so Caffe aborts before any iteration, in every phase the layer
    is in. Each message was checked on BVLC Caffe (construct_net), for example
    `Check failed: !pool_param.has_kernel_size() != !(pool_param.has_kernel_h() &&
    pool_param.has_kernel_w()) Filter size is kernel_size OR kernel_h and kernel_w; not
    both` for a missing kernel too.

    ## Consequence
    Aborts at set-up. `PoolingLayer::LayerSetUp` `CHECK`s each of these when the net is set up,
    before any iteration, in every phase the layer is in.

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
    layer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1"
            pooling_param { pool: MAX kernel_size: 2 stride_h: 2 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
    layer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1"
            pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
    ```

    ## Fix
    Write the kernel, pad and stride either as one value or as an `_h`/`_w` pair, with a
    kernel of 1 or more, and pad only with AVE or MAX pooling.
    """
    if not ctx.schema.declares_like_bvlc("PoolingParameter"):
        return
    default = ctx.schema.message_class("PoolingParameter")()
    for layer in ctx.layers:
        if layer.type != "Pooling" or layer.syntax == "v0":
            continue
        phases = ctx.active_phases(layer)
        if not phases or not ctx.is_complete(layer.path):
            continue
        param = layer.param("pooling_param")
        found = _rejection(param if param is not None else default)
        if found is None:
            continue
        field, check, hint = found
        at = layer.at("pooling_param", field) if field else layer.at("pooling_param")
        for phase in phases:
            yield Report(at, f"Pooling layer '{layer.name}': Caffe aborts at net setup with"
                             f' "{check}"', hint=hint, phase=phase)
