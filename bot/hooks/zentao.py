"""Zentao's built-in webhook ("Others"/default type) at POST /hooks/zentao/{token}.

Zentao signs nothing, so the URL carries a secret token (connectors.zentao.webhook_token) and the payload is
trusted for nothing but the task id: the worker re-reads the task. There is no delivery id: the dedupe key
is the body's hash (Zentao's `date` makes two real changes differ).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from aiohttp import web

from bot.config import Config
from bot.records import InboundEvent
from bot.refusals import Refused, json_object

_ACTIONS = {"opened": "created", "edited": "updated", "commented": "commented", "assigned": "assigned",
            "started": "transitioned", "finished": "transitioned", "paused": "transitioned",
            "restarted": "transitioned", "closed": "transitioned", "activated": "transitioned",
            "canceled": "transitioned", "confirmed": "updated", "recordestimate": "worklog",
            "editestimate": "worklog", "deleteestimate": "worklog", "deleted": "deleted"}


class ZentaoHooks:
    name = "zentao"

    def __init__(self, config: Config) -> None:
        token = config.connectors.zentao.webhook_token
        self._token = token.get_secret_value() if token else None

    def enabled(self) -> bool:
        return self._token is not None

    async def event(self, request: web.Request, raw: bytes, token: str | None, *, now: datetime
                    ) -> InboundEvent | None:
        if self._token is None or token is None or not hmac.compare_digest(token.encode(), self._token.encode()):
            raise Refused(401, "the URL's token is missing or wrong (connectors.zentao.webhook_token)")
        body = json_object(raw, "the webhook body")
        object_type, object_id = body.get("objectType"), body.get("objectID")
        if not isinstance(object_type, str) or object_id is None:
            raise Refused(400, "objectType and objectID are required")
        if object_type != "task":
            return None  # bugs, stories, projects...: acknowledged, not told to chats
        if not str(object_id).isdigit() or len(str(object_id)) > 9:
            raise Refused(400, "objectID must be a task id")
        action = str(body.get("action", ""))[:40]
        return InboundEvent(
            platform="zentao", event_id="sha256:" + hashlib.sha256(raw).hexdigest(), kind="change",
            sender="zentao", conversation="",
            action={"pms": "zentao", "project": "", "task": str(object_id), "event": _ACTIONS.get(action, "updated"),
                    "actor": str(body.get("actor", ""))[:100], "changes": action,
                    "comment": str(body.get("comment") or "")[:500]},
            received_at=now)
