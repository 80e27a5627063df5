"""People's own PMS credentials (a Jira OAuth grant or personal access token), sealed at rest.

AES-256-GCM with a key derived from the server's key (PMSBOT_SECRET_KEY, else the generated one in app_secret) for
this purpose only; the person and PMS are the associated data, so a sealed value moved to another row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.store.db import Database
from bot.store.models import PmsCredentialRow

if TYPE_CHECKING:  # loaded by the first sealed credential: a process without Jira people keeps cryptography out
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _aead(server_key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(hmac.new(server_key, b"pmsbot: pms credentials", hashlib.sha256).digest())


def seal(server_key: bytes, person_id: str, pms: str, data: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    box = _aead(server_key).encrypt(nonce, json.dumps(data).encode(), f"{person_id}\n{pms}".encode())
    return base64.urlsafe_b64encode(nonce + box).decode()


def unseal(server_key: bytes, person_id: str, pms: str, sealed: str) -> dict[str, Any] | None:
    """The credential, or None when it does not open (another key, another row, tampered)."""
    from cryptography.exceptions import InvalidTag

    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        data = json.loads(_aead(server_key).decrypt(raw[:12], raw[12:], f"{person_id}\n{pms}".encode()))
    except (InvalidTag, ValueError):
        return None
    return data if isinstance(data, dict) else None


async def credential_of(db: Database, server_key: bytes, person_id: str, pms: str) -> dict[str, Any] | None:
    async with db.read() as s:
        row = await s.get(PmsCredentialRow, (person_id, pms))
    return unseal(server_key, person_id, pms, row.sealed) if row is not None else None


async def keep_credential(db: Database, server_key: bytes, person_id: str, pms: str, data: dict[str, Any],
                          now: datetime) -> None:
    sealed = seal(server_key, person_id, pms, data)
    async with db.write() as s:
        row = await s.get(PmsCredentialRow, (person_id, pms))
        if row is None:
            s.add(PmsCredentialRow(person_id=person_id, pms=pms, sealed=sealed, updated_at=now))
        else:
            row.sealed, row.updated_at = sealed, now
            s.add(row)


async def drop_credential(db: Database, person_id: str, pms: str) -> None:
    async with db.write() as s:
        row = await s.get(PmsCredentialRow, (person_id, pms))
        if row is not None:
            await s.delete(row)
