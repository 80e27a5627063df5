"""The `retention:` section: how long each kind of stored data is kept (days; none: kept until erased)."""

from __future__ import annotations

from pydantic import Field

from bot.config.fields import StrictModel

# 网络安全法 art. 21 / 等保 2.0 (GB/T 22239-2019 8.1.4.3): security audit records are kept at least six months.
MIN_AUDIT_DAYS = 180
MIN_INBOX_DAYS = 7  # platforms redeliver an event for up to days; its inbox row is what makes the second a no-op


class RetentionConfig(StrictModel):
    chat_text_days: int | None = Field(default=None, ge=1)  # console chat, outbox messages, standup answers
    photos_days: int | None = Field(default=None, ge=1)  # field-report photos
    inbox_days: int | None = Field(default=90, ge=MIN_INBOX_DAYS)  # processed inbound events (their payloads)
    audit_days: int | None = Field(default=None, ge=MIN_AUDIT_DAYS)  # audit rows (the chain keeps verifying)
    at: str = Field(default="03:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")  # local time of the daily purge
