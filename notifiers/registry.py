"""Which sender serves which platform. Adding a platform adds one line here."""

from __future__ import annotations

from collections.abc import Callable

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, Settings
from bot.constants import CALLBACK_PLATFORM
from bot.store.db import Database
from notifiers.base import Sender
from notifiers.callback import CallbackSender
from notifiers.console import ConsoleSender
from notifiers.dingtalk import DingTalkSender
from notifiers.feishu import FeishuSender
from notifiers.render import Renderer
from notifiers.slack import SlackSender

SENDERS: dict[str, Callable[[Database, Settings, Renderer, Clock], Sender]] = {
    "console": lambda db, settings, renderer, clock: ConsoleSender(db, clock=clock),
    "slack": lambda db, settings, renderer, clock: SlackSender(db, settings, renderer),
    "feishu": lambda db, settings, renderer, clock: FeishuSender(db, settings, renderer),
    "dingtalk": lambda db, settings, renderer, clock: DingTalkSender(db, settings, renderer, clock=clock),
}


def build_senders(db: Database, settings: Settings, renderer: Renderer, config: Config | None = None, *,
                  clock: Clock = SYSTEM_CLOCK) -> dict[str, Sender]:
    senders = {p: SENDERS[p](db, settings, renderer, clock) for p in settings.enabled_platforms() if p in SENDERS}
    if config is not None and any(s.callback for s in config.sources):
        senders[CALLBACK_PLATFORM] = CallbackSender(config, clock=clock)  # decisions back to the systems that asked
    return senders
