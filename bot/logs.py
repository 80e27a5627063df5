"""Logging for every process: one format, and no token, secret, signature or session id on any line."""

from __future__ import annotations

import logging
import re

from bot.text import redact_secrets

# `name=value` pairs whose value is a credential, in URLs, headers and bodies quoted in a message.
_SECRET_PAIRS = re.compile(
    r"(?i)\b(access_?token|app_?access_?token|tenant_?access_?token|token|sign|signature|secret|password|passwd"
    r"|api_?key|session(?:_?webhook)?|code|ticket|authorization)(\"?\s*[=:]\s*\"?)(bearer\s+)?([^&\s\"',;]+)")
# Libraries that log whole request URLs (DingTalk and Feishu carry tokens in query strings) at INFO.
_NOISY = ("httpx", "httpcore", "alembic")


def redact(text: str) -> str:
    return redact_secrets(_SECRET_PAIRS.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text))


class RedactSecrets(logging.Filter):
    """On a handler: whatever logger a record comes from, its text is redacted before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
