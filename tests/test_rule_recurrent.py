"""LSTM, RNN and LSTMUnit: blob counts from recurrent_param (N314), num_output (N321) and the
input shapes Caffe checks (N413). Caffe's own ``Check failed`` text for each fixture is
compared in tests/test_oracle.py (the fixtures are in tests/fixtures/layer_setup/)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import lint_fixture, lint_text


def _one(name: str) -> Any:
    (f,) = lint_fixture(f"layer_setup/{name}.prototxt", dialect="bvlc")
    return f


@pytest.mark.parametrize(("name", "where", "text"), [
    ("lstm_cont_axes", (10, 3), "LSTM layer 'lstm': the continuation flags `cont` (3 axes)"
     " are not (T, N): Caffe aborts while setting the net up with \"Check failed:"
     " bottom[1]->num_axes() == 2 (3 vs. 2) bottom[1] must have exactly 2 axes --"
     ' (#timesteps, #streams)"'),
    ("lstm_flat_input", (9, 3), "LSTM layer 'lstm': the input `x` (1 axis) is not (T, N, ...):"
     " Caffe aborts while setting the net up with \"Check failed: bottom[0]->num_axes() >= 2"
     ' (1 vs. 2) bottom[0] must have at least 2 axes -- (#timesteps, #streams, ...)"'),
    ("rnn_cont_timesteps", (10, 3), "RNN layer 'rnn': `cont` has 4 timesteps, the input `x`"
     ' 10: Caffe aborts while setting the net up with "Check failed: T_ =='
     ' bottom[1]->shape(0) (10 vs. 4)"'),
    ("lstm_static_streams", (13, 3), "LSTM layer 'lstm': the static input `image` has 2"
     " streams, the input `x` 4: Caffe aborts while setting the net up with \"Check failed:"
     ' N_ == bottom[2]->shape(0) (4 vs. 2)"'),
    ("lstm_hidden_shape", (16, 3), "LSTM layer 'lstm': the hidden state `c0` is not (1, N,"
     " num_output): Caffe aborts while setting the net up with \"Check failed:"
     " recur_input_blobs_[j]->shape() == bottom[i]->shape() shape mismatch -"
     ' recur_input_blobs_[1]: 1 4 16 (64) vs. bottom[3]: 1 4 8 (32)"'),
    ("lstm_unit_gates", (12, 3), "LSTMUnit layer 'unit': the gate input `gates` has 24 values"
     " per stream, not 4 x 8: Caffe aborts while setting the net up with \"Check failed: 4 *"
     ' hidden_dim_ == bottom[1]->shape(2) (32 vs. 24)"'),
    ("lstm_unit_cont_axes", (13, 3), "LSTMUnit layer 'unit': the flags `cont` (3 axes) are"
     " not (1, N): Caffe aborts while setting the net up with \"Check failed: 2 =="
     ' bottom[i]->num_axes() (2 vs. 3)"'),
    ("lstm_unit_timesteps", (12, 3), "LSTMUnit layer 'unit': the gate input `gates` has 3"
     " timesteps, not 1: Caffe aborts while setting the net up with \"Check failed: 1 =="
     ' bottom[i]->shape(0) (1 vs. 3)"'),
    ("lstm_unit_streams", (13, 3), "LSTMUnit layer 'unit': the flags `cont` have 2 streams,"
     " the cell state 4: Caffe aborts while setting the net up with \"Check failed:"
     ' num_instances == bottom[i]->shape(1) (4 vs. 2)"'),
])
def test_recurrent_input_shapes(name: str, where: tuple[int, int], text: str) -> None:
    f = _one(name)
    assert (f.code, f.line, f.column, f.severity.label) == ("N413", *where, "error")
    assert f.message == text


def test_exposed_hidden_states_count_as_bottoms_and_tops() -> None:
    f = _one("lstm_expose_counts")
    assert (f.code, f.line, f.column) == ("N314", 13, 3)
    assert f.message == (
        "layer 'lstm' (LSTM): Caffe aborts at net setup with \"Check failed: MinBottomBlobs()"
        " <= bottom.size() (4 vs. 3) LSTM Layer takes at least 4 bottom blob(s) as input.\"")


def test_recurrent_without_num_output() -> None:
    f = _one("rnn_no_num_output")
    assert (f.code, f.line, f.column) == ("N321", 12, 3)
    assert f.message == (
        "RNN layer 'rnn': `num_output` is missing (it defaults to 0): Caffe aborts with"
        ' "Check failed: num_output > 0 (0 vs. 0) num_output must be positive"')


def test_good_recurrent_layers_are_silent() -> None:
    """A static input, two exposed LSTM states and an LSTMUnit of (1, N, D) slices."""
    assert lint_fixture("layer_setup/good_recurrent.prototxt", dialect="bvlc") == []


def test_a_data_label_is_no_continuation_flags() -> None:
    text = ('layer { name: "d" type: "Data" top: "x" top: "cont"\n'
            '        data_param { source: "db" batch_size: 4 backend: LMDB } }\n'
            'layer { name: "r" type: "RNN" bottom: "x" bottom: "cont" top: "h"\n'
            '        recurrent_param { num_output: 3 } }\n')
    # the label of a Data layer is (batch): one axis, where the flags need two
    (f,) = lint_text(text, select=("N413",), dialect="bvlc")
    assert f.message.endswith('"Check failed: bottom[1]->num_axes() == 2 (1 vs. 2) bottom[1]'
                              ' must have exactly 2 axes -- (#timesteps, #streams)"')
