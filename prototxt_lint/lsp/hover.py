"""Hover text: a finding's rule documentation, what the net is for (on its name), a layer's
type and phases, a blob's producers and consumers (and its shape when shape inference is
available).

Everything is computed from the engine's own per-phase view of the net (``Net::FilterNet``'s
include/exclude filter), so "active in TRAIN" here means what Caffe would build.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from prototxt_lint.lsp.analysis import Analysis
from prototxt_lint.model import LayerView, NetContext


@dataclass(frozen=True)
class HoverText:
    markdown: str
    start: int  # engine offsets of the hovered span
    end: int


def _covers(start: int, end: int, offset: int) -> bool:
    return start <= offset < end or start == end == offset


def rule_docs(analysis: Analysis, code: str) -> str | None:
    rule = analysis.rules.get(code)
    if rule is None:
        return None
    return f"**{rule.code}** `{rule.name}` ({rule.severity.label})\n\n{rule.summary}\n\n{rule.docs}"


def _name_path(layer: LayerView) -> tuple[str | int, ...]:
    # V0 layers keep their name inside the nested `layer { }` block
    return layer.at("layer", "name") if layer.syntax == "v0" else layer.at("name")


def _targets(ctx: NetContext) -> Iterator[tuple[int, int, str, Any]]:
    """Hoverable spans of a net: (start, end, kind, payload)."""
    doc = ctx.doc
    loc = doc.loc(ctx.at("name"))
    if loc is not None:
        yield loc.start, loc.end, "net", ctx
    for layer in ctx.layers:
        loc = doc.loc(_name_path(layer))
        if loc is not None:
            yield loc.start, loc.end, "layer", layer
        for field, names in (("top", layer.tops), ("bottom", layer.bottoms)):
            for i, blob in enumerate(names):
                loc = doc.loc(layer.at(field, i))
                if loc is not None:
                    yield loc.start, loc.end, "blob", blob
    for blob, path in ctx.input_names():
        loc = doc.loc(path)
        if loc is not None:
            yield loc.start, loc.end, "blob", blob


def _phase_note(ctx: NetContext, layer: LayerView) -> str:
    active = ctx.active_phases(layer)
    if len(active) == len(ctx.phases):
        return ""
    return f"; {', '.join(active)} only" if active else "; in no phase"


def _layer_ref(ctx: NetContext, layer: LayerView) -> str:
    return f"`{layer.name}` ({layer.type or '?'}{_phase_note(ctx, layer)})"


def format_shape(shape: Sequence[int | None]) -> str:
    return " × ".join("?" if d is None else str(d) for d in shape) if shape else "scalar"


def _shape_lines(
    analysis: Analysis, ctx: NetContext, blob: str, label: str, phases: Sequence[str]
) -> list[str]:
    """The blob's shape in ``phases``: one line when it is the same in all of them."""
    shapes = analysis.shapes(ctx)
    if not isinstance(shapes, dict) or not phases:
        return []
    found: list[tuple[str, str]] = []
    for phase in phases:
        per_phase = shapes.get(phase)
        shape = per_phase.get(blob) if isinstance(per_phase, dict) else None
        if shape is not None:
            found.append((phase, format_shape(shape)))
    if not found:
        return []
    if len({s for _, s in found}) == 1 and len(found) == len(phases):
        return [f"{label}: {found[0][1]}"]
    return [f"{label} ({phase}): {shape}" for phase, shape in found]


def layer_text(analysis: Analysis, ctx: NetContext, layer: LayerView) -> str:
    lines = [f"**Layer** `{layer.name}` · type `{layer.type or '?'}`", ""]
    active = ctx.active_phases(layer)
    all_phases = ", ".join(p.name for p in ctx.phases)
    if active:
        lines.append(f"Active in: {', '.join(active)}")
    else:
        lines.append(f"Active in no phase: its include/exclude rules match none of {all_phases}")
    if layer.bottoms:
        lines.append("Bottoms: " + ", ".join(f"`{b}`" for b in layer.bottoms))
    if layer.tops:
        lines.append("Tops: " + ", ".join(f"`{t}`" for t in layer.tops))
    for top in dict.fromkeys(layer.tops):
        lines.extend(_shape_lines(analysis, ctx, top, f"Shape of `{top}`", active))
    lines.extend(_weight_lines(ctx, layer))
    return "  \n".join(lines)


def _weight_lines(ctx: NetContext, layer: LayerView) -> list[str]:
    """The blob shapes the loaded weights (the configuration's ``weights``) give the layer."""
    out = []
    for model in ctx.weights:
        source = model.layer(layer.name)
        if source is None:
            out.append(f"Weights in `{model.path}`: none (learned from its fillers)")
        elif source.blobs:
            shapes = ", ".join(f"`{b.shape_string()}`" for b in source.blobs)
            stats = " (statistics all 0)" if source.stats_zero else ""
            out.append(f"Weights in `{model.path}`: {shapes}{stats}")
    return out


def net_text(ctx: NetContext) -> str:
    """What the net is for, the nets Caffe builds from it, and why (``ctx.role``)."""
    role = ctx.role
    name = ctx.net.name or "(unnamed)"
    built = ", ".join(p.name for p in ctx.phases) or "none"
    lines = [f"**Net** `{name}` · {role.kind}", "", f"Checked as: {built}"]
    lines.extend(f"- {why}" for why in role.evidence)
    if role.finetuning:
        lines.append("Fine-tuning signs:")
        lines.extend(f"- {sign}" for sign in role.finetuning)
    found = ctx.doc.detection
    if found is not None:
        how = "named by --dialect" if found.forced else "uses " + ", ".join(
            f"`{n}`" for n in found.names()[:5])
        lines.append(f"Read as {found.dialect.describe()}: {how}")
    elif not ctx.schema.is_bvlc:
        lines.append(f"Read with the schema {ctx.schema.name}")
    return "  \n".join(lines)


def blob_text(analysis: Analysis, ctx: NetContext, blob: str) -> str:
    producers: list[LayerView] = []
    in_place: list[LayerView] = []
    consumers: list[LayerView] = []
    for layer in ctx.layers:
        makes, reads = blob in layer.tops, blob in layer.bottoms
        if makes and reads:
            in_place.append(layer)
        elif makes:
            producers.append(layer)
        elif reads:
            consumers.append(layer)
    lines = [f"**Blob** `{blob}`", ""]
    sources = [_layer_ref(ctx, v) for v in producers]
    if any(name == blob for name, _ in ctx.input_names()):
        sources.insert(0, "the net's `input`")
    lines.append("Produced by: " + (", ".join(sources) if sources else "no layer"))
    if in_place:
        lines.append("Rewritten in place by: " + ", ".join(_layer_ref(ctx, v) for v in in_place))
    lines.append(
        "Consumed by: "
        + (", ".join(_layer_ref(ctx, v) for v in consumers) if consumers else "no layer")
    )
    lines.extend(_shape_lines(analysis, ctx, blob, "Shape", [p.name for p in ctx.phases]))
    return "  \n".join(lines)


class _Targets:
    """Every hoverable span of an analysis, sorted by start (a hover in a 3,000-layer net
    then looks up one span instead of walking every layer). Built in steps
    (:meth:`grow`), so that the server can build it while idle and stop for an edit."""

    def __init__(self, analysis: Analysis) -> None:
        self.pending: Iterator[tuple[int, int, int, str, Any, NetContext]] | None = (
            (start, end, order, kind, payload, ctx)
            for rank, ctx in enumerate(analysis.nets())
            for order, (start, end, kind, payload) in enumerate(
                _targets(ctx), start=rank << 32))
        self.found: list[tuple[int, int, int, str, Any, NetContext]] = []
        self.starts: list[int] = []
        self.longest = 0

    def grow(self, most: int | None = None) -> bool:
        """Take up to ``most`` more spans (all with None); True once the index is whole."""
        if self.pending is None:
            return True
        before = len(self.found)
        self.found.extend(islice(self.pending, most))
        if most is not None and len(self.found) - before == most:
            return False
        self.pending = None
        self.found.sort(key=lambda t: t[0])
        self.starts = [t[0] for t in self.found]
        self.longest = max((t[1] - t[0] for t in self.found), default=0)
        return True

    def at(self, offset: int) -> tuple[int, int, str, Any, NetContext] | None:
        """The target :func:`_targets` would give first (nets in order, then spans in the
        order it yields them) among those covering ``offset``."""
        self.grow()
        i = bisect.bisect_right(self.starts, offset)
        best = None
        while i > 0 and self.starts[i - 1] >= offset - self.longest:
            i -= 1
            start, end, order, kind, payload, ctx = self.found[i]
            if _covers(start, end, offset) and (best is None or order < best[0]):
                best = (order, (start, end, kind, payload, ctx))
        return best[1] if best is not None else None


#: spans taken per step while the server prepares hover (about a millisecond of work)
STEP = 400


def prepare(analysis: Analysis) -> bool:
    """One step of building what a hover of this version needs (the span index, then the
    shapes), so that the first hover after an edit is as quick as the others; True when
    done. The server runs the steps while no edit waits."""
    if not _index(analysis).grow(STEP):
        return False
    for ctx in analysis.nets():
        analysis.shapes(ctx)
    return True


def _index(analysis: Analysis) -> _Targets:
    index = analysis.cache.get("hover")
    if not isinstance(index, _Targets):
        index = analysis.cache["hover"] = _Targets(analysis)
    return index


def _target_at(analysis: Analysis, offset: int) -> tuple[int, int, str, Any, NetContext] | None:
    return _index(analysis).at(offset)


def hover_at(analysis: Analysis, offset: int) -> HoverText | None:
    """What to show at engine ``offset``: the docs of every finding there, then the layer or
    blob under the cursor."""
    parts: list[str] = []
    start, end = offset, offset
    seen: set[str] = set()
    for finding in analysis.findings:
        if finding.code in seen or not _covers(finding.start, finding.end, offset):
            continue
        docs = rule_docs(analysis, finding.code)
        if docs is not None:
            seen.add(finding.code)
            parts.append(docs)
            start, end = finding.start, finding.end
    target = _target_at(analysis, offset)
    if target is not None:
        t_start, t_end, kind, payload, ctx = target
        if kind == "layer":
            text = layer_text(analysis, ctx, payload)
        elif kind == "net":
            text = net_text(payload)
        else:
            text = blob_text(analysis, ctx, payload)
        parts.insert(0, text)
        start, end = t_start, t_end
    if not parts:
        return None
    return HoverText("\n\n---\n\n".join(parts), start, end)
