"""From bytes to a :class:`~prototxt_lint.model.Document`: decide what the file is, then parse.

Caffe needs to be told whether a file is a net or a solver; we tell by content, looking at the
top-level field names, so a file is never parsed as the wrong message (a wall of errors).
"""

from __future__ import annotations

from prototxt_lint.model import Document
from prototxt_lint.schema import Schema
from prototxt_lint.syntax.parser import CHUNK, parse, top_level_names
from prototxt_lint.syntax.source import InputProblem, Source, decode, read_source
from prototxt_lint.syntax.tokenizer import Token, TokenStream

#: top-level field names that decide what a file is (:func:`classify`)
ENOUGH_NAMES = 64


def _mostly_foreign(names: list[str], fields: set[str]) -> bool:
    """Another program's configuration in text format that shares a name or two with Caffe
    (``momentum``, ``batch_size``): at least four different top-level names are neither
    Caffe's nor a slip of one, and fewer than a third of the fields written are Caffe's
    (counted per field written: a fork's net of 93 ``layer`` blocks and five fork settings,
    or a fork's solver, is mostly BVLC's)."""
    import difflib

    unknown = [n for n in names if n not in fields]
    if len(set(unknown)) < 4:  # a few strange names, however often: a broken Caffe file
        return False
    known = sorted(fields)
    slips = {n for n in set(unknown) if difflib.get_close_matches(n, known, n=1, cutoff=0.75)}
    caffe_like = len(names) - len(unknown) + sum(1 for n in unknown if n in slips)
    return 3 * caffe_like < len(names)


def classify(names: list[str], schema: Schema) -> str:
    """``net``, ``solver``, ``labelmap`` or ``unrecognised`` from top-level field names."""
    net_fields = set(schema.descriptor("NetParameter").fields_by_name)
    solver_fields = set(schema.descriptor("SolverParameter").fields_by_name)
    shared = net_fields & solver_fields  # e.g. debug_info
    net_score = sum(1 for n in names if n in net_fields and n not in shared)
    solver_score = sum(1 for n in names if n in solver_fields and n not in shared)
    if (net_score or solver_score) and _mostly_foreign(names, net_fields | solver_fields):
        return "unrecognised"
    if solver_score > net_score:
        return "solver"
    if net_score:
        return "net"
    if names and all(n == "item" for n in names):
        return "labelmap"
    # Only misspelled names: go by the closest spellings.
    import difflib

    for name in names:
        if difflib.get_close_matches(name, sorted(net_fields - shared), n=1, cutoff=0.75):
            return "net"
        if difflib.get_close_matches(name, sorted(solver_fields - shared), n=1, cutoff=0.75):
            return "solver"
    if names and all(n in shared for n in names):
        return "net"
    return "unrecognised"


def load_text(source: Source, problems: list[InputProblem], schema: Schema) -> Document:
    if problems and problems[0].fatal:
        return Document(source, schema, "unreadable", problems=problems)
    # tokens are streamed: only as many as the first top-level names need are made here
    stream = TokenStream(source.text)
    tokens: list[Token] = []
    stream.fill(tokens, CHUNK)
    if len(tokens) == 1:  # only EOF: empty or comments only
        return Document(source, schema, "empty", problems=problems)
    names = top_level_names(tokens, ENOUGH_NAMES)
    least = CHUNK
    while len(names) < ENOUGH_NAMES and not stream.done:
        least *= 2  # doubling: a solver's few names before a huge net_param stay linear
        stream.fill(tokens, least)
        names = top_level_names(tokens, ENOUGH_NAMES)
    kind = classify(names, schema)
    if kind not in ("net", "solver"):
        return Document(source, schema, kind, problems=problems)
    cls = schema.message_class("NetParameter" if kind == "net" else "SolverParameter")
    message = cls()
    parsed = parse(source.text, message, (tokens, stream.comments), stream)
    return Document(source, schema, kind, message, parsed, problems)


def load_path(path: str, schema: Schema, max_bytes: int) -> Document:
    source, problems = read_source(path, max_bytes)
    if source is None:
        return Document(Source(path, ""), schema, "unreadable", problems=problems)
    return load_text(source, problems, schema)


def load_bytes(path: str, data: bytes, schema: Schema) -> Document:
    source, problems = decode(path, data)
    assert source is not None
    return load_text(source, problems, schema)
