"""Which sender serves which platform. Adding a platform adds one line here."""

from __future__ import annotations

from collections.abc import Callable

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, Settings
from bot.constants import CALLBACK_PLATFORM
from bot.store.db import Database
from notifiers.base import Sender
from notifiers.render import Renderer

# Each platform's sender module is imported only when that platform is on: Slack's SDK and aiohttp's client are a
# fifth of a second and megabytes that a process without Slack never uses.


def _console(db: Database, settings: Settings, renderer: Renderer, clock: Clock) -> Sender:
    from notifiers.console import ConsoleSender

    return ConsoleSender(db, clock=clock)


def _slack(db: Database, settings: Settings, renderer: Renderer, clock: Clock) -> Sender:
    from notifiers.slack import SlackSender

    return SlackSender(db, settings, renderer)


def _feishu(db: Database, settings: Settings, renderer: Renderer, clock: Clock) -> Sender:
    from notifiers.feishu import FeishuSender

    return FeishuSender(db, settings, renderer)


def _dingtalk(db: Database, settings: Settings, renderer: Renderer, clock: Clock) -> Sender:
    from notifiers.dingtalk import DingTalkSender

    return DingTalkSender(db, settings, renderer, clock=clock)


SENDERS: dict[str, Callable[[Database, Settings, Renderer, Clock], Sender]] = {
    "console": _console,
    "slack": _slack,
    "feishu": _feishu,
    "dingtalk": _dingtalk,
}


def build_senders(db: Database, settings: Settings, renderer: Renderer, config: Config | None = None, *,
                  clock: Clock = SYSTEM_CLOCK) -> dict[str, Sender]:
    senders = {p: SENDERS[p](db, settings, renderer, clock) for p in settings.enabled_platforms() if p in SENDERS}
    if config is not None and any(s.callback for s in config.sources):
        from notifiers.callback import CallbackSender

        senders[CALLBACK_PLATFORM] = CallbackSender(config, clock=clock)  # decisions back to the systems that asked
    return senders
