"""A text-format parser that builds real protobuf messages *and* a position index.

Why not ``google.protobuf.text_format``: it stops at the first error, drops every position, and
cannot skip a fork's unknown fields. This parser walks the same grammar once, fills the message
through the normal protobuf API, records where every field occurrence sits in the text, and on
an error reports it, skips the broken piece and carries on, so one run shows every problem.
Messages follow protobuf's C++ parser (the one Caffe uses), so users recognise them.

A test checks that it builds messages equal to ``text_format.Parse`` on the whole corpus.

Length: one recursive-descent grammar with its error recovery; its functions call each other.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from prototxt_lint.records import Record
from prototxt_lint.syntax.tokenizer import (
    BAD_STRING,
    EOF,
    IDENT,
    NUMBER,
    PUNCT,
    STRING,
    Comment,
    Token,
    describe,
    tokenize,
)

#: A path into a message: field names, with an element index after each repeated field,
#: e.g. ``("layer", 3, "pooling_param", "stride")``.
Path = tuple[str | int, ...]

MAX_DEPTH = 64  # nesting deeper than any real schema needs (Caffe's deepest is about 6)
MAX_ERRORS = 100  # per file; after that one more finding says the rest were not shown

_CPP = FieldDescriptor
_INT_RANGES = {
    _CPP.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    _CPP.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    _CPP.CPPTYPE_UINT32: (0, 2**32 - 1),
    _CPP.CPPTYPE_UINT64: (0, 2**64 - 1),
}


def _repeated_via_label(fd: FieldDescriptor) -> bool:
    return bool(fd.label == _CPP.LABEL_REPEATED)  # protobuf < 5 has no is_repeated


def _repeated_via_property(fd: FieldDescriptor) -> bool:
    return bool(fd.is_repeated)


#: protobuf 7 dropped ``FieldDescriptor.label``; protobuf 4 lacks ``is_repeated``.
is_repeated = (
    _repeated_via_property if hasattr(FieldDescriptor, "is_repeated") else _repeated_via_label
)
_BOOL_WORDS = {"true": True, "True": True, "t": True, "false": False, "False": False, "f": False}
_OPEN_TO_CLOSE = {"{": "}", "<": ">", "[": "]"}


class FieldLoc:
    """Where one field occurrence is: ``start..end`` covers ``name: value`` (for a message
    field, ``name {`` only), ``block_end`` the closing brace of a message field."""

    __slots__ = ("block_end", "end", "start", "value_start")

    def __init__(self, start: int, end: int, value_start: int, block_end: int) -> None:
        self.start = start
        self.end = end
        self.value_start = value_start
        self.block_end = block_end  # set when the closing brace is reached

    def __repr__(self) -> str:
        return f"FieldLoc({self.start}, {self.end}, {self.value_start}, {self.block_end})"


class ParseError(Record):
    """A syntax error, unknown field, bad value or duplicate field, with its offsets."""

    __slots__ = ("code", "end", "hint", "key", "message", "start")

    def __init__(
        self,
        code: str,  # P001 syntax, P002 unknown field, P003 bad value, P004 duplicate field
        message: str,
        start: int,
        end: int,
        hint: str = "",
        key: tuple[str, str] | None = None,  # (message type, field) for unknown-field grouping
    ) -> None:
        self.code = code
        self.message = message
        self.start = start
        self.end = end
        self.hint = hint
        self.key = key


class ParseResult:
    """A parsed message with the position of every field written, the errors and comments."""

    def __init__(
        self,
        message: Message,
        locs: dict[Path, FieldLoc],
        errors: list[ParseError],
        comments: list[Comment],
        incomplete: set[Path] | None = None,
        too_many_errors: bool = False,
        key_counts: dict[tuple[str, str], int] | None = None,
        key_spans: dict[tuple[str, str], tuple[int, int]] | None = None,
        message_lists: list[tuple[int, int]] | None = None,
        bare_keys: set[tuple[str, str]] | None = None,
        capital_bools: list[tuple[int, int]] | None = None,
    ) -> None:
        self.message = message
        self.locs = locs
        self.errors = errors
        self.comments = comments
        #: paths of messages in which something was skipped (unknown field, bad value): rules
        #: that need the whole message must not trust its defaults.
        self.incomplete: set[Path] = set() if incomplete is None else incomplete
        self.too_many_errors = too_many_errors
        #: how often each keyed error (unknown field / enum value) occurred; reported once
        self.key_counts: dict[tuple[str, str], int] = {} if key_counts is None else key_counts
        #: where a counted name with no error of its own was first written (a pooling
        #: kernel_size given three times: a fork's repeated field)
        self.key_spans: dict[tuple[str, str], tuple[int, int]] = key_spans or {}
        #: ``(start, end)`` of each ``field: [{...}, ...]`` list of messages (protobuf >= 2.6)
        self.message_lists: list[tuple[int, int]] = message_lists or []
        #: unknown names followed by no value at all (no `:`, no block): stray words, not
        #: fields of any Caffe, so no evidence of a fork
        self.bare_keys: set[tuple[str, str]] = bare_keys or set()
        #: ``(start, end)`` of each bool written `True` or `False` (protobuf >= 2.6 only)
        self.capital_bools: list[tuple[int, int]] = capital_bools or []


def did_you_mean(name: str, choices: list[tuple[str, int]]) -> str | None:
    """The intended name among ``(name, field number)`` choices, when ``name`` is a plausible
    slip of one; None otherwise (a fork's own name is no typo of a BVLC one).

    Plausible: a truncation (``kernel`` -> ``kernel_size``, ``strid`` -> ``stride``), a
    plural or other one- or two-letter tail (``num_outputs`` -> ``num_output``), the same
    words with the separators lost (``numoutput``), or the same words but one, and that one
    within one edit (two for words of seven letters or more: ``kernal_size``). A name with a
    word of its own is not (``max_momentum`` is not ``momentum``, ``interp_param`` not
    ``exp_param``). Truncations prefer the lowest field number (the main field of a family).
    """
    lowered = name.lower()
    if len(lowered) < 3:
        return None
    truncated = [(number, choice) for choice, number in choices
                 if choice.lower().startswith(lowered) or _short_tail(lowered, choice.lower())]
    if truncated:
        return min(truncated)[1]
    close = [(number, choice) for choice, number in choices
             if _one_slip(lowered, choice.lower())]
    return min(close)[1] if close else None


def _short_tail(written: str, choice: str) -> bool:
    """``written`` is ``choice`` plus one or two letters (a plural, a stray key)."""
    tail = written[len(choice):]
    return len(choice) >= 3 and written.startswith(choice) and 0 < len(tail) <= 2 \
        and "_" not in tail


def _one_slip(written: str, choice: str) -> bool:
    if written.replace("_", "") == choice.replace("_", ""):
        return True
    mine, theirs = written.split("_"), choice.split("_")
    if len(mine) != len(theirs):
        return False
    differ = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
    if len(differ) != 1:
        return False
    a, b = differ[0]
    return _edits(a, b) <= (2 if min(len(a), len(b)) >= 7 else 1)


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap neighbours)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            row.append(cost)
        prev2, prev = prev, row
    return prev[-1]


class _Parser:
    def __init__(self, tokens: list[Token], comments: list[Comment]) -> None:
        self.tokens, self.comments = tokens, comments
        self.pos = 0
        self.locs: dict[Path, FieldLoc] = {}
        self.errors: list[ParseError] = []
        self.incomplete: set[Path] = set()
        self.quiet = False  # after a syntax error, until the next good field (panic mode)
        self.too_many = False
        self.key_counts: dict[tuple[str, str], int] = {}
        self.duplicates: dict[tuple[Path, str], int] = {}  # (message path, field): times written
        self.key_spans: dict[tuple[str, str], tuple[int, int]] = {}
        self.message_lists: list[tuple[int, int]] = []
        self.bare_keys: set[tuple[str, str]] = set()
        self.capital_bools: list[tuple[int, int]] = []

    # --- error helpers -------------------------------------------------------------------
    def error(
        self,
        code: str,
        message: str,
        token: Token,
        hint: str = "",
        key: tuple[str, str] | None = None,
        end: int | None = None,
    ) -> None:
        if self.quiet and code == "P001":
            return
        if key is not None:
            seen = self.key_counts.get(key, 0)
            self.key_counts[key] = seen + 1
            if seen:
                return  # the same unknown name again: counted, reported once
        if len(self.errors) >= MAX_ERRORS:
            self.too_many = True
            return
        stop = _end(token) if end is None else end
        self.errors.append(ParseError(code, message, token[2], stop, hint, key))
        if code == "P001":
            self.quiet = True

    # --- skipping ----------------------------------------------------------------------------
    def skip_block(self) -> int:
        """Skip a balanced ``{...}``/``<...>``/``[...]`` starting at the current token.
        Iterative, so absurd nesting cannot exhaust the stack. Returns the end offset."""
        depth = 0
        tokens = self.tokens
        while True:
            tok = tokens[self.pos]
            if tok[0] == EOF:
                return tok[2]
            self.pos += 1
            if tok[0] == PUNCT:
                if tok[1] in "{<[":
                    depth += 1
                elif tok[1] in "}>]":
                    depth -= 1
                    if depth <= 0:
                        return _end(tok)

    def skip_value(self) -> int:
        """Skip whatever follows a field name we cannot use; return the end offset."""
        tokens = self.tokens
        tok = tokens[self.pos]
        if tok[0] == PUNCT and tok[1] == ":":
            self.pos += 1
            tok = tokens[self.pos]
        if tok[0] == PUNCT and tok[1] in "{<[":
            return self.skip_block()
        if tok[0] == PUNCT and tok[1] == "-":
            self.pos += 1
            tok = tokens[self.pos]
        if tok[0] in (IDENT, NUMBER, BAD_STRING):
            self.pos += 1
            return _end(tok)
        end = tok[2]
        while tokens[self.pos][0] == STRING:
            end = _end(tokens[self.pos])
            self.pos += 1
        return end

    # --- grammar -------------------------------------------------------------------------------
    def parse_fields(
        self, msg: Message, desc: Descriptor, path: Path, close: str | None, depth: int
    ) -> Token | None:
        """Parse fields into ``msg`` until ``close`` (or EOF at top level). Returns the closing
        token, or None when the input ended first."""
        tokens = self.tokens
        fields_by_name = desc.fields_by_name
        while True:
            tok = tokens[self.pos]
            kind = tok[0]
            if kind == EOF:
                return None
            if kind == PUNCT and tok[1] in "}>":
                if close is not None and tok[1] == close:
                    self.pos += 1
                    return tok
                self.error("P001", f"Expected identifier, got: {tok[1]}", tok)
                self.pos += 1
                if close is not None:  # a mismatched closer still ends this message
                    return tok
                continue
            if kind != IDENT:
                if kind == BAD_STRING:
                    self.error("P001", "String literals cannot cross line boundaries.", tok)
                else:
                    self.error("P001", f"Expected identifier, got: {describe(tok)}", tok)
                self.pos += 1
                continue
            self.pos += 1
            name = tok[1]
            fd = fields_by_name.get(name)
            if fd is None:
                self.unknown_field(tok, msg, desc, path)
            else:
                self.quiet = False
                if fd.cpp_type == _CPP.CPPTYPE_MESSAGE:
                    self.parse_message_field(msg, fd, tok, path, depth)
                else:
                    self.parse_scalar_field(msg, fd, tok, path)
            # the optional `;` or `,` after any field, a skipped one too (text format allows it)
            nxt = tokens[self.pos]
            if nxt[0] == PUNCT and nxt[1] in ",;":
                self.pos += 1

    def unknown_field(self, tok: Token, msg: Message, desc: Descriptor, path: Path) -> None:
        nxt = self.tokens[self.pos]
        if not (nxt[0] == PUNCT and nxt[1] in ":{<"):
            # no value follows: not a field of any Caffe (every field has `: value` or a
            # block), a stray word; its next token is read as what it is, not as its value
            key = (desc.full_name, tok[1])
            self.bare_keys.add(key)
            self.incomplete.add(path)
            self.error(
                "P002",
                f'Message type "{desc.full_name}" has no field named "{tok[1]}".',
                tok,
                hint=f"no value follows `{tok[1]}` (no `:`, no `{{`): a stray word, which no"
                " Caffe reads; delete it",
                key=key,
            )
            self.quiet = False
            return
        hint = ""
        if (desc.full_name, tok[1]) not in self.key_counts:  # reported once: guess once
            # only fields of the same kind: a `foo { ... }` block is no typo of a number
            block = self._block_follows()
            choices = [(f.name, f.number) for f in desc.fields
                       if (f.message_type is not None) == block]
            guess = did_you_mean(tok[1], choices)
            if guess and not _plausible_param(guess, msg):
                guess = None
            hint = f"did you mean `{guess}`?" if guess else ""
        self.skip_value()
        self.incomplete.add(path)
        self.error(
            "P002",
            f'Message type "{desc.full_name}" has no field named "{tok[1]}".',
            tok,
            hint=hint,
            key=(desc.full_name, tok[1]),
        )
        self.quiet = False

    def _block_follows(self) -> bool:
        """Is the field name just read followed by a ``{``/``<`` block (with or without a
        ``:``)?"""
        tokens = self.tokens
        i = self.pos
        if tokens[i][0] == PUNCT and tokens[i][1] == ":":
            i += 1
        return tokens[i][0] == PUNCT and tokens[i][1] in "{<"

    def _check_duplicate(self, msg: Message, fd: FieldDescriptor, tok: Token,
                         path: Path) -> None:
        if is_repeated(fd) or not msg.HasField(fd.name):
            return
        seen = self.duplicates.get((path, fd.name), 1) + 1
        self.duplicates[(path, fd.name)] = seen
        if seen == 2:
            self.error(
                "P004",
                f'Non-repeated field "{fd.name}" is specified multiple times.',
                tok,
                hint="keep one of them: Caffe refuses the file",
            )
        elif seen == 3:
            # three values (3-D pooling's kernel_size: 3 kernel_size: 3 kernel_size: 1): a
            # fork's repeated field, counted for dialect detection like the [a, b] list form
            key = (fd.containing_type.full_name, fd.name + "[]")
            self.key_counts[key] = self.key_counts.get(key, 0) + 1
            self.key_spans.setdefault(key, (tok[2], _end(tok)))

    def parse_message_field(
        self, msg: Message, fd: FieldDescriptor, name_tok: Token, path: Path, depth: int
    ) -> None:
        tokens = self.tokens
        tok = tokens[self.pos]
        if tok[0] == PUNCT and tok[1] == ":":
            self.pos += 1
            tok = tokens[self.pos]
        repeated = is_repeated(fd)
        if tok[0] == PUNCT and tok[1] == "[" and repeated:
            self.message_lists.append((name_tok[2], _end(tok)))
            self.pos += 1
            if tokens[self.pos][0] == PUNCT and tokens[self.pos][1] == "]":
                self.pos += 1
                return
            while True:
                tok = tokens[self.pos]
                if tok[0] == PUNCT and tok[1] in "{<":
                    self.parse_one_message(msg, fd, name_tok, path, depth, repeated)
                else:
                    self.error("P001", f'Expected "{{", found "{describe(tok)}".', tok)
                    self.skip_block_rest("]")
                    return
                tok = tokens[self.pos]
                if tok[0] == PUNCT and tok[1] == "]":
                    self.pos += 1
                    return
                if not (tok[0] == PUNCT and tok[1] == ","):
                    self.error("P001", f'Expected ",", found "{describe(tok)}".', tok)
                    self.skip_block_rest("]")
                    return
                self.pos += 1
        if tok[0] == PUNCT and tok[1] in "{<":
            self.parse_one_message(msg, fd, name_tok, path, depth, repeated)
            return
        self.error("P001", f'Expected "{{", found "{describe(tok)}".', tok)
        self.incomplete.add(path)
        self.skip_value()

    def skip_block_rest(self, close: str) -> None:
        tokens = self.tokens
        while tokens[self.pos][0] != EOF:
            tok = tokens[self.pos]
            if tok[0] == PUNCT and tok[1] == close:
                self.pos += 1
                return
            if tok[0] == PUNCT and tok[1] in "{<[":
                self.skip_block()
            else:
                self.pos += 1

    def parse_one_message(
        self,
        msg: Message,
        fd: FieldDescriptor,
        name_tok: Token,
        path: Path,
        depth: int,
        repeated: bool,
    ) -> None:
        open_tok = self.tokens[self.pos]
        if repeated:
            container = getattr(msg, fd.name)
            sub_path = (*path, fd.name, len(container))
            sub = container.add()
        else:
            self._check_duplicate(msg, fd, name_tok, path)
            sub_path = (*path, fd.name)
            sub = getattr(msg, fd.name)
            sub.SetInParent()
        if depth >= MAX_DEPTH:
            self.error("P001", f"Message nested more than {MAX_DEPTH} levels deep.", open_tok)
            end = self.skip_block()
            self.locs[sub_path] = FieldLoc(name_tok[2], _end(open_tok), open_tok[2], end)
            return
        self.pos += 1
        close = _OPEN_TO_CLOSE[open_tok[1]]
        loc = FieldLoc(name_tok[2], _end(open_tok), open_tok[2], _end(open_tok))
        self.locs[sub_path] = loc
        closing = self.parse_fields(sub, fd.message_type, sub_path, close, depth + 1)
        if closing is None:
            eof = self.tokens[self.pos]
            self.error(
                "P001",
                f'Expected "{close}" to close "{name_tok[1]} {open_tok[1]}" opened here,'
                " found end of input.",
                name_tok,
                end=_end(open_tok),
            )
            loc.block_end = eof[2]
        else:
            loc.block_end = _end(closing)

    def parse_scalar_field(
        self, msg: Message, fd: FieldDescriptor, name_tok: Token, path: Path
    ) -> None:
        tokens = self.tokens
        tok = tokens[self.pos]
        if not (tok[0] == PUNCT and tok[1] == ":"):
            self.error("P001", f'Expected ":", found "{describe(tok)}".', tok)
            self.incomplete.add(path)
            if tok[0] == PUNCT and tok[1] in "{<":
                self.skip_block()
            return
        self.pos += 1
        repeated = is_repeated(fd)
        tok = tokens[self.pos]
        if tok[0] == PUNCT and tok[1] == "[":
            if not repeated:
                # a fork's repeated field (C3D's 3-D kernel_size): counted for dialect detection
                key = (fd.containing_type.full_name, fd.name + "[]")
                self.key_counts[key] = self.key_counts.get(key, 0) + 1
                self.error(
                    "P001",
                    f'Expected a value for non-repeated field "{fd.name}", found "[".'
                    " The [a, b] list form is only for repeated fields.",
                    tok,
                )
                self.incomplete.add(path)
                self.skip_block()
                return
            self.pos += 1
            if tokens[self.pos][0] == PUNCT and tokens[self.pos][1] == "]":
                self.pos += 1
                return
            while True:
                self.parse_one_scalar(msg, fd, name_tok, path, True, in_list=True)
                tok = tokens[self.pos]
                if tok[0] == PUNCT and tok[1] == ",":
                    self.pos += 1
                    continue
                if tok[0] == PUNCT and tok[1] == "]":
                    self.pos += 1
                    return
                self.error("P001", f'Expected "]", found "{describe(tok)}".', tok)
                self.skip_block_rest("]")
                return
        self.parse_one_scalar(msg, fd, name_tok, path, repeated, in_list=False)

    def parse_one_scalar(
        self,
        msg: Message,
        fd: FieldDescriptor,
        name_tok: Token,
        path: Path,
        repeated: bool,
        in_list: bool,
    ) -> None:
        value_tok = self.tokens[self.pos]
        value, end = self.read_value(fd)
        if value is _BAD:
            self.incomplete.add(path)
            return
        start = value_tok[2] if in_list else name_tok[2]
        if repeated:
            container = getattr(msg, fd.name)
            self.locs[(*path, fd.name, len(container))] = FieldLoc(
                start, end, value_tok[2], end
            )
            container.append(value)
        else:
            self._check_duplicate(msg, fd, name_tok, path)
            self.locs[(*path, fd.name)] = FieldLoc(start, end, value_tok[2], end)
            setattr(msg, fd.name, value)

    # --- values --------------------------------------------------------------------------------
    def read_value(self, fd: FieldDescriptor) -> tuple[Any, int]:
        """Read one value for ``fd``; on error report it, skip it and return ``_BAD``."""
        tokens = self.tokens
        tok = tokens[self.pos]
        cpp = fd.cpp_type
        if cpp == _CPP.CPPTYPE_STRING:
            if tok[0] != STRING:
                return self.bad_value(tok, "Expected string, got: " + describe(tok))
            parts = []
            end = _end(tok)
            while tokens[self.pos][0] == STRING:
                part = tokens[self.pos]
                parts.append(part[1][1:-1])
                end = _end(part)
                self.pos += 1
            if not any("\\" in part for part in parts) and fd.type != _CPP.TYPE_BYTES:
                return "".join(parts), end
            try:  # each literal on its own, as C++ protobuf does: "\x4" "1" is not "A"
                data = b"".join(c_unescape(part) for part in parts)
            except ValueError as exc:
                return self.bad_value(tok, str(exc), skip=False)
            if fd.type == _CPP.TYPE_BYTES:
                return data, end
            try:
                return data.decode("utf-8"), end
            except UnicodeDecodeError as exc:
                return self.bad_value(
                    tok, f"String value is not valid UTF-8 (byte 0x{data[exc.start]:02x}).",
                    skip=False)
        negative = False
        sign_tok = None
        if tok[0] == PUNCT and tok[1] == "-":
            sign_tok = tok
            negative = True
            self.pos += 1
            tok = tokens[self.pos]
        start_tok = sign_tok or tok
        if tok[0] == NUMBER and "_" in tok[1]:
            return self.bad_value(tok, "Need space between number and identifier.")
        if cpp == _CPP.CPPTYPE_ENUM:
            return self.read_enum(fd, tok, negative)
        if cpp == _CPP.CPPTYPE_BOOL:
            if tok[0] == IDENT and tok[1] in _BOOL_WORDS and not negative:
                self.pos += 1
                if tok[1][0].isupper():
                    self.capital_bools.append((tok[2], _end(tok)))
                return _BOOL_WORDS[tok[1]], _end(tok)
            if tok[0] == NUMBER and _parse_int(tok[1]) in (0, 1) and not negative:
                self.pos += 1
                return _parse_int(tok[1]) == 1, _end(tok)
            return self.bad_value(
                tok, f'Invalid value for boolean field "{fd.name}". Value: "{describe(tok)}".'
            )
        if cpp in (_CPP.CPPTYPE_FLOAT, _CPP.CPPTYPE_DOUBLE):
            if tok[0] == NUMBER and _hex_or_octal(tok[1]):
                return self.bad_value(tok, "Expect a decimal number, got: " + tok[1])
            number = _parse_float(tok)
            if number is None:
                return self.bad_value(tok, "Expected double, got: " + describe(tok))
            self.pos += 1
            return (-number if negative else number), _end(tok)
        # integers
        integer = _parse_int(tok[1]) if tok[0] == NUMBER else None
        if integer is None:
            return self.bad_value(tok, "Expected integer, got: " + describe(tok))
        if negative:
            integer = -integer
        low, high = _INT_RANGES[cpp]
        if not low <= integer <= high or (negative and low == 0):
            self.pos += 1
            what = "Expected an unsigned integer" if negative and low == 0 \
                else "Integer out of range"
            self.error("P003", f"{what} ({start_tok[1] if negative else ''}{tok[1]})", tok)
            return _BAD, _end(tok)
        self.pos += 1
        return integer, _end(tok)

    def read_enum(
        self, fd: FieldDescriptor, tok: Token, negative: bool
    ) -> tuple[Any, int]:
        enum: EnumDescriptor = fd.enum_type
        if tok[0] == IDENT and not negative:
            value = enum.values_by_name.get(tok[1])
            if value is None:
                guess = did_you_mean(tok[1], [(v.name, v.number) for v in enum.values])
                self.pos += 1
                self.error(
                    "P003",
                    f'Unknown enumeration value of "{tok[1]}" for field "{fd.name}".',
                    tok,
                    hint=(f"did you mean `{guess}`? " if guess else "")
                    + "valid values: "
                    + ", ".join(v.name for v in enum.values),
                    key=(fd.full_name, tok[1]),
                )
                return _BAD, _end(tok)
            self.pos += 1
            return value.number, _end(tok)
        if tok[0] == NUMBER:
            number = _parse_int(tok[1])
            if number is not None:
                number = -number if negative else number
                if number in enum.values_by_number:
                    self.pos += 1
                    return number, _end(tok)
                self.pos += 1
                self.error(
                    "P003",
                    f'Unknown enumeration value of "{number}" for field "{fd.name}".',
                    tok,
                )
                return _BAD, _end(tok)
        return self.bad_value(tok, "Expected integer or identifier, got: " + describe(tok))

    def bad_value(self, tok: Token, message: str, skip: bool = True) -> tuple[Any, int]:
        if skip and tok[0] != EOF and not (tok[0] == PUNCT and tok[1] in "{}<>[]"):
            self.pos += 1
            while tok[0] == STRING and self.tokens[self.pos][0] == STRING:
                self.pos += 1
            nxt = self.tokens[self.pos]
            if tok[1] == "$" and nxt[0] == PUNCT and nxt[1] == "{":
                self.skip_block()  # a template's `${NAME}` placeholder is one bad value
        elif skip and tok[0] == PUNCT and tok[1] in "{<":
            self.skip_block()  # a block where a scalar belongs: not fields of this message
        code = "P003" if tok[0] in (IDENT, NUMBER, STRING) else "P001"
        self.error(code, message, tok)
        return _BAD, _end(tok)


_BAD: Any = object()


def _end(token: Token) -> int:
    return token[2] + len(token[1])


def _plausible_param(guess: str, msg: Message) -> bool:
    """A ``*_param`` suggestion on a layer only when it belongs to the layer's type: a fork's
    ``bn_param`` on a ``type: "BN"`` layer is not a typo of ``mvn_param``."""
    if not guess.endswith("_param") or "type" not in msg.DESCRIPTOR.fields_by_name:
        return True
    layer_type = msg.type if isinstance(msg.type, str) else ""  # V1 types are enums
    stem = guess[: -len("_param")].replace("_", "")
    kind = layer_type.lower().replace("_", "")
    return not kind or kind.startswith(stem[:4]) or stem.startswith(kind[:4])


_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92,
                   "?": 63, "'": 39, '"': 34}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_OCT_DIGITS = frozenset("01234567")


def _hex_run(text: str, start: int, most: int) -> int:
    """End of the run of at most ``most`` hex digits from ``start``."""
    end = start
    while end < len(text) and end - start < most and text[end] in _HEX_DIGITS:
        end += 1
    return end


def c_unescape(raw: str) -> bytes:
    """The bytes of one string literal's body, escapes read as C++ protobuf 3.21 reads them
    (``Tokenizer::ParseStringAppend``, with the tokenizer's checks): ``\\a \\b \\f \\n \\r \\t \\v
    \\\\ \\? \\' \\"``, one to three octal digits, ``\\x`` and one or two hex digits, ``\\u`` and
    four (a surrogate pair joined), ``\\U`` and eight up to 10ffff (beyond it the text is kept
    as written). Anything else raises ValueError with protobuf's message."""
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        slash = raw.find("\\", i)
        if slash == -1:
            out += raw[i:].encode("utf-8")
            break
        out += raw[i:slash].encode("utf-8")
        c = raw[slash + 1] if slash + 1 < n else ""
        i = slash + 2
        if c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
        elif c and c in _OCT_DIGITS:
            end = slash + 1
            while end < n and end - slash <= 3 and raw[end] in _OCT_DIGITS:
                end += 1
            out.append(int(raw[slash + 1 : end], 8) & 0xFF)
            i = end
        elif c == "x":
            end = _hex_run(raw, i, 2)
            if end == i:
                raise ValueError("Expected hex digits for escape sequence.")
            out.append(int(raw[i:end], 16))
            i = end
        elif c == "u":
            if _hex_run(raw, i, 4) != i + 4:
                raise ValueError("Expected four hex digits for \\u escape sequence.")
            code = int(raw[i : i + 4], 16)
            i += 4
            if 0xD800 <= code < 0xDC00 and raw[i : i + 2] == "\\u" and _hex_run(raw, i + 2, 4) \
                    == i + 6 and 0xDC00 <= int(raw[i + 2 : i + 6], 16) < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + int(raw[i + 2 : i + 6], 16) - 0xDC00
                i += 6
            out += chr(code).encode("utf-8", "surrogatepass")
        elif c == "U":
            if raw[i : i + 2] != "00" or raw[i + 2 : i + 3] not in ("0", "1") \
                    or _hex_run(raw, i + 3, 5) != i + 8:
                raise ValueError(
                    "Expected eight hex digits up to 10ffff for \\U escape sequence")
            code = int(raw[i : i + 8], 16)
            if code > 0x10FFFF:
                out += b"\\U"  # protobuf keeps an escape it cannot encode as written
            else:
                out += chr(code).encode("utf-8", "surrogatepass")
                i += 8
        else:
            raise ValueError("Invalid escape sequence in string literal.")
    return bytes(out)


def _hex_or_octal(text: str) -> bool:
    """An integer literal in hex (``0x10``) or octal (``010``): not for float fields."""
    return len(text) > 1 and text[0] == "0" and (text[1] in "xX" or text[1].isdigit())


def _parse_int(text: str) -> int | None:
    try:
        if text[:2] in ("0x", "0X"):
            return int(text[2:], 16)
        if len(text) > 1 and text[0] == "0":
            return int(text[1:], 8)
        return int(text, 10)
    except ValueError:
        return None


def _parse_float(tok: Token) -> float | None:
    text = tok[1]
    if tok[0] == IDENT:
        lowered = text.lower()
        if lowered in ("inf", "infinity"):
            return math.inf
        if lowered == "nan":
            return math.nan
        return None
    if tok[0] != NUMBER:
        return None
    if text[:2] in ("0x", "0X"):
        value = _parse_int(text)
        return None if value is None else float(value)
    if text[-1] in "fF":
        text = text[:-1]
    try:
        return float(text)
    except ValueError:
        return None


def parse(
    text: str, message: Message, scanned: tuple[list[Token], list[Comment]] | None = None
) -> ParseResult:
    """Parse ``text`` into ``message`` (which is filled in place), recovering from errors.
    ``scanned`` is ``tokenize(text)`` when the caller already has it."""
    parser = _Parser(*(scanned or tokenize(text)))
    parser.parse_fields(message, message.DESCRIPTOR, (), None, 0)
    return ParseResult(
        message=message,
        locs=parser.locs,
        errors=parser.errors,
        comments=parser.comments,
        incomplete=parser.incomplete,
        too_many_errors=parser.too_many,
        key_spans=parser.key_spans,
        key_counts=parser.key_counts,
        message_lists=parser.message_lists,
        bare_keys=parser.bare_keys,
        capital_bools=parser.capital_bools,
    )


def top_level_names(tokens: list[Token], enough: int = 64) -> list[str]:
    """Field names at nesting depth 0, used to tell a net from a solver before parsing; the
    first ``enough`` of them decide, so a huge net is not walked twice."""
    names: list[str] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok[0] == PUNCT:
            if tok[1] in "{<[":
                depth += 1
            elif tok[1] in "}>]":
                depth = max(0, depth - 1)
        elif tok[0] == IDENT and depth == 0:
            nxt = tokens[i + 1]
            if nxt[0] == PUNCT and nxt[1] in ":{<":
                names.append(tok[1])
                if len(names) >= enough:
                    break
    return names


__all__ = ["FieldLoc", "ParseError", "ParseResult", "Path", "did_you_mean", "parse"]
