"""The layout of docs/architecture.md, checked: which package may import which, no import cycles,
modules a reader can hold at once, and a short list of modules left directly in surveys/.

Imports are read with `ast` from the source (nothing is imported), at module level and inside
functions alike; imports under `if TYPE_CHECKING:` are left out, since they never run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
MAX_TOP_MODULES = 12

# Capability packages: domain code. They take a Session, never Flask nor the HTTP layer.
DOMAIN = {"places", "collection", "indicators", "coverage", "administration", "audit", "webhooks",
          "exports", "definitions", "demo", "models"}
# Plumbing every layer may use: errors, input parsing, settings, the engine and the migrations.
SHARED = {"errors", "parsing", "config", "db", "migrate"}
WEB_LIBRARIES = {"flask", "flask_login", "flask_babel", "flask_wtf", "flask_compress", "wtforms",
                 "werkzeug"}
# werkzeug's password hashing is a library function, not the web layer.
ALLOWED_WEB = {"werkzeug.security"}
# The tables may use these pure helpers (column defaults computed from the row itself).
MODELS_MAY_IMPORT = {"surveys.db", "surveys.models", "surveys.places.lookup_keys"}
# Forms parse browser input: no database, no services with side effects.
FORMS_MAY_IMPORT = {"surveys.definitions", "surveys.errors", "surveys.indicators.catalogue",
                    "surveys.indicators.estimators", "surveys.indicators", "forms"}


def _modules() -> Iterator[tuple[str, Path]]:
    for base in ("surveys", "forms"):
        for path in sorted((ROOT / base).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, module: str) -> Iterator[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import that runs."""
    tree = ast.parse(path.read_text("utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST, top: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                yield from (found for other in child.orelse for found in walk(other, top))
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, top
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                yield base, child.lineno, top
                for alias in child.names:  # `from surveys.places import villages` names a module
                    yield f"{base}.{alias.name}", child.lineno, top
            else:
                inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef |
                                               ast.Lambda)
                yield from walk(child, inner)

    yield from walk(tree, True)


MODULES = dict(_modules())


def _known(name: str) -> str | None:
    """The module of ours an import names (a package, a module or a name in a module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "forms":
        return "forms"
    if len(parts) == 1:
        return "surveys"
    return parts[1]


def _violations() -> list[str]:
    found = []
    for module, path in MODULES.items():
        layer = _layer(module)
        for name, line, _top in _imports(path, module):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            root = name.split(".")[0]
            ours = _known(name)
            allowed_web = any(name == ok or name.startswith(ok + ".") for ok in ALLOWED_WEB)
            if layer in DOMAIN | SHARED and root in WEB_LIBRARIES and not allowed_web \
                    and module != "surveys.db":  # db's Flask glue imports inside its functions
                found.append(f"{where}: domain code never imports the web framework")
            if ours is None:
                continue
            target = _layer(ours)
            if layer != "views" and target == "views":
                found.append(f"{where}: only the HTTP layer imports surveys.views")
            if layer not in {"views", "surveys"} and ours in {"surveys.cli", "surveys.i18n"}:
                found.append(f"{where}: the CLI and the language choice sit on top")
            if layer != "views" and target == "forms" and layer != "forms":
                found.append(f"{where}: WTForms classes belong to the HTTP layer")
            if layer == "models" and not any(ours == allowed or ours.startswith(allowed + ".")
                                             for allowed in MODELS_MAY_IMPORT):
                found.append(f"{where}: the tables depend on nothing but the database helpers")
            if layer == "forms" and ours.startswith("surveys") and not any(
                    ours == allowed or ours.startswith(allowed + ".") for allowed in FORMS_MAY_IMPORT):
                found.append(f"{where}: forms parse input and never touch the database")
    return found


def test_every_import_follows_the_layers_of_docs_architecture() -> None:
    assert _violations() == []


def test_domain_code_never_reads_the_request() -> None:
    # A domain service that read flask.request could not be called from the CLI or a worker.
    offenders = [f"{path.relative_to(ROOT)}" for module, path in MODULES.items()
                 if _layer(module) in DOMAIN and "request." in path.read_text("utf-8")
                 and "from flask" in path.read_text("utf-8")]
    assert offenders == []


def test_no_import_cycles_among_module_level_imports() -> None:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges = set()
        for name, _line, top in _imports(path, module):
            ours = _known(name)
            if top and ours and ours != module and not module.startswith(ours + "."):
                edges.add(ours)
        graph[module] = edges
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []


@pytest.mark.parametrize("base", ["surveys", "forms", "bench"])
def test_no_module_is_longer_than_a_reader_holds_at_once(base: str) -> None:
    long = {str(path.relative_to(ROOT)): n for path in sorted((ROOT / base).rglob("*.py"))
            if "migrations" not in path.parts
            and (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_few_modules_stay_directly_in_surveys() -> None:
    top = sorted(p.name for p in (ROOT / "surveys").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_the_rules_see_real_imports() -> None:
    # The checks above are only as good as the import reader: make sure it sees the known edges.
    names = {name for name, _line, _top in _imports(MODULES["surveys.views.api"],
                                                    "surveys.views.api")}
    assert "flask" in names and any(n.startswith("surveys.collection") for n in names)
    deferred = {(name, top) for name, _line, top in _imports(MODULES["surveys.db"], "surveys.db")}
    assert ("flask", False) in deferred  # inside a function, not at module level
