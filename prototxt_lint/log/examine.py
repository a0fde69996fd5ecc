"""Read a log, diagnose it and join the diagnoses to the net: what ``prototxt-lint log``
prints, as data (``examine(path, net=..., solver=...)``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from prototxt_lint.log.diagnose import Diagnosis, Doctor, diagnose
from prototxt_lint.log.netmap import Flag, NetText, drop_expected, join, lint_file, lint_printed
from prototxt_lint.log.reader import LogError, LogReader, LogSource


@dataclass
class Examination:
    name: str
    diagnoses: list[Diagnosis]
    doctor: Doctor
    net: NetText | None


def _net(net: str | None, solver: str | None,
         reader: LogReader) -> tuple[NetText | None, list[Flag]]:
    """The net to join with, and the static findings on it (and on the solver)."""
    findings: list[Flag] = []
    if solver:
        findings += lint_file(solver)
    if net:
        try:
            with open(net, encoding="utf-8", errors="replace") as handle:
                body = handle.read()
        except OSError as exc:
            raise LogError(f"{net}: cannot read: {exc.strerror}") from None
        return NetText(net, body), findings + lint_file(net)
    run = reader.runs[-1] if reader.runs else None
    if run is None or not run.net_texts:
        return None, findings
    first, body = run.net_texts[0]
    printed = NetText(reader.source.name, body, first - 1)
    return printed, findings if solver else lint_printed(run, reader.source.name, printed)


def examine(log: str | IO[bytes], net: str | None = None, solver: str | None = None,
            progress: Callable[[int], None] | None = None) -> Examination:
    """Raises :class:`LogError` when the log (or NET) cannot be read. ``progress`` is called
    with the bytes read so far, now and then."""
    source = LogSource.open(log)
    source.progress = progress
    reader = LogReader(source)
    diagnoses, doctor = diagnose(reader)
    if reader.glog_lines == 0:
        raise LogError(f"{reader.source.name}:1: no glog lines (I/W/E/F...] ...):"
                       " not a Caffe log")
    net_text, findings = _net(net, solver, reader)
    diagnoses = drop_expected(diagnoses, net_text)
    join(diagnoses, net_text, findings)
    return Examination(reader.source.name, diagnoses, doctor, net_text)
