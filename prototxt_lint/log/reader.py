"""Streaming reader of Caffe's glog output.

Reads one line at a time (never the whole file), so memory stays bounded however long the
log is: only the iteration being assembled, and the solver and net parameters Caffe prints at
the start of each run, are held. Accepts a path, ``-`` (stdin), gzip'd logs, CRLF line ends,
a truncated last line, non-glog noise between lines (Python prints, shell output) and
several runs (or restarts from a snapshot) in one file.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

from prototxt_lint.log.records import (
    BlobStat,
    Fatal,
    Iteration,
    NetNorms,
    Output,
    Run,
    TestResult,
)

#: The solver or net text Caffe prints is kept up to this many characters per block.
MAX_BLOCK_CHARS = 2 * 1024 * 1024
#: Bytes read (and decoded) at a time.
CHUNK = 1 << 18

GLOG = re.compile(
    r"([IWEF])\d{4}(?:\d{4})? +[\d:.]+ +(\d+) ([\w.+\-]+:\d+)\] ?(.*)"
)
#: A whole debug_info blob line (most lines of a debug_info log): matched in one go.
DEBUG = re.compile(
    r"I\d{4}(?:\d{4})? +[\d:.]+ +(\d+) net\.cpp:\d+\] +\[(Forward|Backward)\] Layer (\S+),"
    r" (top|bottom|param) blob (\S+) (data|diff): (\S+)"
)
BLOB = re.compile(
    r"\[(Forward|Backward)\] Layer (\S+), (top|bottom|param) blob (\S+) (data|diff): (\S+)"
)
NORMS = re.compile(
    r"\[Backward\] All net params \(data, diff\): L1 norm = \((\S+), (\S+)\);"
    r" L2 norm = \((\S+), (\S+)\)"
)
DISPLAY = re.compile(r"Iteration (\d+)(?: \([^)]*\))?, loss = (\S+)")
LR = re.compile(r"Iteration (\d+), lr = (\S+)")
TESTING = re.compile(r"Iteration (\d+), Testing net \(#(\d+)\)")
NET_OUTPUT = re.compile(r"(Train|Test) net output #\d+: (\S+) = (\S+)")
TOP_SHAPE = re.compile(r"Top shape: ([\d ]+) \(\d+\)")
POLICY = re.compile(r"Learning Rate Policy: ?(.*)")
LIBC_ABORT = ("double free or corruption", "free(): invalid", "corrupted size vs",
              "malloc(): ", "munmap_chunk(): invalid pointer", "Segmentation fault")


class LogError(Exception):
    """The log cannot be read; the message says why and where (exit code 2)."""


def number(text: str) -> float:
    """A value as Caffe prints it: ``-nan``, ``inf``, ``1.5e+06``, ``0.0645,`` ..."""
    text = text.rstrip(",;)")
    try:
        return float(text)
    except ValueError:
        return float("nan")


class LogSource:
    """The lines of a log file, stdin or an open file, decoded, with their numbers."""

    def __init__(self, name: str, stream: IO[bytes]) -> None:
        self.name = name
        self.stream = stream
        self.bytes_read = 0
        #: called with the bytes read so far after each chunk (a progress bar)
        self.progress: Callable[[int], None] | None = None

    @classmethod
    def open(cls, source: str | IO[bytes] | IO[str]) -> LogSource:
        if not isinstance(source, str):
            buffer = cast("IO[bytes]", getattr(source, "buffer", source))
            name = getattr(source, "name", "<stream>")
            return cls._checked(str(name), buffer)
        if source == "-":
            return cls._checked("<stdin>", sys.stdin.buffer)
        try:
            mode = os.stat(source).st_mode
        except FileNotFoundError:
            raise LogError(f"{source}: no such file") from None
        except OSError as exc:
            raise LogError(f"{source}: cannot read: {exc.strerror}") from None
        if stat.S_ISDIR(mode):
            raise LogError(f"{source}: is a directory, not a log file")
        try:
            stream: IO[bytes] = open(source, "rb")  # closed by LogSource.lines
        except OSError as exc:
            raise LogError(f"{source}: cannot read: {exc.strerror}") from None
        return cls._checked(source, stream)

    @classmethod
    def _checked(cls, name: str, stream: IO[bytes]) -> LogSource:
        """Sniff the start: gzip is unpacked, an empty file or binary data is refused."""
        buffered: Any = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(
            cast(Any, stream)
        )
        head = buffered.peek(4096)[:4096]
        if head[:2] == b"\x1f\x8b":
            unpacked: IO[bytes] = gzip.GzipFile(fileobj=buffered)  # type: ignore[assignment]
            try:
                head = unpacked.read(4096)
            except (OSError, EOFError) as exc:
                raise LogError(f"{name}: a broken gzip file ({exc})") from None
            rest = unpacked
            buffered = io.BufferedReader(cast(Any, _Chain(head, rest)))
        if not head:
            raise LogError(f"{name}: the file is empty (no Caffe log lines)")
        zero = head.find(b"\x00")
        if zero != -1:
            line = head[:zero].count(b"\n") + 1
            raise LogError(
                f"{name}:{line}: binary data (a NUL byte at byte {zero}), not a Caffe log"
            )
        return cls(name, buffered)

    def batches(self) -> Iterator[list[str]]:
        """The lines, decoded and without their ends, CHUNK bytes at a time (decoding and
        splitting a whole chunk at once is several times faster than line by line)."""
        progress = self.progress
        tail = b""
        try:
            while True:
                chunk = self.stream.read(CHUNK)
                if not chunk:
                    break
                self.bytes_read += len(chunk)
                data = tail + chunk if tail else chunk
                cut = data.rfind(b"\n") + 1
                tail = data[cut:]
                if cut:  # UTF-8 never has a newline byte inside a character: safe to cut
                    text = data[:cut].decode("utf-8", "replace")
                    batch = text.split("\n")
                    batch.pop()  # the empty string after the last newline
                    if "\r" in text:
                        batch = [line.rstrip("\r") for line in batch]
                    yield batch
                if progress is not None:
                    progress(self.bytes_read)
            if tail:  # a truncated last line
                yield [tail.decode("utf-8", "replace").rstrip("\r")]
        except (OSError, EOFError) as exc:  # a truncated gzip member
            raise LogError(f"{self.name}: cannot read further: {exc}") from None
        finally:
            if self.stream is not sys.stdin.buffer:
                self.stream.close()

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, line), one at a time."""
        lineno = 0
        for batch in self.batches():
            for line in batch:
                lineno += 1
                yield lineno, line


class _Chain(io.RawIOBase):
    """The bytes already read from a gzip stream, then the rest of it."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


Event = Iteration | TestResult | Fatal | Run


class LogReader:
    """Turns lines into events: a :class:`Run` when one starts, each :class:`Iteration` and
    :class:`TestResult` once complete, each :class:`Fatal` line."""

    def __init__(self, source: LogSource) -> None:
        self.source = source
        self.runs: list[Run] = []
        self.lines = 0
        self.glog_lines = 0
        self._pending: Iteration | None = None
        self._test: TestResult | None = None
        self._last_number = -1
        self._block: list[str] | None = None
        self._block_size = 0
        self._block_line = 0
        self._block_owner = ""
        self._setting_up = ""
        self._out: list[Event] = []
        #: solver and debug_info lines of other solver threads than the root's (multi-GPU)
        self.worker_lines = 0
        self._root = ""  # the current run's root solver thread

    # -- assembling -------------------------------------------------------------------
    def _run(self) -> Run:
        if not self.runs:  # a log cut before "Initializing solver": one run without header
            self.runs.append(Run(index=0, line=1))
        return self.runs[-1]

    def _iteration(self) -> Iteration:
        if self._pending is None:
            self._pending = Iteration(number=-1, run=self._run().index)
        return self._pending

    def _finish_iteration(self) -> Iteration | None:
        it, self._pending = self._pending, None
        if it is None:
            return None
        if it.number < 0:
            if not it.blobs and it.norms is None:
                return None
            it.number = self._last_number + 1
        self._last_number = it.number
        return it

    def _finish_test(self) -> TestResult | None:
        test, self._test = self._test, None
        return test

    def _flush(self) -> None:
        for done in (self._finish_test(), self._finish_iteration()):
            if done is not None:
                self._out.append(done)

    def _end_block(self) -> None:
        if self._block is None:
            return
        text = "\n".join(self._block)
        run = self._run()
        if self._block_owner == "solver":
            run.solver_text = text
            run.solver_line = self._block_line
        else:
            run.net_texts.append((self._block_line, text))
        self._block = None

    # -- reading ----------------------------------------------------------------------
    def events(self) -> Iterator[Event]:
        debug = DEBUG.match
        glog = GLOG.match
        lineno = 0
        for batch in self.source.batches():
            for line in batch:
                lineno += 1
                found = debug(line) if "]     [" in line else None
                if found is not None:  # the hot path: one debug_info value
                    self.glog_lines += 1
                    if self._block is not None:
                        self._end_block()
                    thread, direction, layer, role, blob, kind, value = found.groups()
                    if self._root and thread != self._root:
                        self._worker(thread)
                        continue
                    self._blob(lineno, direction, layer, role, blob, kind, value)
                    if self._out:
                        self.lines = lineno
                        yield from self._out
                        self._out = []
                    continue
                match = glog(line) if line[:1] in "IWEF" and line else None
                if match is None:
                    if self._block is not None:
                        if self._block_size < MAX_BLOCK_CHARS:
                            self._block.append(line)
                            self._block_size += len(line) + 1
                        continue
                    if line.startswith(LIBC_ABORT):
                        self._flush()
                        self._out.append(Fatal(message=line.strip(), source="", line=lineno))
                        self.lines = lineno
                        yield from self._out
                        self._out = []
                    continue
                self.glog_lines += 1
                self._end_block()
                level, thread, where, message = match.groups()
                self._glog(lineno, level, thread, where, message)
                if self._out:
                    self.lines = lineno
                    yield from self._out
                    self._out = []
        self.lines = lineno
        self._end_block()
        self._flush()
        yield from self._out
        self._out = []

    def _glog(self, lineno: int, level: str, thread: str, where: str, message: str) -> None:
        if level == "F":
            self._flush()
            self._out.append(Fatal(message=message, source=where, line=lineno))
            return
        file = where.partition(":")[0]
        if file == "net.cpp" and message.startswith("    ["):
            if self._worker(thread):
                return
            self._debug(lineno, message.strip())
            return
        if file == "solver.cpp" or file == "sgd_solver.cpp":
            # only the root solver's thread displays and starts a run; another thread's
            # lines are a multi-GPU worker's (some Caffe versions print each one's lr)
            if self._worker(thread) and not (
                    message.startswith("Initializing solver") or DISPLAY.match(message)):
                return
            self._solver(lineno, message)
            self._run().root_thread = self._root = thread
            return
        if file == "caffe.cpp" and message.startswith("Resuming from "):
            self._run().restored_from = message[len("Resuming from "):].strip()
            return
        if file == "net.cpp":
            if message.startswith("Initializing net from parameters"):
                self._start_block("net", lineno)
            elif message.startswith("Setting up "):
                self._setting_up = message[len("Setting up "):].strip()
            elif message.startswith("Top shape:") and self._setting_up:
                run = self._run()
                found = TOP_SHAPE.match(message)
                if found and len(run.net_texts) == 1:
                    dims = [int(d) for d in found.group(1).split()]
                    run.first_top_shapes.append((self._setting_up, dims))
                self._setting_up = ""
            elif " <- " in message:
                run = self._run()
                if len(run.net_texts) == 1:
                    layer, _, bottom = message.partition(" <- ")
                    run.bottoms.setdefault(layer.strip(), []).append(bottom.strip())

    def _worker(self, thread: str) -> bool:
        """Is ``thread`` another solver's than the root's? (counted when it is)"""
        if not self._root or thread == self._root:
            return False
        self.worker_lines += 1
        self._run().worker_threads.add(thread)
        return True

    def _start_block(self, owner: str, lineno: int) -> None:
        self._block = []
        self._block_size = 0
        self._block_line = lineno + 1
        self._block_owner = owner

    def _solver(self, lineno: int, message: str) -> None:
        message = message.strip()
        if message.startswith("Initializing solver from parameters"):
            self._flush()
            if self.runs:  # only the last run's texts are kept: bounded memory (the runs
                old = self.runs[-1]  # before it were emptied when their successor started)
                old.solver_text, old.net_texts, old.first_top_shapes = "", [], []
                old.bottoms = {}
            self.runs.append(Run(index=len(self.runs), line=lineno))
            self._last_number = -1
            self._start_block("solver", lineno)
            self._out.append(self.runs[-1])
            return
        found = DISPLAY.match(message)
        if found:
            test = self._finish_test()
            if test is not None:
                self._out.append(test)
            if self._pending is not None and self._pending.number >= 0:
                done = self._finish_iteration()
                if done is not None:
                    self._out.append(done)
            it = self._iteration()
            it.number = int(found.group(1))
            it.loss = number(found.group(2))
            it.loss_line = lineno
            return
        found = NET_OUTPUT.match(message)
        if found:
            output = Output(found.group(2), number(found.group(3)), lineno)
            if found.group(1) == "Test":
                if self._test is not None:
                    self._test.outputs.append(output)
            elif self._pending is not None:
                self._pending.outputs.append(output)
            return
        found = LR.match(message)
        if found:
            it = self._iteration()
            if it.number < 0:
                it.number = int(found.group(1))
            it.lr = number(found.group(2))
            it.lr_line = lineno
            return
        found = TESTING.match(message)
        if found:
            self._flush()
            self._test = TestResult(int(found.group(1)), int(found.group(2)),
                                    self._run().index, lineno)
            return
        if message.startswith("Restoring previous solver status from"):
            self._run().restored_from = message.rpartition(" ")[2]
            return
        found = POLICY.match(message)
        if found:
            self._run().policy = found.group(1).strip()
            return
        if message.startswith("Optimization Done"):
            self._flush()
            self._run().done_line = lineno

    def _debug(self, lineno: int, message: str) -> None:
        """A debug_info line that DEBUG did not take: the net's L2 norms (or a blob line in
        an unusual layout)."""
        found = BLOB.match(message)
        if found is not None:
            self._blob(lineno, *found.groups())
            return
        found = NORMS.match(message)
        if found:
            if self._test is not None:
                if not self._test.outputs:
                    return
                self._flush()
            a, b, c, d = (number(g) for g in found.groups())
            self._iteration().norms = NetNorms(a, b, c, d, lineno)

    def _blob(self, lineno: int, direction: str, layer: str, role: str, blob: str,
              kind: str, value: str) -> None:
        if self._test is not None:  # the test net's forward: not a training iteration
            if not self._test.outputs:
                return
            self._flush()  # the test is over; this is the next train forward
        try:
            number_ = float(value)
        except ValueError:
            number_ = number(value)
        it = self._pending or self._iteration()
        if direction == "Forward":
            if it.norms is not None or (it.blobs and it.blobs[-1].direction == "backward"):
                self._flush()
                it = self._iteration()
            it.blobs.append(BlobStat("forward", layer, role, blob, kind, number_, lineno))
        else:
            it.blobs.append(BlobStat("backward", layer, role, blob, kind, number_, lineno))
