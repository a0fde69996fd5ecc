"""Recurrent layer facts (LSTM, RNN): the hidden-state blobs each carries from one timestep
to the next, and the blob counts ``RecurrentLayer`` computes from ``recurrent_param``.

``RecurrentLayer::MinBottomBlobs`` / ``MaxBottomBlobs`` / ``ExactNumTopBlobs``
(``include/caffe/layers/recurrent_layer.hpp``): the input x and the continuation flags
cont, plus one bottom and one top per hidden state with ``expose_hidden``, and an optional
static input x_static. ``RecurrentInputShapes`` (``src/caffe/layers/lstm_layer.cpp``,
``rnn_layer.cpp``): each state is (1, N, num_output).
"""

from __future__ import annotations

from prototxt_lint.model import LayerView

#: ``RecurrentInputBlobNames``: LSTM has h_0 and c_0, RNN h_0.
RECURRENT_STATES = {"LSTM": 2, "RNN": 1}


def recurrent_counts(layer: LayerView) -> dict[str, int] | None:
    """The counts ``Layer::CheckBlobCounts`` checks for an LSTM or RNN layer (None for
    other types), in the form of ``prototxt_lint.caffe.blob_counts.BLOB_COUNTS``."""
    states = RECURRENT_STATES.get(layer.type)
    if states is None:
        return None
    param = layer.param("recurrent_param")
    # an older fork's RecurrentParameter may lack the field: no hidden state exposed then
    exposed = states if param is not None and getattr(param, "expose_hidden", False) else 0
    return {"MinBottomBlobs": 2 + exposed, "MaxBottomBlobs": 3 + exposed,
            "ExactNumTopBlobs": 1 + exposed}
