"""domain/ holds the handbook's rules: it may import the standard library and itself, nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = {
        f"{path.relative_to(DOMAIN.parent)} imports {root}"
        for path in DOMAIN.rglob("*.py")
        for root in imported_roots(path)
        if root != "domain" and root not in sys.stdlib_module_names and root != "__future__"
    }
    assert not offenders, sorted(offenders)


def test_the_rule_catches_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom botbuilder.core import TurnContext\nimport datetime\n")
    assert imported_roots(bad) - set(sys.stdlib_module_names) == {"sqlalchemy", "botbuilder"}
