"""The `dingtalk_events:` section: DingTalk's encrypted HTTP event push (事件订阅, push mode HTTP), what the
developer console shows for it (https://open.dingtalk.com/document/orgapp/configure-event-subcription)."""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import Field, SecretStr, field_validator

from bot.config.fields import StrictModel

_AES_KEY_RE = re.compile(r"[A-Za-z0-9+/]{43}")
_TOKEN_RE = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, no spaces
_OWNER_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")


class DingTalkEventsConfig(StrictModel):
    token: SecretStr  # 签名 Token: signs every push (write ${DINGTALK_EVENT_TOKEN})
    aes_key: SecretStr  # 加密 aes_key: 43 characters (write ${DINGTALK_EVENT_AES_KEY})
    # The receiver id every message carries: an internal app's event subscription uses its app key (default: the
    # DINGTALK_CLIENT_ID); a callback registered through the API uses the corp id; a third-party app its suite key.
    owner_key: str | None = Field(default=None, max_length=128)

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_RE.fullmatch(value.get_secret_value()):
            raise ValueError("token must be the console's 签名 Token: 1-128 printable characters without spaces")
        return value

    @field_validator("aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        if not _AES_KEY_RE.fullmatch(key):
            raise ValueError(f"aes_key must be the console's 43 letters and digits (this one has {len(key)} "
                             "characters)")
        try:
            if len(base64.b64decode(key + "=", validate=True)) != 32:
                raise ValueError("aes_key does not decode to a 32-byte key")
        except binascii.Error as exc:
            raise ValueError("aes_key is not base64 (the console's aes_key is 43 characters of base64)") from exc
        return value

    @field_validator("owner_key")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not _OWNER_RE.fullmatch(value):
            raise ValueError("owner_key must be an app key, corp id or suite key (letters, digits, . _ -)")
        return value
