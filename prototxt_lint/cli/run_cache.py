"""The whole run's answer, for a plain ``prototxt-lint FILE...`` whose every input is
unchanged: replayed before the engine is imported (the pre-commit hook and an editor's
on-save command lint the same few files again and again; the engine's import is most of such
a run).

Only the fast path's requests (files named on the command line, no directory, no ``-``, and
only ``--color``/``--no-color``, ``--force-exclude``, ``--proto``, ``--dialect``,
``--cache-dir``) are answered. A run is stored with what it depended on, recorded while it ran:

- every file it opened for reading (by content) and every path it looked at (``stat``,
  ``lstat``, ``readlink``: existence and kind) or listed (the names): the inputs, the nets a
  solver names and where they resolve, configuration files (and their absence at each folder
  up to the root), ``.gitignore`` files, ``--proto``, the plugins' ``entry_points.txt`` and the
  folders of ``sys.path``;
- the modules of the linter and of every rule plugin (path, size, modification time);
- the key itself: the arguments, the working directory, the Python and its ``sys.path``, the
  environment variables that change output and whether stdout/stderr are terminals.

The answer is the bytes written to stdout and stderr and the exit code. It is replayed only if
every recorded fact is still true; otherwise the run goes on as usual (and the group cache of
:mod:`prototxt_lint.engine.cache` still answers the unchanged groups). A run whose lint read
files outside its groups (:mod:`prototxt_lint.engine.external_reads`), whose group cache was
another folder (the configuration's ``cache-dir``), or that failed to write its report is not
stored.

This module imports nothing beyond the interpreter's built-in modules.
"""

from __future__ import annotations

import builtins
import io
import marshal
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

FORMAT = "run-1"
_VALUE_FLAGS = ("--proto", "--dialect", "--cache-dir")
_FLAGS = ("--color", "--no-color", "--force-exclude")
#: environment variables that change what a run prints
_ENV = ("NO_COLOR", "GITHUB_ACTIONS", "PROTOTXT_LINT_DEBUG", "PROTOTXT_LINT_CACHE_DIR",
        "PROTOTXT_LINT_NO_CACHE", "PROTOTXT_LINT_RUN_CACHE", "XDG_CACHE_HOME", "HOME", "PYTHONPATH")
#: set by the group cache when this run must not be stored (an external read, another folder)
UNSTORABLE: list[str] = []


#: ``prototxt-lint NAME ...`` runs a subcommand (``run.SUBCOMMANDS``), never a lint
SUBCOMMAND_NAMES = ("lsp", "shapes", "lr-schedule", "weights", "log")


def _plan(args: Sequence[str]) -> tuple[list[str], str | None] | None:
    """(paths, --cache-dir) for a request this cache may answer; None otherwise."""
    if not args or args[0] in SUBCOMMAND_NAMES:
        return None
    paths: list[str] = []
    cache_dir = None
    items = iter(args)
    for arg in items:
        if arg in _FLAGS:
            continue
        name, eq, value = arg.partition("=")
        if name in _VALUE_FLAGS:
            if not eq:
                value = next(items, "")
            if not value or value.startswith("-"):
                return None
            if name == "--cache-dir":
                cache_dir = value
            continue
        if arg.startswith("-"):
            return None  # --no-cache, stdin, or an option for click
        paths.append(arg)
    if not paths or not all(os.path.isfile(p) for p in paths):
        return None
    return paths, cache_dir


def _folder(cache_dir: str | None) -> str | None:
    if os.environ.get("PROTOTXT_LINT_NO_CACHE", "") not in ("", "0"):
        return None
    if os.environ.get("PROTOTXT_LINT_RUN_CACHE", "") == "0":  # the group cache only (tests)
        return None
    chosen = cache_dir or os.environ.get("PROTOTXT_LINT_CACHE_DIR")
    if not chosen:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".cache")
        chosen = os.path.join(base, "prototxt-lint")
    return os.path.join(chosen, "runs")


def _tty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (OSError, ValueError):
        return False


def _key(args: Sequence[str]) -> str:
    facts = (FORMAT, list(args), os.getcwd(), sys.version, sys.executable, list(sys.path),
             [(name, os.environ.get(name)) for name in _ENV],
             _tty(sys.stdout), _tty(sys.stderr),
             [(getattr(s, "encoding", None), getattr(s, "errors", None))
              for s in (sys.stdout, sys.stderr)])
    return blake2b(repr(facts).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return blake2b(handle.read(), digest_size=20).hexdigest()
    except (OSError, ValueError):
        return None


def _kind(path: Any, follow: bool = True) -> int:
    """The file type bits of ``path`` (0: absent)."""
    try:
        info = os.stat(path) if follow else os.lstat(path)
    except (OSError, ValueError, TypeError):
        return 0
    return info.st_mode & 0o170000


def _names(path: Any) -> list[str] | None:
    try:
        return sorted(os.listdir(path))
    except (OSError, ValueError, TypeError):
        return None


def _link(path: Any) -> str | None:
    try:
        return str(os.readlink(path))
    except (OSError, ValueError, TypeError):
        return None


def _module_stat(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


#: how each kind of fact is checked again
_CHECKS: dict[str, Callable[[str], Any]] = {
    "read": _digest,
    "stat": _kind,
    "lstat": lambda p: _kind(p, follow=False),
    "list": _names,
    "link": _link,
    "mod": _module_stat,
}


def answer(args: Sequence[str]) -> int | None:
    """Replay a stored run of ``args`` whose recorded facts all still hold: write its output
    and return its exit code; None when there is none (the run goes on)."""
    plan = _plan(args)
    if plan is None:
        return None
    folder = _folder(plan[1])
    if folder is None:
        return None
    key = _key(args)
    try:
        with open(os.path.join(folder, key[:2], key), "rb") as handle:
            stored_key, facts, out, err, code = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if stored_key != key:
        return None
    try:
        for kind, path, expected in facts:
            if _CHECKS[kind](path) != expected:
                return None
    except Exception:  # an entry of another layout: the run goes on, and rewrites it
        return None
    if sys.stdout is None:
        return None
    try:
        if err and sys.stderr is not None:
            sys.stderr.buffer.write(err)
            sys.stderr.flush()
        sys.stdout.buffer.write(out)
        sys.stdout.flush()
    except (OSError, AttributeError):
        return None  # the normal run reports it the same way
    _count("run-hit")
    return int(code)


def _count(event: str) -> None:
    path = os.environ.get("PROTOTXT_LINT_CACHE_STATS")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(event + "\n")
        except OSError:
            pass


def _encoded(tee: _Tee) -> bytes:
    stream = tee._stream
    return "".join(tee.parts).encode(getattr(stream, "encoding", None) or "utf-8",
                                     getattr(stream, "errors", None) or "strict")


class _Tee:
    """A text stream that writes through and keeps a copy."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return int(self._stream.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Recorder:
    """Records what a run depends on, while it runs (see the module's docstring)."""

    def __init__(self, args: Sequence[str]) -> None:
        plan = _plan(args)
        self.folder = _folder(plan[1]) if plan else None
        self.args = list(args)
        self.facts: dict[tuple[str, str], Any] = {}
        self._busy = False
        self._undo: list[tuple[Any, str, Any]] = []
        self.out: _Tee | None = None
        self.err: _Tee | None = None

    @property
    def active(self) -> bool:
        return self.folder is not None

    def _note(self, kind: str, path: Any) -> None:
        if self._busy or isinstance(path, int) or path is None:
            return
        self._busy = True  # checking a fact calls the wrapped functions too
        try:
            absolute = os.path.abspath(os.fsdecode(path))
            cache = os.path.dirname(self.folder) if self.folder else None
            if cache and (absolute == cache or absolute.startswith(cache + os.sep)):
                return  # the cache's own files
            fact = (kind, absolute)
            if fact not in self.facts:
                self.facts[fact] = _CHECKS[kind](absolute)
        except (TypeError, ValueError):
            pass
        finally:
            self._busy = False

    def _wrap(self, owner: Any, name: str, kind: str,
              only: Callable[..., bool] | None = None) -> None:
        original = getattr(owner, name)
        note = self._note

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if only is None or only(*args, **kwargs):
                note(kind, args[0] if args else kwargs.get("path", "."))
            return original(*args, **kwargs)

        setattr(owner, name, wrapper)
        self._undo.append((owner, name, original))

    def start(self) -> None:
        if sys.stdout is None or sys.stderr is None:
            self.folder = None  # closed: the run says so, and is not stored
        if not self.active:
            return
        UNSTORABLE.clear()

        def reading(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> bool:
            return not any(c in mode for c in "wax+")

        def read_only(path: Any, flags: int = 0, *args: Any, **kwargs: Any) -> bool:
            return not flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)

        self._wrap(builtins, "open", "read", reading)
        self._wrap(io, "open", "read", reading)
        self._wrap(os, "open", "read", read_only)
        self._wrap(os, "stat", "stat")
        self._wrap(os, "lstat", "lstat")
        self._wrap(os, "listdir", "list")
        self._wrap(os, "scandir", "list")
        self._wrap(os, "readlink", "link")
        self.out, self.err = _Tee(sys.stdout), _Tee(sys.stderr)
        sys.stdout, sys.stderr = self.out, self.err  # type: ignore[assignment]

    def stop(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()
        if self.out is not None:
            sys.stdout, sys.stderr = self.out._stream, self.err._stream  # type: ignore[union-attr]

    def store(self, code: int, rules: Sequence[Any]) -> None:
        """Store the run (call after :meth:`stop`) unless something made it unstorable; a
        failure to store is never the run's failure."""
        try:
            self._store(code, rules)
        except Exception:
            pass

    def _store(self, code: int, rules: Sequence[Any]) -> None:
        if not self.active or self.out is None or self.err is None or code not in (0, 1):
            return
        if UNSTORABLE:
            return
        from prototxt_lint.engine.cache import code_folders

        facts = [(kind, path, value) for (kind, path), value in self.facts.items()]
        for place in code_folders(rules):
            if os.path.isfile(place):
                facts.append(("mod", place, _module_stat(place)))
                continue
            for folder, subfolders, files in os.walk(place):
                subfolders[:] = sorted(d for d in subfolders
                                       if d != "__pycache__" and not d.startswith("."))
                facts.append(("list", folder, _names(folder)))
                facts.extend(("mod", path, _module_stat(path)) for path in
                             (os.path.join(folder, f) for f in sorted(files))
                             if path.endswith((".py", ".desc", ".proto")))
        key = _key(self.args)
        value = (key, facts, _encoded(self.out), _encoded(self.err), code)
        assert self.folder is not None
        path = os.path.join(self.folder, key[:2], key)
        try:
            data = marshal.dumps(value)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except (OSError, ValueError):
            return
        _count("run-store")
