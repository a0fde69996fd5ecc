"""Bottom blobs that nothing produces in the net Caffe builds for a phase.

Mirrors ``InsertSplits`` in ``src/caffe/util/insert_splits.cpp`` (BVLC master), which
``Net::Init`` (``src/caffe/net.cpp``) runs on the phase-filtered net (``Net::FilterNet``)
before any layer is built; ``Net::AppendBottom`` has the same check with the same words.
Measured on a real BVLC build (shared/caffe-behaviour, row 6a):
``F insert_splits.cpp:29] Unknown bottom blob 'xx' (layer 'ip', bottom index 0)``, exit 134,
also when the producer exists but comes after the consumer.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.model import DEPLOY, FRAGMENT, STAGED, LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.records import Record
from prototxt_lint.wording import phase_words


class _Miss(Record):
    """A bottom that no earlier layer of the phase produces."""

    __slots__ = ("blob", "bottom", "hint", "layer", "why")

    def __init__(
        self,
        layer: LayerView,
        bottom: int,  # bottom index
        blob: str,
        why: str,  # where the blob does come from, if anywhere
        hint: str,
    ) -> None:
        self.layer = layer
        self.bottom = bottom
        self.blob = blob
        self.why = why
        self.hint = hint


def _explain(ctx: NetContext, phase: PhaseNet, pos: int, blob: str,
             available: set[str]) -> tuple[str, str]:
    """Why ``blob`` is missing for the layer at ``pos`` in ``phase``, and how to fix it."""
    layer = phase.layers[pos]
    where = f"layer '{layer.name}'"
    after = phase.layers[pos + 1:]
    later = next((v for v in after if blob in v.tops), None)
    if later is not None:
        return (f"'{blob}' is produced later, by layer '{later.name}' at line"
                f" {ctx.doc.line_of(later.path)}: Caffe needs a blob's producer before its"
                " consumers",
                f"move layer '{later.name}' above {where}")
    others: dict[str, LayerView] = {}
    for other in ctx.phases:
        if other is phase:
            continue
        producer = next((v for v in other.layers if blob in v.tops), None)
        if producer is not None:
            others[other.name] = producer
    if others:
        names = list(others)
        producer = others[names[0]]
        return (f"'{blob}' is produced only in {' and '.join(names)}, by layer"
                f" '{producer.name}' (line {ctx.doc.line_of(producer.path)})",
                f"give the {phase.name} net its own producer of '{blob}' (e.g. a data layer"
                f" with `include {{ phase: {phase.name if phase.name != DEPLOY else 'TEST'} }}`),"
                f" or limit {where} to {' and '.join(names)}")
    active = {id(v) for v in phase.layers}
    unused = next((v for v in ctx.layers if blob in v.tops and id(v) not in active), None)
    if unused is not None:
        return (f"'{blob}' is produced only by layer '{unused.name}' (line"
                f" {ctx.doc.line_of(unused.path)}), which its include/exclude rules leave out"
                " of this net",
                f"check the include/exclude rules of layer '{unused.name}' and {where}")
    if blob in layer.tops:
        return (f"only layer '{layer.name}' itself writes '{blob}', in place, and an in-place"
                " layer needs the blob to exist already",
                f"give layer '{layer.name}' a bottom that an earlier layer produces")
    import difflib  # only when a blob is missing

    close = difflib.get_close_matches(blob, sorted(available), n=1, cutoff=0.75)
    named = next((v for v in ctx.layers if v.name == blob and v.tops), None)
    if named is not None and blob not in named.tops:
        tops = ", ".join(f"'{t}'" for t in named.tops)
        guess = f"'{blob}' names a layer, but a bottom names a blob (its tops: {tops}); "
    else:
        guess = f"did you mean '{close[0]}'? " if close else ""
    if phase.name == DEPLOY:
        fix = (f"a deploy net has no '{blob}' to read: remove {where} ({layer.type}), or"
               f" declare '{blob}' with `input:` or an Input layer")
    else:
        fix = f"add a layer (or an `input:`) that produces '{blob}' before {where}"
    return f"no layer and no net input produces '{blob}'", guess + fix


def _misses(ctx: NetContext, phase: PhaseNet) -> Iterator[_Miss]:
    available = {name for name, _ in ctx.input_names()}
    for pos, layer in enumerate(phase.layers):
        for i, blob in enumerate(layer.bottoms):
            if blob not in available:
                why, hint = _explain(ctx, phase, pos, blob, available)
                yield _Miss(layer, i, blob, why, hint)
        available.update(layer.tops)


@net_rule("N261", "unknown-bottom", Severity.ERROR,
          "A bottom blob that no earlier layer of the phase produces: Caffe aborts.")
def unknown_bottom(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer's `bottom` that, in the net Caffe builds for a phase (TRAIN, TEST, or the
    deploy net, which Caffe builds as TEST), is produced neither by an earlier active layer
    nor by a net input (`input:`). The message says where the blob does come from: a later
    layer, another phase only, or a layer that its include/exclude rules leave out.
    The phases checked are the nets Caffe builds for what the file is for (its role): a
    `train_net` or `test_net` file with data for one phase only is checked in that phase, a
    deploy net as TEST; linted with its solver, every phase the solver builds is checked. A
    fragment (no input of any kind) and a net whose data layers need NetState stages are
    not checked here (N262 notes the fragment once). The readers of one missing blob are one
    finding, at the first, with the others as related places.

    ## Why is this bad?
    `Net::Init` (`src/caffe/net.cpp`) first drops the layers whose include/exclude rules do
    not match the phase (`Net::FilterNet`), then calls `InsertSplits`
    (`src/caffe/util/insert_splits.cpp`), which walks the layers in file order and aborts at
    the first bottom with no producer so far:
    `Unknown bottom blob 'label' (layer 'accuracy', bottom index 1)` (measured, exit 134).
    The typical cases are a TEST-only Accuracy layer whose `label` comes only from the
    TRAIN data layer, an Accuracy or loss layer left in a deploy net (which has no labels),
    and a layer written above its producer.

    ## Consequence
    Aborts at set-up. `InsertSplits`, which `Net::Init` runs before any layer is built, fails
    with `Unknown bottom blob '...' (layer '...', bottom index N)` (measured, row 6a, exit 134).

    ## Example
    ```
    layer { name: "mnist" type: "Data" top: "data" top: "label"
            include { phase: TRAIN } ... }
    layer { name: "mnist" type: "Data" top: "data"
            include { phase: TEST } ... }
    ...
    ~ layer { name: "ip2" type: "InnerProduct" bottom: "data" top: "ip2"
    ~         inner_product_param { num_output: 10 } }
    layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy"
            include { phase: TEST } }
    ```

    ## Use instead
    ```
    layer { name: "mnist" type: "Data" top: "data" top: "label"
            include { phase: TRAIN } ... }
    layer { name: "mnist" type: "Data" top: "data" top: "label"
            include { phase: TEST } ... }
    ...
    ~ layer { name: "ip2" type: "InnerProduct" bottom: "data" top: "ip2"
    ~         inner_product_param { num_output: 10 } }
    layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy"
            include { phase: TEST } }
    ```

    ## Fix
    Give the phase a producer of the blob (a data layer or `input:`), place producers
    before their consumers, or remove the consumer (e.g. Accuracy) from the deploy net.
    """
    if ctx.syntax == "mixed":
        return  # Caffe refuses the whole file, and the model's layer order is not file order
    if ctx.role.kind in (FRAGMENT, STAGED):
        return  # nothing feeds it as written (N262 says so once), or only a solver's stages
    # one cause per missing blob: Caffe stops at the first reader; later readers of the same
    # blob are the same problem, given as related places
    groups: dict[str, list[str]] = {}
    misses: dict[str, list[_Miss]] = {}
    for phase in ctx.phases:
        for miss in _misses(ctx, phase):
            key = miss.blob
            if phase.name not in groups.setdefault(key, []):
                groups[key].append(phase.name)
            found = misses.setdefault(key, [])
            if all(m.layer is not miss.layer or m.bottom != miss.bottom for m in found):
                found.append(miss)
    for key, phases in groups.items():
        first, *others = misses[key]
        message = (
            f"in {phase_words(phases)}, Caffe aborts with \"Unknown bottom blob"
            f" '{first.blob}' (layer '{first.layer.name}', bottom index {first.bottom})\":"
            f" {first.why}"
        )
        if others:
            n = len(others)
            message += f" (read by {n} more layer{'s' if n != 1 else ''})"
        related = tuple((m.layer.bottom_path(m.bottom), f"layer '{m.layer.name}' reads it too")
                        for m in others)
        for name in phases:
            yield Report(first.layer.bottom_path(first.bottom), message, hint=first.hint,
                         phase=name, related=related)


@net_rule("N262", "net-fragment", Severity.INFO,
          "A net with no input of any kind: a fragment, not a net Caffe can build alone.")
def net_fragment(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes, once per file, a net with no data layer, no `Input` layer, no `input:` field and
    no other layer without bottoms: nothing brings data into it, so no phase of it can be
    built. Such files are pieces meant to be pasted into, or generated onto, another net
    (a loss head, a block of a model builder). The other rules then leave its bottoms alone
    instead of reporting every layer as reading an unknown blob.

    ## Why is this bad?
    It is not, as a fragment. Built alone, `Net::Init` (`src/caffe/net.cpp`) would abort at
    the first layer in `InsertSplits` (`src/caffe/util/insert_splits.cpp`): "Unknown bottom
    blob".

    ## Consequence
    Reminder. A fragment is fine as a piece of another net; built alone, `Net::Init` would abort
    in `InsertSplits` with "Unknown bottom blob".

    ## Example
    ```
    layer { name: "fc" type: "InnerProduct" bottom: "features" top: "fc"
            inner_product_param { num_output: 10 } }
    ```

    ## Use instead
    A complete net: the same layers after a data layer or with `input: "features"` and its
    `input_shape`.

    ## Fix
    Nothing to fix if the file is a fragment; otherwise declare the net's inputs.
    """
    if ctx.role.kind != FRAGMENT or not ctx.layers or ctx.root:
        return
    if ctx.doc.parsed is not None and any(e.code == "P001" for e in ctx.doc.parsed.errors):
        return  # a syntax error may have cut off the inputs
    readers = [v for v in ctx.layers if v.bottoms]
    first = readers[0] if readers else ctx.layers[0]
    blob = f" (it reads '{first.bottoms[0]}' first)" if first.bottoms else ""
    yield Report(
        first.at("name") if first.name else first.path,
        f"no data layer, Input layer or `input:` in this net{blob}: it is a fragment of a"
        " net, and Caffe cannot build it alone; its bottoms are not checked",
        hint="declare the net's inputs (`input:` with `input_shape`, or an Input layer) to"
        " lint it as a net",
    )
