"""`pmsbot manifest slack|feishu|dingtalk`: what an operator pastes into a platform's app settings, made from the
API calls and events the code uses. Each table below names every call our senders and adapters make, with the
permission it needs; tests/test_manifest.py reads the code for the calls it makes and fails when one is missing
here (a new call without its scope would fail in production with `missing_scope`)."""

from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import urlsplit

import yaml

from bot.cli import env
from bot.cli.env import CliError

SLACK_PATH = "/slack/events"
FEISHU_PATH = "/feishu/events"
DINGTALK_PATH = "/dingtalk/events"
SLASH_COMMAND = "/pms"

# Slack Web API methods called (notifiers/slack.py, bot/platforms/slack.py) -> the bot scopes each needs.
SLACK_METHODS: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "conversations.open": ("im:write",),
    "users.info": ("users:read", "users:read.email"),  # the email recognises a person (bot/platforms/people.py)
    "users.list": ("users:read", "users:read.email"),  # directory sync (bot/directory/slack.py)
    "views.open": (),
    "auth.test": (),
}
# Files sent with a report, read from their url_private_download with the bot token (notifiers/downloads.py).
SLACK_DOWNLOADS: dict[str, tuple[str, ...]] = {"GET url_private_download": ("files:read",)}
# Events the Slack adapter subscribes to -> the scope each needs; the slash command needs `commands`.
SLACK_EVENTS: dict[str, tuple[str, ...]] = {"app_mention": ("app_mentions:read",), "message.im": ("im:history",)}

# Feishu OpenAPI calls (notifiers/feishu.py) -> the tenant permissions each needs.
FEISHU_CALLS: dict[str, tuple[str, ...]] = {
    "POST /open-apis/im/v1/messages": ("im:message", "im:message:send_as_bot"),
    "POST /open-apis/im/v1/messages/{}/reply": ("im:message", "im:message:send_as_bot"),
    "PATCH /open-apis/im/v1/messages/{}": ("im:message",),
    "POST /open-apis/message/v4/batch_send/": ("im:message:send_multi_users",),
    "GET /open-apis/contact/v3/users/{}": ("contact:user.email:readonly",),
    # A report's images and files (notifiers/downloads.py): any of im:message, im:message:readonly or
    # im:message.history:readonly serves; im:message is held already for sending.
    "GET /open-apis/im/v1/messages/{}/resources/{}": ("im:message",),
    # Directory sync (bot/directory/feishu.py): departments, their members, employee numbers and leaders.
    "GET /open-apis/contact/v3/departments/{}/children": ("contact:department.organize:readonly",),
    "GET /open-apis/contact/v3/users/find_by_department": ("contact:contact.base:readonly",
                                                           "contact:user.employee_id:readonly"),
    "POST /open-apis/auth/v3/tenant_access_token/internal": (),
    "POST /callback/ws/endpoint": (),  # the long connection (bot/platforms/feishu_ws.py)
    # Approval chains linked to Feishu Approval (`engine: {kind: feishu_approval}`, notifiers/approval_engines.py).
    "POST /open-apis/approval/v4/instances": ("approval:approval",),
    "GET /open-apis/approval/v4/instances/{}": ("approval:approval",),
    "POST /open-apis/approval/v4/approvals/{}/subscribe": ("approval:approval",),
}
FEISHU_EVENTS: dict[str, tuple[str, ...]] = {
    "im.message.receive_v1": ("im:message.p2p_msg:readonly", "im:message.group_at_msg:readonly"),
    # Directory sync's change events (bot/platforms/feishu.py → bot/jobs/directory.py), with a feishu source.
    "contact.user.created_v3": ("contact:contact.base:readonly",),
    "contact.user.updated_v3": ("contact:contact.base:readonly",),
    "contact.user.deleted_v3": ("contact:contact.base:readonly",),
    # Approval chains linked to Feishu Approval: the instance's end (bot/platforms/feishu.py → the worker).
    "approval.instance.status_changed_v4": ("approval:approval",),
}
FEISHU_CALLBACKS = ("card.action.trigger",)

# DingTalk calls (notifiers/dingtalk.py, bot/platforms/dingtalk_stream.py) -> the permissions each needs.
DINGTALK_CALLS: dict[str, tuple[str, ...]] = {
    "POST /v1.0/robot/groupMessages/send": ("qyapi_robot_sendmsg",),
    "POST /v1.0/robot/oToMessages/batchSend": ("qyapi_robot_sendmsg",),
    "POST /v1.0/card/instances/createAndDeliver": ("Card.Instance.Write", "Card.Streaming.Write"),
    "PUT /v1.0/card/instances": ("Card.Instance.Write",),
    "POST /topapi/v2/user/get": ("qyapi_get_member",),
    "POST /v1.0/robot/messageFiles/download": ("qyapi_robot_sendmsg",),  # a report's pictures (notifiers/downloads.py)
    "POST /topapi/v2/department/listsub": ("qyapi_get_department_list",),  # directory sync (bot/directory/)
    "POST /topapi/v2/user/list": ("qyapi_get_department_member",),
    # Approval chains linked to DingTalk OA (`engine: {kind: dingtalk_oa}`, notifiers/approval_engines.py). The
    # permission's code was not found in DingTalk's public documentation: named as the console groups it.
    "POST /v1.0/workflow/processInstances": ("OA审批: 审批实例写",),
    "GET /v1.0/workflow/processInstances": ("OA审批: 审批实例读",),
    "POST /v1.0/oauth2/accessToken": (),
    "POST /v1.0/gateway/connections/open": (),
}
DINGTALK_OPTIONAL = {"Card.Instance.Write": "interactive approval cards (DINGTALK_CARD_TEMPLATE_ID)",
                     "Card.Streaming.Write": "interactive approval cards (DINGTALK_CARD_TEMPLATE_ID)",
                     "qyapi_get_member": "recognise people by union id or email; read one person again on an "
                                         "address-book event (user_add_org, user_modify_org, user_leave_org)",
                     "qyapi_get_department_list": "directory sync (directory: sources: kind dingtalk)",
                     "qyapi_get_department_member": "directory sync (directory: sources: kind dingtalk)",
                     "OA审批: 审批实例写": "approval chains linked to DingTalk OA (engine: kind dingtalk_oa)",
                     "OA审批: 审批实例读": "approval chains linked to DingTalk OA (engine: kind dingtalk_oa)"}


def needed(calls: dict[str, tuple[str, ...]], *more: dict[str, tuple[str, ...]]) -> list[str]:
    """Every permission the calls (and events) need, once each, sorted."""
    return sorted({scope for table in (calls, *more) for scopes in table.values() for scope in scopes})


def slack_manifest(url: str | None, *, socket_mode: bool) -> dict[str, object]:
    endpoint = None if socket_mode or url is None else url + SLACK_PATH
    command: dict[str, object] = {"command": SLASH_COMMAND, "description": "Project commands",
                                  "usage_hint": "my | report PUMP-2 60% | approvals", "should_escape": False}
    events: dict[str, object] = {"bot_events": sorted(SLACK_EVENTS)}
    interactivity: dict[str, object] = {"is_enabled": True}
    if endpoint:
        command["url"] = endpoint
        events["request_url"] = endpoint
        interactivity["request_url"] = endpoint
    return {
        "display_information": {"name": "pmsbot", "description": "Projects from chat: status, reports, approvals"},
        "features": {"bot_user": {"display_name": "pmsbot", "always_online": True},
                     "slash_commands": [command],
                     "app_home": {"messages_tab_enabled": True, "messages_tab_read_only_enabled": False}},
        "oauth_config": {"scopes": {"bot": needed(SLACK_METHODS, SLACK_DOWNLOADS, SLACK_EVENTS,
                                                         {"slash": ("commands",)})}},
        "settings": {"event_subscriptions": events, "interactivity": interactivity,
                     "socket_mode_enabled": socket_mode, "org_deploy_enabled": False,
                     "token_rotation_enabled": False},
    }


def feishu_scopes() -> dict[str, object]:
    """The import file of 权限管理 → 批量导入 (tenant permissions; no user permissions)."""
    return {"scopes": {"tenant": needed(FEISHU_CALLS, FEISHU_EVENTS), "user": []}}


def _public_url(args: argparse.Namespace) -> str | None:
    url = args.url or env.settings().pmsbot_public_url
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise CliError(f"--url {url!r}: the platforms call an https URL like https://pmsbot.example.com")
    return url.rstrip("/")


def cmd_manifest(args: argparse.Namespace) -> int:
    url = _public_url(args)
    if args.platform == "slack":
        if url is None and not args.socket_mode:
            raise CliError("slack needs --url https://… (or PMSBOT_PUBLIC_URL) for its request URLs, "
                           "or --socket-mode (SLACK_APP_TOKEN) to take events without one")
        print(yaml.safe_dump(slack_manifest(url, socket_mode=args.socket_mode), sort_keys=False,
                             allow_unicode=True), end="")
        return 0
    # Feishu and DingTalk: the importable part on stdout, where to set the URL and events on stderr.
    if args.platform == "feishu":
        print(json.dumps(feishu_scopes(), indent=2))
        where = f"request URL {url}{FEISHU_PATH}" if url else "long connection (FEISHU_LONG_CONNECTION=1)"
        print(f"事件与回调 / Events and callbacks: {where}; events: {', '.join(FEISHU_EVENTS)}; "
              f"callbacks: {', '.join(FEISHU_CALLBACKS)}", file=sys.stderr)
        return 0
    for permission in needed(DINGTALK_CALLS):
        why = DINGTALK_OPTIONAL.get(permission)
        print(f"{permission}\t{'optional: ' + why if why else 'required'}")
    where = f"HTTP {url}{DINGTALK_PATH}" if url else "Stream 模式 (DINGTALK_STREAM=1)"
    print(f"消息接收模式 / message receiving: {where}", file=sys.stderr)
    return 0
