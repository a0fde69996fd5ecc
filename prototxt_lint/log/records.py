"""What the reader makes of a Caffe log: runs, iterations, test results, debug_info values.

Every value keeps the log line number it was read from (1-based), so a diagnosis can point at
its evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Neither nan nor inf (math.isfinite: a C function, on the hot path).
is_finite = math.isfinite


@dataclass(slots=True)
class BlobStat:
    """One debug_info line: ``[Forward] Layer conv1, top blob conv1 data: 0.42`` (the mean
    absolute value Caffe prints, ``asum / count``)."""

    direction: str  # "forward" or "backward"
    layer: str
    role: str  # "top", "bottom" or "param"
    blob: str  # the blob's name, or the param blob's index ("0", "1")
    kind: str  # "data" or "diff"
    value: float
    line: int


@dataclass(slots=True)
class NetNorms:
    """``[Backward] All net params (data, diff): L1 norm = (a, b); L2 norm = (c, d)``."""

    l1_data: float
    l1_diff: float
    l2_data: float
    l2_diff: float
    line: int


@dataclass(slots=True)
class Output:
    """``Train net output #0: loss = 1.37 (* 1 = 1.37 loss)`` or a test net output."""

    name: str
    value: float
    line: int


@dataclass(slots=True)
class Iteration:
    """One training iteration: its loss and lr as displayed, its train outputs, and (with
    debug_info) the forward and backward values of the ForwardBackward that produced them."""

    number: int
    run: int
    loss: float | None = None
    loss_line: int = 0
    lr: float | None = None
    lr_line: int = 0
    outputs: list[Output] = field(default_factory=list)
    blobs: list[BlobStat] = field(default_factory=list)
    norms: NetNorms | None = None


@dataclass(slots=True)
class TestResult:
    """``Iteration N, Testing net (#k)`` and the outputs that follow it."""

    iteration: int
    net: int
    run: int
    line: int
    outputs: list[Output] = field(default_factory=list)


@dataclass(slots=True)
class Fatal:
    """A glog FATAL line (``F... file.cpp:line] message``), or a C library abort such as
    ``double free or corruption (out)``."""

    message: str
    source: str  # "pooling_layer.cpp:74", or "" for a libc message
    line: int


@dataclass(slots=True)
class Run:
    """One ``caffe train`` in the log, from ``Initializing solver from parameters``."""

    index: int
    line: int
    solver_text: str = ""
    solver_line: int = 0  # the log line of the solver text's first line
    net_texts: list[tuple[int, str]] = field(default_factory=list)  # (first line, text)
    first_top_shapes: list[tuple[str, list[int]]] = field(default_factory=list)
    #: the train net's layers and their bottom blobs, from set-up (``ip1 <- pool1``)
    bottoms: dict[str, list[str]] = field(default_factory=dict)
    #: the thread id of the root solver (multi-GPU: the others are workers, skipped)
    root_thread: str = ""
    worker_threads: set[str] = field(default_factory=set)
    restored_from: str = ""
    policy: str = ""
    done_line: int = 0
