"""Every --output-format, and --output-file, --exit-zero, --statistics, --quiet,
--show-fixes and --diff, with exact output on real fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, REPO

from prototxt_lint.cli.command import lint_command
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Finding, Severity
from prototxt_lint.reporters import REPORTERS
from prototxt_lint.reporters.github import annotation

POLY = "examples/poly_solver.prototxt"
MIXED = "examples/mixed_syntax.prototxt"
CLEAN = "tests/fixtures/project/models/lenet/train_val.prototxt"  # clean under --select S
SOLVER_TYPE = "tests/fixtures/solver_checks/bad_solver_type_enum.prototxt"  # a safe fix
BATCHNORM = "examples/batchnorm_train.prototxt"  # an unsafe fix
SCHEMA = FIXTURES / "sarif" / "sarif-schema-2.1.0.json"

S101 = ('`lr_policy: "poly"` without `max_iter` (it defaults to 0): Caffe runs zero training'
        ' iterations and exits 0 ("Optimization Done."), so nothing is trained; the poly rate'
        " base_lr * (1 - iter/max_iter)^power is 0/0 = nan at iteration 0")
N221 = ("this net mixes 1 `layer` block and 1 `layers` block (the first `layer` block is on"
        " line 7): Caffe aborts when it reads the file with \"Refusing to upgrade inconsistent"
        " NetParameter input; the definition includes both 'layer' and 'layers' fields.\"")
S211 = ('`solver_type: ADAM` is deprecated: Caffe upgrades it to `type: "Adam"` on every load'
        " (UpgradeSolverAsNeeded)")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr), run from the repository root with relative paths."""
    import os

    old = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(lint_command, list(args), env=env)
    finally:
        os.chdir(old)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_concise_is_one_line_per_finding() -> None:
    code, out, _ = run("--output-format", "concise", POLY, MIXED)
    assert code == 1
    assert out.splitlines() == [
        f"{POLY}:4:1: S101 {S101}",
        f"{MIXED}:14:1: N221 {N221}",
        "Found 2 problems (2 errors, 0 warnings, 0 info) in 2 files.",
    ]


def test_github_annotations_exact() -> None:
    code, out, _ = run("--output-format", "github", POLY, MIXED)
    assert code == 1
    assert out.splitlines() == [
        f"::error file={POLY},line=4,col=1,endLine=4,endColumn=18,title=S101::{S101}",
        f"::error file={MIXED},line=14,col=1,endLine=14,endColumn=9,title=N221::{N221}",
    ]


def test_github_levels_and_escaping() -> None:
    finding = Finding("a,b:c%.prototxt", 2, 3, 4, 5, "N252", "database-order",
                      Severity.INFO, "100% sure\nsecond line")
    assert annotation(finding) == (
        "::notice file=a%2Cb%3Ac%25.prototxt,line=2,col=3,endLine=4,endColumn=5,"
        "title=N252::100%25 sure%0Asecond line"
    )


def test_github_is_the_default_under_github_actions_only() -> None:
    _, out, _ = run("--select", "S101", POLY, env={"GITHUB_ACTIONS": "true"})
    assert out.splitlines() == [
        f"::error file={POLY},line=4,col=1,endLine=4,endColumn=18,title=S101::{S101}"]
    _, out, _ = run("--output-format", "text", "--no-color", "--select", "S101", POLY,
                    env={"GITHUB_ACTIONS": "true"})
    assert out.splitlines()[0] == f"{POLY}:4:1: S101 {S101} [error]"
    _, out, _ = run("--no-color", "--select", "S101", POLY, env={"GITHUB_ACTIONS": "false"})
    assert out.splitlines()[0] == f"{POLY}:4:1: S101 {S101} [error]"


def test_json_lines_are_the_json_findings_one_per_line() -> None:
    code, out, _ = run("--output-format", "json-lines", POLY, MIXED)
    assert code == 1
    _, whole, _ = run("--format", "json", POLY, MIXED)  # --format: the old name, an alias
    assert [json.loads(line) for line in out.splitlines()] == json.loads(whole)["findings"]
    assert [json.loads(line)["code"] for line in out.splitlines()] == ["S101", "N221"]


def _sarif_validator():  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_sarif_is_valid_against_the_official_schema() -> None:
    code, out, _ = run("--output-format", "sarif", "examples")
    assert code == 1
    log = json.loads(out)
    validator = _sarif_validator()
    assert list(validator.iter_errors(log)) == []
    broken = json.loads(out)
    broken["runs"][0]["results"][0]["level"] = "fatal"  # not a SARIF level: must be refused
    assert list(validator.iter_errors(broken)) != []

    (sarif_run,) = log["runs"]
    rules = load_rules()
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "prototxt-lint"
    assert [r["id"] for r in driver["rules"]] == [r.code for r in rules]
    s101 = next(r for r in rules if r.code == "S101")
    descriptor = driver["rules"][[r.code for r in rules].index("S101")]
    assert descriptor == {
        "id": "S101",
        "name": "poly-without-max-iter",
        "shortDescription": {"text": s101.summary},
        "fullDescription": {"text": s101.docs},
        "help": {"text": s101.docs, "markdown": s101.docs},
        # an editable install of this checkout: its own page, which exists
        "helpUri": (REPO / "docs" / "rules" / "S101.md").as_uri(),
        "defaultConfiguration": {"level": "error"},
    }
    result = next(r for r in sarif_run["results"] if r["ruleId"] == "S101")
    assert result == {
        "ruleId": "S101",
        "level": "error",
        "message": {"text": S101 + "\nadd `max_iter: N`, the iteration at which the poly"
                    " schedule reaches 0"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": POLY},
            "region": {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 18},
        }}],
        "ruleIndex": [r.code for r in rules].index("S101"),
    }
    levels = {r["ruleId"]: r["level"] for r in sarif_run["results"]}
    assert (levels["N221"], levels["N231"], levels["N252"]) == ("error", "warning", "note")


def test_sarif_without_findings_is_valid() -> None:
    code, out, _ = run("--output-format", "sarif", "--select", "S", CLEAN)
    assert code == 0
    log = json.loads(out)
    assert log["runs"][0]["results"] == []
    assert list(_sarif_validator().iter_errors(log)) == []


def test_gitlab_code_quality_exact() -> None:
    code, out, _ = run("--output-format", "gitlab", POLY)
    assert code == 1
    assert json.loads(out) == [{
        "description": f"S101 {S101}",
        "check_name": "S101",
        "fingerprint": "4c2b95dbf9fe5055c1020be09e4bbc5e75c12f2ae9bf1927140f12447342c8d9",
        "severity": "major",
        "location": {"path": POLY, "lines": {"begin": 4, "end": 4}},
    }]


def test_junit_exact() -> None:
    code, out, _ = run("--output-format", "junit", "--select", "S101", POLY, CLEAN)
    assert code == 1
    quoted = S101.replace('"', "&quot;")
    assert out.splitlines() == [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="prototxt-lint" tests="2" failures="1" errors="0">',
        f'  <testsuite name="{POLY}" tests="1" failures="1" errors="0">',
        f'    <testcase name="S101 poly-without-max-iter" classname="{POLY}" file="{POLY}"'
        ' line="4">',
        f'      <failure message="{quoted}" type="error">{POLY}:4:1: S101 {S101}</failure>',
        "    </testcase>",
        "  </testsuite>",
        f'  <testsuite name="{CLEAN}" tests="1" failures="0" errors="0">',
        f'    <testcase name="prototxt-lint" classname="{CLEAN}" />',
        "  </testsuite>",
        "</testsuites>",
    ]


def test_every_format_is_tested_here() -> None:
    assert set(REPORTERS) == {"text", "concise", "json", "json-lines", "sarif", "github",
                              "gitlab", "junit"}


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    code, out, _ = run("--output-format", "concise", "-o", str(target), POLY)
    assert code == 1 and out == ""
    assert target.read_text().splitlines() == [
        f"{POLY}:4:1: S101 {S101}", "Found 1 problem (1 error, 0 warnings, 0 info) in 1 file."]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]  # no temporary left


def test_output_file_in_a_missing_folder_is_a_one_line_error(tmp_path: Path) -> None:
    code, _, err = run("--output-file", str(tmp_path / "no" / "such" / "r.txt"), POLY)
    assert code == 2
    assert err.splitlines() == [
        f"Error: cannot write {tmp_path / 'no' / 'such' / 'r.txt'}: No such file or directory"]


def test_exit_zero_keeps_the_report() -> None:
    code, out, _ = run("--exit-zero", "--output-format", "concise", POLY)
    assert code == 0
    assert out.splitlines()[0] == f"{POLY}:4:1: S101 {S101}"


def test_statistics_counts_per_code() -> None:
    code, out, _ = run("--statistics", "examples")
    assert code == 1
    assert out.splitlines() == [
        "3  N252  [ ] database-order",
        "1  N201  [ ] pooling-stride-exceeds-kernel",
        "1  N211  [*] batchnorm-global-stats-in-train",
        "1  N221  [ ] mixed-layer-syntax",
        "1  N231  [ ] missing-input-scale",
        "1  N241  [ ] infogain-double-softmax",
        "1  N243  [ ] infogain-normalize-deprecated",
        "1  N251  [ ] unshuffled-training-data",
        "1  N261  [ ] unknown-bottom",
        "1  S101  [ ] poly-without-max-iter",
    ]
    _, out, _ = run("--statistics", "--output-format", "json", POLY)
    assert json.loads(out) == [
        {"code": "S101", "name": "poly-without-max-iter", "count": 1, "fixable": False}]


def test_quiet_drops_the_summary() -> None:
    code, out, _ = run("--quiet", "--select", "S", CLEAN)
    assert (code, out) == (0, "")
    code, out, _ = run("-q", "--output-format", "concise", POLY)
    assert (code, out.splitlines()) == (1, [f"{POLY}:4:1: S101 {S101}"])


def test_show_fixes_lists_safe_and_unsafe_fixes() -> None:
    code, out, _ = run("--show-fixes", "-q", "--output-format", "concise", "--select",
                       "S211,N211", SOLVER_TYPE, BATCHNORM)
    assert code == 1
    assert out.splitlines()[-3:] == [
        "Fixable with --fix (2):",
        f'  {SOLVER_TYPE}:5:1: S211 Replace with `type: "Adam"`',
        f"  {BATCHNORM}:23:22: N211 Delete `use_global_stats: true` (Caffe then chooses by"
        " phase) (unsafe: needs --unsafe-fixes)",
    ]


def test_show_fixes_with_fix_lists_what_was_applied(tmp_path: Path) -> None:
    target = tmp_path / "solver.prototxt"
    shutil.copy(REPO / SOLVER_TYPE, target)
    code, out, err = run("--fix", "--show-fixes", "--no-color", str(target))
    assert code == 0
    assert out.splitlines() == [
        "No problems found in 1 file.",
        "",
        "Fixed (1):",
        f'  {target}:5:1: S211 Replace with `type: "Adam"`',
    ]
    assert err == "Applied 1 fix.\n"


def test_diff_prints_what_fix_would_change_and_writes_nothing() -> None:
    before = (REPO / SOLVER_TYPE).read_bytes(), (REPO / BATCHNORM).read_bytes()
    code, out, err = run("--diff", SOLVER_TYPE, BATCHNORM)
    assert code == 1
    assert out.splitlines() == [
        f"--- {SOLVER_TYPE}",
        f"+++ {SOLVER_TYPE}",
        "@@ -2,4 +2,4 @@",
        ' lr_policy: "fixed"',
        " momentum: 0.9",
        " max_iter: 10000",
        "-solver_type: ADAM",
        '+type: "Adam"',
    ]
    assert err == "Would fix 1 file.\n"  # the N211 fix is unsafe: not without --unsafe-fixes
    code, out, _ = run("--diff", "--unsafe-fixes", BATCHNORM)
    assert code == 1
    assert "-  batch_norm_param { use_global_stats: true }\n+  batch_norm_param { }\n" in out
    assert ((REPO / SOLVER_TYPE).read_bytes(), (REPO / BATCHNORM).read_bytes()) == before


def test_diff_with_nothing_to_fix_exits_0() -> None:
    code, out, err = run("--diff", POLY)
    assert (code, out, err) == (0, "", "No fixes to apply.\n")
