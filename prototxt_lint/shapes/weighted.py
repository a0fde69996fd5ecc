"""Layers with weights whose shape follows from their bottoms: InnerProduct, Embed, Parameter,
RNN/LSTM (``LayerSetUp`` shapes ``blobs_[0]``, which the filler rules read)."""

from __future__ import annotations

from prototxt_lint.shapes.blobs import Shape, blob_dims, count_of
from prototxt_lint.shapes.env import Env


def inner_product(env: Env) -> list[Shape | None]:
    """``InnerProductLayer::LayerSetUp`` / ``Reshape``: the dims from ``axis`` on are
    flattened into K; the top is ``bottom.shape[:axis] + [num_output]``."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("inner_product_param")
    if bottom is None:
        return env.unknown("input shape unknown")
    axis = env.axis("inner_product_param", "axis", bottom)
    if axis is None or p.num_output <= 0:
        return env.unknown("inner_product_param rejected by Caffe")
    k = count_of(bottom, axis)
    env.out.weight = (k, p.num_output) if p.transpose else (p.num_output, k)
    return env.all_tops((*bottom[:axis], p.num_output))


def embed(env: Env) -> list[Shape | None]:
    """``EmbedLayer::Reshape``: the bottom's shape with ``num_output`` appended."""
    bottom = env.bottoms[0] if env.bottoms else None
    p = env.p("embed_param")
    if bottom is None or p.num_output <= 0:
        return env.unknown("input shape unknown")
    env.out.weight = (p.input_dim, p.num_output)
    return env.all_tops((*bottom, p.num_output))


def parameter(env: Env) -> list[Shape | None]:
    """``ParameterLayer::LayerSetUp``: the top is the parameter blob of ``shape``."""
    return env.all_tops(blob_dims(env.p("parameter_param").shape))


def recurrent(env: Env) -> list[Shape | None]:
    """``RecurrentLayer::Reshape``: the output is (T, N, num_output)."""
    bottom = env.bottoms[0] if env.bottoms else None
    n = env.p("recurrent_param").num_output
    if bottom is None or len(bottom) < 2 or n <= 0:
        return env.unknown("input shape unknown")
    return [(bottom[0], bottom[1], n)] + [None] * (len(env.layer.tops) - 1)

