"""The layers import downwards only, and features import only the features they say they require.

Layers, lowest first: domain (the handbook's rules) → storage → adapters (runtime, vendors,
webhooks) → bot (Teams) → dialogs (chat) → app.py (the composition root, imported by nothing).
Dialogs skip storage: they reach their feature through its desk (dialogs/<f>/desk.py), which opens
units of work through the domain's `UnitsOfWork` port; no other dialogs module opens one.
A feature is a package per layer (`domain/incidents/`, `bot/incidents/`, …); its code may use
another feature's packages only when its `Feature.requires` (in app.FEATURES) names that feature,
directly or through one it requires. Shared core modules import no feature, with the few
exceptions below, each with its reason.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import app

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "storage", "adapters", "bot", "dialogs")
# What each layer may import of the others, besides itself (domain/ also no third party: test_domain_is_pure).
MAY_IMPORT = {
    "domain": set(),
    "storage": {"domain"},
    "adapters": {"domain", "storage"},
    "bot": {"domain", "storage", "adapters"},
    "dialogs": {"domain", "adapters", "bot"},
}
# Vendor clients (adapters/<vendor>/) are shared: any feature may use them, and they may import the
# features' domain, whose ports they implement.
VENDORS = {"jira", "gitlab"}
# Core modules that import features, and why.
CORE_USES_FEATURES = {
    "storage.tables": "every table in one place, so the metadata is complete for Alembic",
    "storage.unit_of_work": "the unit of work hands out the feature repositories",
    "domain.ports": "the unit of work port hands out every feature's repository (typed, so mypy checks the calls)",
    "adapters.oncall_checks": "`circlebot config validate` reports rota gaps the on-call rules find",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, as dotted names (`from a.b import c` gives a.b and a.b.c)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def the_import_graph() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for layer in LAYERS for path in (ROOT / layer).rglob("*.py")}


def feature_of(module: str, features: Mapping[str, tuple[str, ...]]) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] in LAYERS and parts[1] in features:
        return parts[1]
    return None


def is_vendor(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 2 and parts[0] == "adapters" and parts[1] in VENDORS


def needed(feature: str, requires: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The features `feature` requires, directly or through the ones it requires."""
    seen: set[str] = set()
    todo = list(requires.get(feature, ()))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(requires.get(name, ()))
    return seen


def violations(graph: Mapping[str, set[str]], requires: Mapping[str, tuple[str, ...]]) -> list[str]:
    found = []
    for module, imported in graph.items():
        layer, home = module.split(".")[0], feature_of(module, requires)
        for target in sorted(imported):
            parent = target.rpartition(".")[0]
            if "." in parent and parent in imported:
                continue  # `from a.b import c`: judged once, as a.b (but `from dialogs import x` as dialogs.x)
            root = target.split(".")[0]
            if root == "app":
                found.append(f"{module} imports app: the composition root is imported by nothing")
            elif root in LAYERS and root != layer and root not in MAY_IMPORT[layer]:
                found.append(f"{module} imports {target}: {layer}/ may not import {root}/")
            other = feature_of(target, requires)
            if other is None or other == home:
                continue
            if home is not None and other not in needed(home, requires):
                found.append(f"{module} imports {target}: feature {home!r} does not require {other!r}")
            elif home is None and module not in CORE_USES_FEATURES and not (is_vendor(module) and root == "domain"):
                found.append(f"{module} imports {target}: shared core imports no feature")
    return found


def declared() -> dict[str, tuple[str, ...]]:
    return {feature.name: tuple(feature.requires) for feature in app.FEATURES}


def test_layers_import_downwards_and_features_only_what_they_require() -> None:
    assert not violations(the_import_graph(), declared()), violations(the_import_graph(), declared())


def test_every_feature_package_belongs_to_a_listed_feature() -> None:
    # A feature package nobody lists would be dead code; a listed one registers in dialogs/<name>/feature.py.
    listed = set(declared())
    packages = {
        path.parent.name
        for layer in LAYERS
        for path in (ROOT / layer).glob("*/__init__.py")
        if path.parent.name not in VENDORS and path.parent.name != "migrations"
    }
    assert packages == listed
    assert all((ROOT / "dialogs" / name / "feature.py").exists() for name in listed)


def test_the_rules_catch_offenders() -> None:
    requires = {"incidents": (), "postmortems": ("incidents",), "standups": ("postmortems",)}
    graph = {
        "storage.incidents.repository": {"bot.cards"},
        "domain.incidents.service": {"domain.postmortems.model"},
        "dialogs.standups.feature": {"dialogs.incidents.desk", "app"},
        "bot.messenger": {"bot.postmortems.cards"},
        "adapters.jira.tracker": {"domain.incidents.model", "bot.incidents.cards"},
        "dialogs.postmortems.commands": {"storage.postmortems.repository"},
    }
    assert violations(graph, requires) == [
        "storage.incidents.repository imports bot.cards: storage/ may not import bot/",
        "domain.incidents.service imports domain.postmortems.model: feature 'incidents' does not require 'postmortems'",
        "dialogs.standups.feature imports app: the composition root is imported by nothing",
        "bot.messenger imports bot.postmortems.cards: shared core imports no feature",
        "adapters.jira.tracker imports bot.incidents.cards: adapters/ may not import bot/",
        "adapters.jira.tracker imports bot.incidents.cards: shared core imports no feature",
        "dialogs.postmortems.commands imports storage.postmortems.repository: dialogs/ may not import storage/",
    ]


def units_of_work_opened_outside_desks() -> list[str]:
    """Dialogs modules, other than the desks, that reach for units of work (`desk.uow()`, `desk.uow.reader()`).

    A feature's registration hands `host.uow` to the desk it builds; that is the one use allowed.
    """
    found = []
    for path in (ROOT / "dialogs").rglob("*.py"):
        if path.name == "desk.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            handing_over = (
                isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "host"
            )
            if isinstance(node, ast.Attribute) and node.attr == "uow" and not handing_over:
                found.append(f"{module_name(path)}:{node.lineno} uses .uow: ask the feature's desk instead")
    return found


def test_dialogs_talk_to_their_desk_not_to_units_of_work() -> None:
    assert units_of_work_opened_outside_desks() == []
