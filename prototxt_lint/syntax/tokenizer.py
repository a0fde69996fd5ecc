"""Protobuf text-format tokens, with offsets, in one regular-expression pass.

Tokens are plain tuples ``(kind, text, offset)`` for speed: the tokenizer runs on every file and
its cost is most of the parse. Comments are kept aside (suppression comments live there).
"""

from __future__ import annotations

import re

from prototxt_lint.records import Record

IDENT = "i"
NUMBER = "n"
STRING = "s"
BAD_STRING = "u"  # a string with no closing quote on its line
PUNCT = "p"
OTHER = "o"  # a character that cannot start any token
EOF = "e"

_TOKEN_RE = re.compile(
    r"""
    [ \t\r\n\f\v]+
    |(?P<c>\#[^\n]*)
    |(?P<i>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<n>(?:[0-9]|\.[0-9])(?:[eE][+-][0-9]|[0-9A-Za-z_.])*)
    |(?P<s>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<u>["'][^\n]*)
    |(?P<p>[{}<>\[\]:;,\-])
    |(?P<o>.)
    """,
    re.VERBOSE,
)


#: ``(kind, text, offset)``: plain tuples, not a NamedTuple, because building hundreds of
#: thousands of NamedTuples was a third of the whole parse time.
Token = tuple[str, str, int]


class Comment(Record):
    """A ``#`` comment: suppression directives live in them."""

    __slots__ = ("offset", "text")

    def __init__(
        self,
        text: str,  # without the leading '#'
        offset: int,
    ) -> None:
        self.text = text
        self.offset = offset


def tokenize(text: str) -> tuple[list[Token], list[Comment]]:
    """All tokens of ``text`` (ending with an EOF token) and all ``#`` comments."""
    tokens: list[Token] = []
    comments: list[Comment] = []
    append = tokens.append
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "c":
            comments.append(Comment(match.group()[1:], match.start()))
            continue
        append((kind, match.group(), match.start()))
    append((EOF, "", len(text)))
    return tokens, comments


class TokenStream:
    """The tokens of ``text``, made as the parser needs them rather than all at once: a big
    net's whole token list was most of a lint's peak memory (about 150 bytes a token).

    :meth:`fill` appends the next tokens to a list the parser reads; it stops only where the
    brackets written so far are balanced (between top-level fields, in a well-formed file),
    and then adds :data:`MARGIN` tokens of look-ahead, so a top-level field that starts in
    the list ends in it. The tokens and comments are exactly :func:`tokenize`'s.
    """

    __slots__ = ("_depth", "_matches", "_size", "comments", "done")

    #: tokens appended after the balanced point (the parser's look-ahead past a field)
    MARGIN = 16

    def __init__(self, text: str) -> None:
        self._matches = _TOKEN_RE.finditer(text)
        self._size = len(text)
        self._depth = 0
        self.comments: list[Comment] = []
        self.done = False  # the EOF token has been appended

    def fill(self, tokens: list[Token], least: int) -> None:
        """Append at least ``least`` tokens (fewer at the end of the text, then EOF)."""
        if self.done:
            return
        append = tokens.append
        comments = self.comments
        depth = self._depth
        margin = self.MARGIN
        count = 0
        stop = -1  # the count to stop at, once the brackets balance after ``least`` tokens
        for match in self._matches:
            kind = match.lastgroup
            if kind is None:
                continue
            if kind == "c":
                comments.append(Comment(match.group()[1:], match.start()))
                continue
            text = match.group()
            append((kind, text, match.start()))
            if kind == "p":
                if text in "{<[":
                    depth += 1
                elif text in "}>]" and depth:
                    depth -= 1
            count += 1
            if count >= least:
                if stop < 0 and depth == 0:
                    stop = count + margin
                if count == stop:
                    break
        else:
            append((EOF, "", self._size))
            self.done = True
        self._depth = depth


def describe(token: Token) -> str:
    """How protobuf's C++ parser names a token in its messages (what Caffe users see)."""
    if token[0] == EOF:
        return "end of input"
    text = token[1]
    return text if len(text) <= 60 else text[:57] + "..."
