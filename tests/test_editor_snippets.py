"""The README's Emacs (eglot) and Helix configurations, run as printed with the editor, where
it is installed (Neovim's snippets: tests/test_lsp_neovim.py).

Emacs is Debian 12's ``emacs-nox`` 28 with ``elpa-eglot`` (``.ci/run`` installs them when
missing, so in CI a missing Emacs is a failure). Helix is not packaged in Debian 12: its test
runs where ``hx`` is on PATH and skips, saying so, elsewhere (that the Helix snippet is valid
TOML naming the server is checked everywhere, in tests/test_lsp_units.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

LSP = FIXTURES / "lsp"
README = REPO / "README.md"


def readme_blocks(heading: str, language: str) -> list[str]:
    """The ``language`` code blocks of the README's section ``heading``, as printed."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) + len(heading):]
    section = section[: section.index("\n#")]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def _editor_env(tmp_path: Path) -> dict[str, str]:
    """A fresh home, and the venv's prototxt-lint first on PATH, as after `pip install`."""
    home = tmp_path / "home"
    home.mkdir()
    return dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
    )


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(LSP / ".prototxt-lint.toml", project)
    shutil.copy(LSP / "bad_net.prototxt", project / "net.prototxt")
    return project / "net.prototxt"


def test_readme_emacs_eglot_snippet(tmp_path: Path) -> None:
    """Emacs opens the net with the README's init.el: prototxt-mode, eglot connected to
    prototxt-lint, and flymake shows the three findings at the exact spans (characters: the
    N206 line has an emoji before it, counted as one character, as the CLI counts it)."""
    emacs = shutil.which("emacs")
    if emacs is None:
        if os.environ.get("CI"):
            pytest.fail("emacs is not installed; .ci/run installs emacs-nox and elpa-eglot")
        pytest.skip("Emacs is not installed (Debian: apt-get install emacs-nox elpa-eglot)")
    (snippet,) = readme_blocks("### Emacs (eglot)", "elisp")
    init = tmp_path / "init.el"
    init.write_text(snippet, encoding="utf-8")
    net = _project(tmp_path)
    proc = subprocess.run(
        [emacs, "--batch", "-l", str(init), "-l", str(LSP / "emacs_check.el")],
        cwd=net.parent, env={**_editor_env(tmp_path), "PTL_FILE": str(net)},
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False,
    )
    if "Cannot open load file" in proc.stderr and "eglot" in proc.stderr:
        pytest.fail(f"eglot is missing (Debian: apt-get install elpa-eglot)\n{proc.stderr}")
    assert proc.returncode == 0, proc.stderr
    lines = [line.split(": ", 1)[0] for line in proc.stdout.splitlines()]
    assert lines == [
        "mode prototxt-mode",
        "server prototxt-lint",
        "eglot-note 10 15 35 prototxt-lint [N252]",
        "eglot-warning 34 4 26 prototxt-lint [N211]",
        "eglot-warning 44 108 117 prototxt-lint [N206]",
    ], proc.stderr


def test_readme_helix_snippet(tmp_path: Path) -> None:
    """Helix with the README's languages.toml: `hx --health prototxt` finds the language and
    its server on PATH. (Not run where this was written: no Helix there.)"""
    hx = shutil.which("hx") or shutil.which("helix")
    if hx is None:
        pytest.skip("Helix is not installed, and Debian 12 does not package it: install it"
                    " (https://helix-editor.com) to run the README's Helix snippet")
    (snippet,) = readme_blocks("### Helix", "toml")
    env = _editor_env(tmp_path)
    config = Path(env["XDG_CONFIG_HOME"]) / "helix"
    config.mkdir(parents=True)
    (config / "languages.toml").write_text(snippet, encoding="utf-8")
    proc = subprocess.run([hx, "--health", "prototxt"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "prototxt-lint" in proc.stdout
    assert "not found in $PATH" not in proc.stdout, proc.stdout
