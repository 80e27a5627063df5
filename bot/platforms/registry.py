"""Which inbound adapter serves which platform, built from what the wiring hands in (bot/app.py).

Every adapter takes its share of the same ports (`Inbound`) and its platform's own parts (keys, its people, what
the platform's sender lends it). Adding a platform adds its parts and one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.clocks import Clock
from bot.platforms.ports import Intake, Outcomes, Replay, Texts

if TYPE_CHECKING:  # each adapter's module is imported only when its platform is on
    from bot.platforms.dingtalk import DingTalkParts
    from bot.platforms.feishu import FeishuParts
    from bot.platforms.slack import SlackParts


class Adapter(Protocol):
    def add_routes(self, app: web.Application) -> None: ...

    async def start(self) -> None:
        """Open persistent connections (Socket Mode, streams) when configured."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Inbound:
    """The ports every adapter takes its share of."""

    intake: Intake
    outcomes: Outcomes
    replay: Replay
    texts: Texts
    clock: Clock


def build_adapters(inbound: Inbound, *, slack: SlackParts | None = None, feishu: FeishuParts | None = None,
                   dingtalk: DingTalkParts | None = None) -> list[Adapter]:
    """One adapter per platform whose parts are given (the platforms that are on)."""
    i = inbound
    adapters: list[Adapter] = []
    if slack is not None:
        from bot.platforms.slack import SlackAdapter

        adapters.append(SlackAdapter(slack, intake=i.intake, outcomes=i.outcomes, texts=i.texts, clock=i.clock))
    if feishu is not None:
        from bot.platforms.feishu import FeishuAdapter

        adapters.append(FeishuAdapter(feishu, intake=i.intake, outcomes=i.outcomes, replay=i.replay, texts=i.texts,
                                      clock=i.clock))
    if dingtalk is not None:
        from bot.platforms.dingtalk import DingTalkAdapter

        adapters.append(DingTalkAdapter(dingtalk, intake=i.intake, outcomes=i.outcomes, replay=i.replay,
                                        texts=i.texts, clock=i.clock))
    return adapters
