"""Logging for every process: one format (plain lines, or JSON for log shippers), and no token, secret,
signature or session id on any line."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from bot.text import redact_secrets

# `name=value` pairs whose value is a credential, in URLs, headers and bodies quoted in a message.
_SECRET_PAIRS = re.compile(
    r"(?i)\b(access_?token|app_?access_?token|tenant_?access_?token|token|sign|signature|secret|password|passwd"
    r"|api_?key|session(?:_?webhook)?|code|ticket|authorization)(\"?\s*[=:]\s*\"?)(bearer\s+)?([^&\s\"',;]+)")
# Libraries that log whole request URLs (DingTalk and Feishu carry tokens in query strings) at INFO, and those
# that log routine work at INFO (APScheduler: two lines per job run, every few seconds): WARNING and up only.
_NOISY = ("httpx", "httpcore", "alembic", "apscheduler", "aiohttp.access")
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


# Personal data a log line does not need (PIPL art. 6, minimum necessary): e-mail addresses keep their domain,
# mainland mobile numbers their first 3 and last 4 digits, resident ID numbers nothing.
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_RESIDENT_ID = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])[0-9]{2}[0-9]{3}[0-9Xx](?![0-9])")


def minimise(text: str) -> str:
    text = _RESIDENT_ID.sub("[id number]", text)
    return _MOBILE.sub(r"\1****\2", _EMAIL.sub(r"***@\1", text))


def redact(text: str) -> str:
    return minimise(redact_secrets(_SECRET_PAIRS.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)))


class RedactSecrets(logging.Filter):
    """On a handler: whatever logger a record comes from, its text is redacted before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class _Ours(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure` installs, so a second call replaces it instead of adding another."""


def configure(level: str, log_format: str = "text") -> None:
    """Log to stderr at `level`, redacted, as plain lines or JSON; the noisy libraries only warn. Where logging
    was set up by someone else (a test harness, an embedding program), their handlers are kept and only redacted."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Ours)]:
        root.removeHandler(old)
    if not root.handlers:
        ours = _Ours(sys.stderr)
        ours.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
        root.addHandler(ours)
        root.setLevel(level.upper())
    for handler in root.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
