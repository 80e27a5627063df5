"""Jira's shapes of text, time and errors (bot/pms/jira.py speaks the API with them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian document: a paragraph per line (ADF text nodes must not be empty)."""
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}]}
                  for line in text.splitlines() if line.strip()]
    return {"type": "doc", "version": 1, "content": paragraphs or [{"type": "paragraph", "content": []}]}


def jira_time(value: Any) -> datetime | None:
    """Jira's "2026-11-30T10:00:00.000+0000"."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def jira_errors(body: Any) -> str:
    """Jira's error shape {"errorMessages": [...], "errors": {field: message}} as one line."""
    if not isinstance(body, dict):
        return ""
    parts = [str(m) for m in body.get("errorMessages") or [] if m]
    found = body.get("errors")
    if isinstance(found, dict):
        parts += [f"{k}: {v}" for k, v in found.items()]
    return "; ".join(parts)[:300]


def jql_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
