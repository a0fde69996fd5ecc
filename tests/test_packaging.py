"""Packaging (issue 14): the declared ranges, the LICENSE, an sdist that can run the tests,
and install hints that work for a package that is not on PyPI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

from prototxt_lint.extras import EXTRAS, LAZY_DEPENDENCIES, install_hint

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def test_declared_ranges() -> None:
    """protobuf from 3.20 (CI runs the suite on 3.20.x and on the newest); pygls is a plain
    dependency, so `prototxt-lint lsp` works after any install; the `lsp` extra stays, empty,
    for old install commands."""
    assert PROJECT["dependencies"] == ["protobuf>=3.20,<8", "click>=8.0", "pygls>=2.0,<3"]
    assert PROJECT["optional-dependencies"]["lsp"] == []
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]
    assert PROJECT["license"] == "BSD-2-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]


def test_hints_name_the_declared_packages() -> None:
    """The hints name each extra's packages exactly as pyproject.toml declares them."""
    extras = PROJECT["optional-dependencies"]
    assert {name: [spec] for name, spec in EXTRAS.items()} == {
        name: extras[name] for name in ("plot", "proto")}
    assert [LAZY_DEPENDENCIES["lsp"]] == [d for d in PROJECT["dependencies"] if "pygls" in d]
    assert install_hint("plot") == (
        "pip install 'matplotlib>=3.5' into prototxt-lint's environment"
        " (or, from a clone: pip install '.[plot]')")
    assert install_hint("lsp") == (
        "pip install 'pygls>=2.0,<3' into prototxt-lint's environment"
        " (it is a dependency: a reinstall without --no-deps brings it)")


#: `install 'prototxt-lint[x]'` (a name from PyPI); `'prototxt-lint[x] @ git+URL'` is fine.
PYPI_EXTRA = re.compile(r"""install\s+['"]?prototxt-lint\[[^\]]*\]['"]?(?!\s*@)""")


def test_no_pypi_install_hint() -> None:
    """prototxt-lint is not on PyPI: `pip install 'prototxt-lint[...]'` would fetch nothing
    (or another project's package)."""
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in [*(REPO / "prototxt_lint").rglob("*.py"), *(REPO / "rules").rglob("*.py"),
                     REPO / "README.md", *(REPO / "docs").rglob("*.md")]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PYPI_EXTRA.search(line)
    ]
    assert offenders == []
    assert PYPI_EXTRA.search("pip install 'prototxt-lint[plot]'")
    assert not PYPI_EXTRA.search("pip install 'prototxt-lint[plot] @ git+https://x/y.git'")


def test_license_file() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("BSD 2-Clause License\n\nCopyright (c) 2026, prototxt-lint developers\n")
    assert "2. Redistributions in binary form must reproduce" in text
    assert "3." not in text  # two clauses, as the SPDX id says


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout (an sdist or a copy): the tracked files are unknown")
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if (REPO / line).is_file()]


def test_sdist_carries_the_tests_and_fixtures(tmp_path: Path) -> None:
    """Every tracked file but CI's own goes into the sdist, so that `make test` runs from it;
    built from a copy of the tracked files with setuptools' own build backend."""
    import setuptools

    if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) < (77, 0):
        pytest.skip(f"setuptools >= 77 is missing (have {setuptools.__version__})")
    tracked = _tracked_files()
    tree = tmp_path / "tree"
    for name in tracked:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, tree / name)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-c",
         f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"],
        cwd=tree, capture_output=True, text=True, check=True,
    )
    (sdist,) = out.glob("*.tar.gz")
    assert sdist.name == "prototxt_lint-0.1.0.tar.gz"
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        pkg_info = tar.extractfile("prototxt_lint-0.1.0/PKG-INFO").read().decode()  # type: ignore[union-attr]
    assert sorted(set(tracked) - names) == [".ci/run", ".gitignore"]
    assert "License-Expression: BSD-2-Clause" in pkg_info
    assert "Requires-Dist: protobuf<8,>=3.20" in pkg_info
    assert not [n for n in names if "__pycache__" in n or ".hypothesis" in n]


def _readme_blocks(heading: str, language: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading) + len(heading):]
    section = section[: section.index("\n## ")]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def test_readme_ci_recipes() -> None:
    """The GitHub Actions and GitLab recipes are valid YAML, install from the git URL, and
    publish the very file the linter writes."""
    yaml = pytest.importorskip("yaml", reason="PyYAML (pre-commit's dependency) is missing")
    github, gitlab = (yaml.safe_load(block) for block in _readme_blocks("## In CI", "yaml"))
    steps = github["jobs"]["prototxt-lint"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs == ["pip install 'prototxt-lint @ git+GIT_URL'",
                    "prototxt-lint --output-format sarif --output-file results.sarif ."]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/")]
    assert (upload["uses"], upload["with"], upload["if"]) == (
        "github/codeql-action/upload-sarif@v3", {"sarif_file": "results.sarif"}, "always()")
    assert github["permissions"]["security-events"] == "write"
    job = gitlab["prototxt-lint"]
    assert job["script"] == [
        "pip install 'prototxt-lint @ git+GIT_URL'",
        "prototxt-lint --output-format gitlab --output-file gl-code-quality-report.json .",
    ]
    assert job["artifacts"] == {"when": "always",
                                "reports": {"codequality": "gl-code-quality-report.json"}}


def test_readme_install_section() -> None:
    """A venv (Debian's system Python is externally managed), pipx, and the git URL form."""
    (install, _use) = _readme_blocks("### Installing it for your own project", "sh")
    lines = [line.split("  #")[0].strip() for line in install.splitlines()]
    assert "python3 -m venv ~/.venvs/prototxt-lint" in lines
    assert "~/.venvs/prototxt-lint/bin/pip install ./prototxt-lint" in lines
    assert "pipx install ./prototxt-lint" in lines
    assert "pip install 'prototxt-lint @ git+GIT_URL'" in lines
