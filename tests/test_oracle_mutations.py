"""Mutation-style differential tests: one user's edit to a real net, judged by real Caffe.

Issue 11's "Proof": each single-edit operator a user makes (a deleted field, a changed number,
a changed enum, a misspelled layer type or filler, a duplicated layer, swapped bottoms, a
renamed top, ``layer``/``layers`` mixed, ``use_global_stats``, shared param names) is applied,
seeded and so the same on every run, to several real nets (fixtures and BVLC-schema corpus
nets). Each mutant is built by real Caffe's ``construct_net`` in every phase the linter
considers, and the verdicts must agree as in ``test_oracle.py``: Caffe aborts at
construction if and only if the linter reports an error of a ``SETUP_ABORTS`` rule for that
phase. A second test runs one forward pass (and a backward pass in TRAIN) of the fixtures and
small-net mutants that Caffe builds (``construct_net NET PHASE 1``) and checks the rules whose
consequence is "NaN" or "Aborts at run time" (``RUN_TIME``): the linter claims one for a
phase if and only if Caffe aborts in that pass or prints a ``NONFINITE`` blob.

Data layers are replaced by ``DummyData`` as ``test_oracle.py`` does (1 x 3 x crop x crop or
1 x 3 x 32 x 32, and a label of shape 1; the FCN's label is 1 x 1 x 64 x 64 for a 64 x 64
image), with a Gaussian (std 1) ``data_filler`` for the image and a constant 0 label: with
the default constant 0 images some NaN claims would not reproduce (a dead net is finite).

Every disagreement is listed, with its reason read from Caffe's source, in
``oracle_mutations_allowed.tsv`` (``ALLOWED``, ``ALLOWED_FORWARD``); an entry that no longer
disagrees fails the test.
"""

from __future__ import annotations

import copy
import os
import random
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES
from test_oracle import CONSTRUCT, DATA_TYPES, SETUP_ABORTS, _dummy, _nets, _replaced

from prototxt_lint.caffe.layers import is_registered
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules

#: Rules whose errors claim NaN or an abort at the first forward/backward pass of a net
#: (N223 is about a net inside a solver, which ``construct_net`` does not read; S-rules are
#: the solver's).
RUN_TIME = frozenset({"N201", "N322"})

SEED = 11
DROPOUT_LENET = "corpus/BVLC__caffe/examples/mnist/lenet_train_test.prototxt+dropout"
#: (net, number of mutants): the big deploy nets take ~0.6-1 s per construction, so fewer.
BASES: tuple[tuple[str, int], ...] = (
    ("corpus/BVLC__caffe/examples/mnist/lenet_train_test.prototxt", 50),
    ("corpus/BVLC__caffe/examples/cifar10/cifar10_quick_train_test.prototxt", 40),
    ("corpus/BVLC__caffe/examples/cifar10/cifar10_full_sigmoid_train_test_bn.prototxt", 30),
    ("corpus/BVLC__caffe/examples/cifar10/cifar10_full_train_test.prototxt", 30),
    ("corpus/BVLC__caffe/examples/siamese/mnist_siamese_train_test.prototxt", 40),
    ("corpus/BVLC__caffe/models/bvlc_reference_caffenet/deploy.prototxt", 10),
    ("corpus/BVLC__caffe/models/bvlc_googlenet/deploy.prototxt", 16),
    ("corpus/KaimingHe__deep-residual-networks/prototxt/ResNet-50-deploy.prototxt", 16),
    ("corpus/shelhamer__fcn.berkeleyvision.org/voc-fcn-alexnet/val.prototxt", 8),
    ("tests/fixtures/layer_params/good_dropout.prototxt", 20),
    # LeNet with CaffeNet's in-place Dropout (ratio 0.5) after relu1, its edits on drop1 only:
    # good_dropout is a deploy net, where Dropout does nothing
    (DROPOUT_LENET, 20),
    # the numbers of LRN and BatchNorm a user edits, whose NaN a forward pass would show
    ("corpus/BVLC__caffe/examples/cifar10/cifar10_full_train_test.prototxt+lrn", 10),
    ("corpus/BVLC__caffe/examples/cifar10/cifar10_full_sigmoid_train_test_bn.prototxt+bn", 10),
    # AVE pooling strides and Gaussian sparsity, whose verdicts an exploratory run found wrong
    ("corpus/BVLC__caffe/examples/cifar10/cifar10_full_sigmoid_train_test_bn.prototxt+pool", 8),
    ("tests/fixtures/pooling/good_pooling.prototxt", 20),
)
#: What a targeted base (``net+tag``) edits.
TARGETED: dict[str, Callable[[str], bool]] = {
    "dropout": lambda what: what.startswith("drop1"),
    "lrn": lambda what: ".lrn_param." in what,
    "bn": lambda what: ".batch_norm_param." in what,
    "pool": lambda what: ".pooling_param.stride=" in what or "weight_filler.sparse" in what,
}
#: Nets small enough for a forward pass of every mutant Caffe builds.
FORWARD_BASES = frozenset(b for b, _ in BASES[:5] + BASES[9:])

SENTINEL = 77777777  # written for "-1" in an unsigned field, then replaced in the text

ALLOWLIST = Path(__file__).with_name("oracle_mutations_allowed.tsv")


def _allowed(test: str) -> dict[tuple[str, str], str]:
    """The reasoned disagreements of one test, from ``oracle_mutations_allowed.tsv``."""
    out = {}
    for line in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            kind, mutant, phase, why = line.split("\t")
            if kind == test:
                out[(mutant, phase)] = why
    return out


#: (mutant, phase) -> why Caffe and the linter disagree there at construction.
ALLOWED: dict[tuple[str, str], str] = _allowed("set-up")

#: (mutant or fixture, phase) -> why they disagree at the first forward/backward pass.
ALLOWED_FORWARD: dict[tuple[str, str], str] = _allowed("forward")


def _path(label: str) -> Path:
    if label.startswith("corpus/"):
        return CORPUS / label.removeprefix("corpus/")
    return FIXTURES.parent.parent / label


def _with_fillers(net: object) -> None:
    """A Gaussian image and a constant 0 label for every DummyData layer."""
    for layer in net.layer:  # type: ignore[attr-defined]
        if layer.type != "DummyData" or layer.dummy_data_param.data_filler:
            continue
        for i, _ in enumerate(layer.top):
            filler = layer.dummy_data_param.data_filler.add()
            if i == 0:
                filler.type, filler.std = "gaussian", 1.0
            else:
                filler.type, filler.value = "constant", 0.0


def _base_message(label: str, tmp: Path) -> object:
    """The base net as a message, its data layers (and the FCN's Python one) replaced."""
    from google.protobuf import text_format

    path = _path(label.split("+")[0])
    doc = Linter([], Options(dialect="bvlc")).lint([Input(str(path))])[0].document
    net = doc.message
    if label == DROPOUT_LENET:
        layers = [copy.deepcopy(v) for v in net.layer]
        at = next(i for i, v in enumerate(layers) if v.name == "relu1") + 1
        drop = copy.deepcopy(layers[at - 1])
        drop.Clear()
        drop.name, drop.type = "drop1", "Dropout"
        drop.bottom.append("ip1")
        drop.top.append("ip1")
        drop.dropout_param.dropout_ratio = 0.5
        layers.insert(at, drop)
        del net.layer[:]
        for v in layers:
            net.layer.add().CopyFrom(v)
    for layer in net.layer:
        if layer.type == "Python" and not layer.bottom:  # the FCN's VOC data layer
            layer.type = "Data"
        if layer.type in DATA_TYPES:
            _dummy(layer)
            if "fcn" in label:
                layer.dummy_data_param.shape[0].dim[:] = [1, 3, 64, 64]
                layer.dummy_data_param.shape[1].dim[:] = [1, 1, 64, 64]
    _with_fillers(net)
    check = tmp / "base" / path.name
    check.parent.mkdir(parents=True, exist_ok=True)
    check.write_text(text_format.MessageToString(net))
    return net


# --- the operators ---------------------------------------------------------------------


@dataclass
class Mutation:
    operator: str
    what: str
    apply: Callable[[object], None]


def _params(layer: object) -> Iterator[tuple[str, object]]:
    """(name, message) of each *_param block set in the layer."""
    for field, value in layer.ListFields():  # type: ignore[attr-defined]
        if (
            field.name.endswith("_param")
            and field.message_type is not None
            and not _repeated(field)
        ):
            yield field.name, value


def _repeated(desc: object) -> bool:
    if hasattr(desc, "is_repeated"):
        return bool(desc.is_repeated)
    return bool(desc.label == desc.LABEL_REPEATED)  # type: ignore[attr-defined]


def _set(msg: object, field: str, value: object) -> None:
    desc = msg.DESCRIPTOR.fields_by_name[field]  # type: ignore[attr-defined]
    if _repeated(desc):
        del getattr(msg, field)[:]
        getattr(msg, field).append(value)
    else:
        setattr(msg, field, value)


def _get(msg: object, field: str) -> object:
    desc = msg.DESCRIPTOR.fields_by_name[field]  # type: ignore[attr-defined]
    if _repeated(desc):
        values = getattr(msg, field)
        return values[0] if values else None
    return getattr(msg, field) if msg.HasField(field) else None  # type: ignore[attr-defined]


def _has(msg: object, field: str) -> bool:
    return field in msg.DESCRIPTOR.fields_by_name and _get(msg, field) is not None  # type: ignore[attr-defined]


def _typo(word: str, rng: random.Random) -> list[tuple[str, str]]:
    """A user's slips of a name: case, one letter dropped, two swapped, one changed."""
    out = [("case", word.lower() if word != word.lower() else word.capitalize())]
    if len(word) > 2:
        i = rng.randrange(len(word))
        out.append(("drop", word[:i] + word[i + 1 :]))
        j = rng.randrange(len(word) - 1)
        if word[j] != word[j + 1]:
            out.append(("swap", word[:j] + word[j + 1] + word[j] + word[j + 2 :]))
        k = rng.randrange(len(word))
        letter = "x" if word[k] != "x" else "y"
        out.append(("letter", word[:k] + letter + word[k + 1 :]))
    return out


NUMERIC = (
    "num_output",
    "kernel_size",
    "stride",
    "pad",
    "group",
    "local_size",
    "top_k",
    "axis",
    "dropout_ratio",
    "dilation",
    "offset",
    "alpha",
    "beta",
    "eps",
    "coeff",
    "moving_average_fraction",
    "negative_slope",
)


#: Layer types whose set-up reads an ``axis`` (``Blob::CanonicalAxisIndex``), and its block.
AXIS_PARAM = {
    "Concat": "concat_param",
    "Softmax": "softmax_param",
    "InnerProduct": "inner_product_param",
    "Slice": "slice_param",
    "Flatten": "flatten_param",
    "Scale": "scale_param",
    "Bias": "bias_param",
    "SoftmaxWithLoss": "softmax_param",
    "Accuracy": "accuracy_param",
    "Reduction": "reduction_param",
    "Convolution": "convolution_param",
    "Deconvolution": "convolution_param",
    "ArgMax": "argmax_param",
    "Tile": "tile_param",
}


#: Numbers a user adds to a layer where the net leaves them at Caffe's default.
UNSET = {
    "BatchNorm": {"batch_norm_param": ("eps", "moving_average_fraction")},
    "LRN": {"lrn_param": ("alpha", "beta", "k")},
    "Dropout": {"dropout_param": ("dropout_ratio",)},
}


def _mutations(net: object, rng: random.Random) -> list[Mutation]:
    out: list[Mutation] = []
    layers = list(net.layer)  # type: ignore[attr-defined]

    def at(i: int) -> Callable[[object], object]:
        return lambda n: n.layer[i]  # type: ignore[attr-defined]

    for i, layer in enumerate(layers):
        name = layer.name
        get = at(i)
        data = layer.type in ("DummyData", "Input")
        for pname, pmsg in _params(layer):
            for field in NUMERIC:
                if not _has(pmsg, field):
                    continue
                old = _get(pmsg, field)
                spot = f"{name}.{pname}.{field}"

                def setter(
                    v: object, pn: str = pname, f: str = field, g: Callable[[object], object] = get
                ) -> Callable[[object], None]:
                    return lambda n: _set(getattr(g(n), pn), f, v)

                def clear(
                    pn: str = pname, f: str = field, g: Callable[[object], object] = get
                ) -> Callable[[object], None]:
                    return lambda n: getattr(g(n), pn).ClearField(f)

                out.append(Mutation("delete field", f"{spot} deleted", clear()))
                floaty = isinstance(old, float)
                values: list[object] = [0.0, 1.0, -1.0, 1.5] if floaty else [0, 1, SENTINEL]
                if not floaty:
                    values += [int(old) + 1, max(int(old) - 1, 0)]  # type: ignore[call-overload]
                    if field in ("kernel_size", "stride", "pad"):
                        values.append(1000)
                    if field == "axis":
                        values += [4, -5]
                    if field == "top_k":
                        values.append(1000)
                for v in values:
                    shown = "-1" if v == SENTINEL else v
                    out.append(Mutation("change number", f"{spot}={shown}", setter(v)))
            if pname == "pooling_param" and _has(pmsg, "kernel_size"):
                k = int(pmsg.kernel_size)
                out.append(
                    Mutation(
                        "stride > kernel",
                        f"{name} stride={k + 2}",
                        lambda n, g=get, k=k: setattr(g(n).pooling_param, "stride", k + 2),
                    )
                )
                out.append(
                    Mutation(
                        "pad >= kernel",
                        f"{name} pad={k}",
                        lambda n, g=get, k=k: setattr(g(n).pooling_param, "pad", k),
                    )
                )
                for pool in ("MAX", "AVE", "STOCHASTIC"):
                    if (
                        pmsg.pool
                        != pmsg.DESCRIPTOR.fields_by_name["pool"]
                        .enum_type.values_by_name[pool]
                        .number
                    ):
                        out.append(
                            Mutation(
                                "change enum",
                                f"{name} pool={pool}",
                                lambda n, g=get, p=pool: setattr(
                                    g(n).pooling_param,
                                    "pool",
                                    g(n).pooling_param.PoolMethod.Value(p),
                                ),
                            )
                        )
            if pname == "convolution_param":
                for v in (3, 7):
                    out.append(
                        Mutation(
                            "group not dividing",
                            f"{name} group={v}",
                            lambda n, g=get, v=v: setattr(g(n).convolution_param, "group", v),
                        )
                    )
                if _has(pmsg, "kernel_size"):
                    k = int(_get(pmsg, "kernel_size"))  # type: ignore[call-overload]
                    out.append(
                        Mutation(
                            "pad >= kernel",
                            f"{name} pad={k}",
                            lambda n, g=get, k=k: _set(g(n).convolution_param, "pad", k),
                        )
                    )
            if pname == "lrn_param":
                size = int(pmsg.local_size) if pmsg.HasField("local_size") else 5
                out.append(
                    Mutation(
                        "even local_size",
                        f"{name} local_size={size + 1}",
                        lambda n, g=get, s=size: setattr(g(n).lrn_param, "local_size", s + 1),
                    )
                )
                out.append(
                    Mutation(
                        "change enum",
                        f"{name} norm_region=WITHIN_CHANNEL",
                        lambda n, g=get: setattr(g(n).lrn_param, "norm_region", 1),
                    )
                )
            if pname == "eltwise_param" or layer.type == "Eltwise":
                for op in ("PROD", "SUM", "MAX"):
                    out.append(
                        Mutation(
                            "change enum",
                            f"{name} operation={op}",
                            lambda n, g=get, op=op: setattr(
                                g(n).eltwise_param,
                                "operation",
                                g(n).eltwise_param.EltwiseOp.Value(op),
                            ),
                        )
                    )
            for fname in ("weight_filler", "bias_filler"):
                if pmsg.DESCRIPTOR.fields_by_name.get(fname) and pmsg.HasField(fname):  # type: ignore[attr-defined]
                    ftype = getattr(pmsg, fname).type
                    for kind in ("bilinear", "positive_unitball", "msra", "uniform", "gaussian"):
                        if kind != ftype:
                            out.append(
                                Mutation(
                                    "change filler",
                                    f"{name}.{fname} {ftype}->{kind}",
                                    lambda n, g=get, pn=pname, fn=fname, t=kind: setattr(
                                        getattr(getattr(g(n), pn), fn), "type", t
                                    ),
                                )
                            )
                    for field, v in (
                        ("std", 0.0),
                        ("std", -1.0),
                        ("sparse", 1000),
                        ("min", 1.0),
                        ("max", -1.0),
                    ):
                        out.append(
                            Mutation(
                                "filler number",
                                f"{name}.{fname}.{field}={v}",
                                lambda n, g=get, pn=pname, fn=fname, f=field, v=v: setattr(
                                    getattr(getattr(g(n), pn), fn), f, v
                                ),
                            )
                        )
                    for how, typo in _typo(ftype, rng):
                        out.append(
                            Mutation(
                                "misspell filler",
                                f"{name}.{fname} {ftype}->{typo} ({how})",
                                lambda n, g=get, pn=pname, fn=fname, t=typo: setattr(
                                    getattr(getattr(g(n), pn), fn), "type", t
                                ),
                            )
                        )
        for pname, fields in UNSET.get(layer.type, {}).items():
            pmsg = getattr(layer, pname)
            for field in fields:
                if not pmsg.HasField(field):
                    for v in (0.0, -1.0, 1.0, 2.0):
                        out.append(
                            Mutation(
                                "change number",
                                f"{name}.{pname}.{field}={v} (was unset)",
                                lambda n, g=get, pn=pname, f=field, v=v: setattr(
                                    getattr(g(n), pn), f, v
                                ),
                            )
                        )
        if layer.type in AXIS_PARAM and not any(_has(m, "axis") for _, m in _params(layer)):
            pn = AXIS_PARAM[layer.type]
            for v in (4, -5):
                out.append(
                    Mutation(
                        "axis out of range",
                        f"{name}.{pn}.axis={v}",
                        lambda n, g=get, pn=pn, v=v: setattr(getattr(g(n), pn), "axis", v),
                    )
                )
        if layer.type == "Accuracy":
            for v in (0, 11, 1000):
                out.append(
                    Mutation(
                        "top_k",
                        f"{name} top_k={v}",
                        lambda n, g=get, v=v: setattr(g(n).accuracy_param, "top_k", v),
                    )
                )
        if not data:
            for how, typo in _typo(layer.type, rng):
                out.append(
                    Mutation(
                        "misspell type",
                        f"{name} type {layer.type}->{typo} ({how})",
                        lambda n, g=get, t=typo: setattr(g(n), "type", t),
                    )
                )
        for b in range(len(layer.bottom)):
            out.append(
                Mutation(
                    "delete bottom",
                    f"{name} bottom[{b}] {layer.bottom[b]} deleted",
                    lambda n, g=get, b=b: g(n).bottom.__delitem__(b),
                )
            )
        for t in range(len(layer.top)):
            out.append(
                Mutation(
                    "delete top",
                    f"{name} top[{t}] {layer.top[t]} deleted",
                    lambda n, g=get, t=t: g(n).top.__delitem__(t),
                )
            )
            if layer.top[t] not in layer.bottom:
                out.append(
                    Mutation(
                        "rename top",
                        f"{name} top {layer.top[t]}->{layer.top[t]}_x",
                        lambda n, g=get, t=t: g(n).top.__setitem__(t, g(n).top[t] + "_x"),
                    )
                )
        for p in range(len(layer.param)):
            out.append(
                Mutation(
                    "delete param",
                    f"{name} param[{p}] deleted",
                    lambda n, g=get, p=p: g(n).param.__delitem__(p),
                )
            )
        if layer.include:
            out.append(
                Mutation(
                    "delete include",
                    f"{name} include deleted",
                    lambda n, g=get: g(n).ClearField("include"),
                )
            )
            out.append(
                Mutation(
                    "change enum",
                    f"{name} include phase flipped",
                    lambda n, g=get: setattr(g(n).include[0], "phase", 1 - g(n).include[0].phase),
                )
            )
        if len(layer.bottom) >= 2 and layer.bottom[0] != layer.bottom[1]:
            out.append(
                Mutation(
                    "swap bottoms",
                    f"{name} bottoms {layer.bottom[0]}<->{layer.bottom[1]}",
                    lambda n, g=get: g(n).bottom.__setitem__(
                        slice(0, 2), [g(n).bottom[1], g(n).bottom[0]]
                    ),
                )
            )
        if not data:
            out.append(
                Mutation("duplicate layer", f"{name} duplicated", lambda n, i=i: _insert(n, i))
            )
        if layer.type == "BatchNorm":
            for v in (True, False):
                out.append(
                    Mutation(
                        "use_global_stats",
                        f"{name} use_global_stats={v}",
                        lambda n, g=get, v=v: setattr(g(n).batch_norm_param, "use_global_stats", v),
                    )
                )
        if layer.top and layer.bottom and layer.type == "ReLU":
            blob = layer.top[0]
            out.append(
                Mutation(
                    "mix layer/layers",
                    f"V1 layers {{ RELU {blob} }} added",
                    lambda n, b=blob: _add_v1(n, b),
                )
            )
    with_params = [i for i, v in enumerate(layers) if v.type in ("Convolution", "InnerProduct")]
    for a, b in zip(with_params, with_params[1:] + with_params[:1], strict=True):
        if a != b:
            out.append(
                Mutation(
                    "shared param name",
                    f"{layers[a].name}+{layers[b].name} param 'w'",
                    lambda n, a=a, b=b: _share(n, a, b),
                )
            )
    return out


def _insert(net: object, i: int) -> None:
    layers = [copy.deepcopy(v) for v in net.layer]  # type: ignore[attr-defined]
    layers.insert(i + 1, copy.deepcopy(layers[i]))
    del net.layer[:]  # type: ignore[attr-defined]
    for v in layers:
        net.layer.add().CopyFrom(v)  # type: ignore[attr-defined]


def _add_v1(net: object, blob: str) -> None:
    v1 = net.layers.add()  # type: ignore[attr-defined]
    v1.name, v1.type = "mixed_relu", v1.RELU
    v1.bottom.append(blob)
    v1.top.append(blob)


def _share(net: object, a: int, b: int) -> None:
    for i in (a, b):
        layer = net.layer[i]  # type: ignore[attr-defined]
        if not layer.param:
            layer.param.add()
        layer.param[0].name = "w"


def _mutants(tmp: Path) -> list[tuple[str, str, Path]]:
    """(base, mutant id, file) of every mutant, seeded."""
    from google.protobuf import text_format

    out = []
    for label, count in BASES:
        base = _base_message(label, tmp)
        rng = random.Random(f"{SEED}:{label}")
        base_text = text_format.MessageToString(base)
        candidates = _mutations(base, rng)
        if "+" in label:  # a targeted base: only the edits its tag names
            keep = TARGETED[label.split("+")[1]]
            candidates = [m for m in candidates if keep(m.what)]
        by_operator: dict[str, list[Mutation]] = {}
        for m in candidates:
            by_operator.setdefault(m.operator, []).append(m)
        # every operator the net offers at least once, then a seeded draw of the rest
        chosen = [rng.choice(ms) for _, ms in sorted(by_operator.items())]
        rest = [m for m in candidates if m not in chosen]
        chosen += rng.sample(rest, max(0, min(len(rest), count - len(chosen))))
        for k, m in enumerate(chosen):
            net = copy.deepcopy(base)
            m.apply(net)
            text = text_format.MessageToString(net).replace(str(SENTINEL), "-1")
            if text == base_text:
                continue  # an edit to the value the net already has
            name = Path(label).name
            ident = f"{Path(label).parent.name}/{name}: {m.operator}: {m.what}"
            path = tmp / f"m{len(out):04d}" / name.split("+")[0]
            path.parent.mkdir()
            path.write_text(text)
            out.append((label, ident, path))
            del k
    return out


# --- the verdicts ----------------------------------------------------------------------


@dataclass
class Pair:
    """One (net, phase): what the linter claims and what Caffe did."""

    ident: str
    phase: str
    path: Path
    errors: list[str]
    forward: bool
    constructed: bool = False
    aborted: bool = False
    nonfinite: bool = False
    why: str = ""

    @property
    def claims(self) -> list[str]:
        return sorted(set(self.errors) & SETUP_ABORTS)

    @property
    def run_time_claims(self) -> list[str]:
        return sorted(set(self.errors) & RUN_TIME)


def _run(pair: Pair) -> None:
    args = [str(CONSTRUCT), str(pair.path), "TEST" if pair.phase == "deploy" else pair.phase]
    if pair.forward:
        args.append("1")
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pair.aborted, pair.why = True, "timeout"
        return
    fatal = next((line for line in proc.stderr.splitlines() if line.startswith("F")), "")
    nonfinite = [line for line in proc.stdout.splitlines() if line.startswith("NONFINITE")]
    pair.constructed = "CONSTRUCT_OK" in proc.stdout
    pair.aborted = proc.returncode != 0
    pair.nonfinite = bool(nonfinite)
    why = fatal or "; ".join(nonfinite[:3]) or proc.stderr.strip()[-200:]
    why = re.sub(r"^F\d+ [\d:.]+ +\d+ ", "F ", why)
    pair.why = why.split(" (known types:")[0].replace("\n", " ")


def _pairs(
    rules: object, ident: str, path: Path, phases: tuple[str, ...], forward: bool
) -> list[Pair]:
    """A pair for each phase the linter considers, with the linter's errors in it."""
    report = Linter(rules, Options(dialect="bvlc")).lint([Input(str(path))])[0]  # type: ignore[arg-type]
    errors = [f for f in report.findings if f.severity.label == "error"]
    if report.net is None:  # not read as a net: each phase's claim is the parse error's
        return [Pair(ident, p, path, [f.code for f in errors], forward) for p in phases]
    if report.net.role.kind in ("fragment", "staged"):
        return []  # the linter says Caffe cannot build it as written (N262)
    return [
        Pair(
            ident,
            ph.name,
            path,
            [f.code for f in errors if not f.phases or ph.name in f.phases],
            forward,
        )
        for ph in report.net.phases
    ]


@pytest.fixture(scope="module")
def mutant_pairs(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, list[Pair]]:
    rules = load_rules()
    mutants = _mutants(tmp_path_factory.mktemp("mutants"))
    pairs = []
    for label, ident, path in mutants:
        phases = ("TRAIN", "TEST") if "train" in label or "val" in label else ("deploy",)
        pairs += _pairs(rules, ident, path, phases, label in FORWARD_BASES)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(_run, pairs))
    return len(mutants), pairs


def _compare(
    pairs: list[Pair],
    disagree: Callable[[Pair], str | None],
    allowed: dict[tuple[str, str], str],
    title: str,
) -> None:
    per_operator: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    disagreements: dict[tuple[str, str], str] = {}
    for pair in pairs:
        operator = pair.ident.split(": ")[1] if ": " in pair.ident else "fixture"
        per_operator[operator] += 1
        why = disagree(pair)
        if why is None:
            agree[operator] += 1
        else:
            disagreements[(pair.ident, pair.phase)] = why
    total = sum(per_operator.values())
    if os.environ.get("PROTOTXT_LINT_MUTATION_REPORT"):  # every pair, for a report
        with open(os.environ["PROTOTXT_LINT_MUTATION_REPORT"], "a", encoding="utf-8") as out:
            for pair in pairs:
                print(
                    title,
                    pair.ident,
                    pair.phase,
                    pair.constructed,
                    pair.aborted,
                    pair.nonfinite,
                    ",".join(pair.errors),
                    pair.why,
                    sep="\t",
                    file=out,
                )
    print(
        f"\n{title}: {total} (net, phase) pairs, {sum(agree.values())} agree"
        f" ({100 * sum(agree.values()) / max(total, 1):.1f} %)"
    )
    for operator in sorted(per_operator):
        print(f"  {operator}: {agree[operator]}/{per_operator[operator]}")
    unexplained = {k: v for k, v in disagreements.items() if k not in allowed}
    seen = {(p.ident, p.phase) for p in pairs}
    stale = sorted(k for k in allowed if k in seen and k not in disagreements)
    for key, why in sorted(unexplained.items()):
        print(f"    {key!r}:\n        {why[:300]!r},")
    assert unexplained == {}
    assert stale == []


def _set_up_disagreement(pair: Pair) -> str | None:
    aborted = not pair.constructed
    if aborted == bool(pair.claims):
        return None
    said = (
        ", ".join(pair.claims) or f"no abort claimed (errors: {', '.join(pair.errors) or 'none'})"
    )
    return f"Caffe {'aborts: ' + pair.why if aborted else 'builds it'}; {said}"


def _forward_disagreement(pair: Pair) -> str | None:
    broken = pair.aborted or pair.nonfinite
    if broken == bool(pair.run_time_claims):
        return None
    said = (
        ", ".join(pair.run_time_claims)
        or f"no run-time claim (errors: {', '.join(pair.errors) or 'none'})"
    )
    return f"Caffe's first pass {'fails: ' + pair.why if broken else 'is finite'}; {said}"


def test_mutants_caffe_and_the_linter_agree_on_set_up_aborts(
    mutant_pairs: tuple[int, list[Pair]],
) -> None:
    count, pairs = mutant_pairs
    print(
        f"\n{count} mutants; Caffe aborts in {sum(not p.constructed for p in pairs)} of"
        f" {len(pairs)} (mutant, phase) pairs, the linter claims so in"
        f" {sum(bool(p.claims) for p in pairs)}"
    )
    assert count > 250 and len(pairs) > 400  # the suite really ran
    _compare(pairs, _set_up_disagreement, ALLOWED, "set-up")


def _fixture_pairs(tmp: Path) -> list[Pair]:
    """Every net fixture Caffe can build here, data layers replaced (Gaussian images)."""
    from google.protobuf import text_format

    rules = load_rules()
    pairs = []
    for path in _nets():
        if not path.is_relative_to(FIXTURES):
            continue
        replaced = _replaced(path, tmp)
        if replaced is None:
            continue
        doc = Linter([], Options(dialect="bvlc")).lint([Input(str(replaced))])[0].document
        _with_fillers(doc.message)
        out = tmp / "forward" / path.parent.name / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text_format.MessageToString(doc.message))
        ident = str(path.relative_to(FIXTURES.parent.parent))
        report = Linter(rules, Options(dialect="bvlc")).lint([Input(str(out))])[0]
        if report.net is None or any(not is_registered(v) for v in report.net.layers):
            continue  # a fork's or custom layer (N312): BVLC Caffe cannot create it
        pairs += _pairs(rules, ident, out, (), forward=True)
    return pairs


def test_first_forward_pass_caffe_and_the_linter_agree_on_nan_and_run_time_aborts(
    mutant_pairs: tuple[int, list[Pair]], tmp_path: Path
) -> None:
    fixtures = _fixture_pairs(tmp_path)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(_run, fixtures))
    pairs = [p for p in fixtures + mutant_pairs[1] if p.forward and p.constructed]
    print(
        f"\n{len(pairs)} (net, phase) pairs run forward ({len(fixtures)} fixture pairs);"
        f" Caffe fails or is non-finite in {sum(p.aborted or p.nonfinite for p in pairs)},"
        f" the linter claims so in {sum(bool(p.run_time_claims) for p in pairs)}"
    )
    assert len(pairs) > 200
    _compare(pairs, _forward_disagreement, ALLOWED_FORWARD, "first forward pass")
