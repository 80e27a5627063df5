"""Jira's admin webhooks at POST /hooks/jira.

Signed, when the webhook has a secret, as `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`; the
delivery id `X-Atlassian-Webhook-Identifier` is the same on every retry, so it is the dedupe key. Edits,
comments and transitions all arrive as `jira:issue_updated`, told apart by `issue_event_type_name` and the
changelog. Payloads are thin and untrusted beyond the issue key: the worker re-reads the issue.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.config import Config
from bot.hooks.base import SignedBodies
from bot.records import InboundEvent
from bot.refusals import Refused, json_object

_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}-[0-9]{1,9}$")
_IDENTIFIER_RE = re.compile(r"[A-Za-z0-9._:-]{1,100}")
_ISSUE_EVENTS = {"jira:issue_created": "created", "jira:issue_updated": "updated", "jira:issue_deleted": "deleted",
                 "comment_created": "commented", "comment_updated": "commented", "worklog_created": "worklog"}
_TYPE_EVENTS = {"issue_commented": "commented", "issue_comment_edited": "commented", "issue_assigned": "assigned",
                "issue_work_logged": "worklog", "issue_resolved": "transitioned", "issue_closed": "transitioned",
                "issue_reopened": "transitioned"}


def signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _changes(changelog: Any) -> tuple[str, str]:
    """("field: from → to; …", the kind of change the changelog shows)."""
    items = changelog.get("items") if isinstance(changelog, dict) else None
    parts, kind = [], "updated"
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        field = str(item.get("field", ""))[:40]
        parts.append(f"{field}: {str(item.get('fromString') or '-')[:60]} → {str(item.get('toString') or '-')[:60]}")
        if field == "status":
            kind = "transitioned"
        elif field == "assignee" and kind != "transitioned":
            kind = "assigned"
    return "; ".join(parts)[:500], kind


class JiraHooks:
    name = "jira"

    def __init__(self, config: Config) -> None:
        self._signed = SignedBodies(config.connectors.jira.webhook_secret, header="X-Hub-Signature", sign=signature,
                                    refusal="X-Hub-Signature is missing or does not match the webhook's secret")

    def enabled(self) -> bool:
        return self._signed.enabled()

    async def event(self, request: web.Request, raw: bytes, token: str | None, *, now: datetime
                    ) -> InboundEvent | None:
        self._signed.verify(request, raw, token)
        body = json_object(raw, "the webhook body")
        webhook_event = body.get("webhookEvent")
        if not isinstance(webhook_event, str):
            raise Refused(400, "webhookEvent is missing")
        issue = body.get("issue")
        key = issue.get("key") if isinstance(issue, dict) else None
        if webhook_event not in _ISSUE_EVENTS:
            return None  # sprints, versions, projects...: acknowledged, not told to chats
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise Refused(400, "issue.key is missing or not an issue key")
        changes, kind = _changes(body.get("changelog"))
        kind = _TYPE_EVENTS.get(str(body.get("issue_event_type_name", "")), kind)
        if _ISSUE_EVENTS[webhook_event] != "updated":
            kind = _ISSUE_EVENTS[webhook_event]
        user: dict[str, Any] = body["user"] if isinstance(body.get("user"), dict) else {}
        comment: dict[str, Any] = body["comment"] if isinstance(body.get("comment"), dict) else {}
        if comment.get("visibility") or comment.get("jsdPublic") is False:
            comment = {}  # restricted to a role or group, or internal: not for a chat
        # X-Atlassian-Webhook-Identifier is "unique within the site and unchanged across retries": the key, so a
        # retry whose body Jira serialised anew is still one change. It is not signed; a signed body captured and
        # sent again under a new identifier would tell the chat a second time (it writes nothing). Without the
        # header, the signed body is the key.
        identifier = request.headers.get("X-Atlassian-Webhook-Identifier", "")
        event_id = (f"id:{identifier}" if _IDENTIFIER_RE.fullmatch(identifier)
                    else "sha256:" + hashlib.sha256(raw).hexdigest())
        return InboundEvent(
            platform="jira", event_id=event_id, kind="change", sender="jira", conversation="",
            action={"pms": "jira", "project": key.rpartition("-")[0], "task": key, "event": kind,
                    "actor": str(user.get("displayName") or user.get("name") or "")[:100], "changes": changes,
                    "comment": _comment_text(comment.get("body"))[:500]},
            received_at=now)


def _comment_text(body: Any) -> str:
    """A comment body as text: a string (Data Center) or the text nodes of an Atlassian document (Cloud)."""
    if isinstance(body, str):
        return body
    out: list[str] = []

    def walk(node: Any, depth: int) -> None:
        if depth > 50 or len(out) > 200:
            return
        if isinstance(node, dict):
            if node.get("type") == "text" and isinstance(node.get("text"), str):
                out.append(node["text"])
            for child in node.get("content") or [] if isinstance(node.get("content"), list) else []:
                walk(child, depth + 1)
    walk(body, 0)
    return " ".join(out)
