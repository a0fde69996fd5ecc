"""Diagnoses of a Caffe training log, computed in one pass over the reader's events.

Severity means what it means for findings: ``error`` Caffe aborted, values went NaN/inf or
nothing was trained; ``warning`` very likely wrong (the message states the assumption);
``info`` worth knowing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from prototxt_lint.log.explain import explain_fatal
from prototxt_lint.log.growth import Growth
from prototxt_lint.log.layout import Layout
from prototxt_lint.log.reader import Event, LogReader
from prototxt_lint.log.records import (
    BlobStat,
    Fatal,
    Iteration,
    NetNorms,
    Run,
    TestResult,
    is_finite,
)

#: SoftmaxWithLoss clamps each sample's probability at FLT_MIN: -log(FLT_MIN).
CLAMP = 87.3365
#: Gradient norms this many times larger than the first ones: exploding.
EXPLODE_FACTOR = 1e4
#: Iterations in a row a ReLU's top must be 0 for it to count as dead.
DEAD_RUN = 3


@dataclass
class Diagnosis:
    kind: str
    severity: str
    message: str
    iteration: int | None = None
    layer: str = ""
    blob: str = ""
    lines: list[int] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    where: str = ""  # net.prototxt:45, filled in when the net is known


@dataclass
class Summary:
    runs: int = 0
    iterations: int = 0
    first_loss: float | None = None
    last_loss: float | None = None
    last_iteration: int | None = None
    last_lr: float | None = None
    last_test: list[tuple[str, float]] = field(default_factory=list)
    lines: int = 0
    solver_threads: int = 1  # more than 1: a multi-GPU run (one solver thread per GPU)
    worker_lines: int = 0  # the other solvers' lines, skipped


class Doctor:
    """Feeds on events; keeps only the first occurrences and small per-layer counters."""

    def __init__(self) -> None:
        self.diagnoses: list[Diagnosis] = []
        self.summary = Summary()
        self.runs: list[Run] = []
        self._nonfinite_seen = False
        self._layer_nonfinite_seen = False
        self._norm_first = False
        self._loss_nonfinite_seen = False
        self._lr_bad_seen = False
        self._clamp_seen = False
        self._explosion: Diagnosis | None = None
        self._global_seen = False
        self._growth = Growth()
        self._first_l2: float | None = None
        self._dead: dict[str, tuple[int, int, int]] = {}  # layer -> (run length, first it, line)
        self._dead_reported: set[str] = set()
        self._layout: Layout | None = None
        self._pending_diffs: list[tuple[int, str]] = []  # param diffs not yet seen non-zero
        self._lrs: set[float] = set()
        self._lr_first_line = 0
        self._zero_diff: dict[str, tuple[int, int]] = {}
        self._some_diff: set[str] = set()
        self._last_train: Iteration | None = None
        self._last_test: TestResult | None = None
        self._accuracy_seen = False
        self._nonfinite_loss_at: int | None = None
        self._tail_losses: list[tuple[int, float, int]] = []

    def add(self, diagnosis: Diagnosis) -> None:
        self.diagnoses.append(diagnosis)

    # -- events -----------------------------------------------------------------------
    def feed(self, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, Iteration):
                self._iteration(event)
            elif isinstance(event, TestResult):
                self._test(event)
            elif isinstance(event, Fatal):
                self._fatal(event)
            elif isinstance(event, Run):
                self.runs.append(event)
                self._growth.reset(event.bottoms)
                self.summary.runs += 1

    def _batch(self) -> int | None:
        run = self.runs[-1] if self.runs else None
        if run and run.first_top_shapes:
            return run.first_top_shapes[0][1][0]
        return None

    def _iteration(self, it: Iteration) -> None:
        s = self.summary
        s.iterations += 1
        if it.loss is not None:
            if s.first_loss is None:
                s.first_loss = it.loss
            s.last_loss = it.loss
            s.last_iteration = it.number
            self._tail_losses = [*self._tail_losses, (it.number, it.loss, it.loss_line)][-5:]
        if it.lr is not None:
            s.last_lr = it.lr
        self._last_train = it
        if it.blobs and not self._nonfinite_seen and (
                self._explosion is None or not self._explosion.layer):
            self._check_growth(it)  # until the layer an explosion starts in is known
        self._check_blobs(it)
        self._check_norms(it)
        self._check_loss(it)
        self._check_lr(it)

    def _check_blobs(self, it: Iteration) -> None:
        if not it.blobs:
            return
        layout = self._layout
        if layout is None or not layout.fits(it.blobs):
            self._slow_blobs(it)
            self._layout = Layout(it.blobs)
            return
        blobs = it.blobs
        if not self._layer_nonfinite_seen and not is_finite(sum([b.value for b in blobs])):
            self._check_nonfinite(it)  # a nan or inf (or a sum that overflowed): find it
        pending = self._pending_diffs
        if pending:
            for i, name in pending:
                b = blobs[i]
                if b.value == 0:
                    if name not in self._zero_diff:
                        self._zero_diff[name] = (it.number, b.line)
                else:
                    self._some_diff.add(name)
            self._pending_diffs = [(i, n) for i, n in pending if n not in self._some_diff]
        for i, j in layout.relus:
            self._relu(it, blobs[i], blobs[j].value)

    def _slow_blobs(self, it: Iteration) -> None:
        """Every value, one by one: an iteration whose layout is new or different."""
        self._check_nonfinite(it)
        for b in it.blobs:
            if b.role == "param" and b.kind == "diff":
                name = f"{b.layer}/{b.blob}"
                if b.value == 0:
                    if name not in self._zero_diff:
                        self._zero_diff[name] = (it.number, b.line)
                else:
                    self._some_diff.add(name)
        self._pending_diffs = [(i, n) for i, n in (Layout(it.blobs).param_diffs)
                               if n not in self._some_diff]
        tops: dict[str, float] = {}
        for b in it.blobs:
            if b.direction == "forward" and b.role == "top":
                tops.setdefault(b.blob, b.value)
                if "relu" in b.layer.lower():
                    self._relu(it, b, tops[b.blob])

    def _check_nonfinite(self, it: Iteration) -> None:
        if self._layer_nonfinite_seen:
            return
        for b in it.blobs:
            if not is_finite(b.value):
                kind = "first-nonfinite-layer" if self._nonfinite_seen else "first-nonfinite"
                self._nonfinite_seen = self._layer_nonfinite_seen = True
                what = "nan" if math.isnan(b.value) else "inf"
                blob = b.blob if b.role != "param" else f"param blob {b.blob}"
                self.add(Diagnosis(
                    kind, "error",
                    f"first {what} at iteration {it.number}: {b.direction} pass, layer"
                    f" {b.layer}, {b.role} blob {b.blob} {b.kind}",
                    it.number, b.layer, blob, [b.line]))
                return

    def _relu(self, it: Iteration, b: BlobStat, before: float) -> None:
        """A ReLU's top ``b``; ``before``: the value its blob had from the layer before it
        (an in-place ReLU's input)."""
        if b.value == 0 and before != 0:
            count, first, line = self._dead.get(b.layer, (0, it.number, b.line))
            count += 1
            self._dead[b.layer] = (count, first, line)
            if count >= DEAD_RUN and b.layer not in self._dead_reported:
                self._dead_reported.add(b.layer)
                self.add(Diagnosis(
                    "dead-relu", "warning",
                    f"ReLU {b.layer} outputs only zeros from iteration {first}"
                    f" ({count} debug_info iterations in a row; its input"
                    f" {b.blob} was non-zero): every unit is dead, nothing before"
                    " it learns", first, b.layer, b.blob, [line, b.line]))
        elif b.value != 0:
            self._dead.pop(b.layer, None)

    def _check_loss(self, it: Iteration) -> None:
        loss = it.loss
        if loss is None:
            return
        if not is_finite(loss):
            if not self._loss_nonfinite_seen:
                self._loss_nonfinite_seen = True
                self._nonfinite_loss_at = it.number
                self.add(Diagnosis(
                    "loss-nonfinite", "error",
                    f"the training loss is {'nan' if math.isnan(loss) else 'inf'} from"
                    f" iteration {it.number}", it.number, lines=[it.loss_line]))
            return
        if self._clamp_seen or loss < 1:
            return
        batch = self._batch() or 1
        per_sample = CLAMP / batch
        k = loss / per_sample
        exact = abs(k - round(k)) < 1e-3 * max(1.0, k) and round(k) >= 1
        if not exact and loss < 20:
            return
        self._clamp_seen = True
        n = round(k) if exact else math.floor(k)
        if exact:
            what = (f"= 87.3365 x {n}/{batch}: {n} of {batch} samples have probability 0 for"
                    " their label, the clamp at -log(FLT_MIN) of SoftmaxWithLoss (assuming a"
                    f" batch of {batch}, the first top shape of the train net)")
        else:
            what = (f"is {loss / CLAMP:.0%} of 87.3365, the most a sample's loss can be"
                    " (SoftmaxWithLoss clamps at -log(FLT_MIN)): the softmax is saturated,"
                    f" at least {math.ceil(k - 1e-9)} of {batch} samples score near 0 for"
                    f" their label (assuming a batch of {batch})")
        self.add(Diagnosis(
            "loss-clamp", "error",
            f"loss {loss:g} at iteration {it.number} {what}; the scores overflowed"
            " (unscaled input, frozen BatchNorm statistics or a huge lr)",
            it.number, lines=[it.loss_line]))

    def _check_lr(self, it: Iteration) -> None:
        if it.lr is None:
            return
        if not self._lr_bad_seen and (not is_finite(it.lr) or it.lr <= 0):
            self._lr_bad_seen = True
            what = "nan" if math.isnan(it.lr) else f"{it.lr:g}"
            self.add(Diagnosis(
                "lr-invalid", "error" if it.lr != 0 else "warning",
                f"learning rate {what} at iteration {it.number}: nothing is learned"
                " (gamma missing or 0, or a schedule that underflows)",
                it.number, lines=[it.lr_line], rules=["S106", "S201"]))
        if not self._lrs:
            self._lr_first_line = it.lr_line
        if len(self._lrs) < 2:
            self._lrs.add(it.lr)

    def _check_norms(self, it: Iteration) -> None:
        norms = it.norms
        if norms is None:
            return
        if not self._nonfinite_seen and not is_finite(norms.l2_diff):
            self._nonfinite_seen = True
            self._norm_first = True
            what = "nan" if math.isnan(norms.l2_diff) else "inf"
            self.add(Diagnosis(
                "first-nonfinite", "error",
                f"first {what} at iteration {it.number}: backward pass, the L2 norm of all"
                " param diffs (every layer's mean |diff| is still finite: the sum of"
                " squares overflows float)", it.number, "", "all net params diff",
                [norms.line]))
        if self._first_l2 is None:
            if is_finite(norms.l2_diff) and norms.l2_diff > 0:
                self._first_l2 = norms.l2_diff
            return
        if self._global_seen or (
            is_finite(norms.l2_diff) and norms.l2_diff <= EXPLODE_FACTOR * self._first_l2
        ):
            return
        self._global_seen = True
        if self._explosion is None:
            self._explosion = Diagnosis(
                "exploding-gradients", "error",
                f"gradients explode from iteration {it.number}: {self._global(norms)}; lower"
                " base_lr or clip gradients (clip_gradients)",
                it.number, lines=[norms.line])
            self.add(self._explosion)
        else:  # the explosion was found in a layer first: the global norm follows
            found = self._explosion
            found.message = found.message.replace(
                "; lower", f"; at iteration {it.number} {self._global(norms)}; lower", 1)
            found.lines = sorted({*found.lines, norms.line})

    def _global(self, norms: NetNorms) -> str:
        return (f"the L2 norm of all param diffs is {norms.l2_diff:g}, {EXPLODE_FACTOR:g}x or"
                f" more the first one ({self._first_l2:g})")

    def _check_growth(self, it: Iteration) -> None:
        """Which layer's values grow by orders of magnitude first (debug_info)."""
        found = self._growth.check(it)
        if found is None:
            return
        where = (f"values explode from iteration {found.iteration}, starting in layer"
                 f" {found.layer}: {found.what}")
        if self._explosion is None:
            self._explosion = Diagnosis(
                "exploding-gradients", "error",
                f"{where}; lower base_lr (or this layer's lr_mult) or clip gradients"
                " (clip_gradients)", found.iteration, found.layer, found.blob, found.lines)
            self.add(self._explosion)
            return
        known = self._explosion  # the global norm exploded first: say where
        known.layer, known.blob = found.layer, found.blob
        known.message = known.message.replace("; lower", f"; {where}; lower", 1)
        known.lines = sorted({*known.lines, *found.lines})

    def _test(self, test: TestResult) -> None:
        self._last_test = test
        self.summary.last_test = [(o.name, o.value) for o in test.outputs]
        acc = next((o for o in test.outputs if "acc" in o.name.lower()), None)
        loss = next((o for o in test.outputs if "loss" in o.name.lower()), None)
        if acc and loss and acc.value == 1 and math.isnan(loss.value) and not self._accuracy_seen:
            self._accuracy_seen = True
            self.add(Diagnosis(
                "accuracy-with-nan", "error",
                f"test {acc.name} = 1 at iteration {test.iteration} next to {loss.name} = nan:"
                " NaN >= NaN is false in the Accuracy layer, so a NaN net scores every"
                " sample as right; the accuracy is meaningless",
                test.iteration, lines=[acc.line, loss.line]))

    def _fatal(self, fatal: Fatal) -> None:
        if not fatal.source:
            self.add(Diagnosis(
                "libc-abort", "error",
                f"the process aborted: {fatal.message!r}"
                + (" after NaN reached a MAX pooling layer, whose backward writes out of"
                   " bounds (bottom_diff[-1]) for empty or NaN windows"
                   if self._nonfinite_seen or self._loss_nonfinite_seen else ""),
                lines=[fatal.line], rules=["N201"]))
            return
        meaning, codes = explain_fatal(fatal.source, fatal.message)
        text = f"Caffe aborted at {fatal.source}: {fatal.message}"
        if meaning:
            text += f" ({meaning})"
        self.add(Diagnosis("fatal", "error", text, lines=[fatal.line], rules=list(codes)))

    # -- the end ----------------------------------------------------------------------
    def finish(self, reader: LogReader) -> list[Diagnosis]:
        s = self.summary
        s.lines = reader.lines
        s.solver_threads = max((1 + len(r.worker_threads) for r in reader.runs), default=1)
        s.worker_lines = reader.worker_lines
        for key, (number, line) in self._zero_diff.items():
            if key not in self._some_diff:
                layer, _, index = key.partition("/")
                self.add(Diagnosis(
                    "zero-gradients", "warning",
                    f"layer {layer} param blob {index} diff is 0 at every debug_info"
                    " iteration: it never learns (assuming the layer is meant to train)",
                    number, layer, f"param blob {index}", [line]))
        if s.iterations and self._last_train is not None and len(self._lrs) == 1:
            policy = self.runs[-1].policy if self.runs else ""
            if policy not in ("fixed", "") and s.iterations > 2:
                self.add(Diagnosis(
                    "lr-constant", "warning",
                    f"lr_policy {policy!r} but the learning rate never changes"
                    f" ({next(iter(self._lrs)):g}): a schedule parameter (gamma, power,"
                    " stepvalue) is missing", lines=[self._lr_first_line],
                    rules=["S106", "S107", "S108"]))
        tested = self._last_test.iteration if self._last_test is not None else 0
        if self.runs and s.last_iteration in (0, None) and not tested and not any(
            d.kind == "fatal" for d in self.diagnoses
        ) and self.runs[-1].done_line:
            self.add(Diagnosis(
                "zero-iterations", "error",
                "Optimization Done after iteration 0: Caffe trained zero iterations"
                " (max_iter missing or 0; with poly its default 0 is used)",
                0, lines=[self.runs[-1].done_line], rules=["S101", "S102"]))
        if not s.iterations and not self.diagnoses and self._last_test is None and not (
                self.runs and self.runs[-1].done_line):
            self.add(Diagnosis(
                "no-iterations", "info",
                f"the log has no training iteration: it ends at line {reader.lines} before"
                " the first one (the run is still setting up, or its output was cut)",
                lines=[reader.lines]))
        self._check_chance()
        self._check_test_gap()
        return self.diagnoses

    def _check_chance(self) -> None:
        if self._clamp_seen or self._loss_nonfinite_seen or len(self._tail_losses) < 3:
            return
        tail = self._tail_losses[-3:]
        for classes in range(2, 1001):
            chance = math.log(classes)
            if all(abs(loss - chance) < 0.01 * chance for _, loss, _ in tail):
                number, loss, _line = tail[-1]
                self.add(Diagnosis(
                    "loss-at-chance", "warning",
                    f"the loss stays at {loss:g} ~ ln({classes}) = {chance:.4f} up to"
                    f" iteration {number}: the net guesses uniformly among {classes} classes"
                    " (assuming that many classes): it learned nothing",
                    number, lines=[ln for _, _, ln in tail]))
                return

    def _check_test_gap(self) -> None:
        test, train = self._last_test, self._last_train
        if test is None or train is None or train.loss is None:
            return
        loss = next((o for o in test.outputs if "loss" in o.name.lower()), None)
        if loss is None or not (is_finite(loss.value) and is_finite(train.loss)):
            return
        low, high = sorted((loss.value, train.loss))
        if high > 0.1 and high > 10 * max(low, 1e-12):
            self.add(Diagnosis(
                "test-train-gap", "warning",
                f"test {loss.name} {loss.value:g} at iteration {test.iteration} is far from"
                f" the train loss {train.loss:g} at iteration {train.number} (10x or more):"
                " overfitting, or TRAIN and TEST nets that differ (BatchNorm"
                " use_global_stats, data)", test.iteration, lines=[loss.line, train.loss_line],
                rules=["N211", "N213"]))

    def healthy(self) -> str:
        s = self.summary
        test = ", ".join(f"{n} {v:g}" for n, v in s.last_test)
        if s.first_loss is None or s.last_loss is None:  # display: 0
            at = f" at iteration {self._last_test.iteration}" if self._last_test else ""
            return ("healthy: no training iteration displayed (display is 0, or larger"
                    " than max_iter)" + (f"; last test{at}: {test}" if test else ""))
        return (
            f"healthy: {s.iterations} iterations displayed, loss {s.first_loss:g} ->"
            f" {s.last_loss:g} at iteration {s.last_iteration}"
            + (f", lr {s.last_lr:g}" if s.last_lr is not None else "")
            + (f"; last test: {test}" if test else "")
            + (f"; multi-GPU: {s.solver_threads} solver threads, the {s.worker_lines} lines"
               " of the worker solvers skipped" if s.solver_threads > 1 else "")
        )


def diagnose(reader: LogReader) -> tuple[list[Diagnosis], Doctor]:
    doctor = Doctor()
    doctor.feed(reader.events())
    return doctor.finish(reader), doctor
