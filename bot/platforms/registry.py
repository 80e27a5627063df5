"""Which inbound adapter serves which platform. Adding a platform adds one line here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from bot.platforms.dingtalk import DingTalkAdapter
from bot.platforms.feishu import FeishuAdapter
from bot.platforms.slack import SlackAdapter
from bot.runtime import Runtime


class Adapter(Protocol):
    def add_routes(self, app: web.Application) -> None: ...

    async def start(self) -> None:
        """Open persistent connections (Socket Mode, streams) when configured."""
        ...

    async def close(self) -> None: ...


ADAPTERS: dict[str, Callable[[Runtime], Adapter]] = {
    "slack": SlackAdapter,
    "feishu": FeishuAdapter,
    "dingtalk": DingTalkAdapter,
}


def build_adapters(rt: Runtime) -> list[Adapter]:
    return [ADAPTERS[p](rt) for p in rt.settings.enabled_platforms() if p in ADAPTERS]
