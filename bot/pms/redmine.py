"""Redmine 5 REST (X-Redmine-API-Key), tested against a real Redmine.

Redmine's traps, handled here: a wrong key reads as anonymous on public projects (so the key is checked on
/my/account.json first); a status the workflow does not allow is ignored with 204 (so allowed_statuses is read
before and the issue re-read after); time entries need an activity; pages hold at most 100 issues. Issue #123
of the project mapped to PUMP is PUMP-123 in chat. With an admin key and `switch_user`, writes are made as the
person (X-Redmine-Switch-User); otherwise the note names them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, RedmineConnectorConfig, Settings
from bot.constants import PMS_PAGE_SIZE, PMS_SUMMARY_MAX_TASKS
from bot.pms import redmine_edits
from bot.pms.base import STATUSES, PMSError, TaskEdit, Written
from bot.pms.capabilities import conformance
from bot.pms.http import PMSHttp, TTLCache
from bot.pms.people import PeopleMap, task_number
from bot.pms.remote import odd_answers_refused, parse_day, progress_comment, reopen_or_start, summarize
from bot.records import Attachment, Milestone, Person, Project, ProjectSummary, Task

# Redmine 5 has no webhooks: changes are polled (bot/changes.py).
CAPABILITIES = conformance(
    "redmine", per_person="tests/test_pms_http.py::test_redmine_writes_as_the_person_with_switch_user",
    attachments="tests/test_attachments.py::test_a_photo_sent_with_a_report_on_each_platform_arrives_in_redmine")


def build(settings: Settings, config: Config, clock: Clock) -> RedmineClient | None:
    if not (settings.redmine_url and settings.redmine_api_key):
        return None
    return RedmineClient(url=settings.redmine_url, api_key=settings.redmine_api_key.get_secret_value(),
                         config=config.connectors.redmine, clock=clock)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _hours(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01")).normalize()


@odd_answers_refused("Redmine")
class RedmineClient:
    name = "redmine"

    def __init__(self, *, url: str, api_key: str, config: RedmineConnectorConfig,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.http = PMSHttp(connector="redmine", display="Redmine", base_url=url,
                            headers={"X-Redmine-API-Key": api_key, "Accept": "application/json"}, clock=clock)
        self.cache: TTLCache[Any] = TTLCache()

    def for_project(self, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> RedminePMS:
        return RedminePMS(self, project, people)

    async def check(self) -> str:
        me = await self.account()
        return f"Redmine as {me.get('login')}{' (admin)' if me.get('admin') else ''}"

    async def close(self) -> None:
        await self.http.close()

    async def account(self) -> dict[str, Any]:
        """Who the key belongs to. 401 here is the only sure sign of a wrong key (elsewhere: anonymous)."""
        async def load() -> dict[str, Any]:
            body = await self.send("GET", "/my/account.json")
            return dict(body.get("user") or {})
        return dict(await self.cache.get("account", load))

    async def send(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                   missing: str | None = None, as_user: str | None = None, content: bytes | None = None) -> Any:
        headers = {"X-Redmine-Switch-User": as_user} if as_user else {}
        if content is not None:
            headers["Content-Type"] = "application/octet-stream"  # /uploads.json takes the file as the raw body
        response = await self.http.call(method, path, params=params, json=json, headers=headers or None,
                                        content=content)
        status = response.status_code
        if status == 204 or (status < 300 and not response.content):
            return {}
        body = self.http.json_of(response) if response.content else {}
        if status < 300:
            return body
        reason = "; ".join(str(e) for e in body.get("errors", [])) if isinstance(body, dict) else ""
        if status == 404 and missing:
            raise PMSError("unknown_task", task=missing)
        if status == 403:
            raise PMSError("pms_forbidden", pms="Redmine", reason=reason or f"{method} {path}")
        if status == 412:  # the switch-user login is unknown or locked
            raise PMSError("pms_refused", pms="Redmine", reason=f"no active Redmine user '{as_user}'")
        raise PMSError("pms_refused", pms="Redmine", reason=reason[:300] or f"{method} {path} answered {status}")

    async def named(self, path: str, key: str) -> dict[str, int]:
        """name (casefolded) -> id of statuses, trackers or activities, cached."""
        async def load() -> dict[str, int]:
            body = await self.send("GET", path)
            return {str(i.get("name", "")).casefold(): int(i["id"]) for i in body.get(key, []) if "id" in i}
        result: dict[str, int] = await self.cache.get(path, load)
        return result

    async def users(self) -> dict[int, str]:
        """user id -> login (needs an admin key; without one, people are matched by id or name)."""
        async def load() -> dict[int, str]:
            out: dict[int, str] = {}
            if not (await self.account()).get("admin"):
                return out
            offset = 0
            while True:
                body = await self.send("GET", "/users.json", params={"limit": PMS_PAGE_SIZE, "offset": offset})
                batch = body.get("users", [])
                out.update({int(u["id"]): str(u.get("login", "")) for u in batch})
                offset += len(batch)
                if not batch or offset >= int(body.get("total_count") or 0):
                    return out
        result: dict[int, str] = await self.cache.get("users", load)
        return result

    async def project_id(self, identifier: str) -> int:
        async def load() -> int:
            body = await self.send("GET", f"/projects/{identifier}.json")
            return int(body["project"]["id"])
        result: int = await self.cache.get(f"project:{identifier}", load)
        return result

    async def pages(self, path: str, key: str, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        """Every item of a list, up to `limit`, 100 per request (Redmine's cap)."""
        items: list[dict[str, Any]] = []
        while len(items) < limit:
            body = await self.send("GET", path, params={**params, "offset": len(items),
                                                        "limit": min(PMS_PAGE_SIZE, limit - len(items))})
            batch = body.get(key, [])
            items += batch
            if not batch or len(items) >= int(body.get("total_count") or 0):
                break
        return items[:limit]


@odd_answers_refused("Redmine")
class RedminePMS:
    name = "redmine"

    def __init__(self, client: RedmineClient, project: Project,
                 people: Callable[[], Awaitable[PeopleMap]]) -> None:
        self.c = client
        self.project = project
        self.identifier = project.pms_project or project.key.lower()
        self._people = people
        self.wrote: list[bool] = []  # with switch_user, per write: True as the person, False as the admin key

    def _status(self, status: dict[str, Any]) -> str:
        name = str(status.get("name", "")).casefold()
        for neutral in STATUSES:
            if name in (n.casefold() for n in getattr(self.c.config.statuses, neutral)):
                return neutral
        return "done" if status.get("is_closed") else "in_progress"

    def _task(self, issue: dict[str, Any], people: PeopleMap, logins: dict[int, str]) -> Task:
        status = self._status(issue.get("status") or {})
        who = issue.get("assigned_to") or {}
        version = issue.get("fixed_version") or {}
        spent = issue.get("total_spent_hours", issue.get("spent_hours"))
        estimate = issue.get("estimated_hours")
        return Task(
            key=f"{self.project.key}-{issue['id']}", project=self.project.key, title=str(issue.get("subject", "")),
            status=status, percent=100 if status == "done" else int(issue.get("done_ratio") or 0),
            assignee=people.person_of(logins.get(int(who["id"])) if "id" in who else None, who.get("id"),
                                      who.get("name")) if who else None,
            due=parse_day(issue.get("due_date")),
            estimate_h=_hours(estimate) if estimate is not None else None, spent_h=_hours(spent),
            milestone=str(version["name"]) if version.get("name") else None, blocked_reason=None,
            updated_at=_when(issue.get("updated_on")) or self.c.clock.now(), created_at=_when(issue.get("created_on")),
            priority=str((issue.get("priority") or {}).get("name")) if issue.get("priority") else None,
        )

    async def _ready(self) -> None:
        await self.c.account()  # a wrong key must fail loudly, not read public projects as anonymous

    async def _issue(self, key: str, *, include: str = "", as_user: str | None = None) -> dict[str, Any]:
        number = task_number(key, self.project.key)
        await self._ready()
        body = await self.c.send("GET", f"/issues/{number}.json", params={"include": include} if include else None,
                                 missing=key, as_user=as_user)
        issue = dict(body.get("issue") or {})
        if int((issue.get("project") or {}).get("id", -1)) != await self.c.project_id(self.identifier):
            raise PMSError("unknown_task", task=key)
        return issue

    async def _as(self, by: Person) -> str | None:
        if self.c.config.switch_user:  # writes go as each person: one who linked no login goes as the admin key
            self.wrote.append(bool(by.pms_user))
        return by.pms_user if self.c.config.switch_user and by.pms_user else None

    async def _to_task(self, issue: dict[str, Any]) -> Task:
        return self._task(issue, await self._people(), await self.c.users())

    async def get_task(self, key: str) -> Task | None:
        try:
            return await self._to_task(await self._issue(key))
        except PMSError as exc:
            if exc.code == "unknown_task":
                return None
            raise

    async def search_tasks(self, *, project: str | None = None, assignee: Person | None = None,
                           open_only: bool = True, limit: int = 50) -> list[Task]:
        await self._ready()
        params: dict[str, Any] = {"project_id": self.identifier, "status_id": "open" if open_only else "*",
                                  "sort": "due_date,id"}
        if assignee is not None:
            user_id = await self._user_id(assignee.pms_user)
            if user_id is None:
                return []
            params["assigned_to_id"] = user_id
        issues = await self.c.pages("/issues.json", "issues", params, limit)
        people, logins = await self._people(), await self.c.users()
        # Redmine's due_date sort puts empty dates first; chat lists want the dated ones first.
        tasks = [self._task(i, people, logins) for i in issues]
        return sorted(tasks, key=lambda t: (t.due is None, t.due or date.min))

    async def _user_id(self, handle: str | None) -> int | None:
        if not handle:
            return None
        if handle.isdigit():
            return int(handle)
        for user_id, login in (await self.c.users()).items():
            if login.casefold() == handle.casefold():
                return user_id
        return None

    async def create_task(self, project: str, title: str, *, assignee: Person | None, due: date | None,
                          by: Person) -> Task:
        await self._ready()
        issue: dict[str, Any] = {"project_id": self.identifier, "subject": title}
        if self.c.config.tracker:
            trackers = await self.c.named("/trackers.json", "trackers")
            if self.c.config.tracker.casefold() not in trackers:
                raise PMSError("pms_refused", pms="Redmine", reason=f"no tracker '{self.c.config.tracker}'")
            issue["tracker_id"] = trackers[self.c.config.tracker.casefold()]
        if assignee is not None:
            user_id = await self._user_id(assignee.pms_user)
            if user_id is not None:
                issue["assigned_to_id"] = user_id
        if due is not None:
            issue["due_date"] = due.isoformat()
        as_user = await self._as(by)
        if as_user is None:
            issue["description"] = f"{by.name} (pmsbot)"
        body = await self.c.send("POST", "/issues.json", json={"issue": issue}, as_user=as_user)
        return await self._to_task(await self._issue(f"{self.project.key}-{body['issue']['id']}"))

    async def report_progress(self, key: str, *, percent: int | None, note: str, hours: Decimal | None,
                              by: Person) -> Written:
        as_user = await self._as(by)
        issue = await self._issue(key, include="allowed_statuses", as_user=as_user)
        change: dict[str, Any] = {}
        if percent is not None:
            change["done_ratio"] = percent
        text = note if as_user else progress_comment(by, percent=percent, note=note)
        if text:
            change["notes"] = text
        target = reopen_or_start(self._status(issue.get("status") or {}), percent)
        if target is not None:
            change["status_id"] = self._allowed_status(key, issue, target)
        if change:
            await self.c.send("PUT", f"/issues/{issue['id']}.json", json={"issue": change}, missing=key,
                              as_user=as_user)
        entry = await self._time_entry(issue["id"], hours, note=note, by=by, as_user=as_user) \
            if hours is not None else None
        return Written.of(await self._checked(key, change.get("status_id"), target), entry)

    def _allowed_status(self, key: str, issue: dict[str, Any], status: str) -> int:
        allowed = issue.get("allowed_statuses") or []
        current = issue.get("status") or {}
        for name in getattr(self.c.config.statuses, status):
            for s in [current, *allowed]:
                if str(s.get("name", "")).casefold() == name.casefold():
                    return int(s["id"])
        raise PMSError("transition_not_allowed", task=key, status=status, pms="Redmine",
                       allowed=", ".join(str(s.get("name")) for s in allowed if s.get("id") != current.get("id"))
                       or "-")

    async def _checked(self, key: str, status_id: int | None, target: str | None) -> Task:
        """Re-read after a write: Redmine answers 204 even when it ignored the status."""
        issue = await self._issue(key, include="allowed_statuses")
        if status_id is not None and int((issue.get("status") or {}).get("id", -1)) != status_id:
            raise PMSError("transition_not_allowed", task=key, status=target or "-", pms="Redmine",
                           allowed=", ".join(str(s.get("name")) for s in issue.get("allowed_statuses") or []) or "-")
        return await self._to_task(issue)

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        as_user = await self._as(by)
        issue = await self._issue(key, include="allowed_statuses", as_user=as_user)
        status_id = self._allowed_status(key, issue, status)
        change: dict[str, Any] = {"status_id": status_id}
        if status == "done":
            change["done_ratio"] = 100
        if reason:
            change["notes"] = reason if as_user else f"{by.name}: {reason}"
        await self.c.send("PUT", f"/issues/{issue['id']}.json", json={"issue": change}, missing=key, as_user=as_user)
        return await self._checked(key, status_id, status)

    async def check_move(self, key: str, status: str, *, by: Person) -> None:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        self._allowed_status(key, await self._issue(key, include="allowed_statuses", as_user=await self._as(by)),
                             status)

    async def comment(self, key: str, body: str, *, by: Person) -> None:
        as_user = await self._as(by)
        issue = await self._issue(key, as_user=as_user)
        await self.c.send("PUT", f"/issues/{issue['id']}.json", missing=key, as_user=as_user,
                          json={"issue": {"notes": body if as_user else f"{by.name}: {body}"}})

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> str:
        as_user = await self._as(by)
        issue = await self._issue(key, as_user=as_user)
        return await self._time_entry(issue["id"], hours, note=note, by=by, as_user=as_user)

    async def delete_worklog(self, key: str, worklog: str, *, by: Person) -> None:
        as_user = await self._as(by)
        issue = await self._issue(key, as_user=as_user)
        try:
            entry = await self.c.send("GET", f"/time_entries/{int(worklog)}.json", missing=key, as_user=as_user)
        except PMSError as exc:
            if exc.code == "unknown_task":
                return  # gone already: an earlier attempt of this undo deleted it
            raise
        if int(((entry.get("time_entry") or {}).get("issue") or {}).get("id", -1)) != int(issue["id"]):
            raise PMSError("unknown_task", task=key)  # not a time entry of this task
        await self.c.send("DELETE", f"/time_entries/{int(worklog)}.json", as_user=as_user, missing=key)

    async def _time_entry(self, issue_id: int, hours: Decimal, *, note: str, by: Person, as_user: str | None) -> str:
        activities = await self.c.named("/enumerations/time_entry_activities.json", "time_entry_activities")
        activity = self.c.config.activity
        activity_id = int(activity) if activity.isdigit() else activities.get(activity.casefold())
        if activity_id is None:
            raise PMSError("pms_refused", pms="Redmine",
                           reason=f"no time-entry activity '{activity}' (connectors.redmine.activity)")
        comments = note if as_user else (f"{by.name}: {note}" if note else by.name)
        body = await self.c.send("POST", "/time_entries.json", as_user=as_user, json={"time_entry": {
            "issue_id": issue_id, "hours": float(hours), "activity_id": activity_id, "comments": comments[:1000]}})
        return str(body["time_entry"]["id"])

    async def attach(self, key: str, file: Attachment, *, by: Person) -> None:
        await redmine_edits.attach(self, key, file, by=by)

    async def edit_task(self, key: str, edit: TaskEdit, *, by: Person) -> Task:
        return await redmine_edits.edit_task(self, key, edit, by=by)

    async def find_tasks(self, project: str, words: str, *, limit: int) -> list[Task]:
        return await redmine_edits.find_tasks(self, words, limit=limit)

    async def list_milestones(self, project: str) -> list[Milestone]:
        return list((await self.project_summary(project, today=self.c.clock.now().date())).milestones)

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary:
        await self._ready()
        versions = await self.c.send("GET", f"/projects/{self.identifier}/versions.json")
        issues = await self.c.pages("/issues.json", "issues", {"project_id": self.identifier, "status_id": "*"},
                                    PMS_SUMMARY_MAX_TASKS)
        tasks = [self._task(i, PeopleMap(), {}) for i in issues]
        dues = [(int(v["id"]), str(v.get("name")), parse_day(v.get("due_date"))) for v in versions.get("versions", [])]
        return summarize(self.project, tasks, dues, today=today)

    async def changes_since(self, since: datetime, *, limit: int) -> list[dict[str, Any]]:
        """Issues updated at or after `since` (Redmine 5 has no webhooks: the poller reads these)."""
        await self._ready()
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return await self.c.pages("/issues.json", "issues", {"project_id": self.identifier, "status_id": "*",
                                                             "updated_on": f">={stamp}", "sort": "updated_on"},
                                  limit)

    async def newest_change(self) -> datetime | None:
        """When the project's most recently updated issue was updated, on Redmine's own clock (None: no issues)."""
        await self._ready()
        body = await self.c.send("GET", "/issues.json", params={"project_id": self.identifier, "status_id": "*",
                                                                "sort": "updated_on:desc", "limit": 1})
        issues = body.get("issues") or []
        return _when(issues[0].get("updated_on")) if issues else None

    async def journals(self, issue_id: int) -> list[dict[str, Any]]:
        body = await self.c.send("GET", f"/issues/{issue_id}.json", params={"include": "journals"})
        return list((body.get("issue") or {}).get("journals") or [])

