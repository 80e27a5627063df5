"""No token, secret, signature or session id reaches a log line, whichever library logs it."""

from __future__ import annotations

import io
import logging

import pytest

from bot import logs

TOKEN = "a1b2c3d4e5f6g7h8"


@pytest.mark.parametrize("line", [
    f"HTTP Request: POST https://oapi.dingtalk.com/robot/send?access_token={TOKEN}&timestamp=1&sign={TOKEN}%3D",
    f'POST /open-apis/auth/v3/tenant_access_token/internal -> {{"tenant_access_token": "{TOKEN}"}}',
    f"Authorization: Bearer {TOKEN}",
    f"session webhook https://oapi.dingtalk.com/robot/sendBySession?session={TOKEN}",
    "link jira ATATT3xFfGF0T8qVxYzAbCdEf0123456789aBcDeFgH",
])
def test_credentials_are_redacted_from_any_logger(line: str) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.RedactSecrets())
    log = logging.getLogger("some.library")
    log.addHandler(handler)
    try:
        log.warning("%s", line)
    finally:
        log.removeHandler(handler)
    written = out.getvalue()
    assert "[redacted]" in written and TOKEN not in written and "ATATT3x" not in written


def test_the_libraries_that_log_whole_urls_are_quiet_at_info() -> None:
    before = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    try:
        logs.configure("info")
        assert all(logging.getLogger(name).getEffectiveLevel() >= logging.WARNING for name in before)
        assert any(isinstance(f, logs.RedactSecrets) for h in logging.getLogger().handlers for f in h.filters)
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
        for h in logging.getLogger().handlers:
            for f in [f for f in h.filters if isinstance(f, logs.RedactSecrets)]:
                h.removeFilter(f)


def test_ordinary_words_are_kept() -> None:
    line = "dingtalk request refused (401): sign does not match for task PUMP-12 at code path 3"
    assert logs.redact(line) == line
