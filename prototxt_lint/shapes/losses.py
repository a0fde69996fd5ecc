"""Loss and Accuracy layers: ``LossLayer::Reshape`` and each loss's own, the label-count
checks, ``AccuracyLayer::Reshape``."""

from __future__ import annotations

from prototxt_lint.shapes.blobs import Shape, count_of, format_shape
from prototxt_lint.shapes.env import Env


def loss(env: Env) -> list[Shape | None]:
    """``LossLayer::Reshape`` (``src/caffe/layers/loss_layer.cpp``): data and label share
    their first dimension; the loss is a scalar (0 axes). ``SoftmaxWithLossLayer::Reshape``,
    ``InfogainLossLayer::Reshape`` (Caffe 1.0's, with an ``axis``),
    ``EuclideanLossLayer::Reshape`` and ``SigmoidCrossEntropyLossLayer::Reshape`` add their
    own count checks; ``ContrastiveLossLayer::LayerSetUp`` and
    ``MultinomialLogisticLossLayer::Reshape`` want flat inputs."""
    layer = env.layer
    pred = env.bottoms[0] if env.bottoms else None
    label = env.bottoms[1] if len(env.bottoms) > 1 else None
    tops: list[Shape | None] = [()]
    if layer.type == "SoftmaxWithLoss" and len(layer.tops) > 1:
        tops.append(pred)
    tops += [None] * (len(layer.tops) - len(tops))
    if layer.type == "ContrastiveLoss" and not _flat_inputs(env, _CONTRASTIVE):
        return tops[: len(layer.tops)]  # ContrastiveLossLayer::LayerSetUp, before Reshape
    if pred is None or label is None or not pred or not label:
        return tops[: len(layer.tops)]
    at = layer.bottom_path(1)
    names = f"`{layer.bottoms[0]}` ({format_shape(pred)}) and `{layer.bottoms[1]}`" \
        f" ({format_shape(label)})"
    if pred[0] is not None and label[0] is not None and pred[0] != label[0]:
        env.fail(
            "label-count",
            at,
            f"`{layer.name}` gets {names} with different first (batch) dimensions: Caffe"
            " aborts while setting the net up with \"Check failed: bottom[0]->shape(0) =="
            f" bottom[1]->shape(0) ({pred[0]} vs. {label[0]}) The data and label should have"
            ' the same first dimension."',
            "feed the prediction and the label of the same batch",
        )
        return tops[: len(layer.tops)]
    if layer.type == "SoftmaxWithLoss":
        axis = env.axis("softmax_param", "axis", pred)
        if axis is not None:
            _label_count(env, pred, label, axis, "softmax", "outer_num_ * inner_num_")
    elif layer.type == "InfogainLoss" and env.has("InfogainLossParameter", "axis"):
        axis = env.axis("infogain_loss_param", "axis", pred)
        if axis is not None:
            _label_count(env, pred, label, axis, "infogain", "outer_num_ * inner_num_")
    elif layer.type == "EuclideanLoss":
        a, b = count_of(pred, 1), count_of(label, 1)
        if a is not None and b is not None and a != b:
            env.fail(
                "label-count",
                at,
                f"`{layer.name}` compares {names}, which have different sizes per sample ({a}"
                f" vs. {b}): Caffe aborts while setting the net up with \"Check failed:"
                f' bottom[0]->count(1) == bottom[1]->count(1) ({a} vs. {b}) Inputs must have'
                ' the same dimension."',
                "give the prediction as many outputs per sample as the target has values",
            )
    elif layer.type == "MultinomialLogisticLoss":
        _flat_inputs(env, _MULTINOMIAL)
    elif layer.type == "SigmoidCrossEntropyLoss":
        a, b = count_of(pred), count_of(label)
        if a is not None and b is not None and a != b:
            env.fail(
                "label-count",
                at,
                f"`{layer.name}` gets {names}, which have different counts ({a} vs. {b}):"
                " Caffe aborts while setting the net up with \"Check failed:"
                f" bottom[0]->count() == bottom[1]->count() ({a} vs. {b})"
                ' SIGMOID_CROSS_ENTROPY_LOSS layer inputs must have the same count."',
                "give the prediction one output per target value",
            )
    return tops[: len(layer.tops)]


#: (bottom, legacy axis, what it must equal: "1" or the same axis of another bottom) in the
#: order of ``ContrastiveLossLayer::LayerSetUp`` (``src/caffe/layers/
#: contrastive_loss_layer.cpp``).
_CONTRASTIVE = ((0, 1, 1), (0, 2, None), (0, 3, None), (1, 2, None), (1, 3, None),
                (2, 1, None), (2, 2, None), (2, 3, None))
#: ``MultinomialLogisticLossLayer::Reshape``: the label is (N, 1, 1, 1).
_MULTINOMIAL = ((1, 1, None), (1, 2, None), (1, 3, None))
_LEGACY = ("num", "channels", "height", "width")


def _legacy(shape: Shape, axis: int) -> int | None:
    """``Blob::LegacyShape``: the dim, or 1 past the blob's axes."""
    return shape[axis] if axis < len(shape) else 1


def _flat_inputs(env: Env, checks: tuple[tuple[int, int, int | None], ...]) -> bool:
    """The ``CHECK_EQ``s on legacy dims (``channels()``, ``height()``, ``width()``) that
    ContrastiveLoss and MultinomialLogisticLoss make; the first that certainly fails is
    recorded (kind ``loss-input``). Checks on unknown dims are passed over (they may fail
    first: either way Caffe aborts). A blob of more than 4 axes fails ``LegacyShape``
    itself: not judged."""
    layer = env.layer
    for i, axis, other in checks:
        shape = env.bottoms[i] if i < len(env.bottoms) else None
        if shape is None or len(shape) > 4:
            continue
        have = _legacy(shape, axis)
        if other is None:
            want: int | None = 1
            rhs = "1"
        else:
            ref = env.bottoms[other] if other < len(env.bottoms) else None
            want = None if ref is None or len(ref) > 4 else _legacy(ref, axis)
            rhs = f"bottom[{other}]->{_LEGACY[axis]}()"
        if have is None or want is None or have == want:
            continue
        if layer.type == "ContrastiveLoss":
            needs = ("two feature blobs of shape (N, C, 1, 1) (or (N, C)) and a similarity"
                     " label of shape (N, 1, 1, 1) (or (N))")
            hint = ("flatten the features to (N, C) (an InnerProduct's output), give both the"
                    " same C, and give one similarity value per pair")
        else:
            needs = "a label of one class index per sample: (N, 1, 1, 1) or (N)"
            hint = ("give the label as class indices (one per sample), not one-hot vectors or"
                    " per-pixel maps")
        if other is None:
            found, at = f"`{layer.bottoms[i]}` is {format_shape(shape)}", layer.bottom_path(i)
        else:
            found = (f"`{layer.bottoms[i]}` ({format_shape(shape)}) and `{layer.bottoms[other]}`"
                     f" ({format_shape(env.bottoms[other])}) differ in C")
            at = layer.bottom_path(other)
        env.fail(
            "loss-input", at,
            f"{layer.type} layer '{layer.name}' needs {needs}, and {found}: Caffe aborts"
            f' while setting the net up with "Check failed: bottom[{i}]->{_LEGACY[axis]}() =='
            f' {rhs} ({have} vs. {want})"', hint)
        return False
    return True


def _label_count(env: Env, pred: Shape, label: Shape, axis: int, word: str,
                 lhs: str) -> bool:
    """The label-count CHECK of ``SoftmaxWithLossLayer::Reshape``,
    ``InfogainLossLayer::Reshape`` and ``AccuracyLayer::Reshape``: ``outer_num_ * inner_num_
    == bottom[1]->count()``."""
    outer, inner, count = count_of(pred, 0, axis), count_of(pred, axis + 1), count_of(label)
    if outer is None or inner is None or count is None or outer * inner == count:
        return True
    layer = env.layer
    env.fail(
        "label-count",
        layer.bottom_path(1),
        f"`{layer.name}` gets {outer * inner} predictions (`{layer.bottoms[0]}`"
        f" {format_shape(pred)}, classes on axis {axis}) but {count} labels (`"
        f"{layer.bottoms[1]}` {format_shape(label)}): Caffe aborts while setting the net"
        f' up with "Check failed: {lhs} == bottom[1]->count() ({outer * inner} vs.'
        f' {count}) Number of labels must match number of predictions; e.g., if {word}'
        " axis == 1 and prediction shape is (N, C, H, W), label count (number of labels)"
        ' must be N*H*W, with integer values in {0, 1, ..., C-1}."',
        "the prediction needs one vector of class scores per label: check num_output and"
        f" the {word} axis, and that the label blob holds one class index per sample",
    )
    return False


def accuracy(env: Env) -> list[Shape | None]:
    """``AccuracyLayer::Reshape``: ``top_k`` at most the classes, one label per prediction;
    the accuracy is a scalar, the optional per-class accuracy a vector."""
    pred = env.bottoms[0] if env.bottoms else None
    label = env.bottoms[1] if len(env.bottoms) > 1 else None
    p = env.p("accuracy_param")
    tops: list[Shape | None] = [()]
    axis = None if pred is None else env.axis("accuracy_param", "axis", pred)
    if len(env.layer.tops) > 1:
        tops.append(None if pred is None or axis is None else (pred[axis],))
    if pred is None or label is None or axis is None:
        return tops
    total, count = count_of(pred), count_of(label)
    if total is not None and count and p.top_k > total // count:
        env.fail(
            "label-count",
            env.layer.bottom_path(1),
            f"`{env.layer.name}` has `top_k: {p.top_k}` but {total // count} predictions per"
            f" label (`{env.layer.bottoms[0]}` {format_shape(pred)}, `{env.layer.bottoms[1]}`"
            f" {format_shape(label)}): Caffe aborts while setting the net up with \"Check"
            f" failed: top_k_ <= bottom[0]->count() / bottom[1]->count() ({p.top_k} vs."
            f' {total // count}) top_k must be less than or equal to the number of classes."',
            "use a top_k no larger than the number of classes, and one label per sample",
        )
        return tops
    _label_count(env, pred, label, axis, "label", "outer_num_ * inner_num_")
    return tops

