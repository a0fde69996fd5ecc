"""Read a file as the dialect it is written for: detect (or take the forced one), re-parse.

Only files whose BVLC reading left unknown names pay for this: a second parse with the
dialect's schema, so that rules see the fork's fields and no P002/P003 restates "stock BVLC
cannot parse this".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prototxt_lint.engine.loading import load_text
from prototxt_lint.model import BVLC_LAYER_TYPES, Document, written

if TYPE_CHECKING:
    from prototxt_lint.dialects.detect import Detection, Key

#: The key of a layer type a file uses: (TYPE, the type as written). Kept here, not in
#: detect.py, so that reading a BVLC file never imports the detector.
TYPE = "layer type"


def read_as_dialect(doc: Document, wanted: str) -> Document:
    """``doc`` (read with BVLC's schema) read again as dialect ``wanted`` (a name), or as the
    one detected (``"auto"``); ``doc`` itself when BVLC's reading stands."""
    if doc.kind not in ("net", "solver") or doc.parsed is None:
        return doc
    if wanted == "auto":
        unknown = set(doc.parsed.key_counts) - doc.parsed.bare_keys
        if doc.kind == "net":
            unknown.update((TYPE, layer.type) for layer in written(doc.message, "layer")
                           if layer.type not in BVLC_LAYER_TYPES)
        if not unknown:
            return doc  # BVLC's schema reads all of it (nearly every file: no import cost)
        from prototxt_lint.dialects.detect import detect

        detection = detect(unknown, doc.message)
        if detection is None:
            return doc
    else:
        from prototxt_lint.dialects import BY_NAME
        from prototxt_lint.dialects.detect import Detection

        detection = Detection(BY_NAME[wanted], forced=True)
    again = _best_reading(doc, detection)
    if not detection.forced:
        detection.span = _first(doc, set(detection.evidence))
    if again.kind != doc.kind:
        return doc  # the fork's fields make it look like the other kind: keep BVLC's reading
    again.detection = detection
    return again


#: At most this many equally fitting dialects are tried by parsing (SSD and the forks built
#: on it are seven).
MAX_TRIED = 8


def _best_reading(doc: Document, detection: Detection) -> Document:
    """The reading with the fewest parse errors among dialects that fit equally by name
    (MobileNet-YOLO repeats SSD's `resize_param`, which SSD declares once). The first in the
    registry wins a tie, so rivals are parsed only while the readings have errors; the
    others stay the detection's rivals."""
    from prototxt_lint.dialects.overlay import dialect_schema

    tried = [detection.dialect, *detection.rivals][:MAX_TRIED]
    readings = []
    for dialect in tried:
        reading = load_text(doc.source, doc.problems, dialect_schema(dialect.name))
        errors = len(reading.parsed.errors) if reading.parsed is not None else 0
        readings.append((errors, dialect, reading))
        if errors == 0:
            break  # no rival can read it with fewer errors, and the first wins a tie
    fewest = min(r[0] for r in readings)
    best = [r for r in readings if r[0] == fewest]
    # not parsed (the first read it without an error, or past the cap): they still declare
    # every name the file uses, so they stay rivals
    untried = (*tried[len(readings):], *detection.rivals[MAX_TRIED - 1:])
    detection.choose(best[0][1])
    detection.rivals = (*(r[1] for r in best[1:]), *untried)
    return best[0][2]


def _first(doc: Document, evidence: set[Key]) -> tuple[int, int]:
    """Where the first name that points to the dialect is written."""
    assert doc.parsed is not None
    spans = [(e.start, e.end) for e in doc.parsed.errors if e.key in evidence]
    spans += [span for key, span in doc.parsed.key_spans.items() if key in evidence]
    types = {key[1] for key in evidence if key[0] == TYPE}
    for i, layer in enumerate(written(doc.message, "layer") if types else ()):
        if layer.type in types:
            loc = doc.loc(("layer", i, "type"))
            if loc is not None:
                spans.append((loc.start, loc.end))
            break
    return min(spans) if spans else (0, 0)


def absent_fields_written(doc: Document) -> list[tuple[tuple[str | int, ...], str, str]]:
    """(path, message type, field) of each BVLC field written in ``doc`` that the fork whose
    schema reads it does not have (see ``Schema.absent``): the fork's Caffe refuses them."""
    absent = doc.schema.absent
    if not absent or doc.message is None:
        return []
    from prototxt_lint.syntax.parser import is_repeated

    out: list[tuple[tuple[str | int, ...], str, str]] = []
    todo: list[tuple[tuple[str | int, ...], object]] = [((), doc.message)]
    while todo:
        path, msg = todo.pop()
        owner = msg.DESCRIPTOR.full_name  # type: ignore[attr-defined]
        for fd, value in msg.ListFields():  # type: ignore[attr-defined]
            if (owner, fd.name) in absent:
                first = (*path, fd.name, 0) if is_repeated(fd) else (*path, fd.name)
                out.append((first, owner, fd.name))
            if fd.message_type is None:
                continue
            if is_repeated(fd):
                todo.extend(((*path, fd.name, i), item) for i, item in enumerate(value))
            else:
                todo.append(((*path, fd.name), value))
    out.sort(key=lambda item: doc.span(item[0]))
    return out
