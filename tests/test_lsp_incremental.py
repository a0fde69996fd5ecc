"""Issue 16: the language server reloads an edited net incrementally (prototxt_lint/lsp/
incremental.py). After every edit of a random session on real corpus nets (digits, names
inside strings, text inside comments, braces and quotes deleted and put back, blocks copied
and removed, junk typed anywhere and undone) the incremental reading must be the fresh one:
the same message, the same position for every field, the same errors and comments, and the
same findings, record for record."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import CORPUS, needs_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from lsp_edits import random_edit as _edit

from prototxt_lint.engine.loading import load_bytes
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.lsp.analysis import analyse
from prototxt_lint.lsp.incremental import BufferLoader, SplicedLocs
from prototxt_lint.schema import bvlc_schema

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RULES = load_rules()
URI = "untitled:edited.prototxt"
def _same_document(loader: BufferLoader, text: str) -> bool:
    """The loader's reading of ``text`` is the fresh one, or it declined (then the engine
    reads it from scratch itself). Returns whether it spliced."""
    schema = bvlc_schema()
    data = text.encode("utf-8", "replace")
    doc = loader.load("net.prototxt", data, schema)
    if doc is None:
        return False
    fresh = load_bytes("net.prototxt", data, schema)
    assert fresh.kind == "net" and doc.message == fresh.message
    assert doc.parsed is not None and fresh.parsed is not None
    assert isinstance(doc.parsed.locs, SplicedLocs)
    for path, loc in fresh.parsed.locs.items():
        got = doc.parsed.locs.get(path)
        assert got is not None, path
        assert (got.start, got.end, got.value_start, got.block_end) == (
            loc.start, loc.end, loc.value_start, loc.block_end), path
    if len(text) < 5000:  # iterating sees every position, in the fresh parse's order
        assert [(p, v.start, v.end, v.value_start, v.block_end)
                for p, v in doc.parsed.locs.items()] == [
            (p, v.start, v.end, v.value_start, v.block_end)
            for p, v in fresh.parsed.locs.items()]
    assert doc.parsed.errors == fresh.parsed.errors
    assert [(c.text, c.offset) for c in doc.parsed.comments] == [
        (c.text, c.offset) for c in fresh.parsed.comments]
    assert doc.parsed.key_counts == fresh.parsed.key_counts
    assert doc.parsed.incomplete == fresh.parsed.incomplete
    assert doc.parsed.too_many_errors == fresh.parsed.too_many_errors
    assert vars(doc.parsed).keys() == vars(fresh.parsed).keys()
    for name in ("key_spans", "message_lists", "bare_keys", "capital_bools"):
        assert getattr(doc.parsed, name, None) == getattr(fresh.parsed, name, None), name
    assert doc.problems == fresh.problems
    return True


NETS = [  # (net, edits)
    ("BVLC__caffe/models/bvlc_reference_caffenet/train_val.prototxt", 250),  # comments
    ("BVLC__caffe/examples/mnist/lenet_train_test.prototxt", 250),
    ("BVLC__caffe@rc/examples/cifar10/cifar10_full_train_test.prototxt", 250),  # V1 `layers`
    ("BVLC__caffe/models/bvlc_googlenet/train_val.prototxt", 120),  # 40 KB
    # a fork's net (DeepLab): BVLC's schema reads it with 12 unknown names, counted once
    ("TheLegendAli__DeepLab-Context/voc12/vgg128_noup/test_val.prototxt", 250),
]


@needs_corpus
@pytest.mark.parametrize(("name", "edits"), NETS)
def test_incremental_reading_is_the_fresh_one_after_random_edits(name: str, edits: int) -> None:
    original = (CORPUS / name).read_text(encoding="utf-8")
    rng = random.Random(name)
    loader = BufferLoader()
    text = original
    spliced = 0
    for _ in range(edits):
        text = _edit(rng, text, original)
        spliced += _same_document(loader, text)
    assert spliced > edits // 5  # the incremental path was taken, not only the fallback


@needs_corpus
def test_findings_after_edits_are_a_fresh_lint_s() -> None:
    """The whole analysis, rules included, on a 40 KB net (GoogLeNet) and a small one."""
    for name, steps in (("BVLC__caffe/models/bvlc_googlenet/train_val.prototxt", 40),
                        ("BVLC__caffe/models/bvlc_reference_caffenet/train_val.prototxt", 120)):
        original = (CORPUS / name).read_text(encoding="utf-8")
        rng = random.Random(16)
        loader = BufferLoader()
        text = original
        spliced = 0
        for step in range(steps):
            text = _edit(rng, text, original)
            edited = analyse(URI, step, text, RULES, loader=loader)
            spliced += loader.last == "spliced"
            fresh = analyse(URI, step, text, RULES)
            assert edited.findings == fresh.findings, (name, step)
        assert spliced > steps // 4


def test_a_byte_order_mark_and_crlf_lines_keep_their_offsets() -> None:
    text = "\ufeff" + (EXAMPLES / "batchnorm_train.prototxt").read_text().replace("\n", "\r\n")
    loader = BufferLoader()
    rng = random.Random(3)
    for step in range(60):
        text = _edit(rng, text, text)
        edited = analyse(URI, step, text, RULES, loader=loader)
        assert edited.findings == analyse(URI, step, text, RULES).findings


def test_only_the_edited_block_is_parsed_again() -> None:
    """A digit changed in one layer: every other block's chunk is the same object."""
    text = (EXAMPLES / "batchnorm_train.prototxt").read_text()
    loader = BufferLoader()
    schema = bvlc_schema()
    assert loader.load("n", text.encode(), schema) is not None
    before = list(loader.chunks)
    at = text.index("num_output:") + len("num_output: ")
    edited = text[:at] + "9" + text[at:]
    assert loader.load("n", edited.encode(), schema) is not None
    assert loader.last == "spliced"
    changed = [i for i, (a, b) in enumerate(zip(before, loader.chunks, strict=True))
               if a is not b]
    assert len(changed) == 1
    assert loader.chunks[changed[0]].block is not None  # the edited block is clean again


def test_an_unclosed_block_falls_back_to_a_fresh_reading() -> None:
    """`layer {` typed above the others swallows them: no placeholder is taken out of top
    level, the loader declines and the engine reads the text from scratch."""
    text = (EXAMPLES / "batchnorm_train.prototxt").read_text()
    loader = BufferLoader()
    schema = bvlc_schema()
    loader.load("n", text.encode(), schema)
    at = text.index("layer {")
    broken = text[:at] + "layer { name: 'open'\n" + text[at:]
    assert loader.load("n", broken.encode(), schema) is None
    assert analyse(URI, 2, broken, RULES, loader=loader).findings == analyse(
        URI, 2, broken, RULES).findings


def test_hover_index_finds_what_a_walk_of_the_net_finds() -> None:
    """Hover looks its span up in a sorted index; at every offset of a net (and of a solver
    with an embedded net) it is the span the walk over every layer finds first."""
    from prototxt_lint.lsp.hover import _index, _target_at, _targets

    solver = ('base_lr: 0.01 max_iter: 10 lr_policy: "fixed"\n'
              'train_net_param { name: "a" layer { name: "d" type: "Input" top: "x"'
              ' input_param { shape { dim: 1 dim: 2 } } }\n'
              '  layer { name: "r" type: "ReLU" bottom: "x" top: "x" } }\n'
              'test_net_param { layer { name: "d" type: "Input" top: "y" } }\n')
    for text in ((EXAMPLES / "batchnorm_train.prototxt").read_text(), solver):
        analysis = analyse(URI, 1, text, RULES, loader=BufferLoader())
        assert analysis.nets()
        steps = 1
        while not _index(analysis).grow(3):  # built in steps, as the idle server does
            steps += 1
        assert steps > 2
        for offset in range(len(text) + 1):
            walked = next(((s, e, kind, payload, ctx) for ctx in analysis.nets()
                           for s, e, kind, payload in _targets(ctx)
                           if s <= offset < e or s == e == offset), None)
            assert _target_at(analysis, offset) == walked, offset


def test_a_change_is_spliced_as_pygls_would_rebuild_the_text() -> None:
    """The server splices a change into the text instead of pygls's rebuild line by line;
    on random texts (every LSP line break, characters Python splits lines at, non-BMP) and
    random ranges (past the end of a line or of the file, reversed) the result is the same."""
    from lsprotocol import types
    from pygls.workspace import TextDocument

    from prototxt_lint.lsp.documents import LspTextDocument

    rng = random.Random(16)
    pieces = ["a", "bc", "\n", "\r\n", "\r", "😀", "é", "\u2028", "\x0c", " ", "layer {"]
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12)))

        def pos() -> types.Position:
            return types.Position(line=rng.randrange(0, 6), character=rng.randrange(0, 6))

        start, end = pos(), pos()
        if rng.random() < 0.8 and (start.line, start.character) > (end.line, end.character):
            start, end = end, start
        new_text = rng.choice(["", "x", "\n", "😀\r\n"])
        docs = [LspTextDocument("file:///n", source=text, version=1,
                                 sync_kind=types.TextDocumentSyncKind.Incremental)
                for _ in range(2)]
        changes = [types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(start.line, start.character),
                              end=types.Position(end.line, end.character)), text=new_text)
            for _ in range(2)]
        TextDocument._apply_incremental_change(docs[0], changes[0])
        docs[1].apply_change(changes[1])
        assert docs[1].source == docs[0].source, (text, start, end, new_text)


#: what generated texts are made of: prototxt tokens, and what breaks them
PIECES = ["layer {", "layers {", "}", "{", "<", ">", "[", "]", ":", ",", ";", " ", "\n", "#",
          "# } {\n", 'name: "x"', 'top: "a"', 'bottom: "a"', 'type: "ReLU"', "'", '"', "1",
          "1e+", "num_output: 2", "convolution_param {", "input: ", "é", "\r", "layer",
          'layer { name: "r" type: "ReLU" bottom: "a" top: "a" }\n',  # clean blocks
          'layers { name: "c" type: CONVOLUTION bottom: "a" top: "b" }\n',
          'layer { name: "i" type: "Input" top: "a" input_param { shape { dim: 1 } } }\n',
          'layer { name: "s" type: "Scale" bottom: "a" top: "a" scale_param { bias_term: True }'
          ' }\n', "True", "false"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60),
       st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 8),
                          st.lists(st.sampled_from(PIECES), max_size=3)), max_size=4))
def test_generated_texts_and_edits_read_as_fresh(pieces: list[str],
                                                 edits: list[tuple[int, int, list[str]]]) -> None:
    """Texts made of prototxt tokens and the characters that break them, edited a few
    times: after every edit the loader's reading is the fresh one (or it declines)."""
    loader = BufferLoader()
    text = "".join(pieces)
    _same_document(loader, text)
    for at, length, new in edits:
        at %= len(text) + 1
        text = text[:at] + "".join(new) + text[at + length:]
        _same_document(loader, text)
