"""Configuration from ``[tool.prototxt-lint]`` in ``pyproject.toml`` or from
``.prototxt-lint.toml``, found by walking up from the linted file. Command-line options win."""

from __future__ import annotations

import os
from functools import lru_cache

from prototxt_lint.findings import Severity
from prototxt_lint.records import Record

CONFIG_FILES = (".prototxt-lint.toml", "pyproject.toml")
KNOWN_KEYS = {"select", "ignore", "fail-on", "max-file-size", "proto", "dialect", "exclude",
              "extend-exclude", "per-file-ignores", "respect-gitignore", "force-exclude"}
#: what ``exclude`` is when a config does not set it (``extend-exclude`` adds to it); hidden
#: folders (``.git``, ``.venv``...) are never walked into either
DEFAULT_EXCLUDE = ("node_modules", "venv", "__pycache__", "site-packages")


class ConfigError(Exception):
    pass


class Config(Record):
    """Settings from a config file (all empty when there is none)."""

    __slots__ = (
        "dialect",
        "exclude",
        "extend_exclude",
        "fail_on",
        "force_exclude",
        "ignore",
        "max_file_size_mb",
        "path",
        "per_file_ignores",
        "proto",
        "respect_gitignore",
        "select",
    )

    def __init__(
        self,
        path: str | None = None,  # the file it came from
        select: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
        fail_on: Severity | None = None,
        max_file_size_mb: float | None = None,
        proto: str | None = None,  # a fork's caffe.proto, resolved against the config's folder
        dialect: str | None = None,  # "auto", "bvlc" or a dialect's name
        exclude: tuple[str, ...] = DEFAULT_EXCLUDE,  # globs, relative to the config's folder
        extend_exclude: tuple[str, ...] = (),
        per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = (),  # (glob, codes)
        respect_gitignore: bool = True,
        force_exclude: bool = False,
    ) -> None:
        self.path = path
        self.exclude = exclude
        self.extend_exclude = extend_exclude
        self.per_file_ignores = per_file_ignores
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self.select = select
        self.ignore = ignore
        self.fail_on = fail_on
        self.max_file_size_mb = max_file_size_mb
        self.proto = proto
        self.dialect = dialect

    def folder(self) -> str | None:
        """The folder that exclude and per-file-ignores globs are relative to."""
        return os.path.dirname(os.path.abspath(self.path)) if self.path else None


def _codes(value: object, key: str, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` must be a list of rule codes or names")
    return tuple(v.strip() for v in value if v.strip())


def _globs(value: object, key: str, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` must be a list of glob patterns")
    return tuple(v.strip() for v in value if v.strip())


def _per_file_ignores(value: object, path: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `per-file-ignores` must be a table of glob = [codes]")
    return tuple((str(glob), _codes(codes, f"per-file-ignores.{glob!r}", path))
                 for glob, codes in value.items())


def _flag(table: dict[str, object], key: str, default: bool, path: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: `{key}` must be true or false")
    return value


#: the largest ``max-file-size`` accepted, in MiB (1 TiB): more cannot be read into memory
#: anyway, and a bigger number (``1e300``) would overflow the read
MAX_FILE_SIZE_LIMIT_MIB = 1024 * 1024


def max_file_size_problem(value: object) -> str | None:
    """Why ``value`` is not a usable ``max-file-size`` (MiB), or None. NaN, infinity, zero,
    negative and absurdly large sizes are refused, not silently read as "no limit"."""
    import math

    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number of MiB"
    if not math.isfinite(value) or value <= 0:
        return f"must be a positive number of MiB, not {value}"
    if value > MAX_FILE_SIZE_LIMIT_MIB:
        return f"must be at most {MAX_FILE_SIZE_LIMIT_MIB} MiB, not {value:g}"
    return None


def parse_config(path: str, table: dict[str, object]) -> Config:
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(KNOWN_KEYS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}"
            f" ({hint}known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    fail_on = None
    if "fail-on" in table:
        try:
            fail_on = Severity.parse(str(table["fail-on"]))
        except ValueError as exc:
            raise ConfigError(f"{path}: fail-on: {exc}") from None
    size = table.get("max-file-size")
    if size is not None and (problem := max_file_size_problem(size)) is not None:
        raise ConfigError(f"{path}: max-file-size {problem}")
    proto = table.get("proto")
    if proto is not None and not isinstance(proto, str):
        raise ConfigError(f"{path}: proto must be the path of a caffe.proto")
    if proto:
        proto = os.path.join(os.path.dirname(os.path.abspath(path)), proto)
    dialect = table.get("dialect")
    if dialect is not None:
        from prototxt_lint.dialects import dialect_choices

        if not isinstance(dialect, str) or dialect not in dialect_choices():
            raise ConfigError(
                f"{path}: dialect must be one of {', '.join(dialect_choices())}, not {dialect!r}"
            )
    return Config(
        path=path,
        select=_codes(table.get("select", []), "select", path),
        ignore=_codes(table.get("ignore", []), "ignore", path),
        fail_on=fail_on,
        max_file_size_mb=size if isinstance(size, int | float) else None,
        proto=proto or None,
        dialect=dialect,
        exclude=_globs(table["exclude"], "exclude", path) if "exclude" in table
        else DEFAULT_EXCLUDE,
        extend_exclude=_globs(table.get("extend-exclude", []), "extend-exclude", path),
        per_file_ignores=_per_file_ignores(table.get("per-file-ignores", {}), path),
        respect_gitignore=_flag(table, "respect-gitignore", True, path),
        force_exclude=_flag(table, "force-exclude", False, path),
    )


def load_config_file(path: str) -> Config | None:
    """The config in ``path``, or None for a pyproject.toml without our table."""
    import tomllib  # only when a config file exists

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8
        raise ConfigError(f"{path}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset"
                          f" {exc.start}); save it as UTF-8") from None
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("prototxt-lint") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.prototxt-lint] must be a table")
        return parse_config(path, table)
    return parse_config(path, data)


def matches_glob(path: str, globs: tuple[str, ...], folder: str | None) -> str | None:
    """The first glob that ``path`` matches, relative to ``folder`` (the config's; the
    current one without a config) or by its base name; None for none. ``*`` spans folders."""
    if not globs:
        return None
    from fnmatch import fnmatchcase

    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, folder or os.getcwd()).replace(os.sep, "/")
    name = os.path.basename(absolute)
    for glob in globs:
        pattern = glob.rstrip("/").removeprefix("./").lstrip("/")
        if fnmatchcase(relative, pattern) or fnmatchcase(name, pattern):
            return glob
        if "**/" in pattern and fnmatchcase(relative, pattern.replace("**/", "")):
            return glob  # `a/**/b` also matches `a/b`
    return None


def ignores_finding(codes: tuple[str, ...], code: str, name: str) -> bool:
    """Whether ``per-file-ignores`` entries (codes, prefixes, rule names or ``ALL``) cover a
    finding of rule ``code``/``name``."""
    return any(code.startswith(c) or c in (name, "ALL") for c in codes)


def per_file_codes(config: Config, path: str) -> tuple[str, ...]:
    """The codes ``per-file-ignores`` ignores in ``path`` (every glob that matches it)."""
    return tuple(code for glob, codes in config.per_file_ignores
                 if matches_glob(path, (glob,), config.folder()) for code in codes)


@lru_cache(maxsize=256)
def find_config(directory: str) -> Config:
    """The nearest config at or above ``directory`` (an empty Config when there is none)."""
    current = os.path.abspath(directory)
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(current, name)
            if os.path.isfile(candidate):
                config = load_config_file(candidate)
                if config is not None:
                    return config
        parent = os.path.dirname(current)
        if parent == current:
            return Config()
        current = parent
