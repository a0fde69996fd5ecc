"""RNN, LSTM and LSTMUnit: the input shapes ``RecurrentLayer::LayerSetUp`` / ``Reshape``
(``src/caffe/layers/recurrent_layer.cpp``) and ``LSTMUnitLayer::Reshape``
(``src/caffe/layers/lstm_unit_layer.cpp``) check, and their tops."""

from __future__ import annotations

from prototxt_lint.caffe.recurrent import RECURRENT_STATES, recurrent_counts
from prototxt_lint.shapes.blobs import Shape, shape_string
from prototxt_lint.shapes.env import Env


def _fail(env: Env, i: int, what: str, check: str, hint: str) -> None:
    layer = env.layer
    env.fail("recurrent-input", layer.bottom_path(i),
             f"{layer.type} layer '{layer.name}': {what}: Caffe aborts while setting the net up"
             f' with "Check failed: {check}"', hint)


def _known(*dims: int | None) -> bool:
    return all(d is not None for d in dims)


def _recurrent_inputs(env: Env, n_out: int) -> bool:
    """``RecurrentLayer::LayerSetUp``'s checks of x (T, N, ...), cont (T, N) and x_static
    (N, ...), then ``Reshape``'s of the exposed hidden states (1, N, num_output); False
    when one certainly fails (recorded, kind ``recurrent-input``)."""
    layer, b = env.layer, env.bottoms
    x, cont = b[0], b[1]
    names = layer.bottoms
    if x is not None and len(x) < 2:
        _fail(env, 0, f"the input `{names[0]}` ({len(x)} axis) is not (T, N, ...)",
              f"bottom[0]->num_axes() >= 2 ({len(x)} vs. 2) bottom[0] must have at least 2"
              " axes -- (#timesteps, #streams, ...)",
              "give the input as (timesteps, streams, ...)")
        return False
    if cont is not None and len(cont) != 2:
        _fail(env, 1, f"the continuation flags `{names[1]}` ({len(cont)} axes) are not (T, N)",
              f"bottom[1]->num_axes() == 2 ({len(cont)} vs. 2) bottom[1] must have exactly 2"
              " axes -- (#timesteps, #streams)",
              "give the flags as (timesteps, streams): 0 where a sequence starts, else 1")
        return False
    if x is not None and cont is not None:
        for axis, var, word in ((0, "T_", "timesteps"), (1, "N_", "streams")):
            if _known(x[axis], cont[axis]) and x[axis] != cont[axis]:
                _fail(env, 1, f"`{names[1]}` has {cont[axis]} {word}, the input"
                      f" `{names[0]}` {x[axis]}",
                      f"{var} == bottom[1]->shape({axis}) ({x[axis]} vs. {cont[axis]})",
                      "give the flags the input's first two dims (timesteps, streams)")
                return False
    states = RECURRENT_STATES[layer.type]
    param = env.p("recurrent_param")
    exposed = states if param.expose_hidden else 0
    static = len(b) > 2 + exposed
    n = x[1] if x is not None else None
    if static and b[2] is not None:
        xs = b[2]
        if not xs:
            _fail(env, 2, f"the static input `{names[2]}` is a scalar",
                  "bottom[2]->num_axes() >= 1 (0 vs. 1)", "give the static input as (N, ...)")
            return False
        if _known(n, xs[0]) and n != xs[0]:
            _fail(env, 2, f"the static input `{names[2]}` has {xs[0]} streams, the input"
                  f" `{names[0]}` {n}", f"N_ == bottom[2]->shape(0) ({n} vs. {xs[0]})",
                  "give the static input one row per stream: (N, ...)")
            return False
    if n_out <= 0:
        return False  # N321: FillUnrolledNet checks num_output next
    for j in range(exposed):
        i = 2 + int(static) + j
        have = b[i]
        want: Shape = (1, n, n_out)
        if have is None or not _known(*want) or not _known(*have) or have == want:
            continue
        _fail(env, i, f"the hidden state `{names[i]}` is not (1, N, num_output)",
              f"recur_input_blobs_[j]->shape() == bottom[i]->shape() shape mismatch -"
              f" recur_input_blobs_[{j}]: {shape_string(want)} vs. bottom[{i}]:"
              f" {shape_string(have)}",
              f"give each exposed hidden state the shape 1 x {n} x {n_out}")
        return False
    return True


def recurrent(env: Env) -> list[Shape | None]:
    """``RecurrentLayer::Reshape``: the output is (T, N, num_output), and with
    ``expose_hidden`` each last hidden state (1, N, num_output)."""
    counts = recurrent_counts(env.layer)
    bottom = env.bottoms[0] if env.bottoms else None
    n = env.p("recurrent_param").num_output
    layer = env.layer
    if counts is None or not counts["MinBottomBlobs"] <= len(layer.bottoms) <= counts[
            "MaxBottomBlobs"] or len(layer.tops) != counts["ExactNumTopBlobs"]:
        return env.unknown("blob counts rejected by Caffe")  # N314
    if not _recurrent_inputs(env, n):
        return env.unknown("inputs rejected by Caffe")
    if bottom is None or n <= 0:
        return env.unknown("input shape unknown")
    state: Shape = (1, bottom[1], n)
    return [(bottom[0], bottom[1], n)] + [state] * (len(layer.tops) - 1)


def lstm_unit(env: Env) -> list[Shape | None]:
    """``LSTMUnitLayer::Reshape``: the previous cell c (1, N, D), the gate inputs x (1, N, 4D)
    and the flags cont (1, N); both tops (c, h) are shaped like c."""
    b = env.bottoms
    if len(b) != 3:
        return env.unknown("blob counts rejected by Caffe")  # N314
    c = b[0]
    if c is None or len(c) < 2:
        return env.unknown("input shape unknown")  # shape(1) of fewer axes: N410's kind
    num = c[1]
    names = env.layer.bottoms
    for i, shape in enumerate(b):
        if shape is None:
            continue
        rank = 2 if i == 2 else 3
        what = ("the flags" if i == 2 else "the cell state" if i == 0 else "the gate input")
        form = "(1, N)" if i == 2 else "(1, N, D)" if i == 0 else "(1, N, 4*D)"
        if len(shape) != rank:
            verb = "are" if i == 2 else "is"
            _fail(env, i, f"{what} `{names[i]}` ({len(shape)} axes) {verb} not {form}",
                  f"{rank} == bottom[i]->num_axes() ({rank} vs. {len(shape)})",
                  f"give {what} the shape {form} (one timestep)")
            return env.unknown("inputs rejected by Caffe")
        if shape[0] is not None and shape[0] != 1:
            _fail(env, i, f"{what} `{names[i]}` {'have' if i == 2 else 'has'} {shape[0]}"
                  " timesteps, not 1",
                  f"1 == bottom[i]->shape(0) (1 vs. {shape[0]})",
                  "LSTMUnit computes one timestep: give it (1, N, ...) slices")
            return env.unknown("inputs rejected by Caffe")
        if _known(num, shape[1]) and num != shape[1]:
            _fail(env, i, f"{what} `{names[i]}` {'have' if i == 2 else 'has'} {shape[1]}"
                  f" streams, the cell state {num}",
                  f"num_instances == bottom[i]->shape(1) ({num} vs. {shape[1]})",
                  "give all three inputs the same number of streams N")
            return env.unknown("inputs rejected by Caffe")
    x = b[1]
    hidden = c[2] if len(c) > 2 else None
    gates = x[2] if x is not None and len(x) > 2 else None
    if hidden is not None and gates is not None and 4 * hidden != gates:
        _fail(env, 1, f"the gate input `{names[1]}` has {gates} values per stream, not 4 x"
              f" {hidden}", f"4 * hidden_dim_ == bottom[1]->shape(2) ({4 * hidden} vs. {gates})",
              f"give the gate input 4 x {hidden} = {4 * hidden} values (input, forget, output"
              " gates and the candidate)")
        return env.unknown("inputs rejected by Caffe")
    return [c, c] + [None] * (len(env.layer.tops) - 2)
