"""Where an explosion starts: which layer's values (debug_info's mean |data| or |diff|) grow
by orders of magnitude first, and from which iteration.

The first value of every debug_info series in a run (``[Forward] Layer ip1, top blob ip1
data``, ``[Backward] Layer ip1, param blob 0 diff`` ...) is its baseline. The first
iteration in which some series reaches :data:`FACTOR` times its baseline is where the
explosion starts. Which layer starts it is not simply the first line to cross the factor:
a layer's output inherits the growth of its input, so a layer after the culprit often crosses
first. Each layer's *own* gain is the growth of its top blobs divided by the growth of its
bottom blobs (as the forward pass produced them: Caffe prints the forward in layer order and
names every layer's bottoms at set-up, ``ip1 <- pool1``; a log cut before them: the layer
printed before it); the layer with the largest own gain is where the values explode (its
weights, updated by the solver, usually grew with it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import ge

from prototxt_lint.log.layout import Key, Layout, key
from prototxt_lint.log.records import BlobStat, Iteration, is_finite

#: A series this many times its first value has exploded (orders of magnitude).
FACTOR = 1e4
#: ... and it is large in absolute terms too: a mean |value| above this (a tiny baseline,
#: say a bias diff of 1e-9 growing to 1e-4, is not an explosion).
FLOOR = 1.0

@dataclass
class Explosion:
    iteration: int
    layer: str
    blob: str  # the top blob that grew (or "param blob 0"), as Diagnosis.blob
    what: str  # "top blob ip1 data 0.866 at iteration 0 -> 6.4e+05 at iteration 2 (7e+05x)"
    gain: float  # the layer's own gain (its growth over its input's); 0 if not known
    lines: list[int]


def _fmt(value: float) -> str:
    return f"{value:.3g}"


class Growth:
    """Baselines of one run's debug_info series, and the check of each iteration."""

    def __init__(self) -> None:
        self.base: dict[Key, tuple[float, int, int]] = {}  # key -> (value, iteration, line)
        self.bottoms: dict[str, list[str]] = {}
        self._layout: Layout | None = None
        self._limits: list[float] = []  # per position of the layout: the least explosion

    def reset(self, bottoms: dict[str, list[str]]) -> None:
        """A new run: new baselines; ``bottoms`` maps each train-net layer to its bottoms."""
        self.base = {}
        self.bottoms = bottoms
        self._layout = None

    def _growth(self, b: BlobStat) -> float:
        """The value over its baseline (0 if either is 0 or not finite)."""
        base = self.base.get(key(b))
        if base is None or base[0] <= 0 or not is_finite(b.value):
            return 0.0
        return abs(b.value) / base[0]

    def check(self, it: Iteration) -> Explosion | None:
        """The explosion, if it starts at ``it``; records the baselines of new series."""
        layout = self._layout
        if layout is not None and layout.fits(it.blobs):
            # in C: is any value at its limit? (Caffe prints mean absolute values: >= 0)
            if not any(map(ge, [b.value for b in it.blobs], self._limits)):
                return None
            return self._check(it)
        found = self._check(it)
        self._layout = layout = Layout(it.blobs)
        self._limits = [self._limit(k) for k in layout.keys]
        return found

    def _limit(self, k: Key) -> float:
        base = self.base.get(k)
        if base is None or base[0] <= 0:
            return math.inf
        return max(FACTOR * base[0], FLOOR)

    def _check(self, it: Iteration) -> Explosion | None:
        first: BlobStat | None = None
        for b in it.blobs:
            k = key(b)
            base = self.base.get(k)
            if base is None:
                if is_finite(b.value):
                    self.base[k] = (abs(b.value), it.number, b.line)
                continue
            if (first is None and base[0] > 0 and is_finite(b.value)
                    and abs(b.value) > FLOOR and abs(b.value) >= FACTOR * base[0]):
                first = b
        if first is None:
            return None
        origin = self._origin(it)
        if origin is None:
            return self._series(it, first, 0.0, [])
        if first.layer != origin.layer:
            start = self.base[key(first)][0]
            origin.what += (f"; {first.layer}, after it, is the first to reach {FACTOR:g}x"
                            f" ({first.role} blob {first.blob} {first.kind} {_fmt(start)} ->"
                            f" {_fmt(abs(first.value))})")
            origin.lines = sorted({*origin.lines, first.line})
        return origin

    def _origin(self, it: Iteration) -> Explosion | None:
        """The forward layer with the largest own gain, if it has one of 10x or more."""
        latest: dict[str, float] = {}  # blob name -> its growth as last produced
        previous = 1.0
        best: tuple[float, BlobStat] | None = None
        for b in it.blobs:
            if b.direction != "forward" or b.role != "top" or b.kind != "data":
                continue
            growth = self._growth(b)
            if growth <= 0:
                continue
            bottoms = self.bottoms.get(b.layer)
            below = (max((latest.get(x, 1.0) for x in bottoms), default=1.0) if bottoms
                     else previous)
            gain = growth / max(below, 1.0)
            if growth >= FACTOR / 100 and (best is None or gain > best[0]):
                best = (gain, b)
            latest[b.blob] = growth
            previous = growth
        if best is None or best[0] < 10:
            return None
        gain, top = best
        params = [p for p in it.blobs if p.layer == top.layer and p.role == "param"
                  and p.direction == "forward" and self._growth(p) >= 10]
        grown = max(params, key=self._growth, default=None)
        extra = [grown] if grown is not None else []
        return self._series(it, top, gain, extra)

    def _series(self, it: Iteration, b: BlobStat, gain: float,
                extra: list[BlobStat]) -> Explosion:
        base, since, line = self.base[key(b)]
        blob = b.blob if b.role != "param" else f"param blob {b.blob}"
        what = (f"{b.role} blob {b.blob} {b.kind} {_fmt(base)} at iteration {since} ->"
                f" {_fmt(abs(b.value))} at iteration {it.number} ({_fmt(abs(b.value) / base)}x)")
        if gain:
            what += f", {_fmt(gain)}x more than its input grew"
        for p in extra:
            pbase, _, _ = self.base[key(p)]
            what += (f"; its param blob {p.blob} data {_fmt(pbase)} -> {_fmt(abs(p.value))}"
                     f" ({_fmt(abs(p.value) / pbase)}x)")
        return Explosion(it.number, b.layer, blob, what, gain,
                         [line, b.line, *(p.line for p in extra)])
