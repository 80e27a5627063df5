"""Feishu contacts (contact/v3): the departments under the root, then each department's direct members, paged.

Wire format: https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/department/children and
https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/find_by_department
(`page_size` ≤ 50, `page_token` / `has_more`; a user's `status.is_resigned`, `leader_user_id`, `employee_no`).
Code 99991400 is "too many requests" (HTTP 429 or 400 with it in the body).
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.directory.base import DirectoryError, Entry, Listing, Progress, Sleep, text
from bot.directory.paged import Paged

PLATFORM = "feishu"
PAGE_SIZE = 50
THROTTLED = 99991400
ROOT = "0"


class FeishuDirectory:
    platform = PLATFORM

    def __init__(self, name: str, *, base_url: str, app_id: str, app_secret: str, timeout_s: float,
                 root: str | None = None, sleep: Sleep | None = None) -> None:
        self.name = name
        self._app = (app_id, app_secret)
        self._root = root or ROOT
        client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._http = Paged(client, what="feishu contacts", throttled=lambda d: d.get("code") == THROTTLED, sleep=sleep)
        self._token: str | None = None

    async def close(self) -> None:
        await self._http.client.aclose()

    async def _auth(self) -> dict[str, str]:
        if self._token is None:
            _, data = await self._http.call("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                                            json={"app_id": self._app[0], "app_secret": self._app[1]})
            token = data.get("tenant_access_token")
            if data.get("code") != 0 or not isinstance(token, str):
                raise DirectoryError(f"feishu token refused: code {data.get('code')} {str(data.get('msg'))[:120]}")
            self._token = token
        return {"Authorization": f"Bearer {self._token}"}

    async def _pages(self, method: str, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {**params, "page_size": str(PAGE_SIZE), **({"page_token": token} if token else {})}
            status, data = await self._http.call(method, path, params=query, headers=await self._auth())
            if data.get("code") != 0:
                raise DirectoryError(f"{path}: HTTP {status} code {data.get('code')} {str(data.get('msg'))[:120]}")
            body = data.get("data") or {}
            items += [i for i in body.get("items") or [] if isinstance(i, dict)]
            token = body.get("page_token") or ""
            if not body.get("has_more") or not token:
                return items

    async def listing(self, progress: Progress) -> Listing:
        departments = {self._root: ""}
        found = await self._pages("GET", f"/open-apis/contact/v3/departments/{self._root}/children",
                                  {"fetch_child": "true", "department_id_type": "open_department_id"})
        for d in found:
            if (dept := text(d.get("open_department_id"))) is not None:
                departments[dept] = text(d.get("name")) or dept
        progress(f"{self.name}: {len(departments)} departments")
        entries: dict[str, Entry] = {}
        problems: list[str] = []
        for i, (dept, dept_name) in enumerate(departments.items(), 1):
            try:
                users = await self._pages("GET", "/open-apis/contact/v3/users/find_by_department",
                                          {"department_id": dept, "department_id_type": "open_department_id",
                                           "user_id_type": "open_id"})
            except DirectoryError as exc:  # one department refused: the rest still counts, the run is partial
                problems.append(f"department {dept_name or dept}: {exc}")
                continue
            for user in users:
                entry = _entry(user, dept_name or None)
                if entry is not None:
                    entries.setdefault(entry.account, entry)
            if i % 20 == 0 or i == len(departments):
                progress(f"{self.name}: {i}/{len(departments)} departments, {len(entries)} people")
        return Listing(source=self.name, platform=PLATFORM, entries=tuple(entries.values()),
                       complete=not problems, problems=tuple(problems), departments=departments)

    async def person(self, open_id: str) -> Entry | None:
        """One user, for a change event (contact.user.updated_v3 carries the new state, this re-reads it)."""
        _, data = await self._http.call("GET", f"/open-apis/contact/v3/users/{open_id}",
                                             params={"user_id_type": "open_id"}, headers=await self._auth())
        user = (data.get("data") or {}).get("user") if data.get("code") == 0 else None
        return _entry(user, None) if isinstance(user, dict) else None


def entry_of(user: dict[str, Any]) -> Entry | None:
    """A user object (a listing's, or a contact event's `object`) as an entry, without its department's name."""
    return _entry(user, None)


def _entry(user: dict[str, Any], department: str | None) -> Entry | None:
    account = text(user.get("open_id"), 128)
    if account is None:
        return None
    status: dict[str, Any] = user["status"] if isinstance(user.get("status"), dict) else {}
    return Entry(account=account, name=text(user.get("name"), 100) or account,
                 email=text(user.get("enterprise_email")) or text(user.get("email")),
                 employee_id=text(user.get("employee_no"), 64), department=department,
                 manager=text(user.get("leader_user_id"), 128),
                 active=not (status.get("is_resigned") or status.get("is_frozen")))
