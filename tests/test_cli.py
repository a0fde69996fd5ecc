"""The command line: output format, options, config, suppressions, solver linking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, REPO, brief, lint_files, lint_text

from prototxt_lint.cli.command import lint_command, want_colour

SEED_SOLVER = FIXTURES / "lr_policy/bad_poly_no_max_iter.prototxt"
PROJECT = FIXTURES / "project"


def run(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> tuple[int, str]:
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(lint_command, list(args), input=stdin, color=True)
    finally:
        os.chdir(old)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_text_output_with_snippet_caret_hint_and_summary() -> None:
    code, out = run("--no-color", "--select", "S", str(SEED_SOLVER))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        f'{SEED_SOLVER}:4:1: S101 `lr_policy: "poly"` without `max_iter` (it defaults to 0):'
        ' Caffe runs zero training iterations and exits 0 ("Optimization Done."), so nothing'
        " is trained; the poly rate base_lr * (1 - iter/max_iter)^power is 0/0 = nan at"
        " iteration 0 [error]"
    )
    assert lines[1] == ' 4 | lr_policy: "poly"'
    assert lines[2] == "   | ^^^^^^^^^^^^^^^^^"
    assert lines[3].startswith("   = hint: add `max_iter: N`")
    assert lines[-1] == "Found 1 problem (1 error, 0 warnings, 0 info) in 1 file."


def test_json_output() -> None:
    code, out = run("--format", "json", "--select", "S101", str(SEED_SOLVER))
    assert code == 1
    data = json.loads(out)
    (finding,) = data["findings"]
    assert set(finding) == {
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "name",
        "severity",
        "message",
        "hint",
        "phase",
        "related",
        "fix",
    }
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (
        4,
        1,
        4,
        18,
    )
    assert (finding["code"], finding["name"], finding["severity"]) == (
        "S101",
        "poly-without-max-iter",
        "error",
    )
    assert data["summary"] == {"files": 1, "error": 1, "warning": 0, "info": 0}


def test_colour_only_when_asked_and_no_color_honoured() -> None:
    _, out = run("--color", "--select", "S101", str(SEED_SOLVER))
    assert "\x1b[" in out
    _, out = run("--select", "S101", str(SEED_SOLVER))  # not a terminal
    assert "\x1b[" not in out
    assert want_colour(None, True, {}) is True
    assert want_colour(None, True, {"NO_COLOR": "1"}) is False
    assert want_colour(None, False, {}) is False
    assert want_colour(True, False, {"NO_COLOR": "1"}) is True


def test_select_ignore_and_fail_on() -> None:
    code, out = run("--no-color", "--ignore", "S101,X002", str(SEED_SOLVER))
    assert code == 0 and out.strip() == "No problems found in 1 file."
    code, _ = run("--no-color", "--fail-on", "error", "--select", "X002", str(SEED_SOLVER))
    assert code == 0  # only an info finding
    code, _ = run("--no-color", "--fail-on", "info", "--select", "X002", str(SEED_SOLVER))
    assert code == 1


def test_explain_and_list_rules() -> None:
    code, out = run("--explain", "S101")
    assert code == 0
    assert out.startswith("S101 poly-without-max-iter (error)")
    assert "## Why is this bad?" in out and "sgd_solver.cpp" in out
    code, out = run("--list-rules")
    assert code == 0
    assert any(line.startswith("S101  poly-without-max-iter") for line in out.splitlines())
    code, out = run("--explain", "Z999")
    assert code == 2 and "no rule 'Z999'" in out


def test_usage_errors_exit_2() -> None:
    assert run()[0] == 2
    assert run("--format", "xml", "x")[0] == 2


def test_stdin_with_filename() -> None:
    text = Path(SEED_SOLVER).read_bytes()
    code, out = run(
        "--no-color", "--select", "S101", "--stdin-filename", "solver.prototxt", "-", stdin=text
    )
    assert code == 1
    assert out.startswith("solver.prototxt:4:1: S101 ")


def test_solver_links_its_net_from_project_root() -> None:
    _, out = run("--no-color", "models/lenet/solver.prototxt", cwd=PROJECT)
    assert "X002" not in out
    assert "in 2 files" in out  # the net was linted with the solver


def test_solver_links_its_net_from_elsewhere() -> None:
    # the solver's ancestors are tried, so linting from another directory finds the net too
    findings = lint_files(PROJECT / "models/lenet/solver.prototxt")
    assert "X002" not in [f.code for f in findings]


def test_net_not_found_is_info_and_solver_linted_alone() -> None:
    findings = lint_files(SEED_SOLVER)
    assert ("X002", 2, 1) in brief(findings)
    (note,) = [f for f in findings if f.code == "X002"]
    assert note.message == (
        'net file "does/not/exist.prototxt" not found (looked in the working directory, the'
        " solver's folder and its parents); the solver is linted alone"
    )
    assert note.severity.label == "info"


def test_absolute_net_path_not_found(tmp_path: Path) -> None:
    solver = tmp_path / "solver.prototxt"
    solver.write_text('net: "/SegNet/Models/train.prototxt"\nbase_lr: 0.1\nlr_policy: "fixed"\n'
                      "max_iter: 10\n")
    (note,) = [f for f in lint_files(solver) if f.code == "X002"]
    assert note.message == (
        'net file "/SegNet/Models/train.prototxt" not found (an absolute path that does not'
        " exist on this machine); the solver is linted alone"
    )


def test_a_missing_test_net_names_the_nets_the_solver_is_linted_with(tmp_path: Path) -> None:
    (tmp_path / "train.prototxt").write_text('name: "n"\nlayer { name: "x" type: "ReLU" }\n')
    solver = tmp_path / "solver.prototxt"
    solver.write_text('train_net: "train.prototxt"\ntest_net: "gone.prototxt"\ntest_iter: 1\n'
                      'test_interval: 10\nbase_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 10\n')
    (note,) = [f for f in lint_files(solver) if f.code == "X002"]
    assert (note.line, note.message) == (2, 'net file "gone.prototxt" not found (looked in the'
                                         " working directory, the solver's folder and its"
                                         " parents); the solver is linted with train.prototxt"
                                         " only")


def test_a_net_found_far_away_is_shown_with_its_absolute_path(tmp_path: Path) -> None:
    (tmp_path / "net.prototxt").write_text('name: "n"\nlayer { name: "x" type: "ReLU" }\n')
    (tmp_path / "solver.prototxt").write_text('net: "net.prototxt"\nbase_lr: 0.1\n'
                                              'lr_policy: "fixed"\nmax_iter: 10\n')
    _, out = run("--no-color", "--output-format", "json", str(tmp_path / "solver.prototxt"),
                 cwd=REPO)
    files = {entry["file"] for entry in json.loads(out)["files"]}
    assert str(tmp_path / "net.prototxt") in files


def test_directory_recursion_and_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.prototxt").write_text('base_lr: 0.1\nlr_policy: "fixed"\n')
    (tmp_path / "a.pbtxt").write_text('base_lr: 0.1\nlr_policy: "fixed"\n')
    (tmp_path / "notes.txt").write_text("not linted")
    _, out = run("--no-color", "--select", "S102", str(tmp_path))
    files = [line.split(":")[0] for line in out.splitlines() if ": S102 " in line]
    assert files == [str(tmp_path / "a.pbtxt"), str(tmp_path / "b" / "z.prototxt")]


def test_config_in_pyproject_found_upward(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prototxt-lint]\nignore = ["S102"]\n')
    (tmp_path / "sub").mkdir()
    solver = tmp_path / "sub" / "solver.prototxt"
    solver.write_text('base_lr: 0.1\nlr_policy: "fixed"\n')
    code, out = run("--no-color", str(solver))
    assert code == 0, out


def test_dot_config_file_and_fail_on(tmp_path: Path) -> None:
    (tmp_path / ".prototxt-lint.toml").write_text('fail-on = "error"\nselect = ["S107"]\n')
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.1\nlr_policy: "poly"\nmax_iter: 10\n')
    code, out = run("--no-color", str(solver))
    assert "S107" in out and code == 0  # a warning, below fail-on = error


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".prototxt-lint.toml").write_text("selct = []\n")
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 1\n')
    code, out = run(str(solver))
    assert code == 2
    assert "unknown key(s) selct" in out


def test_suppression_end_of_line_and_line_before() -> None:
    text = (
        "base_lr: 0.1\n"
        'lr_policy: "poly"  # prototxt-lint: disable=S101\n'
        "# prototxt-lint: disable=S107\n"
        "max_iter: 0\n"
    )
    # S101 on line 2 is suppressed; S107 is on line 2 as well, so the line-4 comment is unused
    findings = lint_text(text, name="s.prototxt")
    assert brief(findings) == [("S107", 2, 1), ("X001", 3, 1)]
    assert findings[1].message == "unused suppression: no S107 finding on line 4"


def test_suppression_disable_file_and_by_name() -> None:
    text = (
        "# prototxt-lint: disable-file=poly-without-max-iter,S107\n"
        'base_lr: 0.1\nlr_policy: "poly"\n'
    )
    assert lint_text(text, name="s.prototxt") == []


def test_python_dash_m() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "--select", "S101", "--no-color", str(SEED_SOLVER)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 1
    assert ":4:1: S101 " in proc.stdout


@pytest.mark.parametrize("name", ["lsp", "shapes", "lr-schedule"])
def test_subcommands_dispatch(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", name, "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"Usage: prototxt-lint {name} ")


def test_snippet_of_a_long_line_is_a_window_around_the_column(tmp_path: Path) -> None:
    target = tmp_path / "long.prototxt"
    target.write_text('input: "x" ' + "layer { name: 'a' } " * 5000 + "bogus: 1\n")
    _, out = run("--no-color", "--select", "P002", str(target))
    snippet, caret = out.splitlines()[1:3]
    assert len(snippet) < 140 and snippet.endswith("bogus: 1")
    assert caret.index("^") == snippet.index("bogus")


def test_plain_run_skips_click_and_matches_the_click_path() -> None:
    target = str(FIXTURES / "lr_policy" / "bad_step.prototxt")
    probe = (
        "import sys\nfrom prototxt_lint.cli.entry import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
        "    print('exit', exc.code, 'click' in sys.modules)\n"
    )
    fast = subprocess.run(
        [sys.executable, "-c", probe, "--no-color", target],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    slow = subprocess.run(
        [sys.executable, "-c", probe, "--no-color", "--jobs", "1", target],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert fast.stdout.endswith("exit 1 False\n")  # plain run: click never imported
    assert slow.stdout.endswith("exit 1 True\n")
    assert fast.stdout.rsplit("exit", 1)[0] == slow.stdout.rsplit("exit", 1)[0]
    assert ": S103 " in fast.stdout


def test_plain_run_setup_error_exits_2(tmp_path: Path) -> None:
    (tmp_path / ".prototxt-lint.toml").write_text("nonsense = 1\n")
    (tmp_path / "s.prototxt").write_text('base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 1\n')
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", str(tmp_path / "s.prototxt")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: configuration error:")
    assert "Traceback" not in proc.stderr
