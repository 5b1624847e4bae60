"""The house keeps its order: services grouped in domain packages that depend one way.

Every import of app/services counts, those inside functions too (they are dependencies all
the same, only later).
"""

import ast
from collections import defaultdict
from pathlib import Path

import app.services

SERVICES = Path(app.services.__file__).parent
# the layers above the services: a service never reaches up into them
EDGES = ("app.views", "app.api", "app.cli", "app.jobs", "app.demo")


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _package_graph() -> dict[str, dict[str, set[str]]]:
    """package -> the packages it imports -> the modules that import them."""
    graph = defaultdict(lambda: defaultdict(set))
    for path in SERVICES.rglob("*.py"):
        package = path.relative_to(SERVICES).parts[0]
        for name in _imports(path):
            parts = name.split(".")
            if parts[:2] == ["app", "services"] and len(parts) > 2 and parts[2] != package:
                graph[package][parts[2]].add(str(path.relative_to(SERVICES)))
    return graph


def _cycle(graph) -> list[str] | None:
    state: dict[str, str] = {}

    def visit(package, trail):
        state[package] = "open"
        for other in sorted(graph.get(package, ())):
            if state.get(other) == "open":
                return [*trail[trail.index(other) :], other]
            if other not in state and (found := visit(other, [*trail, other])):
                return found
        state[package] = "done"
        return None

    for package in sorted(graph):
        if package not in state and (found := visit(package, [package])):
            return found
    return None


def test_services_are_domain_packages_only():
    loose = sorted(p.name for p in SERVICES.glob("*.py") if p.name != "__init__.py")
    assert loose == []
    for package in SERVICES.iterdir():
        if package.is_dir() and package.name != "__pycache__":
            assert (package / "__init__.py").exists(), package.name


def test_domain_packages_import_each_other_one_way():
    graph = _package_graph()
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle) + "".join(
        f"\n  {a} -> {b}: {sorted(graph[a][b])}" for a, b in zip(cycle, cycle[1:], strict=False)
    )


def test_platform_depends_on_no_domain():
    assert dict(_package_graph().get("platform", {})) == {}


def test_services_never_reach_up_into_views_apis_cli_jobs_or_the_demo():
    reaching = {
        str(path.relative_to(SERVICES)): name
        for path in SERVICES.rglob("*.py")
        for name in _imports(path)
        if name.startswith(EDGES)
    }
    assert reaching == {}


def test_the_cycle_finder_finds_a_cycle():
    graph = {"billing": {"usage": set()}, "usage": {"crm": set()}, "crm": {"billing": set()}}
    assert _cycle(graph) == ["billing", "usage", "crm", "billing"]
    assert _cycle({"billing": {"usage": set()}, "usage": {}}) is None
