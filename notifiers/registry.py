"""Which sender serves which platform. Adding a platform adds one line here."""

from __future__ import annotations

from collections.abc import Callable

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

SENDERS: dict[str, Callable[[Database, Settings, Renderer], Sender]] = {
    "console": lambda db, settings, renderer: ConsoleSender(db),
    "slack": SlackSender,
    "feishu": FeishuSender,
    "dingtalk": DingTalkSender,
}


def build_senders(db: Database, settings: Settings, renderer: Renderer, config: Config | None = None
                  ) -> dict[str, Sender]:
    senders = {p: SENDERS[p](db, settings, renderer) for p in settings.enabled_platforms() if p in SENDERS}
    if config is not None and any(s.callback for s in config.sources):
        senders[CALLBACK_PLATFORM] = CallbackSender(config)  # decisions back to the systems that asked
    return senders
