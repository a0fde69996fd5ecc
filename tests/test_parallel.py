"""--jobs: parallel linting gives exactly the serial output, in a stable order."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from conftest import FIXTURES

from prototxt_lint.cli.command import lint_command
from prototxt_lint.engine.linter import Input
from prototxt_lint.engine.parallel import partition


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, ["--no-color", *args])
    return result.exit_code, result.output


def test_parallel_output_identical_to_serial() -> None:
    serial = _run("--jobs", "1", str(FIXTURES))
    parallel = _run("--jobs", "2", str(FIXTURES))
    assert serial == parallel
    assert serial[1].count("\n") > 100


def test_solver_and_its_net_are_linted_together(tmp_path: Path) -> None:
    project = FIXTURES / "project" / "models" / "lenet"
    inputs = [Input(str(project / "train_val.prototxt")), Input(str(FIXTURES / "examples_x")),
              Input(str(project / "solver.prototxt"))]
    groups = partition(inputs)
    assert [[Path(i.path).name for i in g] for g in groups] == [
        ["train_val.prototxt", "solver.prototxt"], ["examples_x"],
    ]
