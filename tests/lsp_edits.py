"""Random edits of a prototxt as a user makes them, for the language server's differential
tests (tests/test_lsp_incremental.py, tests/test_lsp_soak.py): valid ones, ones inside
strings and comments, ones that break the syntax, and undos that repair it."""

from __future__ import annotations

import random
import re

#: typed anywhere (and often undone): what breaks the syntax, and what repairs it
JUNK = ["layer {", "}", "{", "\n", "#", '"', "'", "# }\n", ' name: "x"', "num_output: 3",
        'top: "data"\n', "  ", "layers {", 'bottom: "conv1"', ";", ",", "xx", "1", "-", "<",
        "[", "]", "e+", "layer { }", "\\", "😀", "é", "True", "False", "bias_term: True "]


def random_edit(rng: random.Random, text: str, original: str) -> str:
    """One random edit of ``text``: valid ones, ones inside strings and comments, and ones
    that break the syntax."""
    choice = rng.random()
    if choice < 0.15:  # a digit changed (the net stays a net)
        digits = [m.start() for m in re.finditer(r"\d", text)]
        if digits:
            at = rng.choice(digits)
            return text[:at] + rng.choice("0123456789") + text[at + 1:]
    if choice < 0.3:  # inside a string literal, also what would start a comment or a block
        strings = [m.start() + 1 for m in re.finditer(r'"[^"\n]+"', text)]
        if strings:
            at = rng.choice(strings)
            return text[:at] + rng.choice(["#", "{", "}", "x", " ", "'"]) + text[at:]
    if choice < 0.4:  # inside a comment, or a new comment line with braces and quotes
        comments = [m.end() for m in re.finditer(r"#[^\n]*", text)]
        lines = [m.end() for m in re.finditer(r"\n", text)]
        at = rng.choice(comments or lines or [0])
        return text[:at] + rng.choice([' "', " {", " }", "\n# layer { }\n", " '"]) + text[at:]
    if choice < 0.5:  # a brace or quote deleted (repaired by a later undo)
        marks = [m.start() for m in re.finditer(r'[{}"]', text)]
        if marks:
            at = rng.choice(marks)
            return text[:at] + text[at + 1:]
    if choice < 0.6:  # a whole block copied elsewhere, or removed
        blocks = [m.start() for m in re.finditer(r"(?m)^layers? \{", text)]
        if len(blocks) > 2:
            i = rng.randrange(len(blocks) - 1)
            block = text[blocks[i]:blocks[i + 1]]
            if rng.random() < 0.5:
                return text[:blocks[i]] + text[blocks[i + 1]:]
            at = rng.choice(blocks)
            return text[:at] + block + text[at:]
    if choice < 0.7 and text != original:  # back to the file as it was
        return original
    a = rng.randrange(len(text) + 1)
    b = min(len(text), a + rng.choice([0, 0, 1, 3, 12, 40]))
    return text[:a] + ("" if rng.random() < 0.3 else rng.choice(JUNK)) + text[b:]
