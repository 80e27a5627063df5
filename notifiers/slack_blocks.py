"""Block Kit for Slack: escaped mrkdwn cut to Slack's limits here, laid out by templates/slack/blocks.json.j2.

The words come from the shared templates (templates/console/... or a templates/slack/... override); the limits
(3000 chars a section, 50 blocks, 75 chars a button label) are arithmetic, done here rather than in a template.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from notifiers.base import Rendered
from notifiers.links import linked
from notifiers.render import Renderer

MAX_SECTION_CHARS = 3000
MAX_BLOCKS = 50
MAX_BUTTON_LABEL_CHARS = 75
MAX_FALLBACK_CHARS = 3000  # the notification text; Slack truncates long ones anyway


def escape(text: str) -> str:
    """Slack mrkdwn control characters: & < > (and nothing else: quotes stay as typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback_text(text: str) -> str:
    """The top-level `text`: shown in notifications and where blocks cannot be."""
    out = escape(text)
    return out if len(out) <= MAX_FALLBACK_CHARS else out[:MAX_FALLBACK_CHARS - 1] + "…"


def _sections(lines: list[str]) -> list[str]:
    """Pack escaped lines into sections of at most MAX_SECTION_CHARS, splitting over-long lines."""
    out: list[str] = []
    current = ""
    for line in lines:
        while len(line) > MAX_SECTION_CHARS:
            if current:
                out.append(current)
                current = ""
            cut = line.rfind(" ", 0, MAX_SECTION_CHARS)
            cut = cut if cut > MAX_SECTION_CHARS // 2 else MAX_SECTION_CHARS
            # Never split an escape sequence such as "&amp;".
            amp = line.rfind("&", max(0, cut - 5), cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp
            out.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MAX_SECTION_CHARS:
            out.append(current)
            current = line
        else:
            current = candidate
    if current:
        out.append(current)
    return [s for s in out if s.strip()] or ["\u200b"]


_USER_ID_RE = re.compile(r"[UW][A-Z0-9]{2,30}")  # a Slack user id, safe inside <@…>


def blocks_for(renderer: Renderer, rendered: Rendered, texts: dict[str, str], public_url: str | None
               ) -> list[dict[str, Any]]:
    """templates/slack/blocks.json.j2 around the text's sections, cut to 50 blocks with a note (and a link when
    PMSBOT_PUBLIC_URL is set), then the buttons."""
    lines = [linked(escape(line), rendered.links, lambda key, url: f"<{url}|{key}>")
             for line in rendered.text.splitlines()]
    mentions = [f"<@{m}>" for m in rendered.mentions if _USER_ID_RE.fullmatch(m)]
    if mentions:
        lines.append(" ".join(mentions))
    sections = _sections(lines)
    room = MAX_BLOCKS - (1 if rendered.buttons else 0)
    if len(sections) > room:
        kept = sections[:room - 1]
        more = sum(s.count("\n") + 1 for s in sections[room - 1:])
        note = (texts["truncated_link"].format(more=more, url=public_url.rstrip("/") + "/console")
                if public_url else texts["truncated"].format(more=more))
        sections = [*kept, note]
    buttons = [replace(b, label=b.label[:MAX_BUTTON_LABEL_CHARS] or b.id) for b in rendered.buttons]
    blocks: list[dict[str, Any]] = renderer.layout("slack/blocks.json.j2", sections=sections, buttons=buttons)
    return blocks
