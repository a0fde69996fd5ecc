"""``--show-settings``: the configuration a file is linted with, resolved (which config file,
every setting after command-line options, whether the file is excluded), to debug a config."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from prototxt_lint.engine.config import Config, per_file_codes

if TYPE_CHECKING:
    from prototxt_lint.cli.run import LintRequest


def _toml(value: object) -> str:
    if value is None:
        return '""  # not set'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


def show_settings(request: LintRequest, config_for: Callable[[str], Config]) -> str:
    """For the first path named: the settings as TOML-like ``key = value`` lines."""
    from prototxt_lint.engine.discovery import Discovery
    from prototxt_lint.syntax.source import DEFAULT_MAX_BYTES

    path = request.paths[0] if request.paths else "."
    if path == "-":
        path = request.stdin_filename or "<stdin>"
    is_dir = os.path.isdir(path)
    config = config_for(path if is_dir else os.path.dirname(os.path.abspath(path)))
    discovery = Discovery(config_for, request.respect_gitignore, request.force_exclude)
    excluded = discovery.exclusion_with_parents(path, is_dir)
    size = request.max_file_size if request.max_file_size is not None else (
        config.max_file_size_mb or DEFAULT_MAX_BYTES / (1024 * 1024))
    respect = (request.respect_gitignore if request.respect_gitignore is not None
               else config.respect_gitignore)
    rows = [
        ("config-file", config.path),
        ("select", list(request.select) or list(config.select)),
        ("ignore", [*request.ignore, *config.ignore]),
        ("per-file-ignores", [] if is_dir else list(per_file_codes(config, path))),
        ("fail-on", request.fail_on or (config.fail_on.label if config.fail_on else "warning")),
        ("max-file-size", size),
        ("proto", request.proto or config.proto),
        ("dialect", request.dialect or config.dialect or "auto"),
        ("exclude", list(config.exclude)),
        ("extend-exclude", list(config.extend_exclude)),
        ("respect-gitignore", respect),
        ("force-exclude", request.force_exclude or config.force_exclude),
        ("excluded", excluded or False),
    ]
    head = f"# Settings for {path}\n"
    return head + "".join(f"{key} = {_toml(value)}\n" for key, value in rows)
