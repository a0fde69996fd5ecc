"""``json-lines``: one JSON object per finding per line (the ``json`` format's findings),
so that a stream of results can be read line by line."""

from __future__ import annotations

import json
from collections.abc import Sequence

from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported


def render(reports: Sequence[Reported], context: Context) -> str:
    return "".join(json.dumps(f.to_dict()) + "\n" for r in reports for f in r.findings)
