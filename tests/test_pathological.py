"""Pathological inputs through the command line: an answer, never a hang or a traceback.

Already covered elsewhere (not repeated here): the sparse 100 MB file refused by the size
limit and the symlinked-directory loop (tests/test_bad_input.py); 10,000-deep nesting of
closed unknown blocks, the 1 MB single-line net and the error cap (tests/test_parser.py).
Here: a file of NUL bytes, 10,000-deep nesting in other shapes (unclosed, lists, angle
brackets, nameless braces), 100 MB on standard input, 1 MB lines full of errors, symlinked
file loops and dangling links in a linted directory, and a directory of 10,000 files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from prototxt_lint.cli.command import lint_command

DEPTH = 10_000
CLEAN_NET = 'input: "data"\ninput_dim: 1\n'


def run(*args: str, stdin: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """The CLI with JSON output: (exit code, parsed output). A traceback fails the test."""
    result = CliRunner().invoke(
        lint_command, ["--no-color", "--format", "json", *args], input=stdin,
        env={"PROTOTXT_LINT_DEBUG": "1"},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout)


def brief(out: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(f["code"], f["line"], f["column"]) for f in out["findings"]]


# --- NUL bytes -------------------------------------------------------------------------------


def test_file_of_nul_bytes(tmp_path: Path) -> None:
    target = tmp_path / "zeros.prototxt"
    target.write_bytes(b"\x00" * 65536)
    code, out = run(str(target))
    assert code == 2
    assert brief(out) == [("P007", 1, 1)]
    assert out["findings"][0]["message"].startswith("binary data (NUL byte at offset 0)")


def test_nul_bytes_on_stdin() -> None:
    code, out = run("--stdin-filename", "zeros.prototxt", "-", stdin=b"\x00" * 65536)
    assert code == 2
    assert brief(out) == [("P007", 1, 1)]


# --- deep nesting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 10,000 unknown blocks opened and never closed: one unknown field, one unclosed block
        ("layer { " + "foo { " * DEPTH, [("P001", 1, 1), ("P002", 1, 9)]),
        # a list nested 10,000 deep where a string is expected
        ('layer { bottom: ' + "[" * DEPTH + "]" * DEPTH + " }", [("P001", 1, 18)]),
        # angle-bracket message delimiters, 10,000 deep
        ("layer " + "< " * DEPTH + "> " * DEPTH, [("P001", 1, 9)]),
        # an unknown field nested 10,000 deep inside a known message
        (
            'layer { name: "a" type: "Pooling" pooling_param { '
            + "foo < " * DEPTH + "> " * DEPTH + "} }",
            [("P002", 1, 51)],
        ),
    ],
    ids=["unclosed", "lists", "angle-brackets", "inside-known"],
)
def test_ten_thousand_deep(tmp_path: Path, text: str, expected: list[tuple[str, int, int]]) -> None:
    target = tmp_path / "deep.prototxt"
    target.write_text(text)
    code, out = run("--select", "P", str(target))
    assert code == 1
    assert brief(out) == expected


def test_ten_thousand_nameless_braces(tmp_path: Path) -> None:
    target = tmp_path / "braces.prototxt"
    target.write_text("{ " * DEPTH + "} " * DEPTH)
    code, out = run(str(target))
    assert code == 2
    assert brief(out) == [("P009", 1, 1)]


# --- size ------------------------------------------------------------------------------------


def test_hundred_megabytes_on_stdin() -> None:
    data = b" " * (100 * 1024 * 1024)  # blank: quick to scan, should the limit ever not apply
    code, out = run("--stdin-filename", "huge.prototxt", "-", stdin=data)
    assert code == 2
    assert [f["code"] for f in out["findings"]] == ["P006"]
    assert "too large" in out["findings"][0]["message"]


def _text_output(*args: str) -> str:
    result = CliRunner().invoke(lint_command, ["--no-color", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.stdout


def test_megabyte_line_of_errors_is_capped(tmp_path: Path) -> None:
    target = tmp_path / "line.prototxt"
    target.write_text('input: "data" ' + "foo: 1 bar { } 3 " * 60_000)
    assert target.stat().st_size > 1_000_000
    code, out = run("--select", "P", str(target))
    assert code == 1
    # the cap: 100 errors, then "too many errors"; the unknown names are one finding
    assert len(out["findings"]) == 100
    assert out["findings"][-1]["message"].startswith("too many errors")


def test_megabyte_line_text_output_stays_small(tmp_path: Path) -> None:
    target = tmp_path / "line.prototxt"
    target.write_text('name: "' + "x" * 1_000_000)  # one unterminated string, one finding
    assert len(_text_output(str(target))) < 200_000


# --- symlinks --------------------------------------------------------------------------------


def test_symlinked_file_loop_and_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "a.prototxt").symlink_to(tmp_path / "b.prototxt")
    (tmp_path / "b.prototxt").symlink_to(tmp_path / "a.prototxt")
    (tmp_path / "gone.prototxt").symlink_to(tmp_path / "missing.prototxt")
    (tmp_path / "net.prototxt").write_text(CLEAN_NET)
    code, out = run(str(tmp_path))
    assert code == 2
    assert out["summary"]["files"] == 4
    found = {(Path(f["file"]).name, f["code"]) for f in out["findings"]}
    assert found == {("a.prototxt", "P006"), ("b.prototxt", "P006"), ("gone.prototxt", "P006")}
    messages = {Path(f["file"]).name: f["message"] for f in out["findings"]}
    assert messages["gone.prototxt"] == "no such file"
    assert messages["a.prototxt"].startswith("cannot read: ")


# --- many files ------------------------------------------------------------------------------


def test_directory_of_ten_thousand_files(tmp_path: Path) -> None:
    folder = tmp_path / "nets"
    folder.mkdir()
    for i in range(10_000):
        (folder / f"{i:05d}.prototxt").write_text(CLEAN_NET)
    (folder / "05731.prototxt").write_text(CLEAN_NET + "bogus_field: 1\n")
    assert len(os.listdir(folder)) == 10_000
    code, out = run(str(folder))
    assert code == 1
    assert out["summary"]["files"] == 10_000
    (finding,) = out["findings"]
    assert (Path(finding["file"]).name, finding["code"], finding["line"]) == (
        "05731.prototxt", "P002", 3,
    )
