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
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "commands").rglob("*.py"))
    kinds = set(re.findall(r'Reply\(kind="(\w+)"', source)) | {"error", "help"}
    # Chat kinds are shared plain text; a decision sent to another system's callback is JSON of its own.
    callbacks = {p.name.removesuffix(".j2") for p in (TEMPLATES_DIR / "callback" / "en").glob("*.j2")}
    assert kinds <= {n.removesuffix(".j2") for n in zh} | callbacks


def test_every_refusal_code_has_a_message() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in [*(ROOT / "commands").rglob("*.py"),
                                                                 *(ROOT / "bot").rglob("*.py")])
    codes = set(re.findall(r'(?:CommandError|PMSError|\b_?error)\(\s*"(\w+)"', source))
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
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "commands").rglob("*.py"))
    args = set(re.findall(r'\bmissing\(\s*[\w"]+,\s*"(\w+)"\)', source))
    assert {"task", "reason", "percent", "dates"} <= args
    r = Renderer()
    for locale in ("zh", "en"):
        assert args <= set(r.catalogs[locale]["args"]), args - set(r.catalogs[locale]["args"])


def test_platform_overrides_exist_in_both_locales_and_only_for_known_kinds() -> None:
    shared = {p.name for p in (TEMPLATES_DIR / "console" / "en").glob("*.j2")}
    for platform in ("slack",):
        zh = {p.name for p in (TEMPLATES_DIR / platform / "zh").glob("*.j2")}
        en = {p.name for p in (TEMPLATES_DIR / platform / "en").glob("*.j2")}
        assert zh == en and zh <= shared and zh


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_slack_approval_card_leaves_the_deciding_to_its_buttons(locale: str) -> None:
    approval = {"id": 7, "project": "PUMP", "subject": "seals & <gaskets>", "amount": "1200", "requester": "王波",
                "state": "pending", "decided_by": None, "decided_at": None, "comment": None}
    r = Renderer()
    pending = r.render(platform="slack", locale=locale, kind="approval_card", data={"approval": approval},
                       actions=[{"id": "approve", "value": "7"}, {"id": "reject", "value": "7"}])
    console = r.render(platform="console", locale=locale, kind="approval_card", data={"approval": approval},
                       actions=[])
    assert "seals & <gaskets>" in pending.text and len(pending.text.splitlines()) == 1  # escaping is the sender's
    assert len(console.text.splitlines()) == 2  # the console spells out the typed commands
    decided = r.render(platform="slack", locale=locale, kind="approval_card", actions=[], data={"approval": {
        **approval, "state": "approved", "decided_by": "刘芳", "decided_at": "2026-11-30 10:00"}})
    assert "刘芳" in decided.text and "✅" in decided.text


def test_no_template_swallows_a_line_break() -> None:
    # trim_blocks eats the newline after a block tag: text, then `{% endif %}` at the end of a line, then more
    # text ran two lines together ("… from 王波Decide: …"). Such a tag must be written `{% endif +%}`.
    bad = []
    for path in TEMPLATES_DIR.rglob("*.j2"):
        if path.parent.name == "web" or path.name.endswith(".json.j2"):  # HTML, JSON: line breaks mean nothing
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines[:-1]):
            if re.search(r"\S\s*\{%-?\s*end(if|for)\s*-?%\}$", line) and lines[i + 1].strip() \
                    and not lines[i + 1].lstrip().startswith("{%- end"):
                bad.append(f"{path.relative_to(TEMPLATES_DIR)}:{i + 1}")
    assert not bad, bad


@pytest.mark.parametrize("state,zh,en", [("rejected", "已被 刘芳 驳回：超预算", "was rejected by 刘芳: 超预算"),
                                         ("approved", "已被 刘芳 同意：超预算", "was approved by 刘芳: 超预算")])
def test_the_requester_hears_the_decision_in_plain_words(state: str, zh: str, en: str) -> None:
    """Issue 23: "被 刘芳 已驳回" said the aspect twice (被 … 已 …)."""
    approval = {"id": 2, "subject": "备件采购", "state": state, "decided_by": "刘芳", "comment": "超预算"}
    r = Renderer()
    said = {locale: r.render(platform="console", locale=locale, kind="approval_result",
                             data={"approval": approval}, actions=[]).text for locale in ("zh", "en")}
    assert zh in said["zh"] and "已驳回" not in said["zh"] and "已同意" not in said["zh"]
    assert en in said["en"]
