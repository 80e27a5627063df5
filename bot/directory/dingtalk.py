"""The DingTalk address book (通讯录): departments level by level (department/listsub from the root, 1), then each
department's members with a cursor.

Wire format: https://open.dingtalk.com/document/orgapp/obtain-a-sub-department-list-v2 (POST
/topapi/v2/department/listsub {dept_id} → result [{dept_id, name, parent_id}]) and
https://open.dingtalk.com/document/orgapp/queries-the-complete-information-of-a-department-user (POST
/topapi/v2/user/list {dept_id, cursor, size ≤ 100} → result {has_more, next_cursor, list: [{userid, name, email,
org_email, job_number, leader, active}]}), both with ?access_token= from POST /v1.0/oauth2/accessToken.
One person for a change event (user_add_org / user_modify_org): POST /topapi/v2/user/get {userid} → result {userid,
name, org_email, job_number, active, manager_userid}, errcode 60121 when there is no such user
(https://apifox.com/apidoc/shared/f9b55f1e-e990-49ad-ad32-4243d72b3245/api-136641502,
a mirror of DingTalk's 根据userid获取用户详情).
errcode 90018 / 90002 are the per-second and per-minute call limits. The list has no manager field: a member's
manager is their department's leader (`leader: true` there), a leader's the parent department's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from bot.directory.base import DirectoryError, Entry, Listing, Progress, Sleep, text
from bot.directory.paged import Paged

PLATFORM = "dingtalk"
PAGE_SIZE = 100
ROOT = "1"
NO_SUCH_USER = 60121
THROTTLED = frozenset({90018, 90002})
STALE_TOKEN = frozenset({40014, 42001})  # 不合法的access_token, access_token超时: a kept client asks for a new one


class DingTalkDirectory:
    platform = PLATFORM

    def __init__(self, name: str, *, api_base: str, oapi_base: str, client_id: str, client_secret: str,
                 timeout_s: float, root: str | None = None, sleep: Sleep | None = None) -> None:
        self.name = name
        self._app = (client_id, client_secret)
        self._api = api_base.rstrip("/")
        self._oapi = oapi_base.rstrip("/")
        self._root = root or ROOT
        self._http = Paged(httpx.AsyncClient(timeout=timeout_s), what="dingtalk contacts",
                           throttled=lambda d: d.get("errcode") in THROTTLED, sleep=sleep)
        self._token: str | None = None

    async def close(self) -> None:
        await self._http.client.aclose()

    async def _access(self) -> dict[str, str]:
        if self._token is None:
            status, data = await self._http.call("POST", f"{self._api}/v1.0/oauth2/accessToken",
                                                 json={"appKey": self._app[0], "appSecret": self._app[1]})
            token = data.get("accessToken")
            if status != 200 or not isinstance(token, str):
                raise DirectoryError(f"dingtalk token refused: HTTP {status} {str(data)[:120]}")
            self._token = token
        return {"access_token": self._token}

    async def _oapi_call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One oapi call with the access token; a token that expired (a client kept for change events outlives its
        two hours) is fetched again, once."""
        for _ in range(2):
            status, data = await self._http.call(method, f"{self._oapi}{path}", params=await self._access(), json=body)
            if data.get("errcode") not in STALE_TOKEN:
                break
            self._token = None
        return status, data

    async def _result(self, status: int, data: dict[str, Any], what: str) -> Any:
        if data.get("errcode") != 0:
            raise DirectoryError(f"{what}: HTTP {status} errcode {data.get('errcode')} {str(data.get('errmsg'))[:120]}")
        return data.get("result")

    async def listing(self, progress: Progress) -> Listing:
        names: dict[str, str] = {self._root: ""}
        parents: dict[str, str | None] = {self._root: None}
        problems: list[str] = []
        todo = [self._root]
        while todo:
            dept = todo.pop()
            status, data = await self._oapi_call("POST", "/topapi/v2/department/listsub", {"dept_id": int(dept)})
            try:
                children = await self._result(status, data, f"department {dept}")
            except DirectoryError as exc:
                problems.append(str(exc))
                continue
            for child in children if isinstance(children, list) else []:
                child_id = text(child.get("dept_id"), 32) if isinstance(child, dict) else None
                if child_id is not None and child_id.isdigit() and child_id not in names:
                    names[child_id], parents[child_id] = text(child.get("name")) or child_id, dept
                    todo.append(child_id)
        progress(f"{self.name}: {len(names)} departments")
        users: dict[str, tuple[dict[str, Any], str]] = {}
        leaders: dict[str, list[str]] = {}
        for i, dept in enumerate(names, 1):
            try:
                for user in await self._members(dept):
                    account = text(user.get("userid"), 128)
                    if account is None:
                        continue
                    users.setdefault(account, (user, dept))
                    if user.get("leader") is True:
                        leaders.setdefault(dept, []).append(account)
            except DirectoryError as exc:
                problems.append(str(exc))
            if i % 20 == 0 or i == len(names):
                progress(f"{self.name}: {i}/{len(names)} departments, {len(users)} people")
        entries = tuple(_entry(account, user, dept, names, parents, leaders) for account, (user, dept) in users.items())
        return Listing(source=self.name, platform=PLATFORM, entries=entries, complete=not problems,
                       problems=tuple(problems), departments=names)

    async def person(self, userid: str) -> Entry | None:
        """One user as the address book now has them (without their department's name); None: no such user."""
        status, data = await self._oapi_call("POST", "/topapi/v2/user/get", {"userid": userid, "language": "zh_CN"})
        if data.get("errcode") == NO_SUCH_USER:
            return None
        user = await self._result(status, data, f"user {userid}")
        account = text(user.get("userid"), 128) if isinstance(user, dict) else None
        if not isinstance(user, dict) or account != userid:
            return None
        return replace(_entry(account, user, "", {}, {}, {}), department=None,
                       manager=text(user.get("manager_userid"), 128))

    async def _members(self, dept: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = 0
        while True:
            status, data = await self._oapi_call("POST", "/topapi/v2/user/list",
                                            {"dept_id": int(dept), "cursor": cursor, "size": PAGE_SIZE})
            result = await self._result(status, data, f"members of department {dept}")
            result = result if isinstance(result, dict) else {}
            found += [u for u in result.get("list") or [] if isinstance(u, dict)]
            next_cursor = result.get("next_cursor")
            if not result.get("has_more") or not isinstance(next_cursor, int):
                return found
            cursor = next_cursor


def _entry(account: str, user: dict[str, Any], dept: str, names: dict[str, str], parents: dict[str, str | None],
           leaders: dict[str, list[str]]) -> Entry:
    manager: str | None = None
    at: str | None = dept
    while at is not None and manager is None:  # the nearest leader above who is not themselves
        manager = next((a for a in leaders.get(at, []) if a != account), None)
        at = parents.get(at)
    return Entry(account=account, name=text(user.get("name"), 100) or account,
                 email=text(user.get("org_email")) or text(user.get("email")),
                 employee_id=text(user.get("job_number"), 64), department=names.get(dept) or None,
                 manager=manager, active=user.get("active") is not False)
