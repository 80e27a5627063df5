"""Slack's members (users.list), a cursor at a time.

Wire format: https://api.slack.com/methods/users.list and https://docs.slack.dev/apis/web-api/pagination
(`limit`, `cursor`, `response_metadata.next_cursor`, empty at the end); rate limit tier 2 (about 20 a minute):
HTTP 429 with Retry-After. A member has `deleted` when deactivated; bots and Slackbot are not people. Slack has
no employee id or manager: its members are matched by e-mail (`profile.email`, with users:read.email).
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.directory.base import DirectoryError, Entry, Listing, Progress, Sleep, text
from bot.directory.paged import Paged

PLATFORM = "slack"
PAGE_SIZE = 200  # Slack suggests no more than 200


class SlackDirectory:
    platform = PLATFORM

    def __init__(self, name: str, *, api_url: str, token: str, timeout_s: float, sleep: Sleep | None = None) -> None:
        self.name = name
        self._token = token
        self._http = Paged(httpx.AsyncClient(base_url=api_url.rstrip("/") + "/", timeout=timeout_s),
                           what="slack users.list", sleep=sleep)

    async def close(self) -> None:
        await self._http.client.aclose()

    async def _page_call(self, cursor: str, method: str) -> dict[str, Any]:
        params = {"limit": str(PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
        status, data = await self._http.call("GET", method, params=params,
                                             headers={"Authorization": f"Bearer {self._token}"})
        if data.get("ok") is not True:
            raise DirectoryError(f"slack {method}: HTTP {status} {str(data.get('error'))[:120]}")
        return data

    async def listing(self, progress: Progress) -> Listing:
        entries: list[Entry] = []
        cursor = ""
        pages = 0
        problems: list[str] = []
        while True:
            try:
                data = await self._page_call(cursor, "users.list")
            except DirectoryError as exc:
                if pages == 0:
                    raise
                problems.append(str(exc))  # later pages lost: what was read counts, nobody is a leaver
                break
            pages += 1
            for member in data.get("members") or []:
                entry = _entry(member) if isinstance(member, dict) else None
                if entry is not None:
                    entries.append(entry)
            progress(f"{self.name}: page {pages}, {len(entries)} people")
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return Listing(source=self.name, platform=PLATFORM, entries=tuple(entries), complete=not problems,
                       problems=tuple(problems))


def _entry(member: dict[str, Any]) -> Entry | None:
    account = text(member.get("id"), 128)
    if account is None or member.get("is_bot") or account == "USLACKBOT":
        return None
    profile: dict[str, Any] = member["profile"] if isinstance(member.get("profile"), dict) else {}
    return Entry(account=account, name=text(profile.get("real_name"), 100) or text(member.get("real_name"), 100)
                 or text(member.get("name"), 100) or account,
                 email=text(profile.get("email")), active=not member.get("deleted"))
