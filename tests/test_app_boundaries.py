"""Other apps never touch catalog models directly (style.md §4): they read through rs.catalog.selectors and write
through rs.catalog.services.

Outside rs/catalog (tests and migrations aside) no module imports rs.catalog.models or asks the app registry for a
catalog model. The model types that rs.catalog.selectors names for annotations are imported under
`if TYPE_CHECKING:` only, so no other app holds a catalog model class at run time.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import models

ROOT = Path(__file__).resolve().parent.parent
CATALOG = "rs.catalog"
CATALOG_MODELS = "rs.catalog.models"
SKIPPED_FOLDERS = {"tests", "migrations"}


def _is_catalog_model(module: str, name: str) -> bool:
    """Whether `module.name` is a catalog model class (re-exported by a catalog module such as its selectors)."""
    if module != CATALOG and not module.startswith(f"{CATALOG}."):
        return False
    try:
        value = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return False
    return isinstance(value, type) and issubclass(value, models.Model) and value._meta.app_label == "catalog"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _BoundaryVisitor(ast.NodeVisitor):
    """Collects (line, message) for each way a module reaches a catalog model."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.type_checking = False
        self.catalog_modules: dict[str, str] = {}  # local name → the catalog module it is bound to
        self.violations: list[tuple[int, str]] = []

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
        return ".".join([*base, node.module] if node.module else base)

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        outer, self.type_checking = self.type_checking, True
        for statement in node.body:
            self.visit(statement)
        self.type_checking = outer
        for statement in node.orelse:
            self.visit(statement)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == CATALOG_MODELS or alias.name.startswith(f"{CATALOG_MODELS}."):
                self.violations.append((node.lineno, f"imports {alias.name}"))
            elif alias.name.startswith(f"{CATALOG}.") and alias.asname:
                self.catalog_modules[alias.asname] = alias.name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = self._absolute(node)
        for alias in node.names:
            if module == CATALOG_MODELS or module.startswith(f"{CATALOG_MODELS}."):
                self.violations.append((node.lineno, f"imports {alias.name} from {module}"))
            elif module == CATALOG and alias.name == "models":
                self.violations.append((node.lineno, f"imports {CATALOG_MODELS}"))
            elif _is_catalog_model(module, alias.name):
                if not self.type_checking:
                    self.violations.append(
                        (node.lineno, f"imports the model {alias.name} from {module} outside `if TYPE_CHECKING:`"))
            elif module == CATALOG or module.startswith(f"{CATALOG}."):
                self.catalog_modules[alias.asname or alias.name] = f"{module}.{alias.name}"

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if (isinstance(node.value, ast.Name) and node.value.id in self.catalog_modules
                and _is_catalog_model(self.catalog_modules[node.value.id], node.attr)):
            self.violations.append((node.lineno, f"uses the model {node.value.id}.{node.attr}"))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        named = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        first = node.args[0] if node.args else None
        if (named == "get_model" and isinstance(first, ast.Constant) and isinstance(first.value, str)
                and first.value.split(".")[0] == "catalog"):
            self.violations.append((node.lineno, f"asks the app registry for a catalog model ({first.value!r})"))
        self.generic_visit(node)


def boundary_violations(source: str, *, package: str) -> list[tuple[int, str]]:
    """(line, what) for each place where this source reaches a catalog model directly."""
    visitor = _BoundaryVisitor(package)
    visitor.visit(ast.parse(source))
    return sorted(visitor.violations)


def _app_modules() -> Iterator[tuple[Path, str]]:
    """Every Python file of rs/ outside the catalog, tests and migrations, with its package name."""
    for path in sorted((ROOT / "rs").rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[:2] == ("rs", "catalog") or SKIPPED_FOLDERS & set(parts[:-1]):
            continue
        yield path, ".".join(parts[:-1])


def test_no_app_reaches_a_catalog_model_directly():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path, package in _app_modules()
        for line, what in boundary_violations(path.read_text(encoding="utf-8"), package=package)
    ]
    assert found == [], "use rs.catalog.selectors / rs.catalog.services instead:\n" + "\n".join(found)


def test_the_walk_covers_the_apps_and_skips_the_catalog_tests_and_migrations():
    files = {str(path.relative_to(ROOT)) for path, _ in _app_modules()}
    assert {"rs/production/selection.py", "rs/monitoring/kpis.py", "rs/prip/download/targets.py"} <= files
    assert not [f for f in files if f.startswith("rs/catalog/") or "/tests/" in f or "/migrations/" in f]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from rs.catalog.models import Product\n", [(1, "imports Product from rs.catalog.models")]),
        ("from rs.catalog.models.products import Product\n",
         [(1, "imports Product from rs.catalog.models.products")]),
        ("import rs.catalog.models\n", [(1, "imports rs.catalog.models")]),
        ("from rs.catalog import models\n", [(1, "imports rs.catalog.models")]),
        ("from ..catalog.models import Product\n", [(1, "imports Product from rs.catalog.models")]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from rs.catalog.models import Product\n",
         [(3, "imports Product from rs.catalog.models")]),
        ("from rs.catalog.selectors import Product\n",
         [(1, "imports the model Product from rs.catalog.selectors outside `if TYPE_CHECKING:`")]),
        ("from rs.catalog import selectors as catalog_selectors\ncatalog_selectors.Product.objects.all()\n",
         [(2, "uses the model catalog_selectors.Product")]),
        ("from django.apps import apps\napps.get_model('catalog', 'Product')\n",
         [(2, "asks the app registry for a catalog model ('catalog')")]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from rs.catalog.selectors import Product\n", []),
        ("from rs.catalog import selectors as catalog_selectors\ncatalog_selectors.product_get(product_id=1)\n", []),
        ("from rs.catalog.choices import EventKind\nfrom rs.production.models import Job\n", []),
    ],
)
def test_each_way_of_reaching_a_catalog_model_is_found(source, expected):
    assert boundary_violations(source, package="rs.production") == expected
