"""Blob shapes Caffe refuses while it sets a net up: it aborts before training starts, often
after minutes of loading data.

The shapes come from ``prototxt_lint/shapes.py``, which repeats the ``LayerSetUp`` /
``Reshape`` arithmetic of each BVLC layer (``src/caffe/layers/*.cpp``, BVLC master) for every
phase. A dimension that the file does not fix (database channels, image sizes, Python and
fork layers) is unknown, and an unknown dimension never produces a finding. Each finding
quotes the ``CHECK`` Caffe fails, as glog prints it (``Check failed: a == b (x vs. y)
message``); measured on a real BVLC build where shared/caffe-behaviour has the case (row 6i).
A layer that fails one check makes its tops unknown for the layers after it, so one mistake
gives one finding.

Length: one rule per kind of failure the shape inference records; the checks themselves
live in ``prototxt_lint/shapes/``, so most of the module is the rules' documentation.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.model import NetContext
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.shapes import net_shapes


def _failures(ctx: NetContext, kind: str) -> Iterator[Report]:
    for phase in net_shapes(ctx):
        for layer in phase.layers:
            for failure in layer.failures:
                if failure.kind == kind:
                    yield Report(failure.at, failure.message, hint=failure.hint,
                                 phase=phase.phase.name)


@net_rule("N401", "conv-kernel-exceeds-input", Severity.ERROR,
          "Convolution kernel larger than its padded input: Caffe aborts at set-up.")
def conv_kernel_exceeds_input(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Computes each Convolution's (and Deconvolution's) output size from its input's and flags
    one whose output height or width would be 0 or negative: the kernel (dilated:
    `dilation*(kernel-1) + 1`) is larger than the input plus twice the pad.

    ## Why is this bad?
    `ConvolutionLayer::compute_output_shape` (`src/caffe/layers/conv_layer.cpp`) computes
    `(in + 2*pad - extent) / stride + 1` in C++ integer arithmetic, and
    `BaseConvolutionLayer::Reshape` (`src/caffe/layers/base_conv_layer.cpp`) shapes the top
    with it. A negative size fails `Blob::Reshape` (`src/caffe/blob.cpp`); a size of 0 makes
    an empty blob that is never allocated. Measured on BVLC Caffe (row 6i, 8x8 input, pad
    0): kernel 10 aborts with `Check failed: shape[i] >= 0 (-1 vs. 0)`, kernel 11 with
    `(-2 vs. 0)`, kernel 9 (output 0x0) with `Check failed: data_`; kernel 9 with pad 1
    works (2x2). Caffe only gets there after loading the data layers.
    Deconvolution (`DeconvolutionLayer::compute_output_shape`: `stride*(in-1) + extent -
    2*pad`) fails the same way when the pad is too large.

    ## Consequence
    Aborts at set-up. `BaseConvolutionLayer::Reshape` shapes the top with the size: a negative
    one fails `Check failed: shape[i] >= 0` in `Blob::Reshape`, and an output of 0 fails `Check
    failed: data_` (measured, row 6i), after the data layers are loaded.

    ## Example
    ```
    input: "data"  input_shape { dim: 1 dim: 1 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 16 kernel_size: 11 } }
    ```

    ## Use instead
    ```
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 16 kernel_size: 3 pad: 1 } }
    ```

    ## Fix
    Use a kernel no larger than the padded input, pad the input, or feed a larger input
    (an earlier pooling may have shrunk it more than intended: `prototxt-lint shapes`
    prints every layer's output size).
    """
    yield from _failures(ctx, "conv-output")


@net_rule("N402", "pool-kernel-exceeds-input", Severity.ERROR,
          "Pooling kernel larger than its padded input: an empty or negative-sized top.")
def pool_kernel_exceeds_input(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Computes each Pooling layer's output size and flags one whose output height or width
    would be 0 or negative.

    ## Why is this bad?
    `PoolingLayer::Reshape` (`src/caffe/layers/pooling_layer.cpp`) computes
    `ceil((in + 2*pad - kernel) / stride) + 1` (floor with `round_mode: FLOOR`), less one
    window when there is padding and the last window would start in it. A kernel larger
    than the padded input gives 0 or less. Pooling itself has no check for it: measured on
    BVLC Caffe (row 6i), kernel 10 stride 2 on an 8x8 input builds a top of shape
    `2 1 0 0 (0)` without a pooling error, and the InnerProduct after it aborts with
    `Check failed: blob->count()`; whatever comes next, the first forward pass touches the
    empty blob and fails with `Check failed: data_`. A negative size fails
    `Blob::Reshape` at once: `Check failed: shape[i] >= 0 (-1 vs. 0)`.

    ## Consequence
    Aborts at set-up. A negative size fails `Blob::Reshape` at once (`Check failed: shape[i] >=
    0`), and a layer after the empty top may fail its own set-up (measured: the next
    InnerProduct's filler, `Check failed: blob->count()`, row 6i). Aborts at run time otherwise:
    the first forward pass touches the empty blob and fails with `Check failed: data_`.

    ## Example
    ```
    input: "data"  input_shape { dim: 2 dim: 1 dim: 8 dim: 8 }
    layer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1"
            pooling_param { pool: MAX kernel_size: 10 stride: 2 } }
    ```

    ## Use instead
    ```
    layer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1"
            pooling_param { pool: MAX global_pooling: true } }
    ```

    ## Fix
    Use a smaller kernel, or `global_pooling: true` to pool the whole input whatever its
    size.
    """
    yield from _failures(ctx, "pool-output")


@net_rule("N403", "concat-shape-mismatch", Severity.ERROR,
          "Concat inputs differ on an axis other than the concat axis: Caffe aborts.")
def concat_shape_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Concat layer whose inputs differ in the number of axes, or in a dimension other
    than the one they are concatenated on (`axis`, default 1 (channels), or the old
    `concat_dim`).

    ## Why is this bad?
    `ConcatLayer::Reshape` (`src/caffe/layers/concat_layer.cpp`) checks every bottom
    against the first: `CHECK_EQ(num_axes, bottom[i]->num_axes()) << "All inputs must have
    the same #axes."` and `CHECK_EQ(top_shape[j], bottom[i]->shape(j)) << "All inputs must
    have the same shape, except at concat_axis."`. The usual cause is two branches that
    pool or stride differently (28x28 next to 14x14), or an odd input size that rounds
    differently in two branches.

    ## Consequence
    Aborts at set-up. `ConcatLayer::Reshape` fails its `CHECK_EQ` on the number of axes, or on a
    dimension other than the concat axis, while the net is built.

    ## Example
    ```
    ~ input: "branch_28x28" input_shape { dim: 1 dim: 64 dim: 28 dim: 28 }
    ~ input: "branch_14x14" input_shape { dim: 1 dim: 64 dim: 14 dim: 14 }
    layer { name: "cat" type: "Concat" bottom: "branch_28x28" bottom: "branch_14x14"
            top: "cat" }
    ```

    ## Use instead
    Make both branches end at the same spatial size (same strides and pads, or a Crop).

    ## Fix
    Compare the branch shapes with `prototxt-lint shapes NET` and change the stride, pad or
    pooling of the branch that differs.
    """
    yield from _failures(ctx, "concat")


@net_rule("N404", "eltwise-shape-mismatch", Severity.ERROR,
          "Eltwise inputs of different shapes: Caffe aborts.")
def eltwise_shape_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an Eltwise layer (SUM, PROD, MAX) whose inputs do not have the same shape.

    ## Why is this bad?
    `EltwiseLayer::Reshape` (`src/caffe/layers/eltwise_layer.cpp`) requires every bottom to
    have exactly the shape of the first: `CHECK(bottom[0]->shape() == bottom[i]->shape())
    << "bottom[0]: " << bottom[0]->shape_string() << ", bottom[" << i << "]: " << ...`.
    There is no broadcasting. The classic case is a residual block whose branch strides or
    widens while its shortcut does not.

    ## Consequence
    Aborts at set-up. `EltwiseLayer::Reshape` fails `CHECK(bottom[0]->shape() ==
    bottom[i]->shape())` while the net is built.

    ## Example
    ```
    ~ input: "res2c" input_shape { dim: 1 dim: 256 dim: 56 dim: 56 }
    ~ input: "res3a_branch2c" input_shape { dim: 1 dim: 512 dim: 28 dim: 28 }
    layer { name: "res3a" type: "Eltwise" bottom: "res2c" bottom: "res3a_branch2c"
            top: "res3a" }   # 256x56x56 + 512x28x28
    ```

    ## Use instead
    ```
    ~ input: "res3a_branch1" input_shape { dim: 1 dim: 512 dim: 28 dim: 28 }
    ~ input: "res3a_branch2c" input_shape { dim: 1 dim: 512 dim: 28 dim: 28 }
    layer { name: "res3a" type: "Eltwise" bottom: "res3a_branch1" bottom: "res3a_branch2c"
            top: "res3a" }   # a 1x1 stride-2 projection of res2c to 512x28x28
    ```

    ## Fix
    Give the shortcut a projection (a 1x1 convolution with the branch's stride and
    num_output), or make the branch keep the shape.
    """
    yield from _failures(ctx, "eltwise")


@net_rule("N405", "reshape-count-mismatch", Severity.ERROR,
          "Reshape to a shape with a different number of elements: Caffe aborts.")
def reshape_count_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Applies a Reshape layer's `shape` (with `axis` and `num_axes`) to its input and flags one
    whose element count cannot match: more than one `-1` (read from the layer alone), a
    `-1` that cannot be inferred, a `0` with no input axis to copy, or fixed dimensions
    whose product differs from the input's count.

    ## Why is this bad?
    `ReshapeLayer::LayerSetUp` (`src/caffe/layers/reshape_layer.cpp`) aborts with `new
    shape contains multiple -1 dims; at most a single (1) value of -1 may be specified`, and
    `ReshapeLayer::Reshape` with `new shape contains a 0, but there was no corresponding
    bottom axis to copy`, `bottom count (N) must be divisible by the product of the
    specified dimensions (M)`, or `output count must match input count`. In py-faster-rcnn
    style nets this is the `rpn_cls_prob_reshape` layer after changing the number of
    anchors without changing its `dim`.

    ## Consequence
    Aborts at set-up. `ReshapeLayer::Reshape` aborts with one of the messages above while the
    net is built.

    ## Example
    ```
    ~ input: "fc" input_shape { dim: 10 dim: 1000 }
    layer { name: "r" type: "Reshape" bottom: "fc" top: "r"     # fc is 10x1000
            reshape_param { shape { dim: 10 dim: 3 dim: -1 } } }
    ```

    ## Use instead
    ```
    layer { name: "r" type: "Reshape" bottom: "fc" top: "r"
            reshape_param { shape { dim: 0 dim: 10 dim: -1 } } }
    ```

    ## Fix
    Use `0` for dimensions copied from the input and a single `-1` for the one to infer, so
    that only the dimensions you mean to change are written.
    """
    yield from _failures(ctx, "reshape")


@net_rule("N406", "label-count-mismatch", Severity.ERROR,
          "Loss or Accuracy with a label count that does not match the predictions.")
def label_count_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a loss or Accuracy layer whose prediction and label blobs do not fit each other:
    different first (batch) dimensions, or a label count different from the number of
    predictions.

    ## Why is this bad?
    Every loss checks the batch dimension in `LossLayer::Reshape`
    (`src/caffe/layers/loss_layer.cpp`): `The data and label should have the same first
    dimension.` `SoftmaxWithLossLayer::Reshape` and `AccuracyLayer::Reshape` need one label
    per prediction: `outer_num_ * inner_num_ == bottom[1]->count()` (N*H*W for an (N, C, H,
    W) prediction with classes on axis 1), else `Number of labels must match number of
    predictions; ...`; Accuracy first checks `top_k must be less than or equal to the number
    of classes.`. `EuclideanLossLayer::Reshape` needs the same count per sample (`Inputs must
    have the same dimension.`) and `SigmoidCrossEntropyLossLayer::Reshape` the same count
    (`SIGMOID_CROSS_ENTROPY_LOSS layer inputs must have the same count.`). Caffe aborts at
    set-up, after loading the data.

    ## Consequence
    Aborts at set-up. `LossLayer::Reshape` or the loss's or Accuracy's own `Reshape` fails its
    check while the net is built, after the data is loaded.

    ## Example
    ```
    ~ input: "fc8" input_shape { dim: 64 dim: 1000 }
    ~ input: "label" input_shape { dim: 32 }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc8" bottom: "label" top: "loss" }
    # fc8 is 64x1000 but label is 32 (from a data layer with batch_size 32)
    ```

    ## Use instead
    Feed the loss the prediction and the label of the same data layer, with one class index
    per sample (per pixel for a segmentation net).

    ## Fix
    Check the batch sizes of the data layers feeding the two bottoms, and the prediction's
    shape against the label's (`prototxt-lint shapes NET`).
    """
    yield from _failures(ctx, "label-count")


@net_rule("N407", "conv-group-mismatch", Severity.ERROR,
          "Convolution `group` that does not divide the input channels or `num_output`.")
def conv_group_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution or Deconvolution whose `group` does not divide its input channels
    (when they are known) or its `num_output`, or is 0.

    ## Why is this bad?
    `BaseConvolutionLayer::LayerSetUp` (`src/caffe/layers/base_conv_layer.cpp`) checks, in
    this order, `CHECK_EQ(channels_ % group_, 0)` and `CHECK_EQ(num_output_ % group_, 0) <<
    "Number of output should be multiples of group."`: each group convolves
    `channels/group` inputs into `num_output/group` outputs. With `group: 0` the first
    check divides by zero, which kills the process with SIGFPE.

    ## Consequence
    Aborts at set-up. `BaseConvolutionLayer::LayerSetUp` fails `CHECK_EQ(channels_ % group_, 0)`
    or `CHECK_EQ(num_output_ % group_, 0)`; with `group: 0` the division by zero kills the
    process with SIGFPE.

    ## Example
    ```
    layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"   # 96 channels
            convolution_param { num_output: 256 kernel_size: 5 group: 5 } }
    ```

    ## Use instead
    ```
    layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
            convolution_param { num_output: 256 kernel_size: 5 group: 2 } }
    ```

    ## Fix
    Use a group that divides both the input channels and num_output (a depthwise
    convolution has group = input channels = num_output).
    """
    yield from _failures(ctx, "group")


@net_rule("N408", "slice-mismatch", Severity.ERROR,
          "Slice points or top count that do not fit the sliced axis: Caffe aborts.")
def slice_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Slice layer whose `slice_point`s are not one fewer than its tops or not
    strictly ascending from above 0 (both read from the layer alone, whatever the input),
    which has more tops than the sliced axis has entries, whose last `slice_point` is not
    inside the sliced axis, or which splits an axis into equal parts (no `slice_point`)
    that the number of tops does not divide.

    ## Why is this bad?
    `SliceLayer::Reshape` (`src/caffe/layers/slice_layer.cpp`) checks, in this order,
    `CHECK_EQ(slice_point_.size(), top.size() - 1)`, `CHECK_LE(top.size(),
    bottom_slice_axis)` and `CHECK_GT(slice_point_[i], prev)` for each point. It gives the
    last top
    `axis_size - last_slice_point` entries (0 or negative when the point is at or past the
    end: an empty blob, or `Check failed: shape[i] >= 0`), and without slice points checks
    `CHECK_EQ(bottom_slice_axis % top.size(), 0) << "Number of top blobs (N) should evenly
    divide input slice axis (M)"`.

    ## Consequence
    Aborts at set-up. Without slice points `SliceLayer::Reshape` fails
    `CHECK_EQ(bottom_slice_axis % top.size(), 0)`, and a last slice point past the end of the
    axis fails `Check failed: shape[i] >= 0` in `Blob::Reshape`. Aborts at run time at the
    latest for a last slice point exactly at the end: the last top is empty and never allocated,
    and `SliceLayer::Forward_cpu` fails `CHECK(data_)` in its `mutable_cpu_data()` (read from
    the source).

    ## Example
    ```
    ~ input: "data" input_shape { dim: 1 dim: 64 dim: 8 dim: 8 }
    layer { name: "split" type: "Slice" bottom: "data" top: "a" top: "b" top: "c"
            slice_param { axis: 1 } }   # data has 64 channels
    ```

    ## Use instead
    ```
    layer { name: "split" type: "Slice" bottom: "data" top: "a" top: "b" top: "c"
            slice_param { axis: 1 slice_point: 20 slice_point: 40 } }
    ```

    ## Fix
    Give explicit slice points below the axis size, or a number of tops that divides it.
    """
    yield from _failures(ctx, "slice")


@net_rule("N409", "crop-out-of-bounds", Severity.ERROR,
          "Crop larger than its input (with the offset): Caffe aborts.")
def crop_out_of_bounds(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Crop layer whose first bottom, minus the offset, is smaller than the second
    bottom (the reference size) on an axis at or after `axis` (default 2), or with several
    `offset`s that are not one per axis from `axis` on.

    ## Why is this bad?
    `CropLayer::LayerSetUp` (`src/caffe/layers/crop_layer.cpp`) checks that several offsets
    are one per cropped axis (`number of offset values specified must be equal to the
    number of dimensions following axis.`); `CropLayer::Reshape` checks for every cropped
    axis
    `CHECK_GE(bottom[0]->shape(i) - crop_offset, bottom[1]->shape(i)) << "the crop for
    dimension " << i << " is out-of-bounds with size ..."`. In FCN-style nets this happens
    when the bottoms are swapped (the reference must come second) or the offset is too large
    for the input size.

    ## Consequence
    Aborts at set-up. `CropLayer::Reshape` fails `CHECK_GE(bottom[0]->shape(i) - crop_offset,
    bottom[1]->shape(i))` while the net is built.

    ## Example
    ```
    ~ input: "data" input_shape { dim: 1 dim: 3 dim: 100 dim: 100 }
    ~ input: "upscore" input_shape { dim: 1 dim: 21 dim: 160 dim: 160 }
    layer { name: "score" type: "Crop" bottom: "data" bottom: "upscore" top: "score"
            crop_param { axis: 2 offset: 19 } }   # data is smaller than upscore
    ```

    ## Use instead
    ```
    layer { name: "score" type: "Crop" bottom: "upscore" bottom: "data" top: "score"
            crop_param { axis: 2 offset: 19 } }
    ```

    ## Fix
    Put the larger blob first and the blob whose size you want second, and keep the offset
    within the difference of their sizes.
    """
    yield from _failures(ctx, "crop")


@net_rule("N410", "axis-out-of-range", Severity.ERROR,
          "An `axis` that its input does not have: Caffe aborts at set-up.")
def axis_out_of_range(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer whose `axis` (or Flatten's `end_axis`) is not an axis of its input: at
    least the input's number of axes, or below minus that number. Checked for Convolution,
    Deconvolution, InnerProduct, Softmax, SoftmaxWithLoss (`softmax_param`), Concat, Slice,
    Flatten, Crop, Accuracy, ArgMax (when `axis` is written), Tile and Reduction, wherever the
    input's number of axes is known. Also the old uint32 `slice_dim` / `concat_dim` (0 up to
    the number of axes; a value of 2^31 or more is negative as a C++ int, whatever the
    input), and Reshape's `axis` (-(axes+1) to axes), `num_axes` (-1 or more) and `axis +
    num_axes` (at most the input's axes).

    ## Why is this bad?
    Each of these layers turns its axis into an index with `Blob::CanonicalAxisIndex`
    (`include/caffe/blob.hpp`) while the net is set up, which checks
    `CHECK_GE(axis_index, -num_axes())` and `CHECK_LT(axis_index, num_axes())`. Negative
    axes count from the end (-1 is the last axis). A typical slip is an axis meant for a 4-D
    blob used on the 2-D output of an InnerProduct, or `axis: 1` on a scalar loss.
    `SliceLayer::Reshape` and `ConcatLayer::Reshape` check the old fields themselves
    (`slice_dim out of range.`, `casting slice_dim from uint32 to int32 produced negative
    result`), and `ReshapeLayer::Reshape` its `axis` and `num_axes` (`axis 5 out of range
    for 4-D input blob`, `num_axes must be >= 0, or -1 for all`, `end_axis = axis + num_axes
    is out of range`).

    ## Consequence
    Aborts at set-up. `Blob::CanonicalAxisIndex` fails `Check failed: axis_index < num_axes()`
    (or `>= -num_axes()`) with `axis ... out of range for N-D Blob` while the net is built, in
    every phase the layer is in (measured with construct_net).

    ## Example
    ```
    input: "data"
    input_shape { dim: 2 dim: 10 }
    layer { name: "prob" type: "Softmax" bottom: "data" top: "prob"
            softmax_param { axis: 2 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 2 dim: 10 }
    layer { name: "prob" type: "Softmax" bottom: "data" top: "prob"
            softmax_param { axis: 1 } }
    ```

    ## Fix
    Use an axis the input has (`prototxt-lint shapes` prints every blob's shape), or a
    negative one counted from the end.
    """
    yield from _failures(ctx, "axis")


@net_rule("N420", "argmax-top-k-too-large", Severity.ERROR,
          "ArgMax `top_k` larger than the values it picks from: Caffe aborts at set-up.")
def argmax_top_k_too_large(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an ArgMax layer whose `top_k` is larger than the number of values it chooses
    from: the size of its `axis`, or, without `axis`, the values per item (every axis after
    the first multiplied), wherever that size is known.

    ## Why is this bad?
    `ArgMaxLayer::LayerSetUp` (`src/caffe/layers/argmax_layer.cpp`) checks `CHECK_LE(top_k_,
    bottom[0]->shape(axis_)) << "top_k must be less than or equal to the dimension of the
    axis."` with `axis`, and `CHECK_LE(top_k_, bottom[0]->count(1))` without. A `top_k: 5`
    kept from a 1000-class net on a 2- or 3-class head is the usual cause. (`top_k: 0` is
    N342.)

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: top_k_ <= bottom[0]->shape(axis_) (5 vs. 3)
    top_k must be less than or equal to the dimension of the axis.` (or the `count(1)` one)
    while the net is built (measured with construct_net).

    ## Example
    ```
    input: "score"
    input_shape { dim: 2 dim: 3 }
    layer { name: "top5" type: "ArgMax" bottom: "score" top: "top5"
            argmax_param { top_k: 5 axis: 1 } }
    ```

    ## Use instead
    ```
    input: "score"
    input_shape { dim: 2 dim: 3 }
    layer { name: "top5" type: "ArgMax" bottom: "score" top: "top5"
            argmax_param { top_k: 3 axis: 1 } }
    ```

    ## Fix
    Use a `top_k` no larger than the number of classes (`prototxt-lint shapes` prints the
    input's shape).
    """
    yield from _failures(ctx, "argmax")


@net_rule("N424", "input-axes-rejected", Severity.ERROR,
          "An input with a number of axes the layer refuses (LRN, Pooling, SPP, PReLU, ...).")
def input_axes_rejected(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer whose input has a number of axes the layer's set-up refuses, wherever
    that number is known: LRN, Pooling and SPP on an input that is not 4-D (num, channels,
    height, width), PReLU on a 1-D input, BatchReindex indices that are not 1-D; and an SPP
    input of height or width 0.

    ## Why is this bad?
    `LRNLayer::Reshape`, `PoolingLayer::Reshape` and `SPPLayer::Reshape`
    (`src/caffe/layers/lrn_layer.cpp`, `pooling_layer.cpp`, `spp_layer.cpp`) check
    `CHECK_EQ(4, bottom[0]->num_axes()) << "Input must have 4 axes, corresponding to (num,
    channels, height, width)"`; global pooling and SPP read `bottom[0]->height()` in
    `LayerSetUp` first, which refuses more than 4 axes (`Blob::LegacyShape`,
    `include/caffe/blob.hpp`: `Cannot use legacy accessors on Blobs with > 4 axes.`).
    `SPPLayer::LayerSetUp` also checks `CHECK_GT(bottom_h_, 0) << "Input dimensions cannot
    be zero."`. `PReLULayer::LayerSetUp` checks `CHECK_GE(bottom[0]->num_axes(), 2)` (its
    slopes are per channel, axis 1), and `BatchReindexLayer::Reshape` `CHECK_EQ(1,
    bottom[1]->num_axes())`. The usual cause is pooling or LRN after an InnerProduct, whose
    output is 2-D (N, C), or on 5-D (video) blobs.

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: 4 == bottom[0]->num_axes() (4 vs. 2) Input
    must have 4 axes, corresponding to (num, channels, height, width)` (or the check quoted
    for the other layers) while the net is built (measured with construct_net).

    ## Example
    ```
    input: "fc"
    input_shape { dim: 2 dim: 6 }
    layer { name: "pool" type: "Pooling" bottom: "fc" top: "pool"
            pooling_param { pool: MAX kernel_size: 1 } }
    ```

    ## Use instead
    ```
    input: "fc"
    input_shape { dim: 2 dim: 6 dim: 1 dim: 1 }
    layer { name: "pool" type: "Pooling" bottom: "fc" top: "pool"
            pooling_param { pool: MAX kernel_size: 1 } }
    ```

    ## Fix
    Reshape the input to the axes the layer takes (`prototxt-lint shapes` prints every
    blob's shape), or use a layer that takes any number of axes.
    """
    yield from _failures(ctx, "rank")


@net_rule("N425", "bottom-shapes-disagree", Severity.ERROR,
          "A Convolution's bottoms, or a Filter's selector and data, of shapes that disagree.")
def bottom_shapes_disagree(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution or Deconvolution with several bottoms whose shapes differ, and a
    Filter layer whose selector (its last bottom) is not one value per item, or has another
    number of items than a bottom it filters, wherever the shapes are known.

    ## Why is this bad?
    A convolution with several bottoms applies the same weights to each and makes one top
    per bottom; `BaseConvolutionLayer::Reshape` (`src/caffe/layers/base_conv_layer.cpp`)
    requires `CHECK(bottom[0]->shape() == bottom[bottom_id]->shape()) << "shape mismatch -
    bottom[0]: " ...`. `FilterLayer::Reshape` (`src/caffe/layers/filter_layer.cpp`) keeps
    the items whose selector value is not 0: `CHECK_EQ(bottom[selector_index]->shape(i), 1)
    << "Selector blob dimensions must be singletons (1), except the first"` and
    `CHECK_EQ(bottom[selector_index]->shape(0), bottom[i]->shape(0)) << "Each bottom should
    have the same 0th dimension as the selector blob"`. (A top count that is not one fewer
    than the bottoms is N314.)

    ## Consequence
    Aborts at set-up. Caffe fails `Check failed: bottom[0]->shape() ==
    bottom[bottom_id]->shape() shape mismatch - bottom[0]: 2 3 8 8 (384) vs. bottom[1]: 2 3
    4 4 (96)` (or a Filter check quoted above) while the net is built (measured with
    construct_net).

    ## Example
    ```
    input: "big"
    input_shape { dim: 2 dim: 3 dim: 8 dim: 8 }
    input: "small"
    input_shape { dim: 2 dim: 3 dim: 4 dim: 4 }
    layer { name: "conv" type: "Convolution" bottom: "big" bottom: "small"
            top: "conv_big" top: "conv_small"
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Use instead
    ```
    input: "big"
    input_shape { dim: 2 dim: 3 dim: 8 dim: 8 }
    input: "small"
    input_shape { dim: 2 dim: 3 dim: 4 dim: 4 }
    layer { name: "conv_big" type: "Convolution" bottom: "big" top: "conv_big"
            param { name: "w" } param { name: "b" }
            convolution_param { num_output: 4 kernel_size: 3 } }
    layer { name: "conv_small" type: "Convolution" bottom: "small" top: "conv_small"
            param { name: "w" } param { name: "b" }
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Fix
    Give a multi-input convolution inputs of one shape (or one layer per input, sharing the
    weights by `param` name); give a Filter a selector of shape (N) or (N, 1) from the same
    batch as the blobs it filters.
    """
    yield from _failures(ctx, "bottoms")


@net_rule("N426", "written-weights-mismatch", Severity.ERROR,
          "Weights written in the prototxt (`blobs`) of a count or shape the layer refuses.")
def written_weights_mismatch(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution, Deconvolution or PReLU layer whose parameters are written into the
    prototxt itself (`blobs { shape { ... } data: ... }`, as net-surgery scripts save them)
    with another number of blobs or another shape than the layer makes, wherever the
    input's shape is known.

    ## Why is this bad?
    `Layer`'s constructor loads written `blobs` (`Blob::FromProto`, `src/caffe/blob.cpp`),
    and set-up checks them instead of filling: `BaseConvolutionLayer::LayerSetUp`
    (`src/caffe/layers/base_conv_layer.cpp`) `CHECK_EQ(1 + bias_term_,
    this->blobs_.size()) << "Incorrect number of weight blobs."`, then `LOG(FATAL) <<
    "Incorrect weight shape: expected shape " ...` (and the same for the bias);
    `PReLULayer::LayerSetUp` (`prelu_layer.cpp`) `CHECK_EQ(this->blobs_[0]->count(),
    channels) << "Negative slope size is inconsistent with prototxt config"` (1 with
    `channel_shared`). A blob whose values do not match its own shape fails in
    `Blob::FromProto` first and is not reported here.

    ## Consequence
    Aborts at set-up. Caffe fails `Incorrect weight shape: expected shape 4 3 3 3 (108);
    instead, shape was 4 3 1 1 (12)` (or a check quoted above) while the net is built
    (measured with construct_net).

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 2 dim: 4 dim: 4 }
    layer { name: "prelu" type: "PReLU" bottom: "data" top: "out"
            blobs { shape { dim: 3 } data: 0.25 data: 0.25 data: 0.25 } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 2 dim: 4 dim: 4 }
    layer { name: "prelu" type: "PReLU" bottom: "data" top: "out"
            blobs { shape { dim: 2 } data: 0.25 data: 0.25 } }
    ```

    ## Fix
    Give the written blobs the layer's shapes (`prototxt-lint shapes` prints the input), or
    drop them and load trained weights from a `.caffemodel` (`--weights`).
    """
    yield from _failures(ctx, "blobs")
