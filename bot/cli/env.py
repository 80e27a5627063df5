"""What every `pmsbot` subcommand starts from: the environment's settings, the configuration, and the error
that is printed without a traceback."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from bot.config import Config, Settings
from bot.config.load import ParsedFile, load_config_file
from bot.memory import collector_paused


class CliError(Exception):
    """A failure the user can act on; printed without a traceback."""


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'environment'}: {e['msg']}" for e in exc.errors())
        raise CliError(f"environment: {problems}") from None


def config(settings: Settings) -> Config:
    return config_file(settings)[0]


def config_file(settings: Settings) -> tuple[Config, ParsedFile | None]:
    """The configuration, and the file it came from (for a Runtime to keep it parsed in the database). A file
    with the same bytes as one a former start parsed is read from the database instead of parsed again."""
    if os.environ.get("PMSBOT_CONFIG") and not Path(settings.pmsbot_config).exists():
        # Only the default path may be absent (the embedded default); a path someone set must exist.
        raise CliError(f"PMSBOT_CONFIG names {settings.pmsbot_config}, which does not exist")
    from bot.store.config_applied import cached_file

    # The configuration lives as long as the process: 10,000 people's YAML nodes and models built without a full
    # collection walking them, again and again, as they pile up (half the parse's time).
    with collector_paused(keep=True):
        return load_config_file(settings.pmsbot_config,
                                cached=lambda sha256: cached_file(settings.database_url, sha256))




def console_on() -> bool:
    return os.environ.get("PMSBOT_CONSOLE", "") == "1"


def chat_platforms(settings: Settings) -> tuple[str, ...]:
    """The chat platforms whose credentials are set, and the console when PMSBOT_CONSOLE=1 serves it."""
    platforms = tuple(p for p in settings.enabled_platforms() if p != "console")
    return (*platforms, "console") if console_on() else platforms


def unconfigured(settings: Settings, config: Config) -> list[str]:
    """What a server started as it is lacks before anyone can use it (empty: nothing lacking)."""
    missing = []
    if not chat_platforms(settings):
        missing.append("no chat platform: set SLACK_BOT_TOKEN, FEISHU_APP_ID or DINGTALK_CLIENT_ID with their "
                       "secrets, or PMSBOT_CONSOLE=1 for the web console")
    if not config.people:
        where = (f"{settings.pmsbot_config} does not exist" if not Path(settings.pmsbot_config).exists()
                 else f"{settings.pmsbot_config} names none")
        missing.append(f"no people or projects: {where} (PMSBOT_CONFIG; README: Configuration)")
    return missing


def why(exc: BaseException) -> str:
    """A failure to reach something, in words: the cause's own first line, without its class name."""
    cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused: is the server running, and at this host and port?"
    if isinstance(cause, TimeoutError):
        return "no answer in time: is the host reachable from here (firewall, address)?"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror[0].lower() + cause.strerror[1:]
    lines = str(cause).strip().splitlines()
    detail = lines[0][:300] if lines else ""
    # asyncpg and sqlite3 errors are often a bare sentence; a driver class name in front of it says nothing more.
    return detail.split(": ", 1)[1] if detail.startswith("<class ") and ": " in detail else detail or "failed"
