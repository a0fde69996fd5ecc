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
    own count checks."""
    layer = env.layer
    pred = env.bottoms[0] if env.bottoms else None
    label = env.bottoms[1] if len(env.bottoms) > 1 else None
    tops: list[Shape | None] = [()]
    if layer.type == "SoftmaxWithLoss" and len(layer.tops) > 1:
        tops.append(pred)
    tops += [None] * (len(layer.tops) - len(tops))
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

