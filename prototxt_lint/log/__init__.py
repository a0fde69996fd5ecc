"""The training-log doctor: read Caffe's glog output (``caffe train`` stderr) and say what
went wrong in the run, and where in the prototxt.

``read(path_or_file)`` yields the parsed :class:`~prototxt_lint.log.records.Iteration` records
one at a time (streaming: a log of any size is read in bounded memory);
:func:`prototxt_lint.log.diagnose.diagnose` turns a log into diagnoses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from prototxt_lint.log.reader import LogReader, LogSource
from prototxt_lint.log.records import BlobStat, Iteration, Run, TestResult

__all__ = ["BlobStat", "Iteration", "LogReader", "Run", "TestResult", "read"]


def read(source: str | IO[bytes] | IO[str]) -> Iterator[Iteration]:
    """The training iterations of the log ``source`` (a path, ``-`` for stdin, a gzip'd file,
    or an open file), in the order Caffe wrote them."""
    reader = LogReader(LogSource.open(source))
    for event in reader.events():
        if isinstance(event, Iteration):
            yield event
