"""Which files a run lints, as ruff decides it: ``*.prototxt``/``*.pbtxt`` under the named
folders, minus hidden folders, the configuration's ``exclude``/``extend-exclude`` globs and what
git ignores; a file named on the command line is linted even when excluded, unless
``--force-exclude`` (what the pre-commit hook passes, so an excluded file stays excluded when
pre-commit names it). Special files (a FIFO, a device) are refused before they are opened: a
read from them may never end.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator

from prototxt_lint.engine.config import Config, matches_glob
from prototxt_lint.engine.gitignore import GitIgnore

EXTENSIONS = (".prototxt", ".pbtxt")

_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(mode: int) -> str | None:
    """``"a FIFO"`` and the like for anything but a regular file or folder, else None."""
    return next((name for test, name in _KINDS if test(mode)), None)


def refusal(path: str, kind: str) -> str:
    return f"prototxt-lint: {path}: not a regular file ({kind}); refused without reading it"


class Discovery:
    """Finds the files to lint; collects the one-line problems met on the way (exit 2)."""

    def __init__(self, config_for: Callable[[str], Config],
                 respect_gitignore: bool | None = None,  # None: as the config says
                 force_exclude: bool = False) -> None:
        self.config_for = config_for
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self.problems: list[str] = []
        self.excluded_count = 0  # named files left out by --force-exclude
        self._git = GitIgnore()

    def _gitignore_on(self, config: Config) -> bool:
        if self.respect_gitignore is not None:
            return self.respect_gitignore
        return config.respect_gitignore

    def exclusion(self, path: str, is_dir: bool) -> str | None:
        """Why ``path`` itself is left out of a walk (a glob, or ``.gitignore``), or None."""
        config = self.config_for(os.path.dirname(os.path.abspath(path)))
        glob = matches_glob(path, (*config.exclude, *config.extend_exclude), config.folder())
        if glob is not None:
            return f"excluded by {glob!r}" + (f" ({config.path})" if config.path else "")
        if self._gitignore_on(config) and self._git.ignored(path, is_dir):
            return "ignored by git (.gitignore)"
        return None

    def exclusion_with_parents(self, path: str, is_dir: bool) -> str | None:
        """Why ``path`` or a folder above it is excluded (for a named path)."""
        current, current_is_dir = os.path.abspath(path), is_dir
        config = self.config_for(os.path.dirname(current))
        top = (config.folder() or os.getcwd()).rstrip(os.sep) + os.sep
        while True:
            reason = self.exclusion(current, current_is_dir)
            if reason:
                return reason
            parent = os.path.dirname(current)
            if parent == current or not (parent + os.sep).startswith(top) \
                    or parent + os.sep == top:
                break
            current, current_is_dir = parent, True
        config = self.config_for(os.path.dirname(os.path.abspath(path)))
        if self._gitignore_on(config) and self._git.ignored_with_parents(path, is_dir):
            return "ignored by git (.gitignore)"
        return None

    def _force_excluded(self, path: str, is_dir: bool) -> bool:
        config = self.config_for(os.path.dirname(os.path.abspath(path)))
        if not (self.force_exclude or config.force_exclude):
            return False
        if self.exclusion_with_parents(path, is_dir):
            self.excluded_count += 1
            return True
        return False

    def files(self, path: str) -> Iterator[str]:
        """The files to lint for a path named on the command line."""
        try:
            mode = os.stat(path).st_mode
        except OSError:
            yield path  # the linter reports it (missing, unreadable) with its code
            return
        if stat.S_ISDIR(mode):
            if not self._force_excluded(path, True):
                yield from self.walk(path)
            return
        kind = special_kind(mode)
        if kind:
            self.problems.append(refusal(path, kind))
            return
        if not self._force_excluded(path, False):
            yield path

    def walk(self, top: str) -> Iterator[str]:
        """Every file to lint below ``top``, sorted, without following symlinked folders
        (no loops); unreadable folders are reported, not skipped silently."""

        def unreadable(exc: OSError) -> None:
            self.problems.append(
                f"prototxt-lint: {exc.filename}: cannot read folder ({exc.strerror or exc})")

        for root, dirs, files in os.walk(top, onerror=unreadable, followlinks=False):
            dirs[:] = sorted(
                d for d in dirs
                if not d.startswith(".") and not self.exclusion(os.path.join(root, d), True)
            )
            for name in sorted(files):
                if not name.endswith(EXTENSIONS):
                    continue
                full = os.path.join(root, name)
                if self.exclusion(full, False):
                    continue
                try:
                    mode = os.stat(full).st_mode
                except OSError:
                    yield full  # a dangling symlink: the linter says it cannot be read
                    continue
                kind = special_kind(mode)
                if kind:
                    self.problems.append(refusal(full, kind))
                elif not stat.S_ISDIR(mode):
                    yield full
