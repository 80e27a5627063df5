"""Only bot/store/ builds SQL: a product module outside it imports no SQLAlchemy and no table. A transaction is
handed through to the repositories as the store's own `StoreSession`. (`lint-imports` keeps the same rule for
the packages; this test also names the line.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "commands", "notifiers")


def _storage_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        for name in names:
            top = name.split(".")[0]
            if top in ("sqlalchemy", "sqlmodel") or name.startswith("bot.store.models"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


def test_no_module_outside_the_store_builds_queries() -> None:
    offenders = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("bot/store/"):
                continue
            offenders += _storage_imports(path)
    assert offenders == []
