"""The shape of ARCHITECTURE.md, kept by tests: every module has a layer in the import contracts that `make test`
checks (lint-imports), modules stay small, and no if/elif chain stands in for a table."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "commands", "notifiers")
MAX_MODULE_LINES = 410  # "aim under ~400"
MAX_CHAIN = 12  # branches of one if/elif chain


def _product_files() -> list[Path]:
    return [p for package in PRODUCT for p in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in p.parts]


def test_every_module_has_a_layer() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in contracts["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    tops = {f"bot.{p.stem if p.is_file() else p.name}" for p in (ROOT / "bot").iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert tops - {"bot.store"} <= named, f"give these a layer in pyproject.toml: {sorted(tops - named)}"
    assert {"commands", "notifiers", "bot.store"} <= named


def test_modules_are_small() -> None:
    big = {str(p.relative_to(ROOT)): n for p in _product_files()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert big == {}, "split these by what they hold"


def _chain(node: ast.If) -> list[ast.If]:
    links = [node]
    while len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
        node = node.orelse[0]
        links.append(node)
    return links


def test_no_long_if_elif_chains() -> None:
    long = []
    for path in _product_files():
        inner: set[int] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.If) and id(node) not in inner:
                links = _chain(node)
                inner.update(id(n) for n in links[1:])
                if len(links) > MAX_CHAIN:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} ({len(links)} branches)")
    assert long == [], "make these a table"
