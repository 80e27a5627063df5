"""Engines and transactions. SQLite (WAL) by default, PostgreSQL through asyncpg when DATABASE_URL says so."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiosqlite
from sqlalchemy import Executable, Row, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from bot.store import sqlite_loop
from bot.store.write_lock import WriteLock

if TYPE_CHECKING:
    import asyncpg

    from bot.config import Settings

log = logging.getLogger("pmsbot.db")

AUDIT_KEY_INFO = "pmsbot.audit_key"  # the key in Session.info (bot/store/audit.py reads it)
SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 10.0
SQLITE_CHECKPOINT_EVERY = 500  # commits between two checkpoints (none runs inside a commit: see _checkpoint)
SQLITE_WAL_RESTART_PAGES = 16_384  # a log longer than this (64 MiB of 4 KiB pages) is restarted, writers held
SQLITE_WAL_KEEP_BYTES = 64 * 1024 * 1024  # what the log file is cut back to once it starts over
SQLITE_RESTART_WAIT_MS = 100  # a restart waits this long for readers, writers held; else it is tried again later
SQLITE_CHECKPOINT_MAX_LAG = 4  # checkpoints' worth of commits writers may run ahead of a running one, then they wait
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # NORMAL in WAL mode survives a killed process; only an OS crash may lose the last commits.
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA journal_size_limit={SQLITE_WAL_KEEP_BYTES}",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)


# What the rest of the code names when it hands a transaction to the store's repositories, or catches the
# database failing: the store's own names, so that no module outside bot/store imports SQLAlchemy.
StoreSession = AsyncSession
DatabaseError = SQLAlchemyError


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for another database (or an in-memory one)."""
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" and parsed.database else None


class DatabaseUrlError(ValueError):
    pass


def normalize_url(url: str) -> str:
    """Accept the URLs people write (postgres://, postgresql://, sqlite:///) and pick the async driver."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with an unhelpful text
        raise DatabaseUrlError(f"DATABASE_URL is not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    else:
        raise DatabaseUrlError(f"DATABASE_URL must be sqlite or postgresql, not {backend!r}")
    return parsed.render_as_string(hide_password=False)


def redact_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """One per process. `write()` is a transaction that may change rows; `read()` one that only reads."""

    def __init__(self, url: str, *, echo: bool = False, audit_key: bytes | None = None) -> None:
        self.url = normalize_url(url)
        # The audit chain's HMAC key (PMSBOT_AUDIT_KEY): kept outside the database, handed to every write session.
        self.audit_key = audit_key
        self.dialect = make_url(self.url).get_backend_name()
        # Sessions always end their transactions themselves; the pool's extra rollback would be one more round trip.
        kwargs: dict[str, Any] = {"echo": echo, "pool_reset_on_return": None}
        if self.is_sqlite:
            # In-memory SQLite cannot be shared across connections; a file is always used instead.
            path = make_url(self.url).database
            if path in (None, "", ":memory:"):
                raise DatabaseUrlError("in-memory SQLite is not supported: give a file path")
            assert path is not None
            kwargs["async_creator"] = sqlite_loop.creator(path)
        else:
            # No pool_pre_ping: on asyncpg it is three round trips (BEGIN, a query, ROLLBACK) before every
            # transaction, a third of a write command's round trips (bench/workers.py). _pg_checkout does the
            # same job without a round trip.
            kwargs.update(pool_size=10, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        else:
            _pg_checkout(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False,
                                            info={AUDIT_KEY_INFO: audit_key} if audit_key else {})
        # One writer at a time inside this process: SQLite would make the others wait in threads anyway.
        self._write_lock = WriteLock() if self.is_sqlite else None
        self._raw: aiosqlite.Connection | None = None
        self._direct: sqlite3.Connection | None = None
        self._pg_direct: asyncpg.Connection | None = None
        self._pg_lock = asyncio.Lock()
        self._commits = 0  # on this process's writers, for _count_commit
        self._checkpointing: asyncio.Future[None] | None = None
        self._checkpoint_again = False  # a checkpoint fell due while one ran: it goes once more when done
        self._checkpoint_from = 0  # the count of commits when the running checkpoint's round fell due
        self._restart_past_pages = 0  # after a restart that readers kept from finishing: the log's length then

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        if self._write_lock is None:
            async with self._sessions.begin() as session:
                yield session
            return
        await self._keep_up()
        async with self._write_lock.held():
            async with self._sessions.begin() as session:
                # BEGIN IMMEDIATE, then the transaction's statements on the loop (sqlite_loop.py says why)
                await session.connection(execution_options={"sqlite_immediate": True})
                yield session
            self._count_commit()

    @asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """SQLite: this process's writer turn, ahead of the transactions queued by workers, for a writer that
        gathers what to write while it waits for the turn (the inbox); its statements inside take no second turn.
        Nothing on PostgreSQL."""
        if self._write_lock is None:
            yield
            return
        await self._keep_up()
        async with self._write_lock.held(urgent=True):
            yield

    async def write_one(self, statement: Executable, params: dict[str, Any] | None = None) -> list[Row[Any]]:
        """One statement that is a transaction by itself (atomic alone); the rows it returns. On PostgreSQL it is
        sent in autocommit: one round trip, where write() adds a BEGIN and a COMMIT (a delivery's bookkeeping,
        the console's feed)."""
        if self.is_sqlite:
            async with self.write() as s:
                result = await (await s.connection()).execute(statement, params)
                return list(result.all()) if result.returns_rows else []
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            result = await conn.execute(statement, params)
            return list(result.all()) if result.returns_rows else []

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def sqlite_statement(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one statement as its own transaction on a dedicated connection, returning its rows.

        For the inbox's group commit on SQLite: a single INSERT … RETURNING is atomic by itself, and sending it
        straight to aiosqlite costs one thread round trip instead of a session's dozen.
        """
        assert self._write_lock is not None, "SQLite only"
        await self._keep_up()
        async with self._write_lock.held(urgent=True):  # an ack waits on it: ahead of the workers' transactions
            if self._direct is None:
                path = make_url(self.url).database
                assert path
                direct = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                for pragma in _PRAGMAS:
                    direct.execute(pragma)
                # On the loop itself it must never wait: no busy timeout (another process holding the lock sends
                # us to the thread below) and no checkpoints (checkpoint() runs them off the loop).
                direct.execute("PRAGMA busy_timeout=0")
                direct.execute("PRAGMA wal_autocheckpoint=0")
                self._direct = direct
            try:
                # A few dozen microseconds of SQLite on the loop cost less than the thread round trip around them.
                rows = self._direct.execute(sql, params).fetchall()  # plain tuples: no row factory here
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            else:
                self._count_commit()
                return rows
            if self._raw is None:
                raw = await aiosqlite.connect(make_url(self.url).database or "", isolation_level=None)
                for pragma in _PRAGMAS:
                    await raw.execute(pragma)
                self._raw = raw
            return [tuple(row) for row in await self._raw.execute_fetchall(sql, params)]  # one thread hop

    def _count_commit(self) -> None:
        self._commits += 1
        # One checkpoint at a time: a second one would only wait for the first (and outlive dispose()).
        # One that falls due meanwhile is not dropped: the running one goes again, so a slow checkpoint
        # (a busy machine) delays the log's restart by one round, not by as many rounds as it is slow.
        if self._commits % SQLITE_CHECKPOINT_EVERY == 0:
            if self._checkpointing is None or self._checkpointing.done():
                self._checkpoint_from = self._commits
                self._checkpointing = asyncio.ensure_future(self._checkpoint())
            else:
                self._checkpoint_again = True

    async def _keep_up(self) -> None:
        """A writer about to take its turn waits while the running checkpoint has fallen far behind. Its thread
        can be starved on a busy machine while the loop commits on (thousands a second), and the log would grow
        by all those commits; held here, the log stays under the restart's threshold plus a few rounds of commits.
        Not inside a turn the task already holds: the checkpoint's restart needs that turn."""
        running = self._checkpointing
        if running is None or running.done() or self._write_lock is None or self._write_lock.is_mine():
            return
        if self._commits - self._checkpoint_from >= SQLITE_CHECKPOINT_MAX_LAG * SQLITE_CHECKPOINT_EVERY:
            await asyncio.wait({running})  # its failures are its own to log (_checkpoint), not this writer's

    async def _checkpoint(self) -> None:
        """Move the WAL's pages into the database, off the loop (the direct connection never does). A task nobody
        awaits: a failure is logged here, not left to surface as a stray exception."""
        try:
            await self._move_log()
            while self._checkpoint_again:
                self._checkpoint_again, self._checkpoint_from = False, self._commits
                await self._move_log()
        except OperationalError as exc:  # housekeeping: the next one tries again; nothing is lost meanwhile
            log.warning("SQLite checkpoint failed (%s); the next one will try again", exc.orig)

    async def _move_log(self) -> None:
        """Under steady writes a passive checkpoint never reaches the end of the log, so the log never starts over
        and grows without bound (seen: 190 MB in 20 s of acks). Past SQLITE_WAL_RESTART_PAGES, a RESTART with this
        process's writers held copies the few pages written since, and the next write starts the log afresh. It
        waits for readers at most SQLITE_RESTART_WAIT_MS, so a long read (an audit check) cannot hold up acks."""
        assert self._write_lock is not None
        async with self.engine.connect() as conn:
            log_pages = tuple((await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")).one())[1]
            if log_pages <= self._restart_past_pages + SQLITE_WAL_RESTART_PAGES:
                if log_pages < self._restart_past_pages:  # the log started over by itself meanwhile
                    self._restart_past_pages = 0
                return
            async with self._write_lock.held():
                await conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_RESTART_WAIT_MS}")
                try:
                    busy = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(RESTART)")).scalar()  # 1: readers stayed
                finally:
                    await conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # A reader kept its snapshot: the next try waits for another SQLITE_WAL_RESTART_PAGES of log, so a
            # long read costs the acks one short wait per 64 MiB written, not one per checkpoint.
            self._restart_past_pages = log_pages if busy else 0

    async def pg_connect(self) -> asyncpg.Connection:
        """A connection of its own (outside the pool), for the inbox's writes and for LISTEN."""
        import asyncpg  # PostgreSQL only: a process on SQLite never loads it

        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        return await asyncpg.connect(dsn, timeout=PG_CONNECT_TIMEOUT_S)

    async def pg_fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """One statement, autocommitted, on a dedicated asyncpg connection (no pool checkout, no ORM, no session):
        for the inbox's group commit, one writer at a time. A broken connection is replaced once."""
        assert self.is_postgres, "PostgreSQL only"
        import asyncpg  # PostgreSQL only: a process on SQLite never loads it

        async with self._pg_lock:
            for attempt in (1, 2):
                if self._pg_direct is None or self._pg_direct.is_closed():
                    self._pg_direct = await self.pg_connect()
                try:
                    return [tuple(r) for r in await self._pg_direct.fetch(sql, *args)]
                except (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError,
                        ConnectionError) as exc:
                    if attempt == 2:
                        raise
                    log.warning("inbox connection to PostgreSQL lost (%s); reconnecting", type(exc).__name__)
                    self._pg_direct = None
            raise AssertionError("unreachable")

    async def dispose(self) -> None:
        if self._checkpointing is not None:
            with contextlib.suppress(Exception):
                await self._checkpointing
        if self._direct is not None:
            self._direct.close()
            self._direct = None
        if self._pg_direct is not None:
            with contextlib.suppress(Exception):  # closing: a broken connection has nothing left to say
                await self._pg_direct.close()
            self._pg_direct = None
        if self._raw is not None:
            await self._raw.close()
            self._raw = None
        await self.engine.dispose()


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE can be issued (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
        # A commit never checkpoints by itself: it may run on the loop, holding the write lock an ack waits for.
        # The process's commits are counted instead, and a checkpoint runs in a thread (Database._checkpoint).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the lock up front: a deferred BEGIN that upgrades later can fail with SQLITE_BUSY.
        if not conn.get_execution_options().get("sqlite_immediate", False):
            conn.exec_driver_sql("BEGIN")
            return
        # Once the lock is ours nothing the transaction does waits any more: it runs on the loop (sqlite_loop.py).
        sqlite_loop.begin_immediate(conn.connection.dbapi_connection, lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"),
                                    busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        sqlite_loop.on_loop(dbapi_connection, False)


_AFTER_COMMIT = "pmsbot.after_commit"  # the key in Session.info: callbacks for when its transaction has committed


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call `callback` (on the loop, synchronously) once the session's transaction has committed; never if it rolls
    back. For signals that other tasks of this process may act on only when the rows are there to be read."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def _pg_checkout(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A pooled connection the server closed (a restart, pg_terminate_backend, an idle timeout) has had its
        # end read by asyncpg's protocol on the event loop while it sat in the pool: DisconnectionError makes the
        # pool drop it and check out another (a fresh one if need be), as pre-ping did, with no round trip.
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


def database(settings: Settings) -> Database:
    """The process's database, as every role and command opens it (with the audit chain's key)."""
    return Database(settings.database_url, audit_key=settings.audit_key())
