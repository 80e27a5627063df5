"""Wiring: one Runtime per process holds the database, the inbox, the dispatcher and the delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, Settings
from bot.config.load import ParsedFile
from bot.constants import GRACEFUL_STOP_S, INBOX_CHANNEL, OUTBOX_CHANNEL, WORKER_RESTART_S
from bot.inbox import Inbox
from bot.platforms.answers import Settling
from bot.store import migrate
from bot.store.config_applied import apply_once
from bot.store.db import Database, redact_url
from bot.store.web import server_key
from bot.web.links import WebLinks, weekly_snapshot_message
from notifiers.outbox import Outbox
from notifiers.render import Renderer

if TYPE_CHECKING:
    # Built on first use (below): a `web` process serves pages and intake without the dispatcher, the clock's
    # jobs, the PMS clients or the delivery worker, and never imports them (issue 21: its idle memory).
    from bot.changes import ChangeDigests
    from bot.clock import ClockRunner
    from bot.directory.base import Directory
    from bot.dispatch.worker import Dispatcher
    from bot.jobs.base import Job, Mail
    from bot.jobs.directory import DirectorySync
    from bot.jobs.engines import EngineLinks
    from bot.jobs.polls import Poll
    from bot.language_model import Suggester
    from bot.pms.registry import RemoteClient
    from bot.store.leader import Leader
    from bot.store.notify import Listener
    from notifiers.delivery import Delivery

log = logging.getLogger("pmsbot")

Role = Literal["web", "worker", "clock"]


class SchemaNotReady(Exception):
    pass


@dataclass
class Runtime:
    """What one process is built of. The database, the inbox, the outbox, the templates and the web key are made
    at once; every other part when it is first used: a role builds only what it runs (`web`: none of them), and
    a part that needs another builds that one too (the dispatcher builds the delivery it hands replies to)."""

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
    web_key: bytes | None = field(default=None, init=False)
    settling: Settling = field(init=False)
    _jobs: list[Job] = field(default_factory=list, init=False)  # the clock's work, in the order it runs each minute
    _polls: list[Poll] = field(default_factory=list, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _retired: list[DirectorySync] = field(default_factory=list, init=False)
    _directory_sync: DirectorySync | None = field(default=None, init=False)
    _engine_links: EngineLinks | None = field(default=None, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    scheduler: ClockRunner | None = field(default=None, init=False)
    listener: Listener | None = field(default=None, init=False)  # a worker's LISTEN on PostgreSQL

    def __post_init__(self) -> None:
        self.db = Database(self.settings.database_url, audit_key=self.settings.audit_key())
        self.inbox = Inbox(self.db, clock=self.clock)
        self.outbox = Outbox(self.db, clock=self.clock)
        self.renderer = Renderer()
        # What became of an accepted event, for the adapters and pages that answer within the request (they wait
        # only while a worker runs in this process, and then the delivery is built).
        self.settling = Settling(worker_running=lambda: self.worker_running,
                                 delivered=lambda: self.delivery.delivered, inbox=self.inbox, outbox=self.outbox)

    def _built(self, part: str) -> bool:
        """Whether a part made on first use (a functools.cached_property below) has been made."""
        return part in self.__dict__

    @functools.cached_property
    def remotes(self) -> dict[str, RemoteClient]:
        """The remote PMSs with complete settings."""
        from bot.pms import jira_people
        from bot.pms.jira import JiraClient
        from bot.pms.registry import build_remotes

        remotes = build_remotes(self.settings, self.config, self.clock)
        if isinstance(jira_client := remotes.get("jira"), JiraClient):  # writes as each linked person
            jira_client.people = jira_people.build(self.settings, self.db, self._server_key, self.clock)
        return remotes

    @functools.cached_property
    def delivery(self) -> Delivery:
        from notifiers.delivery import Delivery
        from notifiers.registry import build_senders

        senders = build_senders(self.db, self.settings, self.renderer, self.config, clock=self.clock)
        return Delivery(self.outbox, senders, self.renderer)

    def wake_delivery(self) -> None:
        """Messages wait in the table: the delivery of this process looks (if it has one; others get a NOTIFY)."""
        if self._built("delivery"):
            self.delivery.wake.set()
        else:
            self.outbox.note_table_work()

    @functools.cached_property
    def changes(self) -> ChangeDigests:
        from bot.changes import ChangeDigests

        return ChangeDigests(self.db, self.outbox, locale=self.config.locale, clock=self.clock)

    @functools.cached_property
    def suggester(self) -> Suggester | None:
        """The optional language model: None unless PMSBOT_LLM_URL is set (then its client is not even imported)."""
        if not self.settings.pmsbot_llm_url:
            return None
        from bot.language_model import Suggester

        return Suggester.configured(self.settings, self.clock)

    @functools.cached_property
    def dispatcher(self) -> Dispatcher:
        """The worker's dispatcher, with the clock's jobs it is wired to (directory changes, engine results)."""
        from bot.dispatch.files import Downloads
        from bot.dispatch.worker import Dispatcher
        from notifiers.downloads import file_sources

        dispatcher = Dispatcher(self.db, self.inbox, self.outbox, default_locale=self.config.locale,
                                timezone=self.config.timezone, platforms=self.settings.enabled_platforms(),
                                clock=self.clock, on_done=self.delivery.handed_over, remotes=self.remotes,
                                config=self.config, suggester=self.suggester,
                                downloads=Downloads(file_sources(self.delivery.senders),
                                                    max_bytes=self.settings.pmsbot_attachment_max_bytes))
        if self.web_key is not None:  # opened already
            dispatcher.links = WebLinks(self.web_key, self.settings.pmsbot_public_url, clock=self.clock)
        self._build_jobs(dispatcher)
        return dispatcher

    @property
    def jobs(self) -> list[Job]:
        """The clock's work, in the order it runs each minute (one list for the runtime's life: a clock running
        holds it, and reconfigure() changes it in place)."""
        self.dispatcher  # noqa: B018 - built with it
        return self._jobs

    @property
    def polls(self) -> list[Poll]:
        self.dispatcher  # noqa: B018 - built with it
        return self._polls

    @property
    def directory_sync(self) -> DirectorySync:
        self.dispatcher  # noqa: B018 - built with it
        assert self._directory_sync is not None
        return self._directory_sync

    @property
    def engine_links(self) -> EngineLinks:
        self.dispatcher  # noqa: B018 - built with it
        assert self._engine_links is not None
        return self._engine_links

    def _build_jobs(self, dispatcher: Dispatcher) -> None:
        from bot.jobs.anchors import AuditAnchors
        from bot.jobs.approvals import ApprovalFollowups
        from bot.jobs.base import Mail
        from bot.jobs.calendar import CalendarWarnings
        from bot.jobs.dashboards import WeeklyDashboards
        from bot.jobs.digest import WeeklyDigest
        from bot.jobs.directory import DirectorySync
        from bot.jobs.polls import FilePolls, RedminePolls
        from bot.jobs.retention import RetentionPurge
        from bot.jobs.risks import RiskScans
        from bot.jobs.snapshots import DailySnapshots
        from bot.jobs.standups import Standups

        mail = Mail(outbox=self.outbox, clock=self.clock, platforms=self.settings.enabled_platforms(),
                    wake=self.wake_delivery)
        jobs: list[Job] = [
            Standups(self.db, mail, self.config),
            RiskScans(self.db, mail, self.config, self.remotes),
            CalendarWarnings(self.db, mail, self.config),
            AuditAnchors(self.db, self.settings.pmsbot_audit_anchor),
            WeeklyDashboards(self.db, mail, self.config, self._weekly_snapshot),
            ApprovalFollowups(self.db, mail, self.config),
            self._build_engine_links(dispatcher, mail),
            DailySnapshots(self.db, self.clock, self.config, self.remotes),
            WeeklyDigest(self.db, mail, self.config, self._portfolio_link),
            RetentionPurge(self.db, self.config),
        ]
        if self._directory_sync is not None:  # reconfigured: its kept clients are closed with the runtime
            self._retired.append(self._directory_sync)
        self._directory_sync = DirectorySync(self.db, mail, self.config, self._directories)
        dispatcher.directory.changes = self._directory_sync  # directory change events from the inbox
        jobs.append(self._directory_sync)
        polls: list[Poll] = [RedminePolls(self.db, self.inbox, self.remotes, self.config),
                             FilePolls(self.db, self.inbox, dispatcher.sources, self.clock)]
        # In place: a clock already running (it holds these lists) runs the new jobs from its next tick.
        self._jobs[:] = jobs
        self._polls[:] = polls

    def _build_engine_links(self, dispatcher: Dispatcher, mail: Mail) -> EngineLinks:
        """Requests linked to DingTalk OA / Feishu Approval, with that platform's app token (a platform that is
        off: its requests are marked failed, and stay with their chain here)."""
        from bot.jobs.engines import Engine, EngineLinks

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
        self._engine_links = EngineLinks(self.db, mail, self.config, engines)
        dispatcher.engine.links = self._engine_links  # engine results from the inbox
        return self._engine_links

    def reconfigure(self, config: Config) -> None:
        """Use another configuration from now on for the clock's jobs (what an edited file changes)."""
        self.config = config
        if self._built("dispatcher"):  # else they are built with this one when first used
            self._build_jobs(self.dispatcher)

    async def _server_key(self) -> bytes:
        configured = self.settings.pmsbot_secret_key
        return self.web_key or (configured.get_secret_value().encode() if configured else await server_key(self.db))

    def _directories(self, names: tuple[str, ...]) -> list[Directory]:
        from bot.directory import registry as directories

        return [directories.build(source, self.settings)
                for source in directories.selected(self.config.directory, names)]

    async def _weekly_snapshot(self, project_key: str) -> dict[str, str]:
        key = self.web_key or await server_key(self.db)
        return weekly_snapshot_message(WebLinks(key, self.settings.pmsbot_public_url, clock=self.clock), project_key)

    async def _portfolio_link(self, person: str) -> str:
        key = self.web_key or await server_key(self.db)
        return WebLinks(key, self.settings.pmsbot_public_url, clock=self.clock).portfolio(person)

    def clock_runner(self, leader: Leader) -> ClockRunner:
        from bot.clock import ClockRunner

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
        if self._built("dispatcher"):
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
                from bot.store.notify import Listener

                self.listener = Listener(self.db, {INBOX_CHANNEL: self.inbox.wake,
                                                   OUTBOX_CHANNEL: self.delivery.wake.set})
                self._tasks.append(asyncio.create_task(self._supervise(self.listener.run), name="listen"))
        if "clock" in roles:
            from bot.store.leader import leader_for

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
        self.wake_delivery()
        if self._tasks:
            _, unfinished = await asyncio.wait(self._tasks, timeout=GRACEFUL_STOP_S)
            for task in unfinished:
                task.cancel()
            for task in unfinished:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()
        await self.inbox.close()
        if self._built("delivery"):
            await self.delivery.close()
        for directory_sync in (*self._retired, *([self._directory_sync] if self._directory_sync else [])):
            await directory_sync.close()
        for remote in self.remotes.values() if self._built("remotes") else ():
            await remote.close()
        if self._built("suggester") and self.suggester is not None:
            await self.suggester.close()
        with contextlib.suppress(Exception):  # best effort: leases run out by themselves anyway
            await self.inbox.release_local()
            await self.outbox.release_local()
        await self.db.dispose()
