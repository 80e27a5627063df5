"""The console platform: the web chat and `pmsbot say`. Its sender is the person's id."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from bot.records import InboundEvent
from bot.text import storable

PLATFORM = "console"
PERSON_ID_RE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MAX_CLIENT_ID_CHARS = 100
MAX_FIELD_CHARS = 20_000  # the parser refuses long text itself, with a localized message


class BadEvent(ValueError):
    """The request is malformed; the message is safe to return to the caller."""


def _str(body: dict[str, Any], key: str, *, required: bool = True, max_chars: int = MAX_FIELD_CHARS) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadEvent(f"'{key}' must be a string")
    if len(value) > max_chars:
        raise BadEvent(f"'{key}' is longer than {max_chars} characters")
    return storable(value)


def _person(body: dict[str, Any]) -> str:
    person = _str(body, "person", max_chars=64)
    if not PERSON_ID_RE.fullmatch(person):
        raise BadEvent("'person' is not a person id")
    return person


def _event_id(body: dict[str, Any], person: str) -> str:
    # The browser sends its own id per message so a resubmitted request is recognised as the same event;
    # scoped to the person, so one person's id can never swallow another's message.
    client_id = _str(body, "client_id", required=False, max_chars=MAX_CLIENT_ID_CHARS)
    return f"{person}:{client_id or uuid.uuid4().hex}"


def message_event(body: Any, *, received_at: datetime) -> InboundEvent:
    if not isinstance(body, dict):
        raise BadEvent("the body must be a JSON object")
    person = _person(body)
    return InboundEvent(platform=PLATFORM, event_id=_event_id(body, person), kind="message", sender=person,
                        conversation=person, text=_str(body, "text"), received_at=received_at)


def action_event(body: Any, *, received_at: datetime) -> InboundEvent:
    if not isinstance(body, dict):
        raise BadEvent("the body must be a JSON object")
    person = _person(body)
    action = {"id": _str(body, "action", max_chars=20), "value": _str(body, "value", max_chars=20)}
    reason = _str(body, "reason", required=False, max_chars=1000)
    if reason:
        action["reason"] = reason
    return InboundEvent(platform=PLATFORM, event_id=_event_id(body, person), kind="action", sender=person,
                        conversation=person, action=action, received_at=received_at)
