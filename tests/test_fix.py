"""--fix rewrites files atomically and only where a rule's fix means to."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from prototxt_lint.cli.command import lint_command
from prototxt_lint.engine.fixes import apply_edits
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


def _n211_net(tmp_path: Path, name: str = "net.prototxt") -> Path:
    target = tmp_path / name
    target.write_text(BN.read_text())
    return target


def test_fix_keeps_owner_and_group(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to another owner")
    target = _n211_net(tmp_path)
    os.chown(target, 65534, 65534)
    target.chmod(0o640)
    _code, out = _fix(target)
    assert "Applied 1 fix." in out
    st = os.stat(target)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)


def test_fix_refuses_when_the_owner_cannot_be_kept(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = _n211_net(tmp_path)
    real_stat = os.fstat

    def other_owner(fd: int) -> os.stat_result:  # the temporary file is someone else's
        st = real_stat(fd)
        if st.st_ino == os.stat(target).st_ino:
            return st
        fields = list(st)
        fields[stat.ST_UID] = st.st_uid + 1
        return os.stat_result(fields)

    def refuse(*_: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fstat", other_owner)
    monkeypatch.setattr(os, "chown", refuse)
    code, out = _fix(target)
    assert code == 2
    assert (f"prototxt-lint: {target}: not fixed: cannot keep the file's owner and group (it"
            " belongs to another user or group)") in out
    assert target.read_text() == BN.read_text()
    assert not list(tmp_path.glob(".prototxt-lint-*"))


def test_fix_refuses_a_read_only_file(tmp_path: Path) -> None:
    target = _n211_net(tmp_path)
    target.chmod(0o444)
    code, out = _fix(target)
    assert code == 2
    assert f"prototxt-lint: {target}: not fixed: the file is read-only\n" in out
    assert target.read_text() == BN.read_text()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444


def test_fix_refuses_to_split_hard_links(tmp_path: Path) -> None:
    target = _n211_net(tmp_path)
    other = tmp_path / "other.prototxt"
    os.link(target, other)
    code, out = _fix(target)
    assert code == 2
    assert (f"prototxt-lint: {target}: not fixed: the file has 2 hard links; rewriting it"
            " would split them (fix it by hand, or break the link first)") in out
    assert target.read_text() == other.read_text() == BN.read_text()
    assert os.stat(target).st_ino == os.stat(other).st_ino


def test_fix_goes_on_after_a_file_vanishes(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from prototxt_lint.engine import linter

    gone, kept = _n211_net(tmp_path, "a.prototxt"), _n211_net(tmp_path, "b.prototxt")
    lint = linter.Linter.lint

    def lint_then_delete(self: linter.Linter, inputs: list[linter.Input]) -> list:
        reports = lint(self, inputs)
        if gone.exists():
            gone.unlink()
        return reports

    monkeypatch.setattr(linter.Linter, "lint", lint_then_delete)
    code, out = _fix(gone, str(kept))
    assert code == 2
    assert (f"prototxt-lint: {gone}: not fixed: the file vanished before it could be"
            " rewritten\n") in out
    assert "Applied 1 fix." in out
    assert kept.read_text() != BN.read_text()


def test_fix_in_a_read_only_folder_is_a_message(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def denied(*_: object, **__: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    target = _n211_net(tmp_path)
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    code, out = _fix(target)
    assert code == 2
    assert (f"prototxt-lint: {target}: not fixed: permission denied (read-only folder or"
            " immutable file?)\n") in out
    assert target.read_text() == BN.read_text()


def test_fix_solver_leaves_the_net_it_names_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "nets").mkdir()
    (tmp_path / "solvers").mkdir()
    net = _n211_net(tmp_path / "nets")
    solver = tmp_path / "solvers" / "solver.prototxt"
    solver.write_text('net: "../nets/net.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\n'
                      'max_iter: 100\n')
    _code, out = _fix(solver)
    assert "N211" in out  # linted with the solver, reported
    assert "Applied 0 fixes." in out
    assert net.read_text() == BN.read_text()
    _code, out = _fix(tmp_path)  # under a named directory: fixed
    assert "Applied 1 fix." in out
    assert net.read_text() != BN.read_text()
