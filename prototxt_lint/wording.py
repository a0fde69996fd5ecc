"""Words that several rules' messages share, so that they read the same everywhere."""

from __future__ import annotations

from prototxt_lint.model import DEPLOY


def phase_words(names: list[str]) -> str:
    """``the TRAIN and TEST nets``, ``the deploy net``: the nets a finding is about."""
    if names == [DEPLOY]:
        return "the deploy net"
    return f"the {' and '.join(names)} net{'s' if len(names) > 1 else ''}"
