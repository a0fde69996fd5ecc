"""What a plain ``prototxt-lint NET`` run imports.

Start-up is most of a pre-commit or editor run on one small file (``benchmarks/startup.py``
measures it against a bare parse). These tests keep the heavy imports off that path: each one
below cost milliseconds on every run when it crept in. They assert on modules, not on time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

#: Modules the lint path must not import, with why they stay out.
NOT_ON_LINT_PATH = {
    "click": "the fast path parses `prototxt-lint PATH...` itself",
    "dataclasses": "defining a dataclass costs ~0.5 ms; value objects are Records",
    "pathlib": "~6 ms to import where site has not already (non-editable installs)",
    "importlib.metadata": "entry points are read from entry_points.txt directly",
    "tomllib": "only needed when a config file exists",
    "json": "only for --format json",
    "pygls": "the language server",
    "concurrent.futures": "only for a parallel run of many files",
    "prototxt_lint.cli.command": "the click command",
}

_PROBE = """
import json, sys
before = set(sys.modules)
from prototxt_lint.cli.entry import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "added": sorted(set(sys.modules) - before)}))
"""


def _lint_run(tmp_path: Path, name: str, *args: str) -> tuple[int, set[str]]:
    """Lint a copy of fixture ``name`` in an empty folder (no config file above it)."""
    target = tmp_path / Path(name).name
    target.write_bytes((FIXTURES / name).read_bytes())
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "--no-color", *args, str(target)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    last = proc.stdout.strip().splitlines()[-1]
    result = json.loads(last)
    return result["code"], set(result["added"])


def test_a_net_run_imports_nothing_heavy(tmp_path: Path) -> None:
    code, added = _lint_run(tmp_path, "pooling/bad_seed_stride.prototxt")
    assert code == 1  # the run really linted and found the problem
    assert "prototxt_lint.rules.pooling" in added
    loaded = {name: why for name, why in NOT_ON_LINT_PATH.items() if name in added}
    assert loaded == {}
    # the learning-rate simulator is only for solvers
    assert "prototxt_lint.caffe.lr_schedule" not in added


def test_a_solver_run_loads_the_schedule_simulator(tmp_path: Path) -> None:
    code, added = _lint_run(tmp_path, "lr_policy/bad_poly_no_max_iter.prototxt")
    assert code == 1
    assert "prototxt_lint.caffe.lr_schedule" in added
    assert not {"dataclasses", "click", "pathlib"} & added
