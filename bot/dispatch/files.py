"""The files of a message, fetched from its platform by the worker (never on the ack path) and checked: its
declared size first (nothing is fetched for a file declared too large), then its bytes (bot/files.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.constants import ATTACHMENT_DOWNLOAD_TIMEOUT_S, ATTACHMENTS_PER_MESSAGE
from bot.files import checked, megabytes, shown_name
from bot.records import Fetched, FileRefused, InboundEvent
from notifiers.downloads import DownloadFailed, FileSource, TooBig

log = logging.getLogger("pmsbot.files")


class Downloads:
    def __init__(self, sources: Mapping[str, FileSource], *, max_bytes: int) -> None:
        self.sources = dict(sources)
        self.max_bytes = max_bytes

    async def fetch(self, event: InboundEvent) -> tuple[Fetched, ...]:
        """Each file of the event, fetched and checked, or why not; past the per-message limit, one `too_many`."""
        out: list[Fetched] = []
        source = self.sources.get(event.platform)
        too_big = FileRefused(name="", code="too_big", params={"max_mb": megabytes(self.max_bytes)})
        for f in event.files[:ATTACHMENTS_PER_MESSAGE]:
            name = shown_name(f.name)
            if f.size_bytes is not None and f.size_bytes > self.max_bytes:
                out.append(FileRefused(name=name, code=too_big.code, params=too_big.params))
                continue
            if source is None:
                out.append(FileRefused(name=name, code="download_failed"))
                continue
            try:
                data = await asyncio.wait_for(source.fetch(f.ref, max_bytes=self.max_bytes),
                                              ATTACHMENT_DOWNLOAD_TIMEOUT_S)
            except TooBig:
                out.append(FileRefused(name=name, code=too_big.code, params=too_big.params))
                continue
            except (DownloadFailed, TimeoutError) as exc:
                log.warning("%s file of event %s not fetched: %s", event.platform, event.event_id, str(exc)[:300])
                out.append(FileRefused(name=name, code="download_failed"))
                continue
            out.append(checked(f.name, data, max_bytes=self.max_bytes))
        if len(event.files) > ATTACHMENTS_PER_MESSAGE:
            out.append(FileRefused(name="…", code="too_many", params={"max": str(ATTACHMENTS_PER_MESSAGE)}))
        return tuple(out)
