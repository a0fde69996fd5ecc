"""Record: the value semantics the engine relies on (findings are compared, hashed, sorted
and copied with a fix attached), and that every Record can be rebuilt from its fields."""

from __future__ import annotations

import inspect
import pickle

import pytest

from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Finding, Severity
from prototxt_lint.plugin import Edit, Fix
from prototxt_lint.records import Record


def _finding(**changes: object) -> Finding:
    base = Finding("net.prototxt", 3, 5, 3, 9, "N201", "pooling-stride", Severity.WARNING,
                   "stride 3 > kernel 2")
    return base.replace(**changes)


def test_equality_and_hash_follow_the_fields() -> None:
    assert _finding() == _finding()
    assert hash(_finding()) == hash(_finding())
    assert _finding() != _finding(line=4)
    assert len({_finding(), _finding(), _finding(column=6)}) == 2


def test_replace_copies_and_leaves_the_original() -> None:
    fix = Fix("set stride to 2", (Edit(10, 11, "2"),))
    original = _finding()
    fixed = original.replace(fix=fix)
    assert fixed.fix == fix and original.fix is None
    assert fixed.replace(fix=None) == original


def test_different_record_types_are_never_equal() -> None:
    assert Edit(1, 2, "x") != Fix("x", ())
    assert Edit(1, 2, "x") != (1, 2, "x")


def test_repr_names_every_field() -> None:
    assert repr(Edit(1, 2, "x")) == "Edit(end=2, new_text='x', start=1)"


def test_records_survive_the_trip_to_a_worker_process() -> None:
    finding = _finding(fix=Fix("t", (Edit(0, 1, ""),)), phases=("TRAIN",))
    assert pickle.loads(pickle.dumps(finding)) == finding


def _record_classes() -> list[type[Record]]:
    load_rules()  # imports every rule module
    found: list[type[Record]] = []
    todo = list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", _record_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_record_takes_its_fields_as_arguments(cls: type[Record]) -> None:
    """``replace`` and ``pickle`` rebuild a record from its slots: ``__init__`` must take
    exactly those names."""
    params = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert params == set(cls.__slots__)
