"""The pre-commit hook, run by the real ``pre-commit`` against a temporary git repository.

pre-commit installs prototxt-lint from a git repository into an environment of its own (with
its dependencies from PyPI), exactly as for a user. That repository is a snapshot commit of
this checkout's working tree (tracked files as they are now plus new, not ignored ones), the
way ``pre-commit try-repo`` snapshots uncommitted changes: the hook is tested as it is here,
committed or not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "precommit"
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,  # no user hooks, templates or signing
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _pre_commit() -> str:
    """pre-commit from this interpreter's environment (the dev extras). Without the dev
    extras (CI's minimal lowest-protobuf run) the test skips, like the other optional-extra
    tests; with them, a missing executable is a failure."""
    pytest.importorskip("pre_commit")
    if PRE_COMMIT.exists():
        return str(PRE_COMMIT)
    found = shutil.which("pre-commit")
    if found is None:
        pytest.fail("the pre_commit module is installed but not its pre-commit command")
    return found


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=env or {**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def _snapshot(dest: Path) -> str:
    """Commit this checkout's working tree into a new repository at ``dest``; its sha."""
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    dest.mkdir()
    for name in filter(None, listed.split("\0")):
        src = REPO / name
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "snapshot")
    return _git(dest, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("hook-repo") / "prototxt-lint"
    return path, _snapshot(path)


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    shutil.copy(FIXTURES / "good_net.prototxt", project / "good_net.prototxt")
    shutil.copy(FIXTURES / "bad_solver.prototxt", project / "solver.prototxt")
    (project / "notes.txt").write_text("not a prototxt: the hook must not see it\n")
    return project


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
    }


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


S101_LINE = (
    'solver.prototxt:4:1: S101 `lr_policy: "poly"` without `max_iter` (it defaults to 0):'
    " Caffe runs zero training iterations"
)


def test_try_repo(tmp_path: Path, snapshot: tuple[Path, str]) -> None:
    """`pre-commit try-repo` on staged files: the bad solver fails with its finding, the
    good net alone passes."""
    hook_repo, sha = snapshot
    project = _project(tmp_path)
    env = _env(tmp_path)
    _git(project, "add", "good_net.prototxt", "solver.prototxt", "notes.txt")
    cmd = [_pre_commit(), "try-repo", str(hook_repo), "prototxt-lint", "--ref", sha]
    cmd.append("--color=never")
    bad = _run(cmd, project, env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"^prototxt-lint\.+Failed$", bad.stdout, re.M), bad.stdout
    assert "- exit code: 1" in bad.stdout
    assert S101_LINE in bad.stdout
    assert "notes.txt" not in bad.stdout.split("Using config:")[-1].split("=" * 79)[-1]

    _git(project, "rm", "-q", "--cached", "solver.prototxt")
    good = _run(cmd, project, env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"^prototxt-lint\.+Passed$", good.stdout, re.M), good.stdout


def _readme_config() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## pre-commit") :]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "no yaml block in the README's pre-commit section"
    return match.group(1)


def test_readme_snippet_blocks_a_bad_commit(tmp_path: Path, snapshot: tuple[Path, str]) -> None:
    """The README's .pre-commit-config.yaml (with `repo` and `rev` pointing at the snapshot)
    installed as a git hook: `git commit` of the bad solver is refused with the finding
    printed; the good net commits."""
    hook_repo, sha = snapshot
    project = _project(tmp_path)
    env = _env(tmp_path)
    config = _readme_config()
    config, n_repo = re.subn(r"(?m)^(\s*- repo:) \S+", rf"\1 {hook_repo}", config)
    config, n_rev = re.subn(r"(?m)^(\s*rev:) \S+", rf"\1 {sha}", config)
    assert n_repo == 1 and n_rev == 1, config
    (project / ".pre-commit-config.yaml").write_text(config)
    installed = _run([_pre_commit(), "install"], project, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    _git(project, "add", ".pre-commit-config.yaml", "good_net.prototxt", "solver.prototxt")
    bad = _run(["git", "commit", "-m", "bad"], project, env)
    assert bad.returncode != 0, bad.stdout + bad.stderr
    assert S101_LINE in bad.stdout + bad.stderr
    assert _run(["git", "rev-parse", "--verify", "-q", "HEAD"], project, env).returncode != 0

    _git(project, "rm", "-q", "--cached", "solver.prototxt")
    good = _run(["git", "commit", "-m", "good"], project, env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"^prototxt-lint\.+Passed$", good.stdout + good.stderr, re.M)
    assert _git(project, "log", "--format=%s").split() == ["good"]
