"""The parsed document and the views rules work on: layers, phases, solver links.

Caffe builds a different net for each phase by filtering layers with their ``include`` /
``exclude`` rules (``Net::FilterNet`` and ``Net::StateMeetsRule`` in ``src/caffe/net.cpp``);
:func:`layer_included` reproduces that filter exactly. V2 ``layer``, V1 ``layers`` (enum
types) and V0 ``layers { layer {...} }`` blocks all become :class:`LayerView` objects with
Caffe's V2 type names, so every rule works on old files too, with positions kept.

Length: the document, its layers, the phase filter and the rule contexts are one data model that
every rule and the engine type against; splitting it would scatter ``Net::FilterNet``'s one
reading of a file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message

from prototxt_lint.schema import Schema
from prototxt_lint.syntax.parser import FieldLoc, ParseResult, Path
from prototxt_lint.syntax.source import InputProblem, Source

if TYPE_CHECKING:
    from prototxt_lint.dialects.detect import Detection

#: Every type BVLC Caffe master (commit 9b891540) registers: ``REGISTER_LAYER_CLASS(...)`` in
#: ``src/caffe/layers/*.cpp`` and ``REGISTER_LAYER_CREATOR(...)`` in
#: ``src/caffe/layer_factory.cpp`` (Convolution, Deconvolution, Pooling, LRN, ReLU, Sigmoid,
#: Softmax, TanH, and Python when built WITH_PYTHON_LAYER, which every pycaffe user has).
#: ``Recurrent`` is abstract and not registered; the cuDNN variants share the names above.
BVLC_LAYER_TYPES = frozenset({
    "AbsVal", "Accuracy", "ArgMax", "BatchNorm", "BatchReindex", "Bias", "BNLL", "Clip",
    "Concat", "ContrastiveLoss", "Convolution", "Crop", "Data", "Deconvolution", "Dropout",
    "DummyData", "Eltwise", "ELU", "Embed", "EuclideanLoss", "Exp", "Filter", "Flatten",
    "HDF5Data", "HDF5Output", "HingeLoss", "Im2col", "ImageData", "InfogainLoss",
    "InnerProduct", "Input", "Log", "LRN", "LSTM", "LSTMUnit", "MemoryData",
    "MultinomialLogisticLoss", "MVN", "Parameter", "Pooling", "Power", "PReLU", "Python",
    "Reduction", "ReLU", "Reshape", "RNN", "Scale", "Sigmoid", "SigmoidCrossEntropyLoss",
    "Silence", "Slice", "Softmax", "SoftmaxWithLoss", "Split", "SPP", "Swish", "TanH",
    "Threshold", "Tile", "WindowData",
})

# UpgradeV1LayerType in src/caffe/util/upgrade_proto.cpp: V1 enum name -> V2 type string.
V1_TYPES = {
    "NONE": "",
    "ABSVAL": "AbsVal",
    "ACCURACY": "Accuracy",
    "ARGMAX": "ArgMax",
    "BNLL": "BNLL",
    "CONCAT": "Concat",
    "CONTRASTIVE_LOSS": "ContrastiveLoss",
    "CONVOLUTION": "Convolution",
    "DECONVOLUTION": "Deconvolution",
    "DATA": "Data",
    "DROPOUT": "Dropout",
    "DUMMY_DATA": "DummyData",
    "EUCLIDEAN_LOSS": "EuclideanLoss",
    "ELTWISE": "Eltwise",
    "EXP": "Exp",
    "FLATTEN": "Flatten",
    "HDF5_DATA": "HDF5Data",
    "HDF5_OUTPUT": "HDF5Output",
    "HINGE_LOSS": "HingeLoss",
    "IM2COL": "Im2col",
    "IMAGE_DATA": "ImageData",
    "INFOGAIN_LOSS": "InfogainLoss",
    "INNER_PRODUCT": "InnerProduct",
    "LRN": "LRN",
    "MEMORY_DATA": "MemoryData",
    "MULTINOMIAL_LOGISTIC_LOSS": "MultinomialLogisticLoss",
    "MVN": "MVN",
    "POOLING": "Pooling",
    "POWER": "Power",
    "RELU": "ReLU",
    "SIGMOID": "Sigmoid",
    "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss",
    "SILENCE": "Silence",
    "SOFTMAX": "Softmax",
    "SOFTMAX_LOSS": "SoftmaxWithLoss",
    "SPLIT": "Split",
    "SLICE": "Slice",
    "TANH": "TanH",
    "WINDOW_DATA": "WindowData",
    "THRESHOLD": "Threshold",
}

# UpgradeV0LayerType (same file): V0 type string -> V2 type string.
V0_TYPES = {
    "accuracy": "Accuracy",
    "bnll": "BNLL",
    "concat": "Concat",
    "conv": "Convolution",
    "data": "Data",
    "dropout": "Dropout",
    "euclidean_loss": "EuclideanLoss",
    "flatten": "Flatten",
    "hdf5_data": "HDF5Data",
    "hdf5_output": "HDF5Output",
    "im2col": "Im2col",
    "images": "ImageData",
    "infogain_loss": "InfogainLoss",
    "innerproduct": "InnerProduct",
    "lrn": "LRN",
    "multinomial_logistic_loss": "MultinomialLogisticLoss",
    "pool": "Pooling",
    "relu": "ReLU",
    "sigmoid": "Sigmoid",
    "softmax": "Softmax",
    "softmax_loss": "SoftmaxWithLoss",
    "split": "Split",
    "tanh": "TanH",
    "window_data": "WindowData",
}

TRAIN, TEST, DEPLOY = "TRAIN", "TEST", "deploy"
DATA_LAYER_TYPES = frozenset({"Data", "ImageData", "HDF5Data", "WindowData"})
#: layers that pass their input's values through unchanged, only reshaped (or copied)
RESHAPING_TYPES = frozenset({"Reshape", "Flatten", "Split"})


def _skip_blanks_and_comments(text: str, pos: int) -> int:
    """Offset of the first character at or after ``pos`` that is neither blank nor inside a
    ``#`` comment."""
    size = len(text)
    while pos < size:
        char = text[pos]
        if char in " \t\r\n\f\v":
            pos += 1
        elif char == "#":
            newline = text.find("\n", pos)
            pos = size if newline == -1 else newline
        else:
            break
    return pos


class Document:
    """One input file after reading and parsing.

    The classes here are plain classes, not dataclasses: defining a dataclass costs about half
    a millisecond, and start-up time is what a pre-commit hook or editor pays on every run.
    """

    def __init__(
        self,
        source: Source,
        schema: Schema,
        kind: str,  # net | solver | labelmap | unrecognised | empty | unreadable
        message: Any = None,  # NetParameter / SolverParameter
        parsed: ParseResult | None = None,
        problems: list[InputProblem] | None = None,
    ) -> None:
        self.source = source
        self.schema = schema
        self.kind = kind
        self.message = message
        self.parsed = parsed
        self.problems: list[InputProblem] = [] if problems is None else problems
        #: the fork the file was found to be written for (prototxt_lint.dialects.detect)
        self.detection: Detection | None = None
        #: every path with something skipped inside it (:meth:`is_complete`), once asked
        self._skipped_in: set[Path] | None = None

    def __repr__(self) -> str:
        return f"Document({self.source.path!r}, kind={self.kind!r})"

    @property
    def path(self) -> str:
        return self.source.path

    def loc(self, path: Path) -> FieldLoc | None:
        return self.parsed.locs.get(path) if self.parsed else None

    def line_of(self, path: Path) -> int:
        """The 1-based line of the field at ``path`` (or of its nearest written ancestor)."""
        return self.source.line_col(self.span(path)[0])[0]

    def span(self, path: Path) -> tuple[int, int]:
        """Offsets of the field at ``path``, or of its nearest ancestor written in the file."""
        if self.parsed is None:
            return 0, 0
        locs = self.parsed.locs
        while path:
            loc = locs.get(path)
            if loc is not None:
                return loc.start, loc.end
            path = path[:-1]
        return 0, 0

    def deletion(self, path: Path) -> tuple[int, int, str]:
        """``(start, end, new_text)`` that delete the field at ``path`` cleanly, computed on
        tokens: with the ``;`` or ``,`` written after it (``{ ; eps: 1 }`` is refused by
        protobuf), with its whole line when nothing else is on that line, and never a comment
        (a comment inside the field, ``name: # why`` newline ``value``, is put back in
        ``new_text``). (0, 0, "") when not written."""
        loc = self.loc(path)
        if loc is None:
            return 0, 0, ""
        from prototxt_lint.syntax.tokenizer import tokenize

        text = self.source.text
        start, end = loc.start, max(loc.end, loc.block_end)
        comments = tokenize(text[start:end])[1]
        after = _skip_blanks_and_comments(text, end)
        if after < len(text) and text[after] in ";,":
            comments += tokenize(text[end:after])[1]  # comments before the separator stay
            end = after + 1
        while end < len(text) and text[end] in " \t":
            end += 1
        line_start = text.rfind("\n", 0, start) + 1
        indent = text[line_start:start]
        kept = [f"#{c.text.rstrip(chr(13))}" for c in comments]
        if not indent.strip() and (end == len(text) or text[end] in "\r\n"):
            newline = "\r\n" if text.startswith("\r\n", end) else "\n"
            end = end + len(newline) if end < len(text) else end
            return line_start, end, "".join(f"{indent}{c}{newline}" for c in kept)
        if not kept:
            return start, end, ""
        # inline: each comment ends its line, the rest goes on at the next line's indent
        next_line = text.rfind("\n", 0, end) + 1
        rest_indent = re.match(r"[ \t]*", text[next_line:]).group()  # type: ignore[union-attr]
        newline = "\r\n" if "\r\n" in text[start:end] else "\n"
        between = f"{newline}{rest_indent}"
        at_line_end = end == len(text) or text[end] in "\r\n"
        return start, end, between.join(kept) + ("" if at_line_end else between)

    def comments_before(self, start: int, end: int) -> str:
        """The ``#`` comments inside ``start..end``, each on its own line at the indent of
        ``start``'s line, for a replacement of that span to put first: a fix that rewrites
        ``name: # why`` newline ``value`` must not drop the comment."""
        from prototxt_lint.syntax.tokenizer import tokenize

        comments = tokenize(self.source.text[start:end])[1]
        if not comments:
            return ""
        text = self.source.text
        line_start = text.rfind("\n", 0, start) + 1
        indent = text[line_start:start] if not text[line_start:start].strip() else ""
        newline = "\r\n" if "\r\n" in text[start:end] else "\n"
        return "".join(f"#{c.text.rstrip(chr(13))}{newline}{indent}" for c in comments)

    def is_complete(self, path: Path) -> bool:
        """False when something inside ``path`` was skipped (unknown field, bad value), so
        that its defaults cannot be trusted."""
        if not self.parsed or not self.parsed.incomplete:
            return True
        if self._skipped_in is None:  # once: rules ask per layer, files skip per layer too
            self._skipped_in = {p[:size] for p in self.parsed.incomplete
                                for size in range(len(p) + 1)}
        return path not in self._skipped_in


class LayerView:
    """A layer in any syntax, seen the V2 way. Compared by identity: two layers are never
    "equal" (and comparing messages is slow)."""

    __slots__ = ("bottoms", "index", "msg", "name", "path", "syntax", "tops", "type")

    def __init__(
        self,
        index: int,
        path: Path,  # ("layer", 3), ("layers", 3) or ("net_param", "layer", 3)
        msg: Any,  # LayerParameter, or V1LayerParameter for V1 and V0 files
        syntax: str,  # v2 | v1 | v0
        name: str,
        type: str,
        bottoms: list[str],
        tops: list[str],
    ) -> None:
        self.index = index
        self.path = path
        self.msg = msg
        self.syntax = syntax
        self.name = name
        self.type = type
        self.bottoms = bottoms
        self.tops = tops

    def __repr__(self) -> str:
        return f"LayerView({self.index}, {self.name!r}, {self.type!r}, {self.syntax})"

    def param(self, name: str) -> Any:
        """The ``name`` sub-message (e.g. ``"pooling_param"``) when written, else None.
        V0 layers keep their parameters flat and never have one."""
        if self.syntax == "v0" or name not in self.msg.DESCRIPTOR.fields_by_name:
            return None
        return getattr(self.msg, name) if self.msg.HasField(name) else None

    def at(self, *rest: str | int) -> Path:
        return (*self.path, *rest)

    def bottom_path(self, i: int) -> Path:
        return self.at("bottom", i)

    def lr_mults(self) -> list[float]:
        """Per-blob learning-rate multipliers as written (``param { lr_mult }`` or V1
        ``blobs_lr``); an empty list when none are given."""
        if self.syntax == "v2":
            return [p.lr_mult for p in self.msg.param]
        if self.syntax == "v1":
            return list(self.msg.blobs_lr)
        return []

    @property
    def loss_weights(self) -> list[float]:
        """The ``loss_weight`` values written on the layer (V0 has none)."""
        return list(getattr(self.msg, "loss_weight", ())) if self.syntax != "v0" else []

    @property
    def is_loss(self) -> bool:
        """A loss as ``Net::Init`` counts it: a top with a loss weight (every ``*Loss`` layer
        by default, ``LossLayer::LayerSetUp``)."""
        if self.type.endswith("Loss"):
            return True
        return any(w > 0 for w in getattr(self.msg, "loss_weight", ()))

    @property
    def may_be_loss(self) -> bool:
        """:attr:`is_loss`, or a fork's type named like a loss (``MultiBoxLoss`` is one by
        name; ``SmoothL1LossOHEM`` too): what a rule must not call "no loss"."""
        return self.is_loss or "loss" in self.type.lower()


def written(msg: Any, name: str) -> Any:
    """The repeated field ``name`` of ``msg``, or ``()`` when the schema in use has no such
    field (forks' schemas drop or rename fields: C3D v1.0 has no ``input_shape``)."""
    return getattr(msg, name) if name in msg.DESCRIPTOR.fields_by_name else ()


def values(msg: Any, name: str) -> list[Any]:
    """The values of field ``name`` as a list, whether the schema in use repeats it or not
    (C3D v1.0's solver has one `test_net` and one `test_iter`, BVLC's lists of them)."""
    fd = msg.DESCRIPTOR.fields_by_name.get(name)
    if fd is None:
        return []
    from prototxt_lint.syntax.parser import is_repeated

    if is_repeated(fd):
        return list(getattr(msg, name))
    return [getattr(msg, name)] if msg.HasField(name) else []


def type_letters(name: str) -> str:
    """A layer type's letters and digits, lower-cased: how a type is matched against other
    spellings of it (``INNER_PRODUCT``, ``innerproduct``, ``roi_pooling_param``)."""
    return "".join(c for c in name.lower() if c.isalnum())


def v1_type_name(enum_name: str) -> str:
    """The V2 type a V1 enum type becomes (``UpgradeV1LayerType``). A fork's own enum value
    (HED's and CRF-as-RNN's ``CROP``) is upgraded by the fork's table, which, where BVLC has
    a type of the same letters, names that type (``Crop``); otherwise it stays as written."""
    if enum_name in V1_TYPES:
        return V1_TYPES[enum_name]
    return _BVLC_BY_LETTERS.get(type_letters(enum_name), enum_name)


def written_message(msg: Any, name: str) -> Any:
    """The message field ``name`` of ``msg`` when it is written, else None (also when the
    schema in use has no such field: C3D v1.0's NetParameter has no ``state``)."""
    if name not in msg.DESCRIPTOR.fields_by_name or not msg.HasField(name):
        return None
    return getattr(msg, name)


_BVLC_BY_LETTERS = {type_letters(name): name for name in BVLC_LAYER_TYPES}


def layer_views(net: Any, root: Path = ()) -> tuple[list[LayerView], str]:
    """All layers of a NetParameter in file order, and the file's syntax."""
    views: list[LayerView] = []
    # A fork's schema may lack one of the two (C3D v1.0 has only V1 `layers`).
    v2_layers = written(net, "layer")
    old_layers = written(net, "layers")
    for i, layer in enumerate(v2_layers):
        views.append(
            LayerView(
                i,
                (*root, "layer", i),
                layer,
                "v2",
                layer.name,
                layer.type,
                list(layer.bottom),
                list(layer.top),
            )
        )
    v1_enum = None
    old_syntax = set()
    for i, layer in enumerate(old_layers):
        # V0: the real definition is nested
        if "layer" in layer.DESCRIPTOR.fields_by_name and layer.HasField("layer"):
            inner = layer.layer
            old_syntax.add("v0")
            views.append(
                LayerView(
                    i,
                    (*root, "layers", i),
                    layer,
                    "v0",
                    inner.name or layer.name,
                    V0_TYPES.get(inner.type, inner.type),
                    list(layer.bottom),
                    list(layer.top),
                )
            )
            continue
        if v1_enum is None:
            v1_enum = layer.DESCRIPTOR.fields_by_name["type"].enum_type
        enum_value = v1_enum.values_by_number.get(layer.type)
        type_name = v1_type_name(enum_value.name) if enum_value else ""
        old_syntax.add("v1")
        views.append(
            LayerView(
                i,
                (*root, "layers", i),
                layer,
                "v1",
                layer.name,
                type_name,
                list(layer.bottom),
                list(layer.top),
            )
        )
    if v2_layers and old_layers:
        syntax = "mixed"
    elif old_layers:
        syntax = "v0" if old_syntax == {"v0"} else "v1"
    elif v2_layers:
        syntax = "v2"
    else:
        syntax = "none"
    return views, syntax


def state_meets_rule(state: Any, rule: Any) -> bool:
    """``Net::StateMeetsRule``: does the NetState satisfy one NetStateRule?"""
    if rule.HasField("phase") and rule.phase != state.phase:
        return False
    if rule.HasField("min_level") and state.level < rule.min_level:
        return False
    if rule.HasField("max_level") and state.level > rule.max_level:
        return False
    stages = set(state.stage)
    if any(stage not in stages for stage in rule.stage):
        return False
    return not any(stage in stages for stage in rule.not_stage)


def layer_included(layer: LayerView, state: Any) -> bool:
    """``Net::FilterNet``: with no include rules a layer is in unless an exclude rule matches;
    with include rules it is in only if one matches. (A layer with both is a Caffe error.)"""
    if layer.syntax == "v0":
        return True
    msg = layer.msg
    include = msg.include  # each read of a upb field makes a new container object
    if not include:
        exclude = msg.exclude
        return not exclude or not any(state_meets_rule(state, rule) for rule in exclude)
    return any(state_meets_rule(state, rule) for rule in include)


class PhaseNet:
    """The net Caffe would build for one NetState."""

    def __init__(self, name: str, state: Any, layers: list[LayerView]) -> None:
        self.name = name  # TRAIN, TEST or deploy
        self.state = state  # NetState message
        self.layers = layers
        self._positions: dict[int, int] | None = None
        self._readers: dict[str, list[int]] | None = None

    def __repr__(self) -> str:
        return f"PhaseNet({self.name!r}, <{len(self.layers)} layers>)"

    def readers(self, blob: str) -> list[int]:
        """Positions of the layers of this phase that read ``blob``, in order."""
        if self._readers is None:
            readers: dict[str, list[int]] = {}
            for i, view in enumerate(self.layers):
                for name in dict.fromkeys(view.bottoms):
                    readers.setdefault(name, []).append(i)
            self._readers = readers
        return self._readers.get(blob, [])

    def position(self, layer: LayerView) -> int:
        """Index of ``layer`` in this phase (constant time; rules ask once per layer)."""
        if self._positions is None:
            self._positions = {id(v): i for i, v in enumerate(self.layers)}
        return self._positions[id(layer)]

    def producer(self, consumer: LayerView, blob: str) -> LayerView | None:
        """The last layer before ``consumer`` in this phase with ``blob`` among its tops: the
        one whose output ``consumer`` reads (in-place layers included)."""
        before = self.layers[: self.position(consumer)]
        return next((v for v in reversed(before) if blob in v.tops), None)

    def __contains__(self, layer: object) -> bool:
        if self._positions is None:
            self._positions = {id(v): i for i, v in enumerate(self.layers)}
        return id(layer) in self._positions


class NetContext:
    """What a net rule sees."""

    def __init__(
        self,
        doc: Document,
        net: Any,  # NetParameter
        root: Path,  # () for a net file, ("net_param",) etc. for a net inside a solver
        layers: list[LayerView],
        syntax: str,
        phases: list[PhaseNet],
        phases_from_solver: bool = False,
        role: NetRole | None = None,
    ) -> None:
        self.doc = doc
        self.net = net
        self.root = root
        self.layers = layers
        self.syntax = syntax
        #: the nets Caffe builds from this file for what it is for (see :class:`NetRole`)
        self.phases = phases
        #: True when a solver said which phases this net is built for; False when they were
        #: decided from the file alone, from the evidence in ``role``.
        self.phases_from_solver = phases_from_solver
        self.role = role if role is not None else NetRole(
            "train-val", tuple(p.name for p in phases), (), ())
        #: the trained weights loaded into this net (``--weights``, the solver's ``weights``,
        #: the configuration's ``weights``), as :class:`prototxt_lint.syntax.caffemodel.Weights`,
        #: in the order Caffe copies them; and the ones that could not be read, as (path, why)
        self.weights: list[Any] = []
        self.weights_errors: list[tuple[str, str]] = []
        #: the solver that trains this net (SolverParameter), when one was linted with it
        self.trained_by: Any = None
        #: the directory ``caffe`` runs from, where data sources are opened (``--data-root``)
        self.data_root: str | None = None
        #: what is worked out once per net and shared by the rules that need it, under a key
        #: of the module that works it out (``prototxt_lint.shapes.net_shapes``'s blob shapes,
        #: ``rules/layer_setup.py``'s unknown fillers for N328 and N330)
        self.memo: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"NetContext({self.doc.path!r}, root={self.root!r}, {self.syntax})"

    @property
    def schema(self) -> Schema:
        return self.doc.schema

    def phase(self, name: str) -> PhaseNet | None:
        return next((p for p in self.phases if p.name == name), None)

    def active_phases(self, layer: LayerView) -> list[str]:
        return [p.name for p in self.phases if layer in p]

    def is_complete(self, path: Path) -> bool:
        return self.doc.is_complete(path)

    def at(self, *rest: str | int) -> Path:
        return (*self.root, *rest)

    def input_names(self) -> list[tuple[str, Path]]:
        """Net-level inputs (deprecated ``input:`` fields) with their paths."""
        return [(name, self.at("input", i)) for i, name in enumerate(self.net.input)]

    def next_consumers(self, phase: PhaseNet, layer: LayerView) -> list[LayerView]:
        """Layers after ``layer`` in ``phase`` that read one of its tops."""
        here = phase.position(layer)
        found = sorted({i for top in layer.tops for i in phase.readers(top) if i > here})
        return [phase.layers[i] for i in found]


class NetLink:
    """A net a solver names: ``net``, ``train_net``, ``test_net[i]`` or an embedded param."""

    def __init__(
        self,
        field_path: Path,
        phases: tuple[str, ...],
        file_name: str | None = None,  # as written in the solver
        resolved: str | None = None,  # path found on disk, if any
        embedded: Any = None,  # NetParameter for net_param / train_net_param / test_net_param
        document: Document | None = None,  # the linked net file, once loaded
    ) -> None:
        self.field_path = field_path
        self.phases = phases
        self.file_name = file_name
        self.resolved = resolved
        self.embedded = embedded
        self.document = document

    def __repr__(self) -> str:
        return f"NetLink({self.field_path!r}, {self.phases!r}, {self.file_name!r})"

    @property
    def net(self) -> Any:
        """The linked NetParameter, when it is embedded or was found and parsed as a net."""
        if self.embedded is not None:
            return self.embedded
        if self.document is not None and self.document.kind == "net":
            return self.document.message
        return None


class SolverContext:
    """What a solver rule sees."""

    def __init__(self, doc: Document, solver: Any, links: list[NetLink]) -> None:
        self.doc = doc
        self.solver = solver  # SolverParameter
        self.links = links

    def __repr__(self) -> str:
        return f"SolverContext({self.doc.path!r}, <{len(self.links)} nets>)"

    @property
    def schema(self) -> Schema:
        return self.doc.schema

    def is_complete(self, path: Path) -> bool:
        return self.doc.is_complete(path)

    def known_nets(self) -> list[Any]:
        """The NetParameters of the nets this solver names that could be read."""
        return [link.net for link in self.links if link.net is not None]


SCRIPT_FED_TYPES = frozenset({"Python", "MemoryData"})


def is_script_fed(net: Any) -> bool:
    """A training net whose data comes from a Python or MATLAB script rather than from Caffe's
    own data layers: Python/MemoryData layers, or ``input`` blobs in a net with a loss (as in
    py-faster-rcnn and R-FCN). Such solvers are usually driven with ``solver.step(n)``."""
    layers, _ = layer_views(net)
    if any(v.type in SCRIPT_FED_TYPES for v in layers):
        return True
    has_inputs = bool(net.input) or any(v.type == "Input" for v in layers)
    return has_inputs and any(v.is_loss for v in layers)


def make_state(schema: Schema, phase: str, *overrides: Message | None) -> Any:
    """A NetState as ``Solver::InitTrainNet``/``InitTestNets`` build it: the phase, then the
    net file's own ``state``, then the solver's ``train_state``/``test_state`` merged in."""
    state = schema.message_class("NetState")()
    state.phase = 0 if phase == TRAIN else 1
    for extra in overrides:
        if extra is None:
            continue
        if extra.DESCRIPTOR is state.DESCRIPTOR:
            state.MergeFrom(extra)
        else:  # a solver read with another schema than its net (a fork's net, BVLC's solver)
            state.MergeFromString(extra.SerializeToString())
    return state


# --- what a net is for (decided in prototxt_lint.roles) -----------------------------------

TRAIN_VAL, TRAIN_ONLY, EVALUATION, DEPLOY_ROLE, FRAGMENT, STAGED = (
    "train-val", "train", "evaluation", "deploy", "fragment", "staged")


class NetRole:
    """What a net file is for, decided once from evidence, as an experienced Caffe user reads
    it; rules ask it instead of guessing.

    ``kind``: ``deploy`` (inputs declared and no loss; built as TEST),
    ``train-val`` (data for TRAIN and for TEST), ``train`` (only a training net: data for
    TRAIN only, or a net without phase rules that shows it trains), ``evaluation`` (only
    TEST can be built: an evaluation or feature-extraction net), ``fragment`` (no input of
    any kind: a piece of a net, nothing Caffe can build alone), ``staged`` (its data layers
    need NetState stages, as DIGITS writes them: only a solver can say what is built);
    the layers of those two are still checked per phase, but not their bottoms.
    ``phases`` are the nets Caffe builds for it; ``evidence`` says why, in words;
    ``finetuning`` lists signs that the net trains from pretrained weights (empty: none);
    ``template`` signs that a tool completes the file before Caffe reads it (DIGITS fills in
    the data sources, the mean and the output layer's ``num_output``).
    """

    __slots__ = ("evidence", "finetuning", "kind", "phases", "template")

    def __init__(self, kind: str, phases: tuple[str, ...], evidence: tuple[str, ...],
                 finetuning: tuple[str, ...], template: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.phases = phases
        self.evidence = evidence
        self.finetuning = finetuning
        self.template = template

    def __repr__(self) -> str:
        return f"NetRole({self.kind!r}, {self.phases!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "phases": list(self.phases),
                "evidence": list(self.evidence), "finetuning": list(self.finetuning),
                "template": list(self.template)}
