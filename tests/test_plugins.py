"""Rules come through the public entry-point group, built-in and third-party alike."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO

from prototxt_lint.engine.registry import load_rules
from prototxt_lint.plugin import ENTRY_POINT_GROUP

PLUGIN = textwrap.dedent(
    '''
    """A tiny third-party rule package."""
    from prototxt_lint.plugin import Report, Severity, net_rule

    @net_rule("T001", "layer-named-foo", Severity.WARNING, "A layer named foo.")
    def layer_named_foo(ctx):
        """## What it does
        Flags layers named foo."""
        for layer in ctx.layers:
            if layer.name == "foo":
                yield Report(layer.at("name"), f"layer {layer.name!r} is named foo")
    '''
)


def test_builtin_rules_are_published_as_one_entry_point() -> None:
    points = {ep.name: ep.value
              for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert points["builtin"] == "prototxt_lint.rules:BUILTIN"
    codes = {rule.code for rule in load_rules()}
    assert {"S101", "P001", "X001"} <= codes


def _declared_codes() -> dict[str, str]:
    """code -> module of every ``@net_rule``/``@solver_rule`` in rules/, read from the
    source (not imported), so that a module the bundle failed to find is noticed."""
    declared = {}
    for path in sorted((REPO / "rules").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in {"net_rule", "solver_rule"}):
                first = node.args[0]
                assert isinstance(first, ast.Constant), (path.name, ast.dump(first))
                declared[first.value] = path.stem
    return declared


def test_every_rule_in_the_rules_folder_is_loaded() -> None:
    declared = _declared_codes()
    assert len(declared) > 80
    loaded = {rule.code: rule.check.__module__ for rule in load_rules() if rule.check}
    builtin = {code: module for code, module in loaded.items()
               if module.startswith("prototxt_lint.rules.")}
    assert {code: f"prototxt_lint.rules.{module}" for code, module in declared.items()} == builtin


def test_every_rule_has_metadata_and_docs() -> None:
    for rule in load_rules():
        assert rule.summary and rule.docs, rule.code
        if rule.target != "core":
            for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
                assert section in rule.docs, (rule.code, section)
            assert ".cpp" in rule.docs or ".hpp" in rule.docs, rule.code  # names Caffe source


def test_third_party_rule_installed_through_entry_point(tmp_path: Path) -> None:
    (tmp_path / "thirdparty_rules.py").write_text(PLUGIN)
    dist = tmp_path / "thirdparty_rules-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-rules\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nfoo = thirdparty_rules\n")
    net = tmp_path / "net.prototxt"
    net.write_text(
        'input: "data"\ninput_dim: 1\nlayer {\n  name: "foo"\n  type: "ReLU"\n'
        '  bottom: "data"\n  top: "data"\n}\n'
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "--no-color", "--select", "T001", str(net)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{net}:4:3: T001 layer 'foo' is named foo [warning]" in proc.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "--list-rules"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    ).stdout
    assert "T001  layer-named-foo" in listed


def test_broken_plugin_is_a_clear_error(tmp_path: Path) -> None:
    dist = tmp_path / "broken-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nbad = no_such_module\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "--list-rules"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert "cannot load rule plugin 'bad' (no_such_module)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_entry_point_scan_matches_importlib_metadata() -> None:
    from prototxt_lint.engine.registry import entry_points

    expected = sorted(
        (ep.name, ep.value) for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    )
    assert sorted(entry_points()) == expected
    assert ("builtin", "prototxt_lint.rules:BUILTIN") in expected
