"""Standard streams that fail (closed, full, a broken pipe): one line on stderr and exit 2 on
every path (the plain fast path and click's), never a traceback or the "findings" code 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

NET = str(FIXTURES / "batchnorm" / "bad_global_stats_train.prototxt")  # has findings: exit 1
FAST = [NET]  # the plain `prototxt-lint FILE`, without click
CLICK = ["--no-color", NET]
needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")


def _run(args: list[str], **streams: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prototxt_lint", *args], text=True,
                          stderr=subprocess.PIPE, timeout=120, check=False, **streams)  # type: ignore[call-overload]


@needs_dev_full
@pytest.mark.parametrize("args", [FAST, CLICK, ["--list-rules"], ["shapes", NET]],
                         ids=["fast", "click", "list-rules", "shapes"])
def test_stdout_full(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = _run(args, stdout=full)
    assert proc.returncode == 2
    assert proc.stderr == "prototxt-lint: cannot write the report: No space left on device\n"


@pytest.mark.parametrize("args", [FAST, CLICK], ids=["fast", "click"])
def test_stdout_closed(args: list[str]) -> None:
    proc = _run(args, stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    assert proc.stderr == "prototxt-lint: cannot write the report: standard output is closed\n"


@pytest.mark.parametrize("args", [FAST, CLICK, ["--list-rules"]],
                         ids=["fast", "click", "list-rules"])
def test_broken_pipe_is_exit_2_on_every_path(args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write is EPIPE
    try:
        proc = _run(args, stdout=write)
    finally:
        os.close(write)
    assert proc.returncode == 2
    assert proc.stderr == ""  # the reader chose to stop (`| head`): nothing to say


def test_stdin_closed(tmp_path: Path) -> None:
    proc = _run(["-"], stdout=subprocess.PIPE, preexec_fn=lambda: os.close(0))
    assert proc.returncode == 2
    assert proc.stderr == "Error: cannot read '-': standard input is closed\n"
