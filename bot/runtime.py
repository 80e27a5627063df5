"""Wiring: one Runtime per process holds the database, the inbox, the dispatcher and the delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.changes import ChangeDigests
from bot.clock import ClockRunner
from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, Settings
from bot.config.load import ParsedFile
from bot.constants import GRACEFUL_STOP_S, INBOX_CHANNEL, OUTBOX_CHANNEL, WORKER_RESTART_S
from bot.directory import registry as directories
from bot.directory.base import Directory
from bot.dispatch.files import Downloads
from bot.dispatch.worker import Dispatcher
from bot.inbox import Inbox
from bot.jobs.anchors import AuditAnchors
from bot.jobs.approvals import ApprovalFollowups
from bot.jobs.base import Job, Mail
from bot.jobs.calendar import CalendarWarnings
from bot.jobs.dashboards import WeeklyDashboards
from bot.jobs.digest import WeeklyDigest
from bot.jobs.directory import DirectorySync
from bot.jobs.engines import Engine, EngineLinks
from bot.jobs.polls import FilePolls, Poll, RedminePolls
from bot.jobs.retention import RetentionPurge
from bot.jobs.risks import RiskScans
from bot.jobs.snapshots import DailySnapshots
from bot.jobs.standups import Standups
from bot.platforms.answers import Settling
from bot.pms import jira_people
from bot.pms.jira import JiraClient
from bot.pms.registry import RemoteClient, build_remotes
from bot.store import migrate
from bot.store.config_applied import apply_once
from bot.store.db import Database, redact_url
from bot.store.leader import Leader, leader_for
from bot.store.notify import Listener
from bot.store.web import server_key
from bot.web.links import WebLinks, weekly_snapshot_message
from notifiers.delivery import Delivery
from notifiers.downloads import file_sources
from notifiers.outbox import Outbox
from notifiers.registry import build_senders
from notifiers.render import Renderer

if TYPE_CHECKING:
    from bot.language_model import Suggester

log = logging.getLogger("pmsbot")

Role = Literal["web", "worker", "clock"]


class SchemaNotReady(Exception):
    pass


@dataclass
class Runtime:
    settings: Settings
    config: Config
    console: bool = False
    clock: Clock = SYSTEM_CLOCK
    parsed_file: ParsedFile | None = None  # the file the config came from, kept for the next start's cache
    worker_running: bool = field(default=False, init=False)
    db: Database = field(init=False)
    inbox: Inbox = field(init=False)
    outbox: Outbox = field(init=False)
    renderer: Renderer = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    suggester: Suggester | None = field(default=None, init=False)  # the optional language model
    remotes: dict[str, RemoteClient] = field(init=False)  # the remote PMSs with complete settings
    changes: ChangeDigests = field(init=False)
    web_key: bytes | None = field(default=None, init=False)
    delivery: Delivery = field(init=False)
    settling: Settling = field(init=False)
    jobs: list[Job] = field(default_factory=list, init=False)  # the clock's work, in the order it runs each minute
    polls: list[Poll] = field(default_factory=list, init=False)
    directory_sync: DirectorySync = field(init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _retired: list[DirectorySync] = field(default_factory=list, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    scheduler: ClockRunner | None = field(default=None, init=False)
    listener: Listener | None = field(default=None, init=False)  # a worker's LISTEN on PostgreSQL

    def __post_init__(self) -> None:
        self.db = Database(self.settings.database_url, audit_key=self.settings.audit_key())
        self.inbox = Inbox(self.db, clock=self.clock)
        self.outbox = Outbox(self.db, clock=self.clock)
        self.renderer = Renderer()
        self.remotes = build_remotes(self.settings, self.config, self.clock)
        if isinstance(jira_client := self.remotes.get("jira"), JiraClient):  # writes as each linked person
            jira_client.people = jira_people.build(self.settings, self.db, self._server_key, self.clock)
        self.changes = ChangeDigests(self.db, self.outbox, locale=self.config.locale, clock=self.clock)
        platforms = self.settings.enabled_platforms()
        senders = build_senders(self.db, self.settings, self.renderer, self.config, clock=self.clock)
        self.delivery = Delivery(self.outbox, senders, self.renderer)
        if self.settings.pmsbot_llm_url:  # None unless PMSBOT_LLM_URL is set; else its client is not even imported
            from bot.language_model import Suggester

            self.suggester = Suggester.configured(self.settings, self.clock)
        self.dispatcher = Dispatcher(self.db, self.inbox, self.outbox, default_locale=self.config.locale,
                                     timezone=self.config.timezone, platforms=platforms, clock=self.clock,
                                     on_done=self.delivery.handed_over, remotes=self.remotes,
                                     config=self.config, suggester=self.suggester,
                                     downloads=Downloads(file_sources(senders),
                                                         max_bytes=self.settings.pmsbot_attachment_max_bytes))
        # What became of an accepted event, for the adapters and pages that answer within the request.
        self.settling = Settling(worker_running=lambda: self.worker_running, delivered=self.delivery.delivered,
                                 inbox=self.inbox, outbox=self.outbox)
        self._build_jobs()

    def _build_jobs(self) -> None:
        mail = Mail(outbox=self.outbox, clock=self.clock, platforms=self.settings.enabled_platforms(),
                    wake=self.delivery.wake.set)
        jobs: list[Job] = [
            Standups(self.db, mail, self.config),
            RiskScans(self.db, mail, self.config, self.remotes),
            CalendarWarnings(self.db, mail, self.config),
            AuditAnchors(self.db, self.settings.pmsbot_audit_anchor),
            WeeklyDashboards(self.db, mail, self.config, self._weekly_snapshot),
            ApprovalFollowups(self.db, mail, self.config),
            self._engine_links(mail),
            DailySnapshots(self.db, self.clock, self.config, self.remotes),
            WeeklyDigest(self.db, mail, self.config, self._portfolio_link),
            RetentionPurge(self.db, self.config),
        ]
        if hasattr(self, "directory_sync"):  # reconfigured: its kept clients are closed with the runtime
            self._retired.append(self.directory_sync)
        self.directory_sync = DirectorySync(self.db, mail, self.config, self._directories)
        self.dispatcher.directory.changes = self.directory_sync  # directory change events from the inbox
        jobs.append(self.directory_sync)
        polls: list[Poll] = [RedminePolls(self.db, self.inbox, self.remotes, self.config),
                             FilePolls(self.db, self.inbox, self.dispatcher.sources, self.clock)]
        # In place: a clock already running (it holds these lists) runs the new jobs from its next tick.
        self.jobs[:] = jobs
        self.polls[:] = polls

    def _engine_links(self, mail: Mail) -> EngineLinks:
        """Requests linked to DingTalk OA / Feishu Approval, with that platform's app token (a platform that is
        off: its requests are marked failed, and stay with their chain here)."""
        engines: dict[str, Engine] = {}
        # A platform's modules are imported only when it is on (notifiers/registry.py).
        if "dingtalk" in self.delivery.senders:
            from notifiers.approval_engines import DingTalkOa
            from notifiers.dingtalk import DingTalkSender

            if isinstance(sender := self.delivery.senders["dingtalk"], DingTalkSender):
                engines["dingtalk_oa"] = DingTalkOa(sender.open_api)
        if "feishu" in self.delivery.senders:
            from notifiers.approval_engines import FeishuApproval
            from notifiers.feishu import FeishuSender

            if isinstance(lark := self.delivery.senders["feishu"], FeishuSender):
                engines["feishu_approval"] = FeishuApproval(lark.open_api)
        self.engine_links = EngineLinks(self.db, mail, self.config, engines)
        self.dispatcher.engine.links = self.engine_links  # engine results from the inbox
        return self.engine_links

    def reconfigure(self, config: Config) -> None:
        """Use another configuration from now on for the clock's jobs (what an edited file changes)."""
        self.config = config
        self._build_jobs()

    async def _server_key(self) -> bytes:
        configured = self.settings.pmsbot_secret_key
        return self.web_key or (configured.get_secret_value().encode() if configured else await server_key(self.db))

    def _directories(self, names: tuple[str, ...]) -> list[Directory]:
        return [directories.build(source, self.settings)
                for source in directories.selected(self.config.directory, names)]

    async def _weekly_snapshot(self, project_key: str) -> dict[str, str]:
        key = self.web_key or await server_key(self.db)
        return weekly_snapshot_message(WebLinks(key, self.settings.pmsbot_public_url, clock=self.clock), project_key)

    async def _portfolio_link(self, person: str) -> str:
        key = self.web_key or await server_key(self.db)
        return WebLinks(key, self.settings.pmsbot_public_url, clock=self.clock).portfolio(person)

    def clock_runner(self, leader: Leader) -> ClockRunner:
        return ClockRunner(self.db, self.clock, leader, self.jobs, self.polls)

    async def open(self, *, migrate_sqlite: bool = True) -> None:
        """Bring the schema to head (SQLite, embedded mode) or check it is there (PostgreSQL), then apply config."""
        if self.db.is_sqlite and migrate_sqlite:
            await migrate.upgrade(self.db)
        else:
            current, head = await migrate.current_revision(self.db), migrate.head_revision()
            if current != head:
                raise SchemaNotReady(
                    f"database {redact_url(self.db.url)} is at schema {current or 'none'}, code needs {head}: "
                    "run `pmsbot db upgrade`"
                )
        # Skipped when this configuration was applied last and nobody changed people or projects since.
        await apply_once(self.db, self.config, now=self.clock.now(), parsed=self.parsed_file)
        # The key web links are signed with: every process (a worker handing out links, a web process checking
        # them) reads the same one.
        configured = self.settings.pmsbot_secret_key
        self.web_key = configured.get_secret_value().encode() if configured else await server_key(self.db)
        self.dispatcher.links = WebLinks(self.web_key, self.settings.pmsbot_public_url, clock=self.clock)

    def start(self, roles: tuple[Role, ...]) -> None:
        if "worker" in roles:
            self.dispatcher.chat  # noqa: B018 - the language loaded now, not by the first command
            self.worker_running = True
            self.inbox.local_worker = True
            self.outbox.local_worker = True
            self._tasks.append(asyncio.create_task(self._supervise(self.dispatcher.run_forever), name="dispatcher"))
            self._tasks.append(asyncio.create_task(self._supervise(self.delivery.run_forever), name="delivery"))
            self._tasks.append(asyncio.create_task(self._supervise(self.changes.run_forever), name="pms-changes"))
            if self.db.is_postgres:  # woken by the other processes' NOTIFY; on SQLite they share this one or poll
                self.listener = Listener(self.db, {INBOX_CHANNEL: self.inbox.wake,
                                                   OUTBOX_CHANNEL: self.delivery.wake.set})
                self._tasks.append(asyncio.create_task(self._supervise(self.listener.run), name="listen"))
        if "clock" in roles:
            self.scheduler = self.clock_runner(leader_for(self.db))
            self._tasks.append(asyncio.create_task(self._supervise(self.scheduler.run), name="clock"))

    async def _supervise(self, loop: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        # A worker loop that dies of a database outage restarts after a pause instead of leaving the process idle.
        while not self._stop.is_set():
            try:
                await loop(self._stop)
            except Exception:  # the loop's boundary: log it, back off, go on
                log.exception("worker loop %s crashed; restarting", getattr(loop, "__qualname__", loop))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=WORKER_RESTART_S)

    async def close(self) -> None:
        """Let the workers finish the item in hand, give back what they were handed, then disconnect."""
        self._stop.set()
        self.inbox.wake()
        self.delivery.wake.set()
        if self._tasks:
            _, unfinished = await asyncio.wait(self._tasks, timeout=GRACEFUL_STOP_S)
            for task in unfinished:
                task.cancel()
            for task in unfinished:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()
        await self.inbox.close()
        await self.delivery.close()
        for directory_sync in (*self._retired, self.directory_sync):
            await directory_sync.close()
        for remote in self.remotes.values():
            await remote.close()
        if self.suggester is not None:
            await self.suggester.close()
        with contextlib.suppress(Exception):  # best effort: leases run out by themselves anyway
            await self.inbox.release_local()
            await self.outbox.release_local()
        await self.db.dispose()
