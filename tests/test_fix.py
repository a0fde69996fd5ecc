"""--fix rewrites files atomically and only where a rule's fix means to."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner
from conftest import FIXTURES

from prototxt_lint.cli import lint_command
from prototxt_lint.fixes import apply_edits
from prototxt_lint.plugin import Edit

BN = FIXTURES / "batchnorm" / "bad_global_stats_train.prototxt"


def _fix(path: Path, *extra: str) -> tuple[int, str]:
    args = ["--no-color", "--fix", "--unsafe-fixes", *extra, "--select", "N21", str(path)]
    result = CliRunner().invoke(lint_command, args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_fix_deletes_only_the_field(tmp_path: Path) -> None:
    target = tmp_path / "net.prototxt"
    original = BN.read_text()
    target.write_text(original)
    target.chmod(0o640)
    code, out = _fix(target)
    assert code == 0  # nothing left at or above warning
    fixed = target.read_text()
    assert "N211" not in out
    assert "Applied 1 fix." in out  # one cause, one fix: both layers' fields
    assert fixed.count("use_global_stats: true") == original.count("use_global_stats: true") - 2
    # the field alone on its line goes with its line; inline, only the field and its blank
    expected = original.replace("    use_global_stats: true\n", "", 1).replace(
        "{ use_global_stats: true eps: 0.001 }", "{ eps: 0.001 }", 1
    )
    assert expected != original
    assert fixed == expected
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert not list(tmp_path.glob(".prototxt-lint-*"))  # no temporary file left behind


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    target = tmp_path / "net.prototxt"
    target.write_text(BN.read_text())
    result = CliRunner().invoke(lint_command, ["--no-color", "--fix", "--select", "N21",
                                               str(target)])
    assert result.exit_code == 1  # the N211 warning is still there
    assert target.read_text() == BN.read_text()
    assert ("Applied 0 fixes. 1 unsafe fix not applied (they change how the net computes or"
            " trains; --unsafe-fixes applies them).") in result.output


def test_fix_keeps_crlf_and_bom(tmp_path: Path) -> None:
    target = tmp_path / "net.prototxt"
    original = BN.read_text().replace("\n", "\r\n")
    target.write_bytes(b"\xef\xbb\xbf" + original.encode())
    _fix(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.count(b"use_global_stats: true") < original.count("use_global_stats: true")


def test_fix_never_touches_a_file_with_undecodable_bytes(tmp_path: Path) -> None:
    target = tmp_path / "net.prototxt"
    data = BN.read_bytes() + b"# caf\xe9 (Latin-1)\n"
    target.write_bytes(data)
    _fix(target)
    assert target.read_bytes() == data


def test_fix_through_a_symlink_rewrites_the_target(tmp_path: Path) -> None:
    real = tmp_path / "real.prototxt"
    real.write_text(BN.read_text())
    link = tmp_path / "link.prototxt"
    link.symlink_to(real)
    _fix(link)
    assert link.is_symlink()
    assert real.read_text().count("use_global_stats: true") < BN.read_text().count(
        "use_global_stats: true"
    )


def test_apply_edits_skips_overlaps() -> None:
    text = "abcdef"
    assert apply_edits(text, [Edit(1, 3, "X"), Edit(2, 4, "Y"), Edit(5, 6, "")]) == "aXde"


def _fixed_variant(tmp_path: Path, first: str, second: str) -> str:
    """BN with bn1's field line replaced by ``first`` and bn2's inline block by ``second``,
    fixed; returns the new text."""
    target = tmp_path / "net.prototxt"
    target.write_text(BN.read_text().replace("    use_global_stats: true\n", first, 1).replace(
        "{ use_global_stats: true eps: 0.001 }", second, 1))
    _code, out = _fix(target)
    assert "Applied 1 fix." in out
    return target.read_text()


def test_fix_takes_the_separator_after_the_field(tmp_path: Path) -> None:
    fixed = _fixed_variant(tmp_path, "    use_global_stats: true;\n",
                           "{ use_global_stats: true; eps: 0.001 }")
    assert fixed == BN.read_text().replace("    use_global_stats: true\n", "", 1).replace(
        "{ use_global_stats: true eps: 0.001 }", "{ eps: 0.001 }", 1)
    fixed = _fixed_variant(tmp_path, "    eps: 0.001, use_global_stats: true ,\n",
                           "{ use_global_stats: true\n  , eps: 0.001 }")
    assert "    eps: 0.001, \n" in fixed
    assert "{ eps: 0.001 }" in fixed
    # what is left parses: no finding of the parser (P0xx) and no N211
    code, out = _fix(tmp_path / "net.prototxt")
    assert code == 0
    assert "Applied 0 fixes." in out and " P0" not in out


def test_fix_keeps_comments_inside_the_field(tmp_path: Path) -> None:
    fixed = _fixed_variant(tmp_path, "    use_global_stats: # why\n      true\n",
                           "{ use_global_stats: # x\n true; eps: 0.001 }")
    assert "    # why\n  }" in fixed
    assert "{ # x\n eps: 0.001 }" in fixed
    fixed = _fixed_variant(tmp_path, "    use_global_stats: true  # keep me\n",
                           "{ use_global_stats: true # c\n  , eps: 0.001 }")
    assert "    # keep me\n  }" in fixed
    assert "{ # c\n  eps: 0.001 }" in fixed
