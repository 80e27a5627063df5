"""Templates and catalogs: zh and en are complete and alike; every refusal code has a message in both."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest

from commands.model import ParseErrorCode
from notifiers.render import TEMPLATES_DIR, Renderer

ROOT = Path(__file__).resolve().parent.parent


def keys(tree: Any, prefix: str = "") -> set[str]:
    if isinstance(tree, dict):
        return set().union(*(keys(v, f"{prefix}{k}.") for k, v in tree.items())) | {prefix}
    return {prefix}


def test_catalogs_have_the_same_keys() -> None:
    r = Renderer()
    assert keys(r.catalogs["zh"]) == keys(r.catalogs["en"])


def test_every_kind_has_a_template_in_each_locale() -> None:
    zh = {p.name for p in (TEMPLATES_DIR / "console" / "zh").glob("*.j2")}
    en = {p.name for p in (TEMPLATES_DIR / "console" / "en").glob("*.j2")}
    assert zh == en
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "commands").glob("*.py"))
    kinds = set(re.findall(r'Reply\(kind="(\w+)"', source)) | {"error", "help"}
    assert kinds <= {n.removesuffix(".j2") for n in zh}


def test_every_refusal_code_has_a_message() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in [*(ROOT / "commands").glob("*.py"),
                                                                 *(ROOT / "bot").rglob("*.py")])
    codes = set(re.findall(r'(?:CommandError|PMSError|_error)\(\s*"(\w+)"', source))
    assert {"unknown_task", "not_member", "own_request", "already_decided", "unknown_sender", "internal"} <= codes
    r = Renderer()
    for locale in ("zh", "en"):
        errors = r.catalogs[locale]["errors"]
        assert codes <= set(errors), f"{locale}: no message for {codes - set(errors)}"
        parse_codes = set(typing.get_args(ParseErrorCode)) - {"unknown_command"}
        assert parse_codes <= set(errors["parse"]), parse_codes - set(errors["parse"])


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("code", ["parse.missing_argument", "parse.too_long", "already_decided", "no_such_code"])
def test_error_messages_fill_their_parameters(locale: str, code: str) -> None:
    out = Renderer().render(platform="console", locale=locale, kind="error", data={
        "code": code, "params": {"arg": "reason", "verb": "reject", "max": "2000", "id": "3", "state": "approved",
                                  "by": "刘芳"}}, actions=[]).text
    assert "{" not in out and out.startswith("⚠️")


def test_user_text_with_braces_is_not_interpreted() -> None:
    out = Renderer().render(platform="console", locale="en", kind="error", data={
        "code": "unknown_task", "params": {"task": "{0.__class__} {{ 7*7 }} {missing}"}}, actions=[]).text
    assert out == "⚠️ There is no task {0.__class__} {{ 7*7 }} {missing}."


def test_every_missing_argument_has_a_label() -> None:
    source = (ROOT / "commands" / "parse.py").read_text(encoding="utf-8")
    args = set(re.findall(r'_missing\(\s*[\w"]+,\s*"(\w+)"\)', source))
    assert {"task", "reason", "percent", "dates"} <= args
    r = Renderer()
    for locale in ("zh", "en"):
        assert args <= set(r.catalogs[locale]["args"]), args - set(r.catalogs[locale]["args"])
