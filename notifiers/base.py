"""The sender seam: one implementation per platform, registered in notifiers/registry.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, kw_only=True)
class Button:
    id: str
    value: str
    label: str
    style: str = "default"


@dataclass(frozen=True, kw_only=True)
class Rendered:
    """A message ready for one platform: text (and, for card platforms, a card body) plus buttons."""

    kind: str
    text: str
    buttons: tuple[Button, ...] = ()
    card: dict[str, Any] = field(default_factory=dict)
    mentions: tuple[str, ...] = ()  # platform accounts to @mention, in the platform's own way (risk owners)
    links: tuple[tuple[str, str], ...] = ()  # (task key, its URL): each platform links the key its own way


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    outbox_id: int
    platform: str
    target: str
    card_ref: str | None
    rendered: Rendered
    locale: str = "en"
    origin: dict[str, str] = field(default_factory=dict)  # set on answers: the platform's reply context


class TransientSendError(Exception):
    """Try again later (timeouts, 5xx, 429). `retry_after_s` is the platform's own hint, when it gave one."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentSendError(Exception):
    """Will never succeed as it is (bad channel, no permission): straight to the dead letters. `code` is the
    platform's own error code, when it gave one (a caller may take one as an answer: "already done")."""

    def __init__(self, reason: str, *, code: object = None) -> None:
        super().__init__(reason)
        self.code = code


class Sender(Protocol):
    platform: str

    async def send(self, message: Outgoing) -> str:
        """Deliver; return the platform's message id (kept so cards can be updated later)."""
        ...

    async def update(self, message: Outgoing, message_id: str) -> None:
        """Replace the content of a message sent earlier."""
        ...

    async def close(self) -> None:
        """Release connections; called once at shutdown."""
        ...


@runtime_checkable
class Warms(Protocol):
    """A sender with something to get ready before its first message (an access token, a connection)."""

    async def warm(self) -> None:
        """Get it ready now; a failure is logged here and is the first send's to report."""
        ...
