"""Bad input of every kind: one clear finding with a position, the right exit code, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, brief, lint_fixture, lint_text

from prototxt_lint.cli.command import lint_command
from prototxt_lint.syntax import source


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, ["--no-color", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_binary_file() -> None:
    (f,) = lint_fixture("parse/bad_binary.prototxt", select=("P",))
    assert (f.code, f.line, f.column) == ("P007", 1, 8)
    assert f.message.startswith("binary data (NUL byte at offset 7)")
    code, _ = run(str(FIXTURES / "parse/bad_binary.prototxt"))
    assert code == 2


def test_invalid_utf8_is_reported_and_the_rest_linted() -> None:
    (f,) = lint_fixture("parse/bad_latin1.prototxt", select=("P",))
    assert (f.code, f.line, f.column) == ("P008", 2, 13)
    assert f.severity.label == "warning"
    code, _ = run(str(FIXTURES / "parse/bad_latin1.prototxt"))
    assert code == 1


@pytest.mark.parametrize("name", ["empty.prototxt", "only_comment.prototxt"])
def test_empty_file(name: str) -> None:
    (f,) = lint_fixture(f"parse/{name}", select=("P",))
    assert (f.code, f.line, f.column) == ("P010", 1, 1)
    code, out = run(str(FIXTURES / "parse" / name))
    assert code == 2 and "P010 empty file" in out


def test_missing_file() -> None:
    code, out = run("no/such/net.prototxt")
    assert code == 2
    assert "no/such/net.prototxt:1:1: P006 no such file [error]" in out


def test_directory_without_prototxt(tmp_path: Path) -> None:
    folder = tmp_path / "weights.prototxt"  # a directory named like a file
    folder.mkdir()
    code, out = run(str(folder))
    assert code == 2
    assert "no *.prototxt or *.pbtxt files found" in out


def test_directory_reported_when_read_as_file(tmp_path: Path) -> None:
    doc_source, problems = source.read_source(str(tmp_path))
    assert doc_source is None
    assert problems[0].code == "P006" and problems[0].message.startswith("is a directory")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "net.prototxt"
    target.write_text('layer { name: "a" }\n')

    def deny(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", deny)
    doc_source, problems = source.read_source(str(target))
    assert doc_source is None
    assert (problems[0].code, problems[0].message) == ("P006", "permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission")
def test_unreadable_file_cli(tmp_path: Path) -> None:
    target = tmp_path / "net.prototxt"
    target.write_text('layer { name: "a" }\n')
    target.chmod(0)
    code, out = run(str(target))
    assert code == 2 and "P006 permission denied" in out


def test_hundred_megabyte_file(tmp_path: Path) -> None:
    big = tmp_path / "huge.prototxt"
    with open(big, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: instant, no disk used
    code, out = run(str(big))
    assert code == 2
    assert "P006 file too large (100.0 MiB; the limit is 16.0 MiB, see --max-file-size)" in out


def test_labelmap_reported_once() -> None:
    findings = lint_fixture("parse/labelmap.prototxt", select=("P",))
    assert brief(findings) == [("P005", 1, 1)]
    code, _ = run(str(FIXTURES / "parse/labelmap.prototxt"))
    assert code == 0


def test_unrecognised_text() -> None:
    (f,) = lint_fixture("parse/unrecognised.prototxt", select=("P",))
    assert (f.code, f.line, f.column) == ("P009", 1, 1)
    code, _ = run(str(FIXTURES / "parse/unrecognised.prototxt"))
    assert code == 2


def test_random_bytes_on_stdin() -> None:
    code, out = run("-", stdin=bytes(range(1, 256)) * 10)
    assert code in (1, 2)
    assert "<stdin>:" in out


def test_symlink_loop_in_directory(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "net.prototxt").write_text('input: "x"\ninput_dim: 1\n')
    code, out = run(str(tmp_path))
    assert code == 0, out
    assert "in 1 file" in out


HUGE_HEX = "0x" + "f" * 300  # more than a double holds (int -> float OverflowError)


@pytest.mark.parametrize("literal", [HUGE_HEX, "0x10000000000000000"])
def test_hex_float_too_big_is_out_of_range(literal: str) -> None:
    # no OverflowError: Caffe's TextFormat refuses any hex literal in a float field
    # (measured, tests/test_parse_fidelity.py), and so does the parser, at once
    text = ('name: "n"\nlayer { name: "d" type: "Dropout" dropout_param { dropout_ratio: '
            f"{literal} }} }}\n")
    (f,) = lint_text(text, select=("P003",))
    assert (f.code, f.line, f.column, f.message) == ("P003", 2, 66,
                                                     f"Expect a decimal number, got: {literal}")


def test_hex_float_too_big_in_the_language_server() -> None:
    from prototxt_lint.engine.registry import load_rules
    from prototxt_lint.lsp.analysis import analyse

    text = f'layer {{ name: "d" type: "Dropout" dropout_param {{ dropout_ratio: {HUGE_HEX} }} }}\n'
    analysis = analyse("file:///nowhere/net.prototxt", 2, text, load_rules())
    assert [(f.code, f.line, f.column) for f in analysis.findings if f.code == "P003"] == [
        ("P003", 1, 66)]


@pytest.mark.parametrize(("data", "kind"), [
    ('name: "n"\n'.encode("utf-16"), "UTF-16 LE"),  # with a byte order mark
    ('name: "n"\n'.encode("utf-16-le"), "UTF-16 LE"),  # PowerShell's `>` without one
    ('name: "n"\n'.encode("utf-16-be"), "UTF-16 BE"),
])
def test_utf16_is_named_as_such(tmp_path: Path, data: bytes, kind: str) -> None:
    target = tmp_path / "net.prototxt"
    target.write_bytes(data)
    code, out = run(str(target))
    assert code == 2
    assert (f"{target}:1:1: P007 the file is {kind} text, not UTF-8: save it as UTF-8 (Caffe"
            " reads bytes) [error]") in out
    assert "binary" not in out


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_is_refused_before_reading() -> None:
    code, out = run("/dev/zero")
    assert code == 2
    # refused by the file discovery, before anything opens it
    assert "prototxt-lint: /dev/zero: not a regular file (a character device); refused" \
        " without reading it" in out


def test_another_programs_config_sharing_a_name_with_caffe_is_not_a_solver() -> None:
    """One shared name (`momentum`) among many foreign ones: P009, not a solver with four
    errors about what a solver lacks (found on an unseen real file)."""
    findings = lint_fixture("parse/bad_foreign_config.prototxt")
    assert [(f.code, f.line, f.column, f.message) for f in findings] == [
        ("P009", 1, 1, "not a Caffe net or solver: only 1 of its 7 top-level fields are"
                       " Caffe's (`momentum`); the others are another program's")]
