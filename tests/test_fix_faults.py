"""Issue 15: `--fix` under faults it cannot prevent. A run killed with SIGKILL at any moment,
and two runs fixing the same files at once, leave every file with its old text or its new
text, nothing in between; files outside the named paths are never touched. The only trace a
killed run may leave is its own hidden temporary file (``.prototxt-lint-*.tmp``), never a
half-written net."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "solver_checks" / \
    "bad_solver_type_enum.prototxt"  # S211: a safe fix (`solver_type: ADAM` -> `type: "Adam"`)
FILES = 60
LINT = [sys.executable, "-m", "prototxt_lint", "--fix", "--no-color"]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _make(root: Path) -> None:
    (root / "named").mkdir(parents=True)
    (root / "outside").mkdir()
    text = FIXTURE.read_bytes()
    for i in range(FILES):
        # each file a little different, so that a mix-up between files would show
        (root / "named" / f"solver{i:02}.prototxt").write_bytes(text + b"# %d\n" % i)
    (root / "outside" / "solver.prototxt").write_bytes(text)


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[dict[str, bytes], dict[str, bytes], float]:
    """The files before and after an undisturbed --fix, and how long that run took."""
    root = tmp_path_factory.mktemp("clean")
    _make(root)
    before = _tree(root)
    start = time.monotonic()
    done = subprocess.run([*LINT, "named"], cwd=root, capture_output=True, text=True)
    took = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    after = _tree(root)
    assert after["outside/solver.prototxt"] == before["outside/solver.prototxt"]
    changed = [name for name in before if before[name] != after[name]]
    assert len(changed) == FILES  # every named file has a fix
    return before, after, took


def _check(root: Path, before: dict[str, bytes], after: dict[str, bytes]) -> int:
    """Every file is its old or its new text; returns how many were fixed."""
    now = _tree(root)
    fixed = 0
    for name, data in now.items():
        if name not in before:
            assert Path(name).name.startswith(".prototxt-lint-") and name.endswith(".tmp"), name
            continue
        assert data in (before[name], after[name]), f"{name} is neither the old nor the new text"
        fixed += data == after[name] != before[name]
    assert set(before) <= set(now), "a file vanished"
    assert now["outside/solver.prototxt"] == before["outside/solver.prototxt"]
    return fixed


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_run_killed_at_any_moment_leaves_old_or_new_text(
        tmp_path: Path, texts: tuple[dict[str, bytes], dict[str, bytes], float]) -> None:
    before, after, took = texts
    rng = random.Random(9)
    partial = 0
    # where the kill lands: at random in [low, high] seconds after the start, narrowed
    # towards the rewrites from what each kill found (a warm result cache or a loaded
    # machine moves them), so that some kills land while files are being rewritten
    low, high = 0.05 * took, 1.2 * took
    for round_ in range(40):  # at least 12, and until a kill lands mid-rewrite
        if round_ >= 12 and partial:
            break
        root = tmp_path / f"round{round_}"
        _make(root)
        proc = subprocess.Popen([*LINT, "named"], cwd=root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        start = time.monotonic()
        time.sleep(rng.uniform(low, high))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        at = time.monotonic() - start
        fixed = _check(root, before, after)
        partial += 0 < fixed < FILES
        if fixed == 0:  # killed before the first rewrite
            low = max(low, 0.9 * at)
        elif fixed == FILES:  # killed after the last one
            high = min(high, 1.1 * at)
        if low >= high:  # timing noise: widen around where they crossed
            low, high = 0.8 * high, 1.2 * low
        # and a run after the kill finishes the job
        done = subprocess.run([*LINT, "named"], cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _check(root, before, after) == FILES
        shutil.rmtree(root)
    # the kills did land while files were being rewritten, not only before or after
    assert partial >= 1


def test_two_runs_fixing_the_same_files_at_once(
        tmp_path: Path, texts: tuple[dict[str, bytes], dict[str, bytes], float]) -> None:
    before, after, _ = texts
    for round_ in range(3):
        root = tmp_path / f"round{round_}"
        _make(root)
        runs = [subprocess.Popen([*LINT, "named"], cwd=root, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for run in runs:
            out, err = run.communicate(timeout=300)
            # each run fixes what it finds; a file the other run rewrote after this one read
            # it is left alone and said so (exit 2), never overwritten with stale text
            assert run.returncode in (0, 2), out + err
            assert "Traceback" not in err
            for line in err.splitlines():
                assert line.startswith("Applied ") or line.endswith(
                    "not fixed: the file changed since it was linted"), line
        assert _check(root, before, after) == FILES
        assert not [p for p in root.rglob(".prototxt-lint-*")]  # no run left a temporary file
        shutil.rmtree(root)


def test_nothing_outside_the_named_paths_changes_even_when_killed(
        tmp_path: Path, texts: tuple[dict[str, bytes], dict[str, bytes], float]) -> None:
    before, _, took = texts
    root = tmp_path / "r"
    _make(root)
    stat = os.stat(root / "outside" / "solver.prototxt")
    proc = subprocess.Popen([*LINT, "named"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(took / 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = os.stat(root / "outside" / "solver.prototxt")
    assert (again.st_mtime_ns, again.st_ino) == (stat.st_mtime_ns, stat.st_ino)
    assert (root / "outside" / "solver.prototxt").read_bytes() == before["outside/solver.prototxt"]
