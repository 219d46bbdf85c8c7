"""The package tree is the architecture: imports point one way and no cycle exists.

Layers, lowest first (a module may import its own layer and those below it, never above):

foundations (top-level modules: errors, crs, gcj02, styles, geom, ...) < ``io`` < ``plan`` <
``raster`` < ``check`` < ``maps`` < ``qgis`` < ``report`` < ``db`` < ``demo`` < ``cli``.

Every import counts, deferred ones inside functions and ``TYPE_CHECKING`` blocks included, and
so do the builders that ``layers/kinds/*.yaml`` names for :mod:`importlib` (``function:``), which
:mod:`fzgeo.plan.layers` imports at run time: a hidden edge is still an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fzgeo"

#: package folders in dependency order; top-level modules are the foundations, below all of them
ORDER = ("io", "plan", "raster", "check", "maps", "qgis", "report", "db", "serve", "demo", "cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The fzgeo module an import names (a submodule if it is one, else its package)."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "fzgeo" or target.startswith("fzgeo."):
                resolved = _resolve(target, modules)
                if resolved and resolved != name:
                    found.add(resolved)
    return found


def _builder_edges(modules: dict[str, Path]) -> set[tuple[str, str]]:
    """The importlib edges: plan.layers -> every builder module a layer kind names."""
    edges = set()
    for kind_file in sorted((ROOT / "layers" / "kinds").glob("*.yaml")):
        build = (yaml.safe_load(kind_file.read_text(encoding="utf-8")) or {}).get("build") or {}
        function = build.get("function")
        if isinstance(function, str):
            module = function.partition(":")[0]
            assert module in modules, f"{kind_file.name}: builder module {module} does not exist"
            edges.add(("fzgeo.plan.layers", module))
    return edges


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    for src, dst in _builder_edges(modules):
        graph[src].add(dst)
    return graph


def _layer(module: str) -> int:
    """0 for the foundations, then 1 + the folder's position in ORDER."""
    parts = module.split(".")
    if module == "fzgeo.__main__":
        return len(ORDER)  # `python -m fzgeo` is the CLI
    if module == "fzgeo" or parts[1] not in ORDER:
        return 0
    return 1 + ORDER.index(parts[1])


def _layer_name(index: int) -> str:
    return "foundations" if index == 0 else ORDER[index - 1]


def test_every_folder_has_a_place_in_the_order() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(ORDER)


def test_imports_point_down() -> None:
    wrong = [
        f"{src} ({_layer_name(_layer(src))}) imports {dst} ({_layer_name(_layer(dst))})"
        for src, targets in sorted(_graph().items())
        for dst in sorted(targets)
        if _layer(dst) > _layer(src)
    ]
    assert not wrong, "imports that point up the layers:\n" + "\n".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycle() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _cycles(graph) == expected


def test_the_import_reader_sees_deferred_and_relative_imports(tmp_path: Path) -> None:
    modules = {"fzgeo.plan.layers": tmp_path / "a.py", "fzgeo.maps": tmp_path / "b.py"}
    source = "def f():\n    from fzgeo.maps import render\n    from . import layers\n"
    (tmp_path / "a.py").write_text(source, encoding="utf-8")
    found = _imports("fzgeo.plan.placement", tmp_path / "a.py", modules)
    assert found == {"fzgeo.maps", "fzgeo.plan.layers"}
    assert _layer("fzgeo.maps") > _layer("fzgeo.plan.layers")
