"""Inbound adapters verify and translate, nothing more: bot/platforms imports no sender, web page, dispatcher or
runtime, nor another edge (they are handed what they need as the protocols of bot/platforms/ports.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLATFORMS = Path(__file__).resolve().parent.parent / "bot" / "platforms"
FORBIDDEN = ("notifiers", "bot.web", "bot.dispatch", "bot.runtime", "bot.app", "bot.cli", "bot.hooks")


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module a tree imports, wherever the import stands (TYPE_CHECKING blocks and functions too)."""
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from bot import web` imports bot.web as surely as `import bot.web` does
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
            names.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"line {node.lineno}: relative import; name the module in full")
    return names


def forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


@pytest.mark.parametrize("path", sorted(PLATFORMS.glob("*.py")), ids=lambda p: p.name)
def test_platforms_import_nothing_above_them(path: Path) -> None:
    bad = [f"{path.name}:{line} imports {name}" for line, name in imported(ast.parse(path.read_text(), str(path)))
           if forbidden(name)]
    assert not bad, "\n".join(bad)


def test_the_check_sees_every_form_of_import() -> None:
    source = ("import notifiers.slack\nfrom bot import web\nfrom bot.runtime import Runtime\n"
              "if TYPE_CHECKING:\n    from bot.dispatch.worker import Dispatcher\n"
              "def f() -> None:\n    import bot.web.security\n")
    found = {name for _, name in imported(ast.parse(source)) if forbidden(name)}
    assert found >= {"notifiers.slack", "bot.web", "bot.runtime", "bot.dispatch.worker", "bot.web.security"}
    assert not [name for _, name in imported(ast.parse("from bot.webhooks import x\nimport notifiersx\n"))
                if forbidden(name)]
