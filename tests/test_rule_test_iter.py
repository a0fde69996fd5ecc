"""S110: `test_iter` / `test_state` counts checked as Solver::InitTestNets does."""

from __future__ import annotations

import pytest
from conftest import brief, lint_fixture, lint_text

SELECT = ("S110",)
ITER = "test_iter must be specified for each test network."
STATE = "test_state must be unspecified or specified once per test net."


def test_train_net_with_test_iter() -> None:
    (f,) = lint_fixture("test_iter/bad_train_net_only.prototxt", select=SELECT)
    assert (f.code, f.line, f.column, f.end_column) == ("S110", 2, 1, 15)
    assert f.name == "test-iter-count"
    assert f.severity.label == "error"
    assert f.message == (
        "1 `test_iter` entry for no test net (no `test_net` or `test_net_param`): Caffe"
        " aborts at start-up with \"Check failed: param_.test_iter_size() == num_test_nets"
        f' (1 vs. 0) {ITER}"'
    )
    assert f.hint.startswith('add `test_net: "val.prototxt"` for the net to test')


def test_too_few_test_iter() -> None:
    (f,) = lint_fixture("test_iter/bad_missing_iter.prototxt", select=SELECT)
    assert brief([f]) == [("S110", 4, 1)]
    assert f.message == (
        "1 `test_iter` entry for 2 test nets (`test_net`): Caffe aborts at start-up with"
        f' "Check failed: param_.test_iter_size() == num_test_nets (1 vs. 2) {ITER}"'
    )


def test_no_test_iter_points_at_test_net() -> None:
    (f,) = lint_fixture("test_iter/bad_no_iter.prototxt", select=SELECT)
    assert brief([f]) == [("S110", 2, 1)]
    assert f.message.startswith("0 `test_iter` entries for 1 test net (`test_net`):")
    assert "(0 vs. 1)" in f.message


def test_generic_net_uses_check_ge() -> None:
    (f,) = lint_fixture("test_iter/bad_generic_too_few.prototxt", select=SELECT)
    assert brief([f]) == [("S110", 4, 1)]
    assert f.message == (
        "1 `test_iter` entry for 2 test nets (`test_net`): Caffe aborts at start-up with"
        f' "Check failed: param_.test_iter_size() >= num_test_nets (1 vs. 2) {ITER}"'
    )


def test_test_state_count() -> None:
    (f,) = lint_fixture("test_iter/bad_test_state.prototxt", select=SELECT)
    assert (f.code, f.line, f.column) == ("S110", 2, 1)
    assert f.message == (
        "1 `test_state` for 2 test nets (one per `test_iter`): Caffe aborts at start-up with"
        ' "Check failed: param_.test_state_size() == num_test_net_instances (1 vs. 2)'
        f' {STATE}"'
    )
    assert f.hint == "give one `test_state` per `test_iter`, in the same order, or none"


@pytest.mark.parametrize("name", ["good_two_states", "good_train_test", "good_generic_extra"])
def test_good(name: str) -> None:
    assert lint_fixture(f"test_iter/{name}.prototxt", select=SELECT) == []


def test_embedded_test_net_params() -> None:
    text = """
train_net_param { name: "t" }
test_net_param { name: "a" }
test_net_param { name: "b" }
test_iter: 10
test_iter: 10
test_iter: 10
"""
    (f,) = lint_text(text, name="s.prototxt", select=SELECT)
    assert brief([f]) == [("S110", 5, 1)]
    assert f.message.startswith("3 `test_iter` entries for 2 test nets (`test_net_param`):")
    assert "(3 vs. 2)" in f.message


def test_generic_net_without_test_iter_is_fine() -> None:
    assert lint_text('net: "n.prototxt"\n', name="s.prototxt", select=SELECT) == []
