"""The import graph of src/evqms keeps the house's one-way layers (docs/DEVELOPING.md).

Every `import` and `from ... import` is read with ast, function-local ones included (a lazy import
is still a dependency), and resolved to the evqms module it names. Three rules:
- nothing imports a module of a higher layer;
- no import cycle between modules (analytics/ keeps its parser registries, see CYCLES_ALLOWED_IN);
- guidance/ and analytics/ import nothing from Django, nor any evqms module that does (i18n
  excepted: it follows Django's language only when Django is already running).
A failure lists the offending edges as `module -> module (line)`.

Run as a script (`python tests/test_architecture.py [SRC]`) it prints the figures: upward edges
between apps and module cycles.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Low to high. A module may import its own layer and those before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("evqms", "evqms.errors", "evqms.i18n", "evqms.localebuild", "evqms.startup"),
    ("evqms.guidance", "evqms.analytics", "evqms.cliutil", "<pure core>"),
    ("evqms.core",),
    ("evqms.audit",),
    ("evqms.accounts",),
    ("evqms.changes",),  # change control: below the dossier, whose approvals ask for it
    ("evqms.dossier",),
    ("evqms.equipment",),
    ("evqms.training",),  # training records and media fills: the gate the lot services ask
    ("evqms.lots",),
    ("evqms.capa",),  # deviations worked to closure and CAPA: reads lots, read by nothing below web
    ("evqms.environment",),  # environmental monitoring: reads equipment rooms, opens lot deviations
    ("evqms.inventory",),
    ("evqms.clinical",),
    ("evqms.studies",),
    ("evqms.trace",),
    ("evqms.compliance",),
    ("evqms.reports",),
    ("evqms.landscape",),
    ("evqms.ops",),  # backup, restore, the kept-files check: the installation as a whole
    ("evqms.web",),
    (
        "evqms.cli",
        "evqms.djcli",
        "evqms.urls",
        "evqms.api_urls",
        "evqms.wsgi",
        "evqms.settings",
        "evqms.testing",
    ),
)

# Third-party packages that are Django or run only inside it.
DJANGO_ROOTS = {
    "django",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "simple_history",
    "rules",
    "axes",
    "django_otp",
    "whitenoise",
}
# Pure modules that speak to Django only when it is already running in the process.
DJANGO_BRIDGES = {"evqms.i18n"}
PURE_PACKAGES = ("evqms.guidance", "evqms.analytics")
# A package whose internal cycles are its own business (each parser module registers itself
# with the package that dispatches to it).
CYCLES_ALLOWED_IN = ("evqms.analytics",)

# Upward edges in other areas still being taken apart: (importer, imported) -> why it is allowed.
UPWARD_ALLOWED: dict[tuple[str, str], str] = {}


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules(src: Path = SRC) -> dict[str, Path]:
    return {
        _module_name(p, src): p
        for p in sorted((src / "evqms").rglob("*.py"))
        if "migrations" not in p.relative_to(src).parts
    }


def _imports(name: str, path: Path, known: dict[str, Path]):
    """(imported name, line) for every import in the file, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in known else base), node.lineno


def _resolve(target: str, known: dict[str, Path]) -> str | None:
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


@cache
def graph(src: Path = SRC) -> tuple[dict[tuple[str, str], list[int]], frozenset[str]]:
    """({(importer, imported): [lines]}, the modules that import Django directly)."""
    known = modules(src)
    edges: dict[tuple[str, str], list[int]] = {}
    django_direct = set()
    for name, path in known.items():
        for target, line in _imports(name, path, known):
            root = target.split(".")[0]
            if root in DJANGO_ROOTS:
                django_direct.add(name)
            elif root == "evqms":
                imported = _resolve(target, known)
                if imported and imported != name:
                    edges.setdefault((name, imported), []).append(line)
    return edges, frozenset(django_direct)


@cache
def django_backed(src: Path = SRC) -> frozenset[str]:
    """Modules that import Django, directly or through other evqms modules (bridges excepted)."""
    edges, direct = graph(src)
    backed = set(direct) - DJANGO_BRIDGES
    grew = True
    while grew:
        grew = False
        for a, b in edges:
            if b in backed and a not in backed and a not in DJANGO_BRIDGES:
                backed.add(a)
                grew = True
    return frozenset(backed)


def layer(name: str, src: Path = SRC) -> int:
    if name.startswith("evqms.core.") and name not in django_backed(src):
        name = "<pure core>"
    best, rank = -1, None
    for index, members in enumerate(LAYERS):
        for member in members:
            if (name == member or name.startswith(member + ".")) and len(member) > best:
                best, rank = len(member), index
    assert rank is not None, f"{name} is in no layer: add its package to LAYERS"
    return rank


def _app(name: str) -> str:
    return ".".join(name.split(".")[:2])


def upward_edges(src: Path = SRC) -> list[tuple[str, str, list[int]]]:
    edges, _direct = graph(src)
    return sorted(
        (a, b, lines)
        for (a, b), lines in edges.items()
        if layer(a, src) < layer(b, src) and _app(a) != _app(b)
    )


def cycles(src: Path = SRC) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    edges, _direct = graph(src)
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        if not (a.startswith(CYCLES_ALLOWED_IN) and b.startswith(CYCLES_ALLOWED_IN)):
            succ.setdefault(a, []).append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(succ):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(succ.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
    return sorted(found)


def _listing(edges) -> str:
    return "\n".join(f"  {a} -> {b} (line {', '.join(map(str, lines))})" for a, b, lines in edges)


def test_every_module_is_in_a_layer():
    for name in modules():
        layer(name)


def test_nothing_imports_upward():
    found = [(a, b, lines) for a, b, lines in upward_edges() if (a, b) not in UPWARD_ALLOWED]
    assert not found, "imports of a higher layer:\n" + _listing(found)


def test_the_allowlist_holds_only_edges_still_present():
    present = {(a, b) for a, b, _lines in upward_edges()}
    gone = sorted(set(UPWARD_ALLOWED) - present)
    assert not gone, f"remove these from UPWARD_ALLOWED, they are gone: {gone}"


def test_no_import_cycles():
    edges, _direct = graph()
    found = cycles()
    detail = []
    for component in found:
        members = set(component)
        detail.append(
            _listing(
                sorted((a, b, lines) for (a, b), lines in edges.items() if a in members and b in members)
            )
        )
    assert not found, "import cycles (the edges inside each):\n" + "\n\n".join(detail)


def impure_edges(src: Path = SRC) -> list[tuple[str, str, list[int]]]:
    """Imports of Django, or of a Django-backed evqms module, from guidance/ and analytics/."""
    edges, direct = graph(src)
    backed = django_backed(src)
    found = sorted(
        (a, b, lines) for (a, b), lines in edges.items() if a.startswith(PURE_PACKAGES) and b in backed
    )
    return found + sorted((a, "django", []) for a in direct if a.startswith(PURE_PACKAGES))


def test_guidance_and_analytics_stay_pure():
    found = impure_edges()
    assert not found, "guidance/ and analytics/ importing Django or a Django-backed module:\n" + _listing(
        found
    )


def test_the_checks_see_a_planted_violation(tmp_path):
    """The checks fail on what they are meant to catch (a fake tree with one of each)."""
    root = tmp_path / "evqms"
    for package in ("core", "audit", "guidance"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "core" / "backupish.py").write_text("def f():\n    from evqms.audit import services\n")
    (root / "audit" / "services.py").write_text("from evqms.audit import chain\n")
    (root / "audit" / "chain.py").write_text("import evqms.audit.services\n")
    (root / "guidance" / "engine.py").write_text("from evqms.core import backupish\n")
    (root / "core" / "dbthing.py").write_text("from django.db import models\n")
    (root / "guidance" / "report.py").write_text("def f():\n    from evqms.core.dbthing import models\n")
    assert [(a, b) for a, b, _l in upward_edges(tmp_path)] == [
        ("evqms.core.backupish", "evqms.audit.services"),
        ("evqms.guidance.report", "evqms.core.dbthing"),  # pure code on Django-backed core
    ]
    assert cycles(tmp_path) == [["evqms.audit.chain", "evqms.audit.services"]]
    assert [(a, b) for a, b, _l in impure_edges(tmp_path)] == [
        ("evqms.guidance.report", "evqms.core.dbthing")
    ]


def figures(src: Path = SRC) -> dict:
    up = upward_edges(src)
    return {
        "upward edges (module pairs)": len(up),
        "upward app pairs": len({(_app(a), _app(b)) for a, b, _l in up}),
        "module cycles (components)": len(cycles(src)),
        "modules in cycles": sum(len(c) for c in cycles(src)),
    }


if __name__ == "__main__":  # pragma: no cover - a measuring aid
    where = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else SRC
    print(_listing(upward_edges(where)))
    for component in cycles(where):
        print("cycle:", " ".join(component))
    for key, value in figures(where).items():
        print(f"{key}: {value}")
