"""`make demo` lints examples/: each seed problem is reported at the right line and column."""

from __future__ import annotations

import pytest
from conftest import REPO, brief, lint_files

EXAMPLES = REPO / "examples"

EXPECTED = {
    "poly_solver.prototxt": [("S101", 4, 1)],
    "pooling_stride.prototxt": [("N201", 5, 35)],
    "batchnorm_train.prototxt": [("N252", 9, 16), ("N211", 23, 22)],
    "mixed_syntax.prototxt": [("N221", 14, 1)],
    "no_input_scale.prototxt": [("N231", 3, 1), ("N252", 9, 16)],
    "infogain_softmax.prototxt": [("N241", 18, 3), ("N243", 22, 16)],
    "unshuffled_imagedata.prototxt": [("N251", 10, 3)],
    # 'label' is missing in TEST for the loss and the Accuracy: one cause, one finding
    "unknown_bottom.prototxt": [("N252", 10, 16), ("N261", 27, 59)],
}


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.prototxt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_findings(name: str) -> None:
    assert brief(lint_files(EXAMPLES / name)) == EXPECTED[name]
