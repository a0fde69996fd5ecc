"""``.gitignore`` matching as git does it, without a dependency: so that ``prototxt-lint .``
skips a git-ignored ``third_party/caffe`` or ``build/`` the way ruff does.

Supported: comments, escaped ``\\#``/``\\!``/trailing spaces, negation ``!``, directory-only
patterns ``dir/``, anchored patterns (a ``/`` at the start or in the middle), ``*``, ``?``,
``[...]`` and ``**`` (``**/x``, ``x/**``, ``a/**/b``); nested ``.gitignore`` files (a deeper
file wins, the last matching line wins) and ``.git/info/exclude``. As in git, files under an
ignored folder stay ignored (the walk does not enter it), and ``.gitignore`` files count only
inside a git work tree.
"""

from __future__ import annotations

import os
import re

from prototxt_lint.records import Record


class Pattern(Record):
    """One line of a .gitignore, relative to the folder ``base`` it applies under."""

    __slots__ = ("base", "dir_only", "negated", "regex")

    def __init__(self, base: str, regex: re.Pattern[str], negated: bool, dir_only: bool) -> None:
        self.base = base
        self.regex = regex
        self.negated = negated
        self.dir_only = dir_only


def _translate(glob: str) -> str:
    """A gitignore glob (already anchored: relative to its base) as a regex body."""
    out = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = glob.find("]", i + 2 if glob[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end < 0:
                out.append(re.escape(c))
                i += 1
                continue
            body = glob[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def parse_line(line: str, base: str) -> Pattern | None:
    """The pattern of one .gitignore line, or None for a blank line or a comment."""
    line = line.rstrip("\n").rstrip("\r")
    if not line or line.startswith("#"):
        return None
    # trailing spaces are dropped unless escaped with a backslash
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith(("\\!", "\\#")):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    if not anchored:
        body = "(?:.*/)?" + body
    return Pattern(base, re.compile(body + r"\Z", re.S), negated, dir_only)


def read_patterns(path: str, base: str) -> list[Pattern]:
    """The patterns of the ignore file ``path`` ([] when it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    found = [parse_line(line, base) for line in lines]
    return [p for p in found if p is not None]


def find_work_tree(directory: str) -> str | None:
    """The git work tree at or above ``directory`` (the folder holding ``.git``), or None."""
    current = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class GitIgnore:
    """Decides whether a path is git-ignored; reads each folder's .gitignore once."""

    def __init__(self) -> None:
        self._folders: dict[str, list[Pattern]] = {}  # folder -> patterns that apply in it
        self._trees: dict[str, str | None] = {}

    def _tree(self, folder: str) -> str | None:
        if folder not in self._trees:
            self._trees[folder] = find_work_tree(folder)
        return self._trees[folder]

    def patterns(self, folder: str) -> list[Pattern]:
        """Every pattern that applies to entries of ``folder``, lowest precedence first."""
        folder = os.path.abspath(folder)
        cached = self._folders.get(folder)
        if cached is not None:
            return cached
        tree = self._tree(folder)
        if tree is None:
            result: list[Pattern] = []
        elif folder == tree:
            result = [*read_patterns(os.path.join(tree, ".git", "info", "exclude"), tree),
                      *read_patterns(os.path.join(tree, ".gitignore"), tree)]
        else:
            result = [*self.patterns(os.path.dirname(folder)),
                      *read_patterns(os.path.join(folder, ".gitignore"), folder)]
        self._folders[folder] = result
        return result

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git ignores ``path`` itself (its folders are not looked at: callers walk
        from the top and do not enter an ignored folder)."""
        path = os.path.abspath(path)
        verdict = False
        for pattern in self.patterns(os.path.dirname(path)):
            if pattern.dir_only and not is_dir:
                continue
            relative = os.path.relpath(path, pattern.base).replace(os.sep, "/")
            if relative.startswith("../"):
                continue
            if pattern.regex.match(relative):
                verdict = not pattern.negated
        return verdict

    def ignored_with_parents(self, path: str, is_dir: bool) -> bool:
        """Whether ``path`` or a folder above it (inside its work tree) is ignored: for a file
        named on the command line under --force-exclude."""
        path = os.path.abspath(path)
        tree = self._tree(os.path.dirname(path))
        if tree is None:
            return False
        current, current_is_dir = path, is_dir
        while current != tree and current.startswith(tree + os.sep):
            if self.ignored(current, current_is_dir):
                return True
            current, current_is_dir = os.path.dirname(current), True
        return False
