"""The package's folders are its architecture: input → text → rules (checks) → scoring → outputs → scale → serve →
command line. These tests keep it that way: no module imports another that (directly or not) imports it back, counting
imports inside functions too (a lazy import hides a cycle, it does not remove it), and no layer imports a layer
above it at run time. Imports under ``if TYPE_CHECKING:`` are for annotations only and are not counted."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "csqa"

# Lowest first; modules in one tuple share a layer. ``errors`` is the one catalogue every layer raises from.
# The report records (``outputs.report``, with the call view it renders itself with in Jupyter) sit below the text
# layer: an utterance's text builds the evidence spans that the rules put in their results. The catalogue of every
# text in every language (``outputs.i18n``) sits beside them: the rules write their findings from it, the call view
# its labels.
LAYERS = (("errors", "version"), ("input",), ("outputs.report", "outputs.callview", "outputs.i18n"),
          ("text",), ("checks",), ("scoring",), ("outputs",), ("scale",), ("serve",), ("cli",), ("",))


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST, modules: set[str]) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in modules:
                found.add(node.module)
            for alias in node.names:  # from csqa.scale import frames
                if f"{node.module}.{alias.name}" in modules:
                    found.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    paths = sorted(SRC.rglob("*.py"))
    modules = {_module(p) for p in paths}
    return {_module(p): _runtime_imports(ast.parse(p.read_text(encoding="utf-8")), modules) - {_module(p)}
            for p in paths}


def _layer(module: str) -> int:
    name = module.removeprefix("csqa").lstrip(".")
    for i, layer in enumerate(LAYERS):
        if any(name == part or name.startswith(part + ".") or part == "" for part in layer):
            return i
    raise AssertionError(module)


def test_the_graph_sees_the_package() -> None:
    graph = _graph()
    assert {"csqa.scoring.scorer", "csqa.checks.rulefile", "csqa.outputs.html", "csqa.cli"} <= set(graph)
    assert "csqa.checks.registry" in graph["csqa.checks.rulefile"]


def test_no_import_cycles() -> None:
    graph = _graph()
    done: set[str] = set()
    path: list[str] = []

    def walk(module: str) -> None:
        if module in path:
            pytest.fail("import cycle: " + " → ".join([*path[path.index(module):], module]))
        if module in done:
            return
        path.append(module)
        for imported in sorted(graph[module]):
            walk(imported)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        walk(module)


def test_no_layer_imports_one_above_it() -> None:
    upward = sorted(f"{m} imports {i}" for m, imports in _graph().items() for i in imports
                    if m != "csqa" and not i.startswith(m + ".") and _layer(i) > _layer(m))
    assert upward == []
