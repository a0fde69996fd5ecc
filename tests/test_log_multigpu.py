"""Multi-GPU logs: real lines quoted from public GitHub threads (tests/fixtures/logs_multigpu,
README there for the sources), since the Caffe oracle is CPU-only."""

from __future__ import annotations

from pathlib import Path

from prototxt_lint.log.examine import examine
from prototxt_lint.log.reader import LogReader, LogSource
from prototxt_lint.log.records import Iteration

LOGS = Path(__file__).parent / "fixtures" / "logs_multigpu"


def test_worker_solver_lines_are_skipped() -> None:
    """NVIDIA Caffe prints every solver's lr: the root's (thread 26101) is the one kept,
    the worker's (26141, lines 3, 7 and 10) is skipped, even between the root's display line
    and its train net output."""
    reader = LogReader(LogSource.open(str(LOGS / "nvidia_caffe_pr180.log")))
    iterations = [e for e in reader.events() if isinstance(e, Iteration)]
    assert [(i.number, i.loss, i.loss_line, i.lr, i.lr_line,
             [(o.name, o.value, o.line) for o in i.outputs]) for i in iterations] == [
        (0, 2.72706, 1, 0.01, 4, [("loss", 2.72706, 2)]),
        (79, 0.353703, 5, 0.01, 8, [("loss", 0.353703, 6)]),
        (158, 0.141178, 9, 0.01, 12, [("loss", 0.141178, 11)]),
    ]
    (run,) = reader.runs
    assert (run.root_thread, run.worker_threads, reader.worker_lines) == ("26101", {"26141"}, 3)


def test_multi_gpu_run_is_healthy_and_says_so() -> None:
    result = examine(str(LOGS / "nvidia_caffe_pr180.log"))
    assert result.diagnoses == []
    assert result.doctor.healthy() == (
        "healthy: 3 iterations displayed, loss 2.72706 -> 0.141178 at iteration 158, lr 0.01;"
        " multi-GPU: 2 solver threads, the 3 lines of the worker solvers skipped"
    )


def test_cuda_check_failure_in_a_worker_thread() -> None:
    """A P2PSync worker's CUDA_CHECK: one fatal diagnosis on line 1; the two interleaved
    stack traces and the shell's 'Aborted (core dumped)' are skipped."""
    (fatal,) = examine(str(LOGS / "bvlc_caffe_pr2114.log")).diagnoses
    assert (fatal.kind, fatal.severity, fatal.iteration, fatal.lines, fatal.rules) == (
        "fatal", "error", None, [1], [])
    assert fatal.message == (
        "Caffe aborted at cudnn_pooling_layer.cu:39: Check failed: error == cudaSuccess (77 vs."
        " 0)  an illegal memory access was encountered (a CUDA call failed (CUDA_CHECK); a GPU"
        " kernel read or wrote out of bounds; in a loss or Accuracy layer most often a label"
        " outside [0, number of classes) (only a debug build checks it: DCHECK in"
        " softmax_loss_layer.cpp); CUDA reports a kernel's error at a later call, so the layer"
        " named is where it was noticed, not necessarily where it happened (rerun with"
        " CUDA_LAUNCH_BLOCKING=1 to pin it down))"
    )
