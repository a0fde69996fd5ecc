"""Which of BVLC Caffe's construction checks prototxt-lint covers: ``docs/caffe-checks.md``.

Why: "the linter catches what Caffe refuses" is a claim about a number of checks, so this script
finds those checks in Caffe's own source rather than in a benchmark. It scans BVLC Caffe
(9b891540, ``../shared/caffe-oracle``) for every ``CHECK*``, ``DCHECK*`` and ``LOG(FATAL)`` that
can run while ``caffe::Net`` is read and built:

- every BVLC layer (``src/caffe/layers/*.cpp``, ``include/caffe/layers/*.hpp``; CPU files only:
  no ``*.cu`` and no ``cudnn_*``): constructors, ``LayerSetUp``, ``DataLayerSetUp``,
  ``Reshape`` and the helpers they call at set-up (``compute_output_shape``,
  ``RecurrentInputShapes``, ``FillUnrolledNet``, ...); and each class's blob-count declarations
  (``ExactNumBottomBlobs``, ``MinTopBlobs``, ...), which ``Layer::CheckBlobCounts`` enforces;
- the net: ``Net::Init``, ``FilterNet``, ``StateMeetsRule``, ``AppendTop``, ``AppendBottom``,
  ``AppendParam`` (``src/caffe/net.cpp``) and ``InsertSplits`` (``util/insert_splits.cpp``,
  run by ``Init`` first);
- the data layers' ``DataTransformer`` (constructor, ``InferBlobShape``, run by their set-up);
- ``Blob::CanonicalAxisIndex`` and ``Blob::Reshape``; every filler (``include/caffe/filler.hpp``);
  the layer factory; ``Layer::CheckBlobCounts`` and ``Layer::SetLossWeights``; the load-time
  refusals of ``src/caffe/util/upgrade_proto.cpp``.

Each check gets a stable id ``file::Class::function::condition`` (whitespace normalised; ``#2``
for a repeat) and a layer type or area. ``scripts/caffe_checks.toml`` says, by hand, which rule
covers each check or why none can; a check that no entry maps fails ``--check``, so a new Caffe
check (or a changed condition) forces someone to look at it.

Usage::

    .venv/bin/python scripts/caffe_checks.py                   # write docs/caffe-checks.md
    .venv/bin/python scripts/caffe_checks.py --check           # exit 1 if stale or unmapped
    .venv/bin/python scripts/caffe_checks.py --caffe-src DIR   # an unpacked caffe-9b891540
    .venv/bin/python scripts/caffe_checks.py --list            # every check id, one a line
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import tempfile
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARBALL = REPO.parent / "shared" / "caffe-oracle" / "caffe-9b891540.tar.gz"
DEFAULT_MAPPING = Path(__file__).resolve().with_name("caffe_checks.toml")
DEFAULT_OUTPUT = REPO / "docs" / "caffe-checks.md"
DEFAULT_README = REPO / "README.md"
#: the README's sentence with the number, kept equal to the doc's headline
README_NUMBER = re.compile(r"\d+ of Caffe's \d+\s+construction\s+checks\s+reachable\s+from\s+a"
                           r"\s+prototxt\s+are\s+covered")

#: how a check is judged; "covered" and "not covered" count toward the headline number
KINDS = ("covered", "not applicable", "not covered")
#: reasons that make a check "not applicable" from a prototxt (everything else: not covered)
NOT_APPLICABLE = ("needs data", "DCHECK compiled out", "unreachable from a prototxt",
                  "not in a CPU build")

#: functions that run while a layer is constructed and set up (Layer::SetUp and what it calls)
LAYER_FUNCTIONS = frozenset({
    "LayerSetUp", "DataLayerSetUp", "Reshape", "compute_output_shape", "RecurrentInputShapes",
    "RecurrentInputBlobNames", "RecurrentOutputBlobNames", "OutputBlobNames", "FillUnrolledNet",
    "LoadHDF5FileData", "InitRand",
})
#: (file, functions or None for every function) outside the layer folders
OTHER_SCOPES: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("src/caffe/net.cpp", frozenset({"Init", "FilterNet", "StateMeetsRule", "AppendTop",
                                     "AppendBottom", "AppendParam"})),
    ("src/caffe/util/insert_splits.cpp", frozenset({"InsertSplits"})),
    ("include/caffe/blob.hpp", frozenset({"CanonicalAxisIndex", "Reshape"})),
    ("src/caffe/blob.cpp", frozenset({"CanonicalAxisIndex", "Reshape"})),
    ("include/caffe/filler.hpp", None),
    ("src/caffe/layer_factory.cpp", None),
    ("include/caffe/layer_factory.hpp", None),
    ("include/caffe/layer.hpp", frozenset({"CheckBlobCounts", "SetLossWeights"})),
    ("src/caffe/util/upgrade_proto.cpp", None),
    ("src/caffe/data_transformer.cpp", frozenset({"DataTransformer", "InferBlobShape",
                                                  "InitRand"})),
)
AREAS = {
    "src/caffe/net.cpp": "Net construction",
    "src/caffe/util/insert_splits.cpp": "Net construction",
    "include/caffe/blob.hpp": "Blob",
    "src/caffe/blob.cpp": "Blob",
    "include/caffe/filler.hpp": "Fillers",
    "src/caffe/layer_factory.cpp": "Layer factory",
    "include/caffe/layer_factory.hpp": "Layer factory",
    "include/caffe/layer.hpp": "Layer (every type)",
    "src/caffe/util/upgrade_proto.cpp": "Loading and upgrading",
    "src/caffe/data_transformer.cpp": "Data transformer (transform_param of the data layers)",
}
COUNT_DECLS = {
    "ExactNumBottomBlobs": "bottom.size() == {}", "MinBottomBlobs": "bottom.size() >= {}",
    "MaxBottomBlobs": "bottom.size() <= {}", "ExactNumTopBlobs": "top.size() == {}",
    "MinTopBlobs": "top.size() >= {}", "MaxTopBlobs": "top.size() <= {}",
    "EqualNumBottomTopBlobs": "bottom.size() == top.size()",
}
COUNT_MESSAGES = {
    "ExactNumBottomBlobs": "{type} Layer takes {n} bottom blob(s) as input.",
    "MinBottomBlobs": "{type} Layer takes at least {n} bottom blob(s) as input.",
    "MaxBottomBlobs": "{type} Layer takes at most {n} bottom blob(s) as input.",
    "ExactNumTopBlobs": "{type} Layer produces {n} top blob(s) as output.",
    "MinTopBlobs": "{type} Layer produces at least {n} top blob(s) as output.",
    "MaxTopBlobs": "{type} Layer produces at most {n} top blob(s) as output.",
    "EqualNumBottomTopBlobs": "{type} Layer produces one top blob as output for each bottom"
                              " blob input.",
}
CHECK = re.compile(r"\b(D?CHECK(?:_EQ|_NE|_LT|_LE|_GT|_GE|_NOTNULL)?)\s*\(|\bLOG\s*\(\s*FATAL\s*\)")
OPS = {"EQ": "==", "NE": "!=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}
#: the #if conditions worth showing: build options, not include guards
BUILD_FLAG = re.compile(r"\b(USE_\w+|CPU_ONLY|WITH_PYTHON_LAYER)\b")
KEYWORDS = frozenset({"if", "for", "while", "switch", "catch", "return", "sizeof", "else", "do"})
CLASS = re.compile(r"\b(?:class|struct)\s+(\w+)\s*(?::\s*public\s+(\w+)(?:<\w+>)?)?\s*$")
FUNC = re.compile(r"(?:(\w+)(?:<\w+>)?::)?(~?\w+)\s*\((.*)\)\s*(?:const\s*)?(?::.*)?$", re.S)
TYPE = re.compile(r'virtual inline const char\* type\(\) const\s*{\s*return "(\w+)";')
COUNT = re.compile(r"virtual inline (?:int|bool) (\w+)\(\) const\s*{")


@dataclass(frozen=True)
class Check:
    """One check in Caffe's source."""

    id: str
    file: str
    line: int
    cls: str  # class, "" for a free function
    function: str
    macro: str  # CHECK_EQ, LOG(FATAL), declaration, ...
    condition: str  # normalised; for LOG(FATAL) the branch it sits in
    message: str
    area: str  # layer type ("Convolution"), base class group or area ("Net construction")
    guard: str = ""  # an #if the check sits under, e.g. "USE_CUDNN"


@dataclass(frozen=True)
class Entry:
    """A hand-written mapping entry: which checks it matches and what covers them."""

    match: str  # regex searched in the check id
    rules: tuple[str, ...] = ()
    reason: str = ""
    note: str = ""
    condition: str | None = None  # optional regex searched in the condition
    message: str | None = None  # optional regex searched in the message
    macro: str | None = None  # optional regex searched in the macro (DCHECK_EQ, LOG(FATAL))

    def covers(self, check: Check) -> bool:
        if not re.search(self.match, check.id):
            return False
        if self.macro is not None and not re.search(self.macro, check.macro):
            return False
        if self.condition is not None and not re.search(self.condition, check.condition):
            return False
        return self.message is None or re.search(self.message, check.message) is not None

    @property
    def kind(self) -> str:
        if self.rules:
            return "covered"
        if self.reason.startswith(NOT_APPLICABLE):
            return "not applicable"
        return "not covered"


# --------------------------------------------------------------------------- C++ scanning


def mask(text: str) -> str:
    """``text`` with comments blanked and string/char literal contents replaced by spaces."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [ch if ch == "\n" else " " for ch in text[i:j]]
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out[i + 1:j] = " " * (j - i - 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def _close(masked: str, start: int, open_: str = "(", close: str = ")") -> int:
    """Index just past the bracket that closes the one at ``start``."""
    depth = 0
    for i in range(start, len(masked)):
        if masked[i] == open_:
            depth += 1
        elif masked[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(masked)


def _split_args(masked: str, text: str) -> list[str]:
    """Split a macro's argument text at top-level commas."""
    parts, depth, last = [], 0, 0
    for i, c in enumerate(masked):
        if c in "([{<" and not (c == "<" and masked[i:i + 2] == "<<"):
            depth += c != "<"
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[last:i])
            last = i + 1
    parts.append(text[last:])
    return [p.strip() for p in parts]


def norm(text: str) -> str:
    return " ".join(text.split())


def _message(text: str) -> str:
    """The ``<< ...`` stream after a check, string literals kept, expressions as ``<expr>``."""
    parts = []
    for piece in re.split(r"<<", text):
        piece = piece.strip()
        if not piece:
            continue
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', piece)
        if strings and re.fullmatch(r'(\s*"(?:[^"\\]|\\.)*"\s*)+', piece):
            parts.append("".join(strings))
        else:
            parts.append("<" + norm(piece) + ">")
    return "".join(parts).replace('\\"', '"').replace("\\n", " ")


@dataclass
class _Scope:
    kind: str  # "class", "function", "block"
    name: str
    cls: str = ""


@dataclass
class SourceFile:
    rel: str
    text: str
    masked: str = field(init=False)

    def __post_init__(self) -> None:
        self.masked = mask(self.text)

    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def guards(self) -> list[tuple[int, str]]:
        """(position, active #if conditions joined) at each preprocessor line."""
        stack: list[str] = []
        out = [(0, "")]
        for m in re.finditer(r"^\s*#\s*(ifdef|ifndef|if|else|elif|endif)\b(.*)$", self.masked,
                             re.M):
            word, rest = m.group(1), norm(m.group(2))
            if word == "ifdef":
                stack.append(rest)
            elif word == "ifndef":
                stack.append("!" + rest)
            elif word == "if":
                stack.append(rest)
            elif word in ("else", "elif") and stack:
                stack[-1] = "not(" + stack[-1] + ")" + (" " + rest if rest else "")
            elif word == "endif" and stack:
                stack.pop()
            out.append((m.end(), " && ".join(g for g in stack if BUILD_FLAG.search(g))))
        return out

    def scopes(self) -> list[tuple[int, int, list[_Scope]]]:
        """(start, end, scope stack) for every brace block."""
        masked = self.masked
        stack: list[_Scope] = []
        blocks: list[tuple[int, int, list[_Scope]]] = []
        starts: list[int] = []
        head_start = 0
        for i, c in enumerate(masked):
            if c == "{":
                head = masked[head_start:i]
                head = re.sub(r"^\s*#.*$", "", head, flags=re.M)
                head = norm(re.sub(r"\btemplate\s*<[^>]*>", "", head))
                head = re.sub(r"^(?:public|private|protected)\s*:\s*", "", head)
                cls = next((s.cls for s in reversed(stack) if s.cls), "")
                m_class = CLASS.search(head)
                m_func = FUNC.search(head)
                if m_class:
                    scope = _Scope("class", m_class.group(1), m_class.group(1))
                elif (m_func and m_func.group(2) not in KEYWORDS
                      and not any(s.kind == "function" for s in stack)):
                    scope = _Scope("function", m_func.group(2), m_func.group(1) or cls)
                else:
                    scope = _Scope("block", "")
                stack.append(scope)
                starts.append(i)
                head_start = i + 1
            elif c == "}":
                if stack:
                    blocks.append((starts.pop(), i, list(stack)))
                    stack.pop()
                head_start = i + 1
            elif c == ";":
                head_start = i + 1
        return blocks


def _head_condition(src: SourceFile, head_start: int, head_end: int) -> str | None:
    """The condition of the ``if``/``else``/``case`` in ``src.masked[head_start:head_end]``."""
    masked = src.masked
    head = masked[head_start:head_end]
    labels = list(re.finditer(r"\b(case\s+[\w:]+|default)\s*:", head))
    if labels:
        return norm(labels[-1].group(1))
    branches = list(re.finditer(r"\b(if|while|for|switch)\s*\(", head))
    if branches:
        m = branches[-1]
        open_at = head_start + m.end() - 1
        close_at = _close(masked, open_at)
        prefix = "" if m.group(1) == "if" else m.group(1) + " "
        return prefix + norm(src.text[open_at + 1:close_at - 1])
    if re.search(r"\belse\s*$", head):
        return "else"
    return None


def _branch(src: SourceFile, pos: int, blocks: list[tuple[int, int, list[_Scope]]]) -> str:
    """For a LOG(FATAL): the ``if (...)``/``else``/``case`` it sits under."""
    masked = src.masked
    inner = max((b for b in blocks if b[0] < pos < b[1]), key=lambda b: b[0])
    start = inner[0]
    # a braceless if/else/case right before the statement
    stmt = max(masked.rfind(";", start, pos), masked.rfind("}", start, pos),
               masked.rfind("{", start, pos))
    found = _head_condition(src, stmt + 1, pos)
    if found is not None:
        return found
    # the statements before it in a switch's block: the last label
    labels = list(re.finditer(r"\b(case\s+[\w:]+|default)\s*:", masked[start:pos]))
    if labels:
        return norm(labels[-1].group(1))
    head_start = max(masked.rfind(";", 0, start), masked.rfind("}", 0, start),
                     masked.rfind("{", 0, start)) + 1
    found = _head_condition(src, head_start, start)
    return found or ""


def scan_file(src: SourceFile, functions: frozenset[str] | None,
              class_area: dict[str, str], file_area: str | None,
              constructors: bool) -> list[Check]:
    blocks = src.scopes()
    guards = src.guards()
    out: list[Check] = []
    for m in CHECK.finditer(src.masked):
        pos = m.start()
        enclosing = [b for b in blocks if b[0] < pos < b[1]]
        if not enclosing:
            continue
        _, _, stack = max(enclosing, key=lambda b: b[0])
        fns = [s for s in stack if s.kind == "function"]
        if not fns:
            continue
        fn = fns[0]
        is_ctor = fn.name == fn.cls and bool(fn.cls)
        if functions is not None and fn.name not in functions and not (constructors and is_ctor):
            continue
        end = src.masked.find(";", m.end())
        if m.group(1):
            macro = m.group(1)
            close_at = _close(src.masked, m.end() - 1)
            args = _split_args(src.masked[m.end():close_at - 1], src.text[m.end():close_at - 1])
            op = macro.split("_", 1)[1] if "_" in macro else ""
            if op in OPS and len(args) == 2:
                condition = f"{norm(args[0])} {OPS[op]} {norm(args[1])}"
            elif op == "NOTNULL":
                condition = f"{norm(args[0])} != NULL"
            else:
                condition = norm(args[0])
            while True:  # the statement ends at the first ; outside brackets
                end = src.masked.find(";", close_at)
                if src.masked.count("(", close_at, end) == src.masked.count(")", close_at, end):
                    break
                close_at = end + 1
            message = _message(src.text[close_at:end].lstrip().removeprefix("<<"))
        else:
            macro = "LOG(FATAL)"
            condition = _branch(src, pos, blocks) or "always"
            message = _message(src.text[m.end():end].lstrip().removeprefix("<<"))
        guard = next(g for p, g in reversed(guards) if p <= pos)
        cls = fn.cls
        area = file_area or class_area.get(cls, cls)
        out.append(Check("", src.rel, src.line_of(pos), cls, fn.name, macro, condition,
                         norm(message), area, guard))
    return out


def _layer_classes(root: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Per class: its base, its registered type and its area (type or base group)."""
    base: dict[str, str] = {}
    kind: dict[str, str] = {}
    for header in [root / "include/caffe/layer.hpp",
                   *sorted((root / "include/caffe/layers").glob("*.hpp"))]:
        text = header.read_text(encoding="utf-8")
        for m in re.finditer(r"class\s+(\w+)\s*:\s*public\s+(\w+)<Dtype>\s*{(.*?)\n};", text,
                             re.S):
            base[m.group(1)] = m.group(2)
            declared = TYPE.search(m.group(3))
            if declared:
                kind[m.group(1)] = declared.group(1)
    derived: dict[str, list[str]] = defaultdict(list)
    for cls, t in kind.items():
        chain = base.get(cls)
        while chain:
            derived[chain].append(t)
            chain = base.get(chain)
    area: dict[str, str] = {}
    for cls in base:
        if cls in kind:
            area[cls] = kind[cls]
        else:
            types = sorted(set(derived.get(cls, [])))
            area[cls] = f"{cls} (base of {', '.join(types)})" if types else cls
    return base, kind, area


def count_declarations(root: Path, area: dict[str, str], kind: dict[str, str]) -> list[Check]:
    """Each class's blob-count declarations, as the checks CheckBlobCounts makes of them."""
    out = []
    for header in sorted((root / "include/caffe/layers").glob("*.hpp")):
        if header.name.startswith("cudnn_"):
            continue
        text = header.read_text(encoding="utf-8")
        rel = header.relative_to(root).as_posix()
        for m in re.finditer(r"class\s+(\w+)\s*:\s*public\s+(\w+)<Dtype>\s*{(.*?)\n};", text,
                             re.S):
            cls = m.group(1)
            body_text = m.group(3)
            body_mask = mask(body_text)
            for c in COUNT.finditer(body_mask):
                close_at = _close(body_mask, c.end() - 1, "{", "}")
                body = norm(body_text[c.end():close_at - 1])
                returned = re.fullmatch(r"return ([^;]+);", body)
                name = c.group(1)
                value = norm(returned.group(1)) if returned else f"{name}() (computed)"
                if name not in COUNT_DECLS or value in ("-1", "false"):
                    continue
                pos = m.start(3) + c.start()
                line = text.count("\n", 0, pos) + 1
                n = value if value != "true" else ""
                type_ = kind.get(cls, area.get(cls, cls).split(" ")[0])
                out.append(Check("", rel, line, cls, name, "declaration",
                                 COUNT_DECLS[name].format(n),
                                 COUNT_MESSAGES[name].format(type=type_, n=n),
                                 area.get(cls, cls)))
    return out


def scan(root: Path) -> list[Check]:
    """Every construction-time check in the Caffe source tree at ``root``."""
    _, kind, area = _layer_classes(root)
    checks: list[Check] = []
    layer_files = [p for p in sorted((root / "src/caffe/layers").glob("*.cpp"))
                   if not p.name.startswith("cudnn_")]
    layer_files += [p for p in sorted((root / "include/caffe/layers").glob("*.hpp"))
                    if not p.name.startswith("cudnn_")]
    for path in layer_files:
        src = SourceFile(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
        checks += scan_file(src, LAYER_FUNCTIONS, area, None, constructors=True)
    checks += count_declarations(root, area, kind)
    for rel, functions in OTHER_SCOPES:
        src = SourceFile(rel, (root / rel).read_text(encoding="utf-8"))
        checks += scan_file(src, functions, area, AREAS[rel], constructors=False)
    seen: Counter[str] = Counter()
    out = []
    for c in checks:
        qual = f"{c.cls}::{c.function}" if c.cls else c.function
        base = f"{c.file}::{qual}::{c.condition}"
        if c.macro == "LOG(FATAL)":
            base += f"::{c.message}"
        seen[base] += 1
        ident = base if seen[base] == 1 else f"{base}#{seen[base]}"
        out.append(Check(ident, c.file, c.line, c.cls, c.function, c.macro, c.condition,
                         c.message, c.area, c.guard))
    return out


# --------------------------------------------------------------------------- mapping


def load_mapping(path: Path) -> list[Entry]:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    out = []
    for n, raw in enumerate(data.get("check", []), 1):
        if "match" not in raw:
            raise ValueError(f"{path}: check #{n} lacks match")
        rules = tuple(raw.get("rules", ()))
        reason = raw.get("reason", "")
        if bool(rules) == bool(reason):
            raise ValueError(f"{path}: check #{n} ({raw['match']}): give rules or a reason")
        unknown = set(raw) - {"match", "rules", "reason", "note", "condition", "message", "macro"}
        if unknown:
            raise ValueError(f"{path}: check #{n}: unknown keys {sorted(unknown)}")
        for key in ("match", "condition", "message", "macro"):
            if raw.get(key) is not None:
                re.compile(raw[key])
        out.append(Entry(raw["match"], rules, reason, raw.get("note", ""),
                         raw.get("condition"), raw.get("message"), raw.get("macro")))
    return out


def judge(checks: Sequence[Check], entries: Sequence[Entry]
          ) -> tuple[dict[str, Entry], list[Check], list[Entry]]:
    """The first entry that matches each check; checks no entry matches; entries unused."""
    by_id: dict[str, Entry] = {}
    unmapped: list[Check] = []
    used: set[int] = set()
    for c in checks:
        for n, e in enumerate(entries):
            if e.covers(c):
                by_id[c.id] = e
                used.add(n)
                break
        else:
            unmapped.append(c)
    return by_id, unmapped, [e for n, e in enumerate(entries) if n not in used]


# --------------------------------------------------------------------------- report


def _cell(text: str, limit: int = 160) -> str:
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("|", "\\|")


def _code(text: str, limit: int = 120) -> str:
    text = _cell(text, limit)
    return f"`{text}`" if text and "`" not in text else text


def totals(checks: Sequence[Check], by_id: dict[str, Entry]) -> Counter[str]:
    count: Counter[str] = Counter()
    for c in checks:
        count[by_id[c.id].kind if c.id in by_id else "unmapped"] += 1
    return count


def headline(checks: Sequence[Check], by_id: dict[str, Entry]) -> str:
    t = totals(checks, by_id)
    reachable = t["covered"] + t["not covered"] + t["unmapped"]
    return (f"{t['covered']} of Caffe's {reachable} construction checks reachable from a"
            " prototxt are covered")


def render(checks: Sequence[Check], by_id: dict[str, Entry]) -> str:
    """The report as Markdown; deterministic, so ``--check`` can compare."""
    t = totals(checks, by_id)
    out: list[str] = []
    add = out.append
    add("# Caffe's construction checks and the rules that cover them")
    add("")
    add("Generated by `scripts/caffe_checks.py` from BVLC Caffe 9b891540"
        " (`../shared/caffe-oracle/caffe-9b891540.tar.gz`) and the hand-written mapping"
        " `scripts/caffe_checks.toml`; do not edit. A check is a `CHECK*`, `DCHECK*` or"
        " `LOG(FATAL)` that can run while `caffe::Net` is read and built, or a layer's"
        " blob-count declaration (`ExactNumBottomBlobs`, ...) that `Layer::CheckBlobCounts`"
        " enforces; the script's docstring lists the functions scanned. *Not applicable*: the"
        " check cannot fail on what a prototxt says (it needs the data, is a `DCHECK` compiled"
        " out of a release build, guards Caffe's own code, or is not in a CPU build).")
    add("")
    add(f"**{headline(checks, by_id)}.**")
    add("")
    reachable = t["covered"] + t["not covered"] + t["unmapped"]
    add("| | checks |")
    add("| --- | ---: |")
    add(f"| found in Caffe's source | {len(checks)} |")
    add(f"| covered by a rule | {t['covered']} |")
    add(f"| not applicable from a prototxt | {t['not applicable']} |")
    add(f"| not covered yet | {t['not covered']} |")
    if t["unmapped"]:
        add(f"| **not mapped** (add to `scripts/caffe_checks.toml`) | {t['unmapped']} |")
    add(f"| reachable from a prototxt | {reachable} |")
    add("")
    declared = sum(1 for c in checks if c.macro == "declaration"
                   and c.id in by_id and by_id[c.id].rules)
    add(f"Of the covered checks, {declared} are blob-count declarations (`N314`); the other"
        f" {t['covered'] - declared} are `CHECK`s and `LOG(FATAL)`s.")
    add("")
    reasons: Counter[str] = Counter()
    missing: dict[str, list[Check]] = defaultdict(list)
    for c in checks:
        e = by_id.get(c.id)
        if e is not None and not e.rules:
            head, _, detail = e.reason.partition(":")
            reasons[head.split(" (")[0]] += 1
            if e.kind == "not covered":
                missing[detail.strip() or head].append(c)
    if reasons:
        add("| why no rule | checks |")
        add("| --- | ---: |")
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            add(f"| {_cell(reason)} | {n} |")
        add("")
    if missing:
        add("## Not covered yet")
        add("")
        add("What a prototxt can get wrong that Caffe refuses and no rule reports yet, most"
            " checks first:")
        add("")
        for what, cs in sorted(missing.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            areas = ", ".join(dict.fromkeys(c.area.split(" (")[0] for c in cs))
            add(f"- {what} ({len(cs)}: {areas})")
        add("")
    groups: dict[str, list[Check]] = defaultdict(list)
    for c in checks:
        groups[c.area].append(c)
    layer_areas = sorted(a for a in groups if a not in AREAS.values())
    other_areas = [a for a in dict.fromkeys(AREAS.values()) if a in groups]
    add("## Contents")
    add("")
    for title, names in (("Net, blobs, fillers, loading", other_areas),
                         ("Layer types", layer_areas)):
        add(f"- {title}: " + ", ".join(
            f"[{a.split(' (')[0]}](#{_anchor(a)}) ({_summary(groups[a], by_id)})"
            for a in names))
    add("")
    for a in other_areas + layer_areas:
        add(f"## {a}")
        add("")
        add(f"{_summary(groups[a], by_id, long=True)}.")
        add("")
        add("| Check | Message | Where | Covered by / why not |")
        add("| --- | --- | --- | --- |")
        for c in sorted(groups[a], key=lambda c: (c.file, c.line, c.id)):
            e = by_id.get(c.id)
            if e is None:
                verdict = "**not mapped**"
            elif e.rules:
                verdict = ", ".join(f"`{r}`" for r in e.rules)
            else:
                verdict = ("n/a: " if e.kind == "not applicable" else "") + e.reason
            if e is not None and e.note:
                verdict += f" ({e.note})"
            cond = c.condition if c.macro != "LOG(FATAL)" else f"LOG(FATAL) if {c.condition}"
            if c.macro.startswith("DCHECK"):
                cond = f"DCHECK: {cond}"
            if c.guard:
                cond += f" [#if {c.guard}]"
            where = f"{c.file.rsplit('/', 1)[-1]}:{c.line} `{c.function}`"
            add(f"| {_code(cond)} | {_cell(c.message, 120)} | {where} | {_cell(verdict, 200)} |")
        add("")
    return "\n".join(out).rstrip("\n")


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _summary(checks: Iterable[Check], by_id: dict[str, Entry], long: bool = False) -> str:
    t = totals(list(checks), by_id)
    reachable = t["covered"] + t["not covered"] + t["unmapped"]
    text = f"{t['covered']}/{reachable}"
    if long:
        total = sum(t.values())
        text = (f"{total} check{'s' if total != 1 else ''}: {t['covered']} of the {reachable}"
                f" reachable from a prototxt covered, {t['not applicable']} not applicable")
    return text


# --------------------------------------------------------------------------- main


def caffe_source(arg: Path | None, tmp: Path) -> Path:
    if arg is not None:
        return arg
    with tarfile.open(TARBALL) as tar:
        tar.extractall(tmp, filter="data")
    found = sorted(tmp.glob("*/src/caffe/net.cpp"))
    if not found:
        raise SystemExit(f"{TARBALL}: no src/caffe/net.cpp inside")
    return found[0].parent.parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--caffe-src", type=Path, default=None,
                        help=f"an unpacked BVLC Caffe (default: unpack {TARBALL.name} from"
                        " ../shared/caffe-oracle to a temporary folder)")
    parser.add_argument("--mapping", type=Path, default=DEFAULT_MAPPING)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--readme", type=Path, default=DEFAULT_README,
                        help="the file whose sentence with the number is kept current")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the doc is stale or a check is unmapped")
    parser.add_argument("--list", action="store_true", help="print every check id and exit")
    args = parser.parse_args(argv)
    if args.caffe_src is None and not TARBALL.is_file():
        print(f"no Caffe source: {TARBALL} is missing; give --caffe-src", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="caffe-checks-") as tmp:
        root = caffe_source(args.caffe_src, Path(tmp))
        checks = scan(root)
    if args.list:
        for c in checks:
            print(f"{c.file}:{c.line}\t{c.area}\t{c.id}\t{c.message}")
        return 0
    entries = load_mapping(args.mapping)
    by_id, unmapped, unused = judge(checks, entries)
    text = render(checks, by_id) + "\n"
    status = 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is stale: run scripts/caffe_checks.py", file=sys.stderr)
            status = 1
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {headline(checks, by_id)}")
    readme = args.readme.read_text(encoding="utf-8") if args.readme.is_file() else ""
    number = headline(checks, by_id).split(" construction")[0]
    found = README_NUMBER.search(readme)
    if found is None:
        print(f"{args.readme} has no sentence '{README_NUMBER.pattern}'", file=sys.stderr)
        status = 1
    elif norm(found.group(0)).split(" construction")[0] != number:
        if args.check:
            print(f"{args.readme}: the number of covered checks is stale: run"
                  " scripts/caffe_checks.py", file=sys.stderr)
            status = 1
        else:
            wanted = re.sub(r"\d+ of Caffe's \d+", number, found.group(0), count=1)
            readme = readme[:found.start()] + wanted + readme[found.end():]
            args.readme.write_text(readme, encoding="utf-8")
            print(f"updated the number in {args.readme}")
    if unmapped:
        print(f"{len(unmapped)} checks have no entry in {args.mapping}:", file=sys.stderr)
        for c in unmapped:
            print(f"  {c.file}:{c.line}  {c.id}", file=sys.stderr)
        status = 1
    for e in unused:
        print(f"warning: mapping entry matches no check: {e.match}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
