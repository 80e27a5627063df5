"""Jira Cloud (REST v3, email + API token) and Jira Data Center (REST v2, personal access token).

Cloud searches with `/rest/api/3/search/jql` (cursor `nextPageToken`; the old `/search` is gone), comments
and work logs in Atlassian Document Format; Data Center keeps `/rest/api/2/search` (startAt/total) and plain
strings. Statuses move by transitions, looked up by the target status's name. Reads that span a project are
JQL searches of 100 issues a page: a scan of 5,000 issues is 50 requests, never one per issue.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, JiraConnectorConfig, Settings
from bot.constants import PMS_PAGE_SIZE, PMS_SUMMARY_MAX_TASKS
from bot.pms import jira_edits
from bot.pms.base import STATUSES, PMSError, TaskEdit, Written
from bot.pms.capabilities import conformance
from bot.pms.http import PMSHttp, TTLCache
from bot.pms.jira_people import JiraPeople, call_as
from bot.pms.jira_shapes import adf, jira_errors, jira_time, jql_string
from bot.pms.people import PeopleMap, task_number
from bot.pms.remote import odd_answers_refused, parse_day, progress_comment, reopen_or_start, summarize
from bot.records import Attachment, Milestone, Person, Project, ProjectSummary, Task

_BASE_FIELDS = ("summary", "status", "assignee", "duedate", "created", "updated", "timetracking", "fixVersions",
                "priority", "project", "issuetype")
_SUMMARY_FIELDS = ("status", "duedate", "fixVersions", "timetracking")
CAPABILITIES = conformance(
    "jira_cloud", webhooks="tests/test_pms_chat.py::test_a_jira_change_reaches_the_subscribed_chat_once",
    per_person="tests/test_jira_people.py::test_a_linked_persons_writes_are_theirs_an_unlinked_ones_the_bots",
    attachments="tests/test_attachments.py::test_jira_takes_the_file_as_a_multipart_attachment[jira_cloud]")
_CATEGORY = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
_ACCOUNT_ID_RE = re.compile(r"^[0-9a-f]{24}$|^[0-9]+:[0-9a-f-]{20,}$")  # Atlassian account ids, old and new


def build(settings: Settings, config: Config, clock: Clock) -> JiraClient | None:
    if not settings.jira_url:
        return None
    pat = settings.jira_pat.get_secret_value() if settings.jira_pat else None
    token = settings.jira_api_token.get_secret_value() if settings.jira_api_token else None
    if pat is None and not (settings.jira_email and token):
        return None
    return JiraClient(url=settings.jira_url, email=settings.jira_email, api_token=token, pat=pat,
                      config=config.connectors.jira, clock=clock)


@odd_answers_refused("Jira")
class JiraClient:
    name = "jira"

    def __init__(self, *, url: str, email: str | None, api_token: str | None, pat: str | None,
                 config: JiraConnectorConfig, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.cloud = pat is None
        self.api = "/rest/api/3" if self.cloud else "/rest/api/2"
        self.config = config
        if self.cloud:
            assert email and api_token
            self.http = PMSHttp(connector="jira", display="Jira", base_url=url, auth=(email, api_token),
                                headers={"Accept": "application/json"}, clock=clock)
        else:
            self.http = PMSHttp(connector="jira", display="Jira", base_url=url,
                                headers={"Accept": "application/json", "Authorization": f"Bearer {pat}"}, clock=clock)
        self.people: JiraPeople | None = None  # per-person credentials (bot/pms/jira_people.py), set when wired
        self.users: TTLCache[str | None] = TTLCache()
        self.transitions: TTLCache[list[dict[str, Any]]] = TTLCache()
        self.fields = _BASE_FIELDS + ((config.progress_field,) if config.progress_field else ())

    def for_project(self, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> JiraPMS:
        return JiraPMS(self, project, people)

    async def check(self) -> str:
        me = await self.get("/myself")
        if not isinstance(me, dict):
            raise PMSError("pms_refused", pms="Jira", reason="GET /myself did not say who we are")
        who = me.get("displayName") or me.get("name") or me.get("accountId")
        if self.config.progress_field:
            fields = await self.get("/field")
            if not any(isinstance(f, dict) and f.get("id") == self.config.progress_field for f in fields or []):
                raise PMSError("pms_refused", pms="Jira", reason=f"connectors.jira.progress_field "
                                                              f"{self.config.progress_field} is not a field of this Jira")
        return f"Jira {'Cloud' if self.cloud else 'Data Center'} as {who}"

    async def close(self) -> None:
        await self.http.close()
        if self.people is not None:
            await self.people.close()

    # -- HTTP with Jira's error shapes -------------------------------------------------------------------------

    async def get(self, path: str, params: dict[str, Any] | None = None, *, missing: str | None = None) -> Any:
        return await self.send("GET", path, params=params, missing=missing)

    async def send(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                   missing: str | None = None, by: Person | None = None, wrote: list[bool] | None = None,
                   files: Any = None) -> Any:
        """One call; with `by`, as that person if they linked their Jira, else as the bot (`wrote` gets which)."""
        # A multipart upload is refused without this header (spec: "Special headers", XSRF check).
        headers = {"X-Atlassian-Token": "no-check"} if files is not None else None
        response, as_person = await call_as(self.http, self.people, by, method, self.api + path, params=params,
                                            json=json, files=files, headers=headers)
        if wrote is not None:
            wrote.append(as_person)
        status = response.status_code
        if status == 204:
            return None
        body = self.http.json_of(response) if response.content else None
        if status < 300:
            return body
        if status == 404:
            raise PMSError("unknown_task", task=missing) if missing else PMSError(
                "pms_refused", pms="Jira", reason=jira_errors(body) or f"{method} {path}: not found")
        if status == 403:
            raise PMSError("pms_forbidden", pms="Jira", reason=jira_errors(body) or f"{method} {path}")
        raise PMSError("pms_refused", pms="Jira", reason=jira_errors(body) or f"{method} {path} answered {status}")

    async def search(self, jql: str, fields: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
        """Every issue the JQL finds, up to `limit`, a page of 100 per request."""
        issues: list[dict[str, Any]] = []
        token: str | None = None
        while len(issues) < limit:
            size = min(PMS_PAGE_SIZE, limit - len(issues))
            if self.cloud:
                body: dict[str, Any] = {"jql": jql, "maxResults": size, "fields": list(fields)}
                if token:
                    body["nextPageToken"] = token
                page = await self.send("POST", "/search/jql", json=body)
                batch = page.get("issues") or []
                issues += batch
                token = page.get("nextPageToken")
                if not token or page.get("isLast") or not batch:
                    break
            else:
                page = await self.send("POST", "/search", json={"jql": jql, "startAt": len(issues),
                                                                "maxResults": size, "fields": list(fields)})
                batch = page.get("issues") or []
                issues += batch
                if not batch or len(issues) >= int(page.get("total") or 0):
                    break
        return issues[:limit]

    async def user_id(self, handle: str) -> str | None:
        """A person's pms_user as Jira wants it in JQL and assignee fields: Cloud account id (an email is
        looked up), Data Center user name."""
        return await jira_edits.user_id(self, handle)


@odd_answers_refused("Jira")
class JiraPMS:
    name = "jira"

    def __init__(self, client: JiraClient, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> None:
        self.c = client
        self.project = project
        self.jira_key = project.pms_project or project.key
        self._people = people
        self._workflow_at: dict[str, str] = {}
        self.wrote: list[bool] = []  # per write of this view: True as the person, False as the bot account

    def _jira(self, key: str) -> str:
        return f"{self.jira_key}-{task_number(key, self.project.key)}"

    def _ours(self, jira_key: str) -> str:
        return f"{self.project.key}-{jira_key.rpartition('-')[2]}"

    def _status(self, status: dict[str, Any]) -> str:
        name = str(status.get("name", "")).casefold()
        for neutral in STATUSES:
            if name in (n.casefold() for n in getattr(self.c.config.statuses, neutral)):
                return neutral
        return _CATEGORY.get(str((status.get("statusCategory") or {}).get("key")), "in_progress")

    def _percent(self, fields: dict[str, Any], status: str) -> int:
        if self.c.config.progress_field:
            value = fields.get(self.c.config.progress_field)
            if isinstance(value, (int, float)):
                return max(0, min(100, round(value)))
        if status == "done":
            return 100
        tt = fields.get("timetracking") or {}
        spent, left = tt.get("timeSpentSeconds") or 0, tt.get("remainingEstimateSeconds")
        if left is None:
            left = max(0, (tt.get("originalEstimateSeconds") or 0) - spent)
        return min(99, round(100 * spent / (spent + left))) if spent + left else 0

    def _task(self, issue: dict[str, Any], people: PeopleMap) -> Task:
        f = issue.get("fields") or {}
        status = self._status(f.get("status") or {})
        who = f.get("assignee") or {}
        tt = f.get("timetracking") or {}
        versions = f.get("fixVersions") or []
        estimate = tt.get("originalEstimateSeconds")
        return Task(
            key=self._ours(str(issue["key"])), project=self.project.key, title=str(f.get("summary", "")),
            status=status, percent=self._percent(f, status),
            assignee=people.person_of(who.get("accountId"), who.get("name"), who.get("key"),
                                      who.get("emailAddress")) if who else None,
            due=parse_day(f.get("duedate")),
            estimate_h=(Decimal(estimate) / 3600).quantize(Decimal("0.01")).normalize() if estimate else None,
            spent_h=(Decimal(tt.get("timeSpentSeconds") or 0) / 3600).quantize(Decimal("0.01")).normalize(),
            milestone=str(versions[0].get("name")) if versions else None, blocked_reason=None,
            updated_at=jira_time(f.get("updated")) or self.c.clock.now(), created_at=jira_time(f.get("created")),
            priority=str((f.get("priority") or {}).get("name")) if f.get("priority") else None,
        )

    def _text(self, text: str) -> Any:
        return adf(text) if self.c.cloud else text

    async def get_task(self, key: str) -> Task | None:
        try:
            jira_key = self._jira(key)
        except PMSError:
            return None
        try:
            issue = await self.c.get(f"/issue/{jira_key}", {"fields": ",".join(self.c.fields)}, missing=key)
        except PMSError as exc:
            if exc.code == "unknown_task":
                return None
            raise
        if str(issue.get("key", "")).rpartition("-")[0] != self.jira_key:  # moved to another project
            return None
        fields = issue.get("fields") or {}
        # Where the issue stands in its workflow: the key of its transitions in the cache.
        self._workflow_at[key] = (f"{self.jira_key}:{(fields.get('issuetype') or {}).get('name')}:"
                                  f"{(fields.get('status') or {}).get('id')}")
        return self._task(issue, await self._people())

    async def _task_or_fail(self, key: str) -> Task:
        task = await self.get_task(key)
        if task is None:
            raise PMSError("unknown_task", task=key)
        return task

    async def search_tasks(self, *, project: str | None = None, assignee: Person | None = None,
                           open_only: bool = True, limit: int = 50) -> list[Task]:
        clauses = [f'project = "{self.jira_key}"']
        if assignee is not None:
            user = await self.c.user_id(assignee.pms_user) if assignee.pms_user else None
            if user is None:
                return []
            clauses.append(f'assignee = "{jql_string(user)}"')
        if open_only:
            clauses.append("statusCategory != Done")
        jql = " AND ".join(clauses) + " ORDER BY duedate ASC, key ASC"
        people = await self._people()
        return [self._task(i, people) for i in await self.c.search(jql, self.c.fields, limit)]

    async def create_task(self, project: str, title: str, *, assignee: Person | None, due: date | None,
                          by: Person) -> Task:
        fields: dict[str, Any] = {"project": {"key": self.jira_key}, "summary": title,
                                  "issuetype": {"name": self.c.config.issue_type},
                                  "description": self._text(f"{by.name} (pmsbot)")}
        if assignee is not None and assignee.pms_user:
            user = await self.c.user_id(assignee.pms_user)
            if user:
                fields["assignee"] = {"accountId": user} if self.c.cloud else {"name": user}
        if due is not None:
            fields["duedate"] = due.isoformat()
        created = await self.c.send("POST", "/issue", json={"fields": fields}, by=by, wrote=self.wrote)
        return await self._task_or_fail(self._ours(str(created["key"])))

    async def report_progress(self, key: str, *, percent: int | None, note: str, hours: Decimal | None,
                              by: Person) -> Written:
        task = await self._task_or_fail(key)
        jira_key = self._jira(key)
        if percent is not None and self.c.config.progress_field:
            await self.c.send("PUT", f"/issue/{jira_key}", json={"fields": {self.c.config.progress_field: percent}},
                              missing=key, by=by, wrote=self.wrote)
        # Repeatable writes first, the one that adds (work log or comment) last: a retry after a failure
        # in between repeats nothing that shows twice.
        target = reopen_or_start(task.status, percent)
        if target is not None:
            await self._move(task, target, by=by)
        text = progress_comment(by, percent=percent if not self.c.config.progress_field else None, note=note)
        entry = None
        if hours is not None:
            entry = await self.log_work(key, hours, note=text, by=by)
        elif text:
            await self._comment(jira_key, text, key, by=by)
        return Written.of(await self._task_or_fail(key), entry, as_bot=not all(self.wrote))

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        task = await self._task_or_fail(key)
        await self._move(task, status, comment=f"{by.name}: {reason}" if reason else "", by=by)
        if status == "done" and self.c.config.progress_field:
            await self.c.send("PUT", f"/issue/{self._jira(key)}", json={"fields": {self.c.config.progress_field: 100}},
                              missing=key, by=by, wrote=self.wrote)
        return await self._task_or_fail(key)

    async def check_move(self, key: str, status: str, *, by: Person) -> None:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        task = await self._task_or_fail(key)
        if task.status != status:
            await self._choose(task, status)

    async def _move(self, task: Task, status: str, *, comment: str = "", by: Person) -> None:
        if task.status == status:
            if comment:
                await self._comment(self._jira(task.key), comment, task.key, by=by)
            return
        jira_key = self._jira(task.key)
        chosen, cache_key = await self._choose(task, status)
        body: dict[str, Any] = {"transition": {"id": str(chosen["id"])}}
        if comment:
            body["update"] = {"comment": [{"add": {"body": self._text(comment)}}]}
        try:
            await self.c.send("POST", f"/issue/{jira_key}/transitions", json=body, missing=task.key, by=by,
                              wrote=self.wrote)
        except PMSError as exc:
            if exc.code != "pms_refused":
                raise
            self.c.transitions.drop(cache_key)  # the workflow may have changed since it was cached
            raise PMSError("transition_not_allowed", task=task.key, status=status, pms="Jira",
                           allowed=str(chosen.get("name"))) from exc

    async def _choose(self, task: Task, status: str, *, fresh: bool = False) -> tuple[dict[str, Any], str]:
        """The transition that takes the task to `status`, and its cache key; transition_not_allowed if none."""
        jira_key = self._jira(task.key)
        # The transitions out of a status are the same for every issue of a type in a project: cached briefly.
        cache_key = self._workflow_at.get(task.key) or f"issue:{jira_key}"

        async def load() -> list[dict[str, Any]]:
            listed = await self.c.get(f"/issue/{jira_key}/transitions", missing=task.key)
            return [t for t in (listed or {}).get("transitions", []) if t.get("isAvailable", True)]
        if fresh:
            self.c.transitions.drop(cache_key)
        transitions = await self.c.transitions.get(cache_key, load)
        wanted = [n.casefold() for n in getattr(self.c.config.statuses, status)]
        chosen = None
        for name in wanted:
            chosen = next((t for t in transitions if str((t.get("to") or {}).get("name", "")).casefold() == name
                           or str(t.get("name", "")).casefold() == name), None)
            if chosen:
                break
        if chosen is None and status in ("todo", "in_progress", "done"):
            category = {"todo": "new", "in_progress": "indeterminate", "done": "done"}[status]
            chosen = next((t for t in transitions
                           if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category), None)
        if chosen is None:
            if not fresh:  # conditions of this very issue may differ from the cached step's: ask for it
                return await self._choose(task, status, fresh=True)
            raise PMSError("transition_not_allowed", task=task.key, status=status, pms="Jira",
                           allowed=", ".join(str(t.get("name")) for t in transitions) or "-")
        return chosen, cache_key

    async def _comment(self, jira_key: str, text: str, key: str, *, by: Person) -> None:
        await self.c.send("POST", f"/issue/{jira_key}/comment", json={"body": self._text(text)}, missing=key, by=by,
                          wrote=self.wrote)

    async def comment(self, key: str, body: str, *, by: Person) -> None:
        await self._comment(self._jira(key), f"{by.name}: {body}", key, by=by)

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> str:
        started = self.c.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        text = note if note.startswith(by.name) else f"{by.name}: {note}" if note else by.name
        made = await self.c.send("POST", f"/issue/{self._jira(key)}/worklog", missing=key, by=by, wrote=self.wrote,
                                 json={"started": started, "timeSpentSeconds": int(hours * 3600),
                                       "comment": self._text(text)})
        return str(made["id"])

    async def delete_worklog(self, key: str, worklog: str, *, by: Person) -> None:
        # adjustEstimate=auto (the default) gives the entry's time back to the remaining estimate, as logging took it.
        try:
            await self.c.send("DELETE", f"/issue/{self._jira(key)}/worklog/{int(worklog)}", missing=key, by=by,
                              wrote=self.wrote)
        except PMSError as exc:
            if exc.code != "unknown_task" or await self.get_task(key) is None:
                raise
            # the issue is there and the entry is not: an earlier attempt of this undo deleted it

    async def edit_task(self, key: str, edit: TaskEdit, *, by: Person) -> Task:
        return await jira_edits.edit_task(self, key, edit, by=by)

    async def find_tasks(self, project: str, words: str, *, limit: int) -> list[Task]:
        return await jira_edits.find_tasks(self, words, limit=limit)

    async def matches_jql(self, key: str, jql: str) -> bool:
        """Whether the task is among what a subscription's JQL finds (Jira evaluates it)."""
        return bool(await self.c.search(f'key = "{self._jira(key)}" AND ({jql})', ("summary",), 1))

    async def attach(self, key: str, file: Attachment, *, by: Person) -> None:
        await jira_edits.attach(self, key, file, by=by)

    async def list_milestones(self, project: str) -> list[Milestone]:
        return list((await self.project_summary(project, today=self.c.clock.now().date())).milestones)

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary:
        versions = await self.c.get(f"/project/{self.jira_key}/versions")
        fields = _SUMMARY_FIELDS + ((self.c.config.progress_field,) if self.c.config.progress_field else ())
        issues = await self.c.search(f'project = "{self.jira_key}" ORDER BY key ASC', fields, PMS_SUMMARY_MAX_TASKS)
        people = PeopleMap()
        tasks = [self._task({"key": i["key"], "fields": {**i.get("fields", {}), "summary": ""}}, people)
                 for i in issues]
        dues = [(int(v["id"]) if str(v.get("id", "")).isdigit() else n, str(v.get("name")), parse_day(v.get("releaseDate")))
                for n, v in enumerate(versions or [])]
        return summarize(self.project, tasks, dues, today=today)

