"""Unknown rule selectors and configuration keys stop the run (exit 2) with a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from prototxt_lint.cli.command import lint_command
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.engine.selectors import unknown_selector

SOLVER = str(FIXTURES / "lr_policy/bad_poly_no_max_iter.prototxt")
RULES = load_rules()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "S1O1"], "Error: --select: unknown rule code, prefix or name 'S1O1';"
                               " did you mean 'S101'?"),
        (["--select", "poly-without-max-itr"], "Error: --select: unknown rule code, prefix or"
         " name 'poly-without-max-itr'; did you mean 'poly-without-max-iter'?"),
        (["--ignore", "S101,Q9"], "Error: --ignore: unknown rule code, prefix or name 'Q9';"
                                  " see --list-rules"),
        (["--select", "S9"], "Error: --select: unknown rule code, prefix or name 'S9';"
                             " did you mean 'S109'?"),
    ],
)
def test_unknown_selector_on_the_command_line_exits_2(args: list[str], message: str) -> None:
    code, out = run("--no-color", *args, SOLVER)
    assert code == 2
    assert out.splitlines() == [message]


def test_known_selectors_engine_codes_prefixes_names_and_all() -> None:
    for value in ("S1", "S101", "poly-without-max-iter", "P001", "P0", "X002", "X", "ALL",
                  "syntax-error"):
        assert unknown_selector(value, RULES) is None, value
    code, _ = run("--no-color", "--select", "P0,X", "--ignore", "ALL", SOLVER)
    assert code == 0


@pytest.mark.parametrize("key", ["select", "ignore"])
def test_unknown_selector_in_config_exits_2(tmp_path: Path, key: str) -> None:
    config = tmp_path / ".prototxt-lint.toml"
    config.write_text(f'{key} = ["S101", "S1077"]\n')
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 1\n')
    code, out = run(str(solver))
    assert code == 2
    assert out.splitlines() == [
        f"Error: configuration error: {config}: {key}: unknown rule code, prefix or name"
        " 'S1077'; did you mean 'S107'?"
    ]


def test_mistyped_config_key_has_a_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / ".prototxt-lint.toml").write_text('fail_on = "error"\n')
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 1\n')
    code, out = run(str(solver))
    assert code == 2
    (line,) = out.splitlines()
    assert line.startswith(
        f"Error: configuration error: {tmp_path / '.prototxt-lint.toml'}: unknown key(s)"
        " fail_on (did you mean 'fail-on'? known: "
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select = 3\n", "`select` must be a list of rule codes or names"),
        ("max-file-size = true\n", "max-file-size must be a number of MiB"),
        ("proto = 1\n", "proto must be the path of a caffe.proto"),
    ],
)
def test_wrong_value_types_in_config_exit_2(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / ".prototxt-lint.toml"
    config.write_text(text)
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 1\n')
    code, out = run(str(solver))
    assert code == 2
    assert out.splitlines() == [f"Error: configuration error: {config}: {message}"]
