"""The architecture holds: protocol/, matching/ and peer/ (the node's
decisions) are pure, SQL lives only in store/, libp2p only in node/, trio
only in the packages that do I/O; the daemon, its HTTP API, the bot SDK and
the CLI sit outside node/, which imports none of them; nothing imports
upward; and the simulator drives the pure cores, never the node."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "intentcast"
PURE = ("protocol", "matching", "peer")

#: Modules a pure package must not import: I/O, networking, concurrency,
#: the clock, global randomness.
FORBIDDEN_IN_PURE = {
    "trio",
    "libp2p",
    "sqlite3",
    "sqlite_utils",
    "socket",
    "asyncio",
    "time",
    "random",
    "secrets",
    "os",
    "io",
    "pathlib",
    "shutil",
    "subprocess",
    "urllib",
    "http",
    "requests",
    "httpx",
    "select",
    "selectors",
    "ssl",
    "tempfile",
}
#: Calls that read the clock or touch files, whatever they were imported as.
FORBIDDEN_CALLS = {
    "open",
    "now",
    "utcnow",
    "today",
    "time",
    "time_ns",
    "monotonic",
    "perf_counter",
    "urandom",
    "getrandom",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "input",
}

#: package -> packages it may import from (besides itself and the stdlib).
#: The node is the network engine; the daemon runs one as a process with an
#: HTTP API (daemon/api/); the SDK's bots run in it or attach to it; the
#: demo runs a market of nodes in one process; the CLI drives all of them.
ALLOWED_INTERNAL = {
    "protocol": set(),
    "matching": {"protocol"},
    "store": {"protocol"},
    "peer": {"protocol", "matching"},
    "node": {"protocol", "matching", "store", "peer"},
    "daemon": {"protocol", "matching", "store", "peer", "node"},
    "sdk": {"protocol", "matching", "peer", "node", "daemon"},
    "demo": {"protocol", "matching", "store", "peer", "node"},
    "cli": {"protocol", "matching", "store", "peer", "daemon", "sdk", "demo"},
}
#: What runs outside the network engine, and the node never imports.
OUTSIDE_NODE = ("daemon", "sdk", "demo", "cli")
#: Third-party libraries only some packages may use.
ONLY_IN = {
    "sqlite3": {"store"},
    "sqlite_utils": {"store"},
    "libp2p": {"node"},
    "trio": {"node", "daemon", "sdk", "demo"},
    "starlette": {"daemon"},  # the local API's server
    "hypercorn": {"daemon"},
    "httpx": {"sdk"},  # the local API's one client
}


def modules(package: str) -> list[Path]:
    """The files of ``package`` (a directory, or a single module ``package.py``)."""
    if (ROOT / f"{package}.py").exists():
        return [ROOT / f"{package}.py"]
    return sorted((ROOT / package).rglob("*.py")) if (ROOT / package).exists() else []


def package_of(path: Path) -> str:
    """The top-level package under intentcast/ that ``path`` belongs to."""
    return path.relative_to(ROOT).with_suffix("").parts[0]


def internal_imports(path: Path) -> list[str]:
    """The intentcast modules ``path`` imports, relative imports resolved
    (those inside functions too: they run, just later)."""
    parts = ("intentcast", *path.relative_to(ROOT).with_suffix("").parts)
    package = parts[:-1]  # of a module, and of a package's __init__ alike
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            out += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return [m for m in out if m.split(".")[0] == "intentcast" and "." in m]


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def called_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            if isinstance(fn, ast.Name):
                out.add(fn.id)
            elif isinstance(fn, ast.Attribute):
                out.add(fn.attr)
    return out


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_import_no_io_clock_or_randomness(package: str) -> None:
    offences = []
    for path in modules(package):
        for name in imported_names(path):
            if name.split(".")[0] in FORBIDDEN_IN_PURE:
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
        for call in called_names(path) & FORBIDDEN_CALLS:
            offences.append(f"{path.relative_to(ROOT)} calls {call}()")
    assert not offences, "\n".join(offences)


def test_the_purity_scan_catches_offences(tmp_path: Path) -> None:
    """The scan above must be able to fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("import time\nfrom trio import sleep\nx = open('f')\ny = time.time()\n")
    assert {"time", "trio"} <= imported_names(bad)
    assert {"open", "time"} <= called_names(bad)


@pytest.mark.parametrize("package", sorted(ALLOWED_INTERNAL))
def test_no_package_imports_upward(package: str) -> None:
    allowed = ALLOWED_INTERNAL[package] | {package}
    offences = []
    for path in modules(package):
        for target in internal_imports(path):
            imported = target.split(".")[1]
            if imported in ALLOWED_INTERNAL and imported not in allowed:
                offences.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not offences, "\n".join(offences)


def test_the_layering_scan_resolves_relative_imports() -> None:
    """``from ..config import x`` in intentcast/daemon/api/ is daemon.config."""
    path = ROOT / "daemon" / "api" / "context.py"
    assert "intentcast.daemon.config" in internal_imports(path)
    assert "intentcast.node" in internal_imports(path)


def test_the_daemon_api_sdk_and_cli_live_outside_the_node() -> None:
    assert (ROOT / "daemon" / "api").is_dir() and (ROOT / "sdk").is_dir()
    inside = [n for n in OUTSIDE_NODE if any((ROOT / "node").glob(f"{n}*"))]
    assert not inside, f"in node/: {inside}"
    assert not any((ROOT / "node").glob("api*")), "the HTTP API belongs to the daemon"
    offences = [
        f"{path.relative_to(ROOT)} imports {target}"
        for path in modules("node")
        for target in internal_imports(path)
        if target.split(".")[1] in OUTSIDE_NODE
    ]
    assert not offences, "\n".join(offences)


def test_sql_networking_and_http_live_only_where_they_belong() -> None:
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        package = package_of(path)
        for name in imported_names(path):
            root = name.split(".")[0]
            if root in ONLY_IN and package not in ONLY_IN[root]:
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offences, "\n".join(offences)


SIMULATIONS = ROOT.parent / "simulations"
#: What the simulator may import besides the standard library and itself:
#: it drives the pure cores (the node's decisions in peer/, the protocol,
#: matching), never the node or the store (DESIGN.md, section 2).
SIMULATIONS_MAY_IMPORT = (
    "intentcast.peer",
    "intentcast.protocol",
    "intentcast.matching",
    "matplotlib",
)


def test_simulations_import_only_the_pure_cores_stdlib_and_matplotlib() -> None:
    paths = sorted(SIMULATIONS.rglob("*.py"))
    assert paths, "the simulations package is missing"
    offences = []
    for path in paths:
        for name in imported_names(path):
            if name.split(".")[0] in sys.stdlib_module_names:
                continue
            if not any(name == m or name.startswith(m + ".") for m in SIMULATIONS_MAY_IMPORT):
                offences.append(f"{path.relative_to(SIMULATIONS.parent)} imports {name}")
    assert not offences, "\n".join(offences)


def test_simulations_drive_the_core_and_never_the_node() -> None:
    """The simulator runs the node's decisions from intentcast.peer (so they
    cannot drift from the node's), and never imports intentcast.node, whose
    trio and libp2p it cannot run under its virtual clock."""
    imported = {
        name: path
        for path in sorted(SIMULATIONS.rglob("*.py"))
        for name in imported_names(path)
        if name.startswith("intentcast")
    }
    node = sorted(
        f"{p.relative_to(SIMULATIONS.parent)} imports {n}"
        for n, p in imported.items()
        if n.split(".")[:2] == ["intentcast", "node"]
    )
    assert not node, "\n".join(node)
    assert any(name.startswith("intentcast.peer") for name in imported)


def test_importing_the_pure_packages_loads_no_io_library() -> None:
    """Catch indirect imports the AST scan cannot see."""
    code = (
        "import sys, intentcast.protocol, intentcast.peer.inbound, intentcast.peer.stem\n"
        "import intentcast.peer.config, intentcast.peer.limits, intentcast.peer.topics\n"
        "try:\n    import intentcast.matching\nexcept ImportError:\n    pass\n"
        "bad = sorted(m for m in ('trio', 'libp2p', 'sqlite3', 'sqlite_utils', 'socket', 'asyncio')"
        " if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
