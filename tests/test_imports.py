"""No import circle among the project's modules: a module may not import
itself, however indirectly (issue 16). Imports under ``if TYPE_CHECKING:``
do not count (they never run); imports inside functions do (they run, just
later)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "intentcast"

#: Circles tolerated for now, each the set of its modules, with a comment
#: saying why and who removes it. None is known: the daemon's circle with
#: its API (issue 16) is gone, and the node's modules form none. The test
#: fails on a stale entry too, so the list can only shrink.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def module_names(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package at ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` except what sits under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nearest(name: str, known: dict[str, Path]) -> str | None:
    """The module ``name`` is, or the innermost known module it lies in."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts.pop()
    return None


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules that module ``name`` (at ``path``) imports at run time."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import mod`` imports the module; ``from mod import x`` the module.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        for target in targets:
            found = _nearest(target, known)
            if found is not None and found != name:
                out.add(found)
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    known = module_names(root)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_among_the_project_modules() -> None:
    found = set(cycles(import_graph(ROOT)))
    new = [sorted(c) for c in found - KNOWN_CYCLES]
    assert not new, "import circles:\n" + "\n".join(" <-> ".join(c) for c in new)


def test_every_known_circle_still_exists() -> None:
    """An entry of KNOWN_CYCLES whose circle is gone must go too."""
    stale = [sorted(c) for c in KNOWN_CYCLES - set(cycles(import_graph(ROOT)))]
    assert not stale, "remove from KNOWN_CYCLES (fixed):\n" + "\n".join(map(str, stale))


def test_the_circle_scan_catches_circles(tmp_path: Path) -> None:
    """The scan above must be able to fail: a lazy import closes a circle;
    one under ``if TYPE_CHECKING:`` does not."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .b import B\n")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("B = 1\ndef f():\n    from .. import a\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n"
    )
    (pkg / "d.py").write_text("from .c import x\n")
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub"] == {"pkg.sub.b"}
    assert graph["pkg.c"] == set() and graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.sub.b"})]


def test_the_cli_client_loads_no_node() -> None:
    """The CLI and the SDK's client stay light: read commands start fast."""
    code = (
        "import sys, intentcast.cli, intentcast.sdk.client\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'trio', 'libp2p', 'sqlite_utils', 'starlette', 'hypercorn'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
