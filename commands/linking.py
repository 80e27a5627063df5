"""Linking a platform account nobody knows yet to a person, in chat.

The account sends `link <name or id>`; the person gets a one-time code on the channels pmsbot already knows
them by; the account sends `link <code>` within 10 minutes. Proof of control of both sides, without an admin.
The answer to the first step is the same whether or not the person exists, so it reveals nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from bot.constants import (
    LINK_CODE_DIGITS,
    LINK_CODE_MAX_ATTEMPTS,
    LINK_CODE_RESEND_S,
    LINK_CODE_TTL_S,
    LINK_CODES_PER_HOUR_ACCOUNT,
    LINK_CODES_PER_HOUR_PERSON,
)
from bot.records import PendingLink, Person, Reply

CODE_RE = re.compile(rf"[0-9]{{{LINK_CODE_DIGITS}}}")


class Linking(Protocol):
    async def find_person(self, ref: str) -> Person | None: ...

    async def person(self, person_id: str) -> Person | None: ...

    async def pending_link(self, platform: str, external_id: str) -> PendingLink | None: ...

    async def put_link(self, platform: str, external_id: str, *, person_id: str, code_sha256: str, now: datetime,
                       expires_at: datetime) -> None: ...

    async def count_link_attempt(self, platform: str, external_id: str) -> int: ...

    async def drop_link(self, platform: str, external_id: str) -> None: ...

    async def link_codes_since(self, since: datetime, *, actor: str, person_id: str) -> tuple[int, int]:
        """Codes asked for since `since`: (by this chat account, for this person)."""
        ...

    async def bind_identity(self, platform: str, external_id: str, person_id: str, *, source: str) -> None: ...

    async def audit(self, *, actor: str, action: str, subject: str, detail: dict[str, str], now: datetime) -> None: ...


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _error(code: str, **params: str) -> Reply:
    return Reply(kind="error", data={"code": code, "params": params})


async def link_account(ws: Linking, *, platform: str, external_id: str, arg: str, now: datetime) -> list[Reply]:
    actor = f"{platform}:{external_id}"
    pending = await ws.pending_link(platform, external_id)
    arg = arg.strip()
    if CODE_RE.fullmatch(arg):
        if pending is None or pending.expires_at <= now:
            return [_error("link_no_code")]
        if not hmac.compare_digest(_digest(arg), pending.code_sha256):
            attempts = await ws.count_link_attempt(platform, external_id)
            await ws.audit(actor=actor, action="identity.link_failed", subject=pending.person_id,
                           detail={"attempts": str(attempts)}, now=now)
            if attempts >= LINK_CODE_MAX_ATTEMPTS:
                await ws.drop_link(platform, external_id)
                return [_error("link_code_spent")]
            return [_error("link_wrong_code", left=str(LINK_CODE_MAX_ATTEMPTS - attempts))]
        person = await ws.person(pending.person_id)
        await ws.drop_link(platform, external_id)
        if person is None:
            return [_error("link_no_code")]
        await ws.bind_identity(platform, external_id, person.id, source="link")
        await ws.audit(actor=actor, action="identity.linked", subject=person.id, detail={"platform": platform},
                       now=now)
        return [
            Reply(kind="account_linked", data={"name": person.name, "platform": platform}),
            # Told where they were reached before: the new account is the one under suspicion.
            Reply(kind="account_linked_notice", to_person=person.id, not_via=((platform, external_id),),
                  data={"platform": platform, "account": external_id}),
        ]
    if pending is not None and (now - pending.created_at).total_seconds() < LINK_CODE_RESEND_S:
        return [_error("link_wait", seconds=str(int(LINK_CODE_RESEND_S - (now - pending.created_at).total_seconds())))]
    person = await ws.find_person(arg)
    replies = [Reply(kind="link_code_sent", data={"ref": arg[:64], "minutes": int(LINK_CODE_TTL_S // 60)})]
    if person is None:
        await ws.audit(actor=actor, action="identity.link_unknown", subject=arg[:64], detail={}, now=now)
        return replies
    # Voiding a code with wrong guesses must not be a way to a fresh one: codes are counted per hour, per asking
    # account and per person (several accounts asking for one person's codes flood nobody either).
    by_account, for_person = await ws.link_codes_since(now - timedelta(hours=1), actor=actor, person_id=person.id)
    if by_account >= LINK_CODES_PER_HOUR_ACCOUNT or for_person >= LINK_CODES_PER_HOUR_PERSON:
        await ws.audit(actor=actor, action="identity.link_throttled", subject=person.id, detail={}, now=now)
        return [_error("link_too_many")]
    code = f"{secrets.randbelow(10 ** LINK_CODE_DIGITS):0{LINK_CODE_DIGITS}d}"
    await ws.put_link(platform, external_id, person_id=person.id, code_sha256=_digest(code), now=now,
                      expires_at=now + timedelta(seconds=LINK_CODE_TTL_S))
    await ws.audit(actor=actor, action="identity.link_requested", subject=person.id, detail={}, now=now)
    replies.append(Reply(kind="link_code", to_person=person.id, data={
        "platform": platform, "account": external_id, "code": code, "minutes": int(LINK_CODE_TTL_S // 60)}))
    return replies
