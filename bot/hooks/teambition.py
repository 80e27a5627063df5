"""Teambition's app webhooks at POST /hooks/teambition.

Each delivery carries `X-Signature`, "the signature of the message body; the key is the app's secret" with
`X-Request-Id`, `X-Tenant-Id` and `X-Tenant-Type` (Teambition webhook docs, e.g. task.update:
https://apifox.com/apidoc/project-518374/doc-387264, department.create: doc-387252): a 64-hex-digit value, read as
HMAC-SHA256 of the raw body with the app secret (connectors.teambition.webhook_secret). The pages name no algorithm
and nothing found confirms this one: an assumption, said so in README ("Teambition's webhook signature"). The body is
{orgId, timestamp, event, eventId, hookId, data: {operatorId, task: {taskId, projectId, …}, new, old}}; eventId is
the delivery's dedupe key. Payloads are trusted for the task's ids only: the worker reads the task again.
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

_ID_RE = re.compile(r"^[0-9a-f]{24}$")
_EVENTS = {"task.create": "created", "task.update": "updated", "task.remove": "deleted", "task.delete": "deleted",
           "task.archive": "deleted", "task.comment": "commented", "task.comment.create": "commented",
           "task.worktime.create": "worklog"}
_STATUS_FIELDS = ("tfsId", "taskflowstatusId", "statusId", "isDone")


def signature(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _kind(event: str, new: dict[str, Any]) -> str:
    kind = _EVENTS.get(event, "updated")
    if kind == "updated" and any(f in new for f in _STATUS_FIELDS):
        return "transitioned"
    if kind == "updated" and "executorId" in new:
        return "assigned"
    return kind


class TeambitionHooks:
    name = "teambition"

    def __init__(self, config: Config) -> None:
        self._signed = SignedBodies(config.connectors.teambition.webhook_secret, header="X-Signature", sign=signature,
                                    refusal="X-Signature is missing or does not match the app secret's signature of the body")

    def enabled(self) -> bool:
        return self._signed.enabled()

    async def event(self, request: web.Request, raw: bytes, token: str | None, *, now: datetime
                    ) -> InboundEvent | None:
        self._signed.verify(request, raw, token)
        body = json_object(raw, "the webhook body")
        event = body.get("event")
        if not isinstance(event, str) or not event:
            raise Refused(400, "event is missing")
        if not event.startswith("task."):
            return None  # projects, members, departments…: acknowledged, not told to chats
        data = body.get("data")
        task = data.get("task") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(task, dict):
            raise Refused(400, "data.task is missing")
        task_id, project_id = task.get("taskId") or task.get("id"), task.get("projectId")
        if not isinstance(task_id, str) or not _ID_RE.match(task_id):
            raise Refused(400, "data.task.taskId is missing or not a Teambition id")
        if not isinstance(project_id, str) or not _ID_RE.match(project_id):
            return None  # a task outside projects (an organization task): no project maps to it
        tenant = request.headers.get("X-Tenant-Id", "")
        if tenant and body.get("orgId") and tenant != body.get("orgId"):
            raise Refused(400, "X-Tenant-Id and orgId name different enterprises")
        new: dict[str, Any] = data["new"] if isinstance(data.get("new"), dict) else {}
        number = task.get("uniqueId")
        event_id = body.get("eventId")
        return InboundEvent(
            platform="teambition", kind="change", sender="teambition", conversation="", received_at=now,
            event_id=(f"id:{event_id}" if isinstance(event_id, str) and _ID_RE.match(event_id)
                      else "sha256:" + hashlib.sha256(raw).hexdigest()),
            action={"pms": "teambition", "project": project_id, "ref": task_id,
                    "task": str(number) if isinstance(number, int) and 0 < number < 10**9 else "",
                    "event": _kind(event, new), "actor": str(data.get("operatorId") or "")[:100],
                    "changes": ", ".join(sorted(str(k)[:40] for k in new))[:500],
                    "comment": str(data.get("comment") or "")[:500] if isinstance(data.get("comment"), str) else ""})
