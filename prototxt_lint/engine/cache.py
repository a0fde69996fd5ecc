"""The result cache of the command line: the findings of a group (a solver and its nets, or one
file) whose inputs have not changed since a run that linted them.

A group's key hashes everything its findings depend on:

- every file of the group (path as named, absolute path and content) and, for a solver, each
  net it names: the name, where it resolves from the working directory and its content (a net
  that appears later, or moves, changes the key);
- the settings the group is linted with (select, ignore, size limit, dialect, debug, whether
  this is a ``--fix`` run) and the schema (``--proto``: the file's content);
- the code that lints: the Python and protobuf versions, the linter's own modules and every
  installed rule plugin (the names, distributions and module files of the entry points; each
  module file by path, size and modification time).

Entries hold findings and what the reporters need of a file (:class:`SlimReport`), never
rendered text, so every output format is the same warm as cold; ``per-file-ignores`` is applied
after the cache, on every run. An entry is written to a temporary file and renamed into place
(atomic, safe with two runs or ``--jobs`` at once); one that cannot be read (truncated, corrupt,
from another version) is ignored and rewritten. A lint that read files outside its key
(:mod:`prototxt_lint.engine.external_reads`) is not stored. A cache folder that cannot be created or
written is not used, silently. The folder is pruned to :data:`MAX_ENTRIES` entries.

Where: ``--cache-dir``, else ``$PROTOTXT_LINT_CACHE_DIR``, else the configuration's
``cache-dir``, else ``$XDG_CACHE_HOME/prototxt-lint`` (``~/.cache/prototxt-lint``). ``--no-cache``
(or ``PROTOTXT_LINT_NO_CACHE=1``) turns it off. ``PROTOTXT_LINT_CACHE_STATS=FILE`` appends one
line per group looked up (``hit``, ``miss``, ``store``, ``skip-external``, ``corrupt``) to FILE:
what the tests count.

A whole plain run over unchanged files is answered even earlier, before the engine is
imported, by :mod:`prototxt_lint.cli.run_cache` (its entries are in ``runs/`` of the same folder;
``PROTOTXT_LINT_RUN_CACHE=0`` leaves only this group cache, for tests).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prototxt_lint.plugin import Rule

try:  # the C module itself: importing hashlib costs ~5 ms (OpenSSL) on every run
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - every CPython has it
    from hashlib import blake2b

#: bump when the layout of an entry changes: old entries are then simply never found
FORMAT = "1"
CACHE_ENV = "PROTOTXT_LINT_CACHE_DIR"
NO_CACHE_ENV = "PROTOTXT_LINT_NO_CACHE"
STATS_ENV = "PROTOTXT_LINT_CACHE_STATS"
#: entries kept; beyond it, the least recently written are removed
MAX_ENTRIES = 20_000
#: an entry larger than this is not stored (a pathological file with a million findings)
MAX_ENTRY_BYTES = 64 * 1024 * 1024


def default_dir(env: dict[str, str] | os._Environ[str] | None = None) -> str:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "prototxt-lint")


def choose_dir(flag: str | None, configured: str | None) -> str:
    """--cache-dir, else $PROTOTXT_LINT_CACHE_DIR, else the config's cache-dir, else the
    user's cache folder."""
    return flag or os.environ.get(CACHE_ENV) or configured or default_dir()


def disabled_by_env() -> bool:
    return os.environ.get(NO_CACHE_ENV, "") not in ("", "0")


def note_stat(event: str) -> None:
    path = os.environ.get(STATS_ENV)
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(event + "\n")
        except OSError:
            pass


def file_digest(path: str) -> str | None:
    """The content hash of ``path``; None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return blake2b(handle.read(), digest_size=20).hexdigest()
    except (OSError, ValueError):
        return None


def module_files(folder: str) -> Iterable[tuple[str, int, int]]:
    """(path, mtime_ns, size) of the code under ``folder`` (or of the file ``folder``)."""
    if os.path.isfile(folder):
        info = os.stat(folder)
        yield folder, info.st_mtime_ns, info.st_size
        return
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__" and not entry.name.startswith("."):
                    stack.append(entry.path)
            elif entry.name.endswith((".py", ".desc", ".proto")):
                try:
                    info = entry.stat()
                except OSError:
                    continue
                yield entry.path, info.st_mtime_ns, info.st_size


def rule_distributions() -> list[str]:
    """The ``*.dist-info``/``*.egg-info`` folders (their names carry the versions) along
    ``sys.path`` that publish rules: the linter itself and every plugin."""
    from prototxt_lint.plugin import ENTRY_POINT_GROUP

    header = f"[{ENTRY_POINT_GROUP}]"
    found = []
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder or ".", name, "entry_points.txt"),
                          encoding="utf-8") as handle:
                    if header in handle.read():
                        found.append(os.path.join(folder, name))
            except OSError:
                continue
    return found


def code_folders(rules: Sequence[Rule]) -> list[str]:
    """Where the code that lints is: the linter's package, and for each rule the folder of
    its module and of its top-level package (a top-level module without a package: that
    file alone)."""
    folders = {os.path.dirname(os.path.abspath(__file__))}
    for rule in rules:
        module = sys.modules.get(getattr(rule.check, "__module__", "") or "")
        file = getattr(module, "__file__", None)
        if module is None or not file:
            continue
        file = os.path.abspath(file)
        if "." not in module.__name__ and os.path.basename(file) != "__init__.py":
            folders.add(file)
            continue
        folders.add(os.path.dirname(file))
        root_file = getattr(sys.modules.get(module.__name__.split(".")[0]), "__file__", None)
        if root_file:
            folders.add(os.path.dirname(os.path.abspath(root_file)))
    return sorted(folders)


def code_fingerprint(rules: Sequence[Rule]) -> str:
    """What the code that lints is: Python, protobuf, the linter's modules and every rule
    module (plugins included), by path, size and modification time."""
    from prototxt_lint.engine.registry import entry_points

    names = sorted((r.code, r.name, int(r.severity), getattr(r.check, "__module__", ""),
                    getattr(r.check, "__qualname__", "")) for r in rules)
    folders = code_folders(rules)
    import google.protobuf

    digest = blake2b(digest_size=20)
    digest.update(repr((FORMAT, sys.version, sys.implementation.name,
                        google.protobuf.__version__, sorted(entry_points()),
                        rule_distributions(), names)).encode())
    for folder in folders:
        for item in module_files(folder):
            digest.update(repr(item).encode())
    return digest.hexdigest()


class ResultCache:
    """Entries in one folder: ``<key[:2]>/<key>``, each a pickle of the cached value."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.usable = True  # False once the folder proved unwritable: stop trying
        self.stored = 0

    def _path(self, key: str) -> str:
        return os.path.join(self.folder, key[:2], key)

    def get(self, key: str) -> Any:
        """The value stored under ``key``, or None (absent, unreadable or corrupt)."""
        try:
            with open(self._path(key), "rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            return None
        try:
            stored_key, value = pickle.loads(data)
            if stored_key != key:
                raise ValueError("entry for another key")
        except Exception:  # truncated, corrupt, or written by another version
            note_stat("corrupt")
            return None
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (atomically); silently nothing when the folder is not writable."""
        if not self.usable:
            return
        try:
            data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return
        if len(data) > MAX_ENTRY_BYTES:
            return
        path = self._path(key)
        tmp = f"{path}.{os.getpid()}.{id(data):x}.tmp"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            self.usable = False
            return
        self.stored += 1

    def prune(self, limit: int = MAX_ENTRIES) -> None:
        """Keep the ``limit`` most recently written entries (and drop stale temporary files).
        Run only after a run that stored something, and only now and then (cheap: one
        listing of the folder)."""
        if not self.stored:
            return
        entries: list[tuple[int, str]] = []
        for top in (self.folder, os.path.join(self.folder, "runs")):  # groups', runs' entries
            try:
                subfolders = [e.path for e in os.scandir(top)
                              if len(e.name) == 2 and e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
            for sub in subfolders:
                try:
                    for entry in os.scandir(sub):
                        try:
                            entries.append((entry.stat().st_mtime_ns, entry.path))
                        except OSError:
                            continue
                except OSError:
                    continue
        if len(entries) <= limit:
            return
        entries.sort()
        for _, path in entries[: len(entries) - limit]:
            try:
                os.unlink(path)
            except OSError:
                pass


def group_key(base: str, paths: Sequence[str], linked: Sequence[tuple[str, str | None]]) -> \
        str | None:
    """The key of a group: ``base`` (settings, schema and code) with the group's files and the
    nets its solvers name; None when a file cannot be read (then the lint reports it, fresh)."""
    digest = blake2b(digest_size=20)
    digest.update(base.encode())
    digest.update(os.getcwd().encode("utf-8", "surrogateescape"))
    for path in paths:
        content = file_digest(path)
        if content is None:
            return None
        digest.update(repr((path, os.path.abspath(path), content)).encode("utf-8",
                                                                            "surrogateescape"))
    for name, resolved in linked:
        content = file_digest(resolved) if resolved else None
        digest.update(repr((name, resolved, content)).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
