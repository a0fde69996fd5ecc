"""The house rules of the code base, checked: rules import Caffe facts, never other rules;
no import cycles between the engine's modules."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "prototxt_lint"
RULES = REPO / "rules"


def _module_name(path: Path) -> str:
    if path.is_relative_to(RULES):
        parts = ("prototxt_lint", "rules", *path.relative_to(RULES).with_suffix("").parts)
    else:
        parts = ("prototxt_lint", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(p for p in parts if p != "__init__")


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """Modules ``path`` imports (``from a.b import c`` counts as a.b and a.b.c); with
    ``top_level_only``, not those imported inside functions (deferred on purpose)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` imports are not run
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _sources() -> dict[str, Path]:
    files = [*PACKAGE.rglob("*.py"), *RULES.glob("*.py")]
    return {_module_name(p): p for p in files if "caffe_pb2" not in p.name}


def test_rules_import_facts_never_other_rules() -> None:
    offenders = {}
    for path in sorted(RULES.glob("*.py")):
        if path.name == "__init__.py":
            continue
        wrong = sorted(name for name in _imports(path, top_level_only=False)
                       if name.startswith("prototxt_lint.rules"))
        if wrong:
            offenders[path.name] = wrong
    assert offenders == {}


def test_no_import_cycles_at_module_level() -> None:
    modules = _sources()
    graph = {name: sorted(m for m in _imports(path, top_level_only=True) if m in modules
                          and m != name)
             for name, path in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []


#: above this many lines a module says at its top why it is one module (issue 9)
LONG_MODULE = 500


def test_a_long_module_says_why_it_is_one() -> None:
    silent = []
    for path in sorted([*(REPO / "prototxt_lint").rglob("*.py"), *(REPO / "rules").glob("*.py")]):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LONG_MODULE or path.name == "caffe_pb2.py":
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "\nLength: " not in "\n" + doc:
            silent.append(f"{path.relative_to(REPO)} ({text.count(chr(10))} lines)")
    assert silent == [], f"long modules without a 'Length:' reason in their docstring: {silent}"
