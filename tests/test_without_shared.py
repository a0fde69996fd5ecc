"""A clone without ../shared (issue 14, item 6): tests that need the corpus, the upstream schema
or the Caffe oracle skip, naming what is missing; CI, which has them all, never skips them.
(The whole claim is checked by running `make test` in such a clone; this checks the marker.)"""

from __future__ import annotations

import pytest
from conftest import needs_shared


def test_needs_shared_skips_outside_ci_naming_the_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    mark = needs_shared("no-such-folder", "x.proto")
    assert mark.args == (True,)
    assert mark.kwargs == {
        "reason": "../shared/no-such-folder/x.proto is not next to this checkout"}


def test_needs_shared_never_skips_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert needs_shared("no-such-folder").args == (False,)
