"""End to end with a real editor: headless Neovim starts the language server through its
built-in LSP client, and the test reads back what Neovim shows (``vim.diagnostic.get``).

Neovim stores diagnostic columns in bytes, converting from the server's UTF-16 columns with
the buffer's own text, so the line with an emoji checks the whole chain of positions.
Neovim is the Debian package ``neovim`` (``.ci/run`` installs it when missing); these tests
fail rather than skip in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

FIXTURES = Path(__file__).parent / "fixtures" / "lsp"
README = Path(__file__).resolve().parent.parent / "README.md"
SCRIPT = FIXTURES / "nvim_check.lua"
NVIM = shutil.which("nvim")

ERROR, WARNING, INFO = 1, 2, 3  # vim.diagnostic.severity


def _nvim() -> str:
    if NVIM is None:
        if os.environ.get("CI"):
            pytest.fail("nvim is not installed; .ci/run installs the Debian package neovim")
        pytest.skip("Neovim is not installed (apt-get install neovim)")
    return NVIM


def _project(tmp_path: Path) -> tuple[Path, str]:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(FIXTURES / ".prototxt-lint.toml", project)
    net = project / "net.prototxt"
    shutil.copy(FIXTURES / "bad_net.prototxt", net)
    return net, net.read_text(encoding="utf-8")


def _run(
    tmp_path: Path,
    net: Path,
    *,
    cmd: list[str] | None = None,
    setup: Path | None = None,
    fix_line: int | None = None,
) -> dict[str, Any]:
    out = tmp_path / "result.json"
    home = tmp_path / "home"
    env = dict(
        os.environ,
        PTL_OUT=str(out),
        PTL_CMD=json.dumps(cmd) if cmd else "",
        PTL_SETUP=str(setup or ""),
        PTL_FILE=str(net),
        PTL_FIX_LINE=str(fix_line or ""),
        # the venv's prototxt-lint first on PATH, as after `pip install`
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_DATA_HOME=str(home / "data"),
    )
    proc = subprocess.run(
        [_nvim(), "--headless", "--clean", "-n", "-c", f"luafile {SCRIPT}"],
        cwd=net.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"Neovim wrote no result\n{proc.stdout}\n{proc.stderr}"
    result: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in result, (result, proc.stderr)
    return result


def _byte_col(text: str, line: int, char: int) -> int:
    return len(text.split("\n")[line][:char].encode("utf-8"))


def _expected(text: str, n201_line: int) -> list[tuple[Any, ...]]:
    """What Neovim must show: (code, line, byte column, end line, end byte column, severity)
    of the fixture's three findings (character columns as the CLI prints them, minus one)."""
    spans = [
        ("N252", 9, 15, 35, INFO),
        ("N211", 33, 4, 26, WARNING),
        ("N206", n201_line, 108, 117, WARNING),
    ]
    return [
        (code, line, _byte_col(text, line, start), line, _byte_col(text, line, end), sev)
        for code, line, start, end, sev in spans
    ]


def _brief(diags: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (d["code"], d["lnum"], d["col"], d["end_lnum"], d["end_col"], d["severity"]) for d in diags
    ]


def test_neovim_shows_the_diagnostics_and_applies_a_fix(tmp_path: Path) -> None:
    net, text = _project(tmp_path)
    result = _run(
        tmp_path,
        net,
        cmd=[sys.executable, "-m", "prototxt_lint.lsp"],
        fix_line=34,  # the N211 line
    )
    assert _brief(result["diagnostics"]) == _expected(text, 43)
    # the emoji line: 3 more bytes than characters before the span
    assert result["diagnostics"][2]["col"] == 111
    assert {d["source"] for d in result["diagnostics"]} == {"prototxt-lint"}
    assert result["diagnostics"][1]["message"].startswith("`use_global_stats: true` in TRAIN")
    assert result["actions"] == [
        "Delete `use_global_stats: true` (Caffe then chooses by phase) (unsafe: changes how it"
        " trains)",
        "Disable N211 for this line",
    ]
    assert result["preferred"] == [False, False]  # an unsafe fix is never the preferred one
    # Neovim applied the fix: exactly that line is gone, and the server saw the change
    assert result["fixed_lines"] == text.replace("    use_global_stats: true\n", "").split("\n")[
        :-1
    ]
    fixed_text = "\n".join(result["fixed_lines"]) + "\n"
    assert _brief(result["fixed_diagnostics"]) == [
        e for e in _expected(fixed_text, 42) if e[0] != "N211"
    ]


def _readme_blocks(heading: str, language: str) -> list[str]:
    """The ``language`` code blocks of the README's section ``heading``, as printed."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) + len(heading):]
    section = section[: section.index("\n#")]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def _version() -> tuple[int, ...]:
    out = subprocess.run([_nvim(), "--version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.match(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    assert match, out
    return tuple(int(part) for part in match.groups())


def _check_snippet(tmp_path: Path, snippet: str) -> None:
    net, text = _project(tmp_path)
    setup = tmp_path / "init.lua"
    setup.write_text(snippet)
    result = _run(tmp_path, net, setup=setup)
    assert result["clients"] == ["prototxt-lint"]
    assert _brief(result["diagnostics"]) == _expected(text, 43)


def test_readme_has_the_two_neovim_snippets() -> None:
    """One for 0.8+ (vim.lsp.start), one for 0.7 (Debian 12's, which lacks it)."""
    new, old = _readme_blocks("### Neovim", "lua")
    assert "vim.lsp.start(" in new and "vim.lsp.start(" not in old
    assert "vim.lsp.start_client(" in old and "vim.lsp.buf_attach_client(" in old


def test_readme_neovim_0_8_snippet(tmp_path: Path) -> None:
    """The README's Neovim 0.8+ configuration, verbatim, with `prototxt-lint` from PATH."""
    version = _version()
    if version < (0, 8):
        pytest.skip(f"the README's Neovim 0.8+ snippet needs Neovim 0.8 or newer; this is"
                    f" {'.'.join(map(str, version))} (Debian 12 ships 0.7.2)")
    _check_snippet(tmp_path, _readme_blocks("### Neovim", "lua")[0])


def test_readme_neovim_0_7_snippet(tmp_path: Path) -> None:
    """The README's Neovim 0.7 configuration, verbatim: no help from the test script (it
    patches nothing in), so it passes only where the documented snippet works."""
    _check_snippet(tmp_path, _readme_blocks("### Neovim", "lua")[1])
