"""`pmsbot manifest`: the permissions it prints are the ones the code's API calls need, no more and no fewer.
The code is read for the calls it makes; a call missing from bot/cli/manifest.py's tables fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from bot.cli import manifest
from bot.cli.main import main

ROOT = Path(__file__).parents[1]
SOURCES = [*sorted((ROOT / "notifiers").glob("*.py")), *sorted((ROOT / "bot" / "platforms").glob("*.py")),
           *sorted((ROOT / "bot" / "directory").glob("*.py"))]
# `self._call(channel, "chat.update", …)` and `client.users_info(…)` (slack_sdk spells methods with underscores).
SLACK_CALL = re.compile(r'_call\([^,()]*,\s*"([a-z]+\.[A-Za-z.]+)"')
SLACK_CLIENT = re.compile(r"client\.([a-z]+_[A-Za-z_]+)\(")
# `request_json(…, "POST", "/open-apis/…")`, `self._call("PUT", "/v1.0/…")`, `http.post(f"{self.base}/v1.0/…")`.
HTTP_CALL = re.compile(r'(?:"(GET|POST|PATCH|PUT|DELETE)",\s*|\.(get|post|put|patch)\()f?"(?:\{[a-z_.]+\})?'
                       r'(/(?:open-apis|v1\.0|topapi|callback)/[^"?]*)')


def calls_in_code() -> tuple[set[str], set[str]]:
    slack: set[str] = set()
    http: set[str] = set()
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        slack |= set(SLACK_CALL.findall(text))
        slack |= {name.replace("_", ".") for name in SLACK_CLIENT.findall(text) if name != "api_call"}
        http |= {f"{(m[0] or m[1]).upper()} {re.sub(r'{[^}]*}', '{}', m[2])}" for m in HTTP_CALL.findall(text)}
    return slack, http


def test_every_api_call_in_the_code_has_its_permissions_listed() -> None:
    slack, http = calls_in_code()
    assert slack == set(manifest.SLACK_METHODS), "a Slack method called but not in SLACK_METHODS (or listed, unused)"
    assert {c for c in http if "/open-apis/" in c or "/callback/" in c} == set(manifest.FEISHU_CALLS)
    assert {c for c in http if "/v1.0/" in c or "/topapi/" in c} == set(manifest.DINGTALK_CALLS)
    subscribed = set(re.findall(r'app\.event\("([a-z_.]+)"\)', (ROOT / "bot/platforms/slack.py").read_text()))
    # The adapter takes `message` events from direct messages only (message.im); mentions as app_mention.
    assert {"message.im" if e == "message" else e for e in subscribed} == set(manifest.SLACK_EVENTS)


def test_slack_manifest_has_the_scopes_the_events_and_the_urls(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "slack", "--url", "https://bot.example.com/"]) == 0
    app = yaml.safe_load(capsys.readouterr().out)
    assert app["oauth_config"]["scopes"]["bot"] == ["app_mentions:read", "chat:write", "commands", "files:read",
                                                    "im:history", "im:write", "users:read", "users:read.email"]
    url = "https://bot.example.com/slack/events"
    assert app["features"]["slash_commands"][0]["command"] == "/pms"
    assert app["features"]["slash_commands"][0]["url"] == url
    assert app["settings"]["event_subscriptions"] == {"bot_events": ["app_mention", "message.im"],
                                                      "request_url": url}
    assert app["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert app["settings"]["socket_mode_enabled"] is False
    assert main(["manifest", "slack", "--socket-mode"]) == 0
    socket = yaml.safe_load(capsys.readouterr().out)
    assert socket["settings"]["socket_mode_enabled"] is True and "request_url" not in socket["settings"]["interactivity"]


def test_slack_manifest_needs_an_https_url_or_socket_mode(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PMSBOT_PUBLIC_URL", raising=False)
    assert main(["manifest", "slack"]) == 1
    assert "--url https://" in capsys.readouterr().err
    assert main(["manifest", "slack", "--url", "http://bot.example.com"]) == 1
    assert "https URL" in capsys.readouterr().err
    monkeypatch.setenv("PMSBOT_PUBLIC_URL", "https://from-env.example.com")
    assert main(["manifest", "slack"]) == 0
    assert "https://from-env.example.com/slack/events" in capsys.readouterr().out


def test_feishu_and_dingtalk_permission_lists(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "feishu", "--url", "https://bot.example.com"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == {"scopes": {"tenant": [
        "approval:approval", "contact:contact.base:readonly", "contact:department.organize:readonly", "contact:user.email:readonly",
        "contact:user.employee_id:readonly", "im:message", "im:message.group_at_msg:readonly",
        "im:message.p2p_msg:readonly", "im:message:send_as_bot", "im:message:send_multi_users"], "user": []}}
    assert "https://bot.example.com/feishu/events" in out.err and "card.action.trigger" in out.err
    assert main(["manifest", "dingtalk"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "Card.Instance.Write\toptional: interactive approval cards (DINGTALK_CARD_TEMPLATE_ID)",
        "Card.Streaming.Write\toptional: interactive approval cards (DINGTALK_CARD_TEMPLATE_ID)",
        "OA审批: 审批实例写\toptional: approval chains linked to DingTalk OA (engine: kind dingtalk_oa)",
        "OA审批: 审批实例读\toptional: approval chains linked to DingTalk OA (engine: kind dingtalk_oa)",
        "qyapi_get_department_list\toptional: directory sync (directory: sources: kind dingtalk)",
        "qyapi_get_department_member\toptional: directory sync (directory: sources: kind dingtalk)",
        "qyapi_get_member\toptional: recognise people by union id or email; read one person again on an "
        "address-book event (user_add_org, user_modify_org, user_leave_org)",
        "qyapi_robot_sendmsg\trequired"]
    assert "DINGTALK_STREAM=1" in out.err


def test_the_readme_shows_what_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "slack", "--url", "https://pmsbot.example.com"]) == 0
    assert f"```yaml\n{capsys.readouterr().out}```" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_license_file_is_the_license_the_project_names() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert (project["license"], project["license-files"]) == ("Apache-2.0", ["LICENSE"])  # an SPDX expression
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text and len(text) > 10_000
    assert "Apache License 2.0: see [LICENSE](LICENSE)." in (ROOT / "README.md").read_text(encoding="utf-8")
