"""Loading an edited net again without re-reading what the edit did not touch.

A keystroke in a 400 KB net used to cost a whole tokenize and parse (most of a lint). Here a
document is kept as *chunks*, each starting at a top-level name (``layer``, ``name``,
``input``...) and running to the next one. After an edit:

- Tokens. The chunks that end before the first changed character keep their tokens. The
  tokenizer runs again from the chunk holding that character until it reaches, at a token
  boundary, the start of an old chunk in the unchanged tail (a token never crosses a line
  break and no token's match looks past the character after it, so from a shared boundary
  the two texts tokenize alike); the old chunks from there on keep their tokens, shifted.
- Parse. A ``layer``/``layers`` block that a parser alone reads without any error, skipped
  field or counted name is *clean*: its parse cannot depend on the rest of the file (a
  clean block never calls the parser's error path, the only place that reads state other
  blocks left: panic mode, the error cap, names counted once per file). Its message and
  field positions are cached by its exact text. The file is then parsed with each clean
  block as one placeholder token: at top level the parser copies the cached layer in and
  positions resolve lazily (:class:`SplicedLocs`); everything else (top-level fields,
  broken blocks) is parsed from its tokens as before, in order, so errors, counts and
  panic mode come out as in a fresh parse. If the parser meets a placeholder anywhere but
  at top level (an unclosed block above swallows it), the result is thrown away and the
  text is loaded from scratch.

The document built is the one :func:`prototxt_lint.engine.loading.load_bytes` builds (the
differential tests compare the findings after random edits with a fresh lint). Only nets
take this path; solvers, empty or unreadable files are loaded as usual.
"""

from __future__ import annotations

import bisect
import inspect
from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Any

from prototxt_lint.engine.loading import classify
from prototxt_lint.model import Document
from prototxt_lint.schema import Schema
from prototxt_lint.syntax.parser import FieldLoc, ParseResult, Path, _Parser
from prototxt_lint.syntax.source import decode
from prototxt_lint.syntax.tokenizer import _TOKEN_RE, EOF, IDENT, PUNCT, Comment, Token

#: the token kind that stands for a whole clean block in the parser's input
BLOCK = "B"
_LAYER_FIELDS = frozenset({"layer", "layers"})
_OPENERS = frozenset("{<[")
_CLOSERS = frozenset("}>]")


class _Block:
    """A clean ``layer``/``layers`` block parsed alone: its message and field positions, as
    the parser wrote them for the block at offset ``base`` (paths start ``(field, 0)``)."""

    __slots__ = ("base", "field", "locs", "message")

    def __init__(self, field: str, message: Any, locs: Mapping[Path, FieldLoc],
                 base: int) -> None:
        self.field = field
        self.message = message
        self.locs = locs
        self.base = base


class _Chunk:
    """One top-level field's text (with what follows it up to the next), its comments and
    (unless it is a clean block, whose tokens the parse never needs) its tokens, with
    offsets relative to the chunk, and its block when it is a clean one."""

    __slots__ = ("block", "comments", "text", "tokens")

    def __init__(self, text: str, tokens: list[Token] | None, comments: list[Comment],
                 block: _Block | None) -> None:
        self.text = text
        self.tokens = tokens
        self.comments = comments
        self.block = block


class SplicedLocs(dict[Path, FieldLoc]):
    """Field positions: those the parser wrote, and those of spliced blocks, resolved (and
    shifted to the block's place) when first asked for, which is how the engine and the
    rules use them (``get``, ``[]``, ``in``). Iterating (``items()``, ``len()``...) sees
    every position, in the order a fresh parse writes them."""

    def __init__(self) -> None:
        super().__init__()
        #: (field, index) -> (block, shift, how many positions the parser had written)
        self.blocks: dict[tuple[str | int, ...], tuple[_Block, int, int]] = {}
        self.resolved: dict[Path, FieldLoc] = {}
        self._whole: dict[Path, FieldLoc] | None = None

    def _spliced(self, path: Path) -> FieldLoc | None:
        loc = self.resolved.get(path)
        if loc is not None or len(path) < 2:
            return loc
        entry = self.blocks.get(path[:2])
        if entry is None:
            return None
        block, shift, _ = entry
        rel = block.locs.get((path[0], 0, *path[2:]))
        if rel is None:
            return None
        loc = self.resolved[path] = _shifted(rel, shift)  # rules ask again and again
        return loc

    def get(self, path: Path, default: Any = None) -> Any:  # type: ignore[override]
        loc = dict.get(self, path)
        if loc is None:
            loc = self._spliced(path)
        return default if loc is None else loc

    def __getitem__(self, path: Path) -> FieldLoc:
        loc = self.get(path)
        if loc is None:
            raise KeyError(path)
        return loc  # type: ignore[no-any-return]

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self.get(path) is not None

    def whole(self) -> dict[Path, FieldLoc]:
        """Every position, in the parser's order (built once, on the first iteration)."""
        if self._whole is None:
            written = list(dict.items(self))
            whole: dict[Path, FieldLoc] = {}
            done = 0
            for (field, index), (block, shift, at) in self.blocks.items():
                whole.update(written[done:at])
                done = at
                for rel_path, rel in block.locs.items():
                    whole[(field, index, *rel_path[2:])] = _shifted(rel, shift)
            whole.update(written[done:])
            self._whole = whole
        return self._whole

    def __iter__(self) -> Iterator[Path]:
        return iter(self.whole())

    def __len__(self) -> int:
        return len(self.whole())

    def keys(self) -> Any:
        return self.whole().keys()

    def values(self) -> Any:
        return self.whole().values()

    def items(self) -> Any:
        return self.whole().items()


def _shifted(loc: FieldLoc, shift: int) -> FieldLoc:
    return FieldLoc(loc.start + shift, loc.end + shift, loc.value_start + shift,
                    loc.block_end + shift)


#: the attributes :class:`_SplicingParser` adds to the parser's
_SPLICING = frozenset({"splices", "spliced"})


class _SplicingParser(_Parser):
    """The engine's parser, which takes a :data:`BLOCK` token after a top-level ``layer``
    name as that block's cached parse."""

    def __init__(self, tokens: list[Token], comments: list[Comment],
                 splices: dict[int, tuple[_Block, int]]) -> None:
        super().__init__(tokens, comments)
        self.splices = splices
        self.spliced = 0
        self.locs = SplicedLocs()

    def parse_message_field(self, msg: Any, fd: Any, name_tok: Token, path: Path,
                            depth: int) -> None:
        entry = self.splices.get(self.pos)
        if entry is not None and depth == 0 and not path and fd.name == entry[0].field:
            block, shift = entry
            container = getattr(msg, fd.name)
            locs = self.locs
            assert isinstance(locs, SplicedLocs)
            locs.blocks[(fd.name, len(container))] = (block, shift, dict.__len__(locs))
            container.add().CopyFrom(block.message)
            self.pos += 1
            self.spliced += 1
            return
        super().parse_message_field(msg, fd, name_tok, path, depth)


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (slices compared in C, halving)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _common_suffix(a: str, b: str, most: int) -> int:
    """Length of the longest common suffix, at most ``most``."""
    la, lb = len(a), len(b)
    if a[la - most:] == b[lb - most:]:
        return most
    lo, hi = 0, most
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[la - mid:la - lo] == b[lb - mid:lb - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _names(tokens: list[Token], enough: int = 64) -> list[str]:
    """:func:`prototxt_lint.syntax.parser.top_level_names` of the spliced token list (a
    placeholder is a balanced block)."""
    names: list[str] = []
    depth = 0
    for i, tok in enumerate(tokens):
        kind = tok[0]
        if kind == PUNCT:
            if tok[1] in _OPENERS:
                depth += 1
            elif tok[1] in _CLOSERS:
                depth = max(0, depth - 1)
        elif kind == IDENT and depth == 0:
            nxt = tokens[i + 1]
            if nxt[0] == BLOCK or (nxt[0] == PUNCT and nxt[1] in ":{<"):
                names.append(tok[1])
                if len(names) >= enough:
                    break
    return names


#: what the parser keeps for a block's parse, not for the file: its input, where it is, the
#: positions it writes (a clean block brings its own) and panic mode (reset by every field)
#: (``_locs`` and ``packed`` are where ``locs`` is kept; ``stream`` feeds the tokens)
_PARSER_INPUT = frozenset({"tokens", "comments", "pos", "locs", "_locs", "packed", "stream",
                           "quiet"})
#: ParseResult's name for a parser attribute, where they differ
_RESULT_NAMES = {"too_many": "too_many_errors"}
#: what ParseResult takes (``parse`` passes the parser's state of these names)
_RESULT_FIELDS = frozenset(inspect.signature(ParseResult.__init__).parameters) - {"self"}


def _file_state(parser: _Parser) -> dict[str, Any]:
    """The parser's per-file state: what it reports or counts for the whole file (errors,
    names counted once, message lists, capital bools...). Read from the parser itself, so
    that state the parser gains later is covered without a change here."""
    return {name: value for name, value in vars(parser).items()
            if name not in _PARSER_INPUT and name not in _SPLICING}


def _left_state(parser: _Parser) -> bool:
    """Did a block's parse leave anything in the parser's per-file state?"""
    return any(bool(value) for value in _file_state(parser).values())


def _results(parser: _Parser) -> dict[str, Any]:
    """The parser's per-file state as ParseResult's keyword arguments."""
    named = {_RESULT_NAMES.get(name, name): value for name, value in _file_state(parser).items()}
    return {name: value for name, value in named.items() if name in _RESULT_FIELDS}


class BufferLoader:
    """The chunks of one open document, kept from one version to the next."""

    def __init__(self) -> None:
        self.schema: Schema | None = None
        self.text = ""
        self.starts: list[int] = []
        self.chunks: list[_Chunk] = []
        #: chunks of this version and the one before, by text (an undo, or a block moved)
        self.by_text: dict[str, _Chunk] = {}
        #: how the last load went: "spliced" or "fresh" (for the log and the tests)
        self.last = ""

    # --- chunks ---------------------------------------------------------------------------
    def _update(self, text: str, schema: Schema) -> None:
        """Bring the chunks to ``text``, re-tokenizing only around the change."""
        if schema is not self.schema:
            self.schema, self.text, self.starts, self.chunks, self.by_text = \
                schema, "", [], [], {}
        old, starts, chunks = self.text, self.starts, self.chunks
        if old == text and chunks:
            return
        prefix = _common_prefix(old, text)
        suffix = _common_suffix(old, text, min(len(old), len(text)) - prefix)
        delta = len(text) - len(old)
        # the first old chunk that cannot be kept as it is: the first to end (where the next
        # starts) at or after the first changed character
        first = max(0, bisect.bisect_left(starts, prefix, 1) - 1) if chunks else 0
        scan_from = starts[first] if chunks else 0
        # the old chunks in the unchanged tail: where the new tokens may meet the old ones;
        # a match that starts at one of them is that old chunk's first name (a letter starts
        # nothing but a name), so only names need looking up
        resume = bisect.bisect_left(starts, len(old) - suffix, first)
        tokens: list[Token] = []
        comments: list[Comment] = []
        bounds = [scan_from]  # where new chunks start: each name at nesting depth 0
        met = len(chunks)
        stop = len(text)
        depth = 0
        append = tokens.append
        for match in _TOKEN_RE.finditer(text, scan_from):
            kind = match.lastgroup
            if kind is None:
                continue
            at = match.start()
            if kind == IDENT:
                if resume < len(starts):
                    k = bisect.bisect_left(starts, at - delta, resume)
                    if k < len(starts) and starts[k] == at - delta:
                        met, stop = k, at
                        break
                if not depth and at > scan_from:
                    bounds.append(at)
            elif kind == "c":
                comments.append(Comment(match.group()[1:], at))
                continue
            elif kind == PUNCT:
                value = match.group()
                if value in _OPENERS:
                    depth += 1
                elif value in _CLOSERS and depth:
                    depth -= 1
                append((kind, value, at))
                continue
            append((kind, match.group(), at))
        bounds.append(stop)
        new_starts = starts[:first]
        new_chunks = chunks[:first]
        for start, chunk in self._chunk(text, bounds, tokens, comments):
            new_starts.append(start)
            new_chunks.append(chunk)
        new_starts.extend(s + delta for s in starts[met:])
        new_chunks.extend(chunks[met:])
        self.by_text = {c.text: c for c in self.chunks}
        self.by_text.update((c.text, c) for c in new_chunks)
        self.text, self.starts, self.chunks = text, new_starts, new_chunks

    def _chunk(self, text: str, bounds: list[int], tokens: list[Token],
               comments: list[Comment]) -> list[tuple[int, _Chunk]]:
        """The chunks between successive ``bounds`` (their tokens and comments given, with
        offsets into ``text``)."""
        offsets = [tok[2] for tok in tokens]
        out = []
        t = c = 0
        for a, b in pairwise(bounds):
            end = bisect.bisect_left(offsets, b, t)
            notes: list[Comment] = []
            while c < len(comments) and comments[c].offset < b:
                notes.append(Comment(comments[c].text, comments[c].offset - a))
                c += 1
            piece = text[a:b]
            known = self.by_text.get(piece)  # the same text tokenizes and parses alike
            if known is None:
                mine = tokens[t:end]
                block = self._clean_block(a, b, mine)
                relative = None if block is not None else [
                    (kind, value, at - a) for kind, value, at in mine]
                known = _Chunk(piece, relative, notes, block)
            out.append((a, known))
            t = end
        return out

    def _clean_block(self, start: int, stop: int, tokens: list[Token]) -> _Block | None:
        """The parse of ``tokens`` (the chunk ``start..stop``) when they are one
        ``layer``/``layers`` field that parses alone with nothing skipped, reported or
        counted; else None."""
        if len(tokens) < 2 or tokens[0][0] != IDENT or tokens[0][1] not in _LAYER_FIELDS:
            return None
        assert self.schema is not None
        net = self.schema.message_class("NetParameter")()
        parser = _Parser([*tokens, (EOF, "", stop)], [])
        parser.parse_fields(net, net.DESCRIPTOR, (), None, 0)
        if _left_state(parser):
            return None
        fields = net.ListFields()
        name = tokens[0][1]
        if len(fields) != 1 or fields[0][0].name != name or len(fields[0][1]) != 1:
            return None
        # every position the parser wrote is inside the one block: (name, 0, ...)
        return _Block(name, fields[0][1][0], parser.locs, start)

    # --- the document ---------------------------------------------------------------------
    def load(self, path: str, data: bytes, schema: Schema) -> Document | None:
        """The document ``load_bytes(path, data, schema)`` builds, for a net; None when this
        text is to be loaded from scratch (not a net, unreadable, a placeholder the parser
        did not take at top level)."""
        self.last = "fresh"
        source, problems = decode(path, data)
        if source is None or any(p.fatal for p in problems):
            return None
        self._update(source.text, schema)
        tokens: list[Token] = []
        comments: list[Comment] = []
        splices: dict[int, tuple[_Block, int]] = {}
        for start, chunk in zip(self.starts, self.chunks, strict=True):
            block = chunk.block
            if block is not None:
                tokens.append((IDENT, block.field, start))
                splices[len(tokens)] = (block, start - block.base)
                tokens.append((BLOCK, "", start))
            elif chunk.tokens:
                tokens.extend((kind, value, at + start) for kind, value, at in chunk.tokens)
            comments.extend(Comment(c.text, c.offset + start) for c in chunk.comments)
        tokens.append((EOF, "", len(source.text)))
        if len(tokens) == 1 or classify(_names(tokens), schema) != "net":
            return None
        message = schema.message_class("NetParameter")()
        parser = _SplicingParser(tokens, comments, splices)
        parser.parse_fields(message, message.DESCRIPTOR, (), None, 0)
        if parser.spliced != len(splices):
            return None
        parsed = ParseResult(message=message, locs=parser.locs, comments=parser.comments,
                             **_results(parser))
        self.last = "spliced"
        return Document(source, schema, "net", message, parsed, problems)


__all__ = ["BufferLoader", "SplicedLocs"]
