"""DingTalk's markdown: escaping, the notification title, and the cut that keeps a message within its size."""

from __future__ import annotations

import json
import re

from bot.constants import DINGTALK_MARKDOWN_MAX_BYTES

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]~|"} | {"<": "&lt;", ">": "&gt;"})


def dingtalk_md(text: str) -> str:
    """DingTalk markdown: markup characters escaped, `<`/`>` as entities (it renders some HTML), a heading or quote
    marker at a line start escaped, and hard line breaks (a lone newline joins lines otherwise)."""
    lines = []
    for line in text.translate(_MD_SPECIAL).split("\n"):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        number = len(stripped) - len(stripped.lstrip("0123456789"))
        if stripped[:1] in ("#", "+", "-"):
            line = indent + "\\" + stripped
        elif number and stripped[number:number + 1] == ".":  # "1. x" would start a list: "1\. x"
            line = indent + stripped[:number] + "\\" + stripped[number:]
        lines.append(line)
    return "  \n".join(lines)


def title_of(text: str) -> str:
    """The notification preview: the first line, short."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "pmsbot")
    return first[:60]


def fit(markdown: str, note: str, limit_bytes: int = DINGTALK_MARKDOWN_MAX_BYTES) -> str:
    """The markdown cut (with `note` after it) so that, as JSON inside msgParam, it stays within `limit_bytes`."""
    def size(text: str) -> int:
        return len(json.dumps(text, ensure_ascii=False).encode())
    if size(markdown) <= limit_bytes:
        return markdown
    budget, low, high = limit_bytes - size(note) - 8, 0, len(markdown)
    while low < high:  # the longest prefix within the budget
        mid = (low + high + 1) // 2
        low, high = (mid, high) if size(markdown[:mid]) <= budget else (low, mid - 1)
    cut = _PARTIAL_ENTITY.sub("", markdown[:low])  # never half an "&lt;"
    return cut.rstrip("\\ ") + "  \n" + note
