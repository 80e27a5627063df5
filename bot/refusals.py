"""What every inbound adapter says to a request that is not the platform's, or is malformed."""

from __future__ import annotations

import json
from typing import Any


class Refused(Exception):
    """Not the platform's, or malformed: (status, reason) for the JSON answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def json_object(raw: bytes, what: str) -> dict[str, Any]:
    """`raw` as a JSON object, or Refused(400) naming `what` was wrong."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Refused(400, f"{what} is not valid JSON") from exc
    if not isinstance(data, dict):
        raise Refused(400, f"{what} must be a JSON object")
    return data


def dig(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]…, or None where a step is missing or is not an object: a platform's body read
    without trusting its shape."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
