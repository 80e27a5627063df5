"""Teambition Open API wire details: the app token, the answer envelope and its errors, TQL, times and fields.

Sources (the official docs site is open.teambition.com/docs; its apifox mirror is apifox.com/apidoc/project-518374):
- App access token: a JWT, HS256 over the app secret, claims `_appId`, `iat`, `exp` (about an hour), sent as
  `Authorization: Bearer <token>` — "授权凭证" https://apifox.com/apidoc/project-518374/doc-385312, the official Go SDK
  (github.com/teambition/openapi-sdk-golang configuration.go GetAppAccessToken) and tws-auth (src/client.ts
  signAppToken). Every call names the enterprise: `X-Tenant-Id: <orgId>`, `X-Tenant-Type: organization`; writes name
  the acting user: `X-Operator-Id` (tws-auth withTenant / withOperator).
- Answers: `{"code": 200, "errorMessage": "", "result": …, "requestId": …}`, lists add `nextPageToken` (pass it back
  as `pageToken`; empty: the last page) — api/openapi.yaml of the Go SDK, e.g. SearchProjectTasksV3
  https://open.teambition.com/docs/apis/6321c6d1912d20d3b5a49ec1.
- Rate limit: 40 calls a second per app, enterprise and endpoint, then HTTP 429 ("调用频率限制"
  https://apifox.com/apidoc/project-518374/doc-1922977); no Retry-After is documented.
- TQL (`q` of the project task query): `field = value` joined by AND, strings in single quotes, ORDER BY —
  github.com/teambition/tb-skills references/general/TQL_REFERENCE.md.
- Routes (official Go SDK api/openapi.yaml; docs pages open.teambition.com/docs/apis/<id>):
  GET /v3/task/query (QueryTaskV3 6321c6d2912d20d3b5a4a7b8), GET /v3/project/{id}/task/query (6321c6d1912d20d3b5a49ec1),
  GET /v3/project/{id}/taskflowstatus/search (6321c6d1912d20d3b5a4a142), GET /v3/project/{id}/sprint/search
  (6397f1dc912d20d3b572dc9d), GET /v3/project/{id}/member (6321c6d0912d20d3b5a49906), POST /v3/task/create
  (6321c6d1912d20d3b5a4a514), PUT /v3/task/{id}/progress (63a0818a912d20d3b56b9d88), PUT /v3/task/{id}/taskflowstatus
  (6321c6d2912d20d3b5a4a844), POST /v3/task/{id}/comment (6321c6d1912d20d3b5a4a469), POST /v3/task/{id}/customfield/
  update (6321c6d2912d20d3b5a4a579), POST /worktime/create (6321c6cf912d20d3b5a49058), DELETE /worktime/{id}
  (6405ce05b07df7002be7613d), GET /worktime|plantime/aggregation/task/{id} (6321c6cf912d20d3b5a490e1,
  6321c6cf912d20d3b5a48fd3), GET /org/info (6321c6ce912d20d3b5a488f4).
- Times are UTC instants ("2019-12-05T18:00:00Z"); work time is in milliseconds (CreateWorkTime
  https://open.teambition.com/docs/apis/6321c6cf912d20d3b5a49058).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

TOKEN_LIFETIME_S = 3600  # the docs' advice ("建议值是 1 小时")
TOKEN_RENEW_BEFORE_S = 120  # a new token is signed this long before the old one runs out
DUE_HOUR = 18  # a due day is written as 18:00 local, Teambition's own default due time
MS_PER_HOUR = 3_600_000
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")  # Teambition ids are Mongo object ids
_OK_CODES = (0, 200, 201, 204)


def app_token(app_id: str, app_secret: str, *, now: datetime) -> tuple[str, float]:
    """A signed app token and the moment (epoch seconds) it runs out."""
    import jwt  # only where Teambition is configured: PyJWT with cryptography is 8 MB a process keeps

    issued = int(now.timestamp())
    expires = issued + TOKEN_LIFETIME_S
    return jwt.encode({"_appId": app_id, "iat": issued, "exp": expires}, app_secret, algorithm="HS256"), expires


def is_object_id(value: object) -> bool:
    return isinstance(value, str) and bool(OBJECT_ID_RE.match(value))


def error_text(body: Any) -> str:
    """What a refusal says: `errorMessage` (open API), or `message`/`error` (older TWS gateways)."""
    if not isinstance(body, dict):
        return ""
    for name in ("errorMessage", "message", "error"):
        if body.get(name):
            return str(body[name])[:300]
    return ""


def refused_code(status: int, body: Any) -> int | None:
    """The HTTP-like code of a refusal, or None when the answer is a success. Some gateways answer 200 with the
    refusal in `code`."""
    if status >= 300:
        return status
    code = body.get("code") if isinstance(body, dict) else None
    if isinstance(code, int) and code not in _OK_CODES and code >= 300:
        return code
    return None


def said(text: str, name: str, as_person: bool) -> str:
    """What a write says: the person's words when written as them, else led by their name (the bot wrote it)."""
    if as_person:
        return text
    return text if text.startswith(f"{name}:") else f"{name}: {text}" if text else name


def tql_string(value: str) -> str:
    """A TQL string literal (single quotes); ids are checked before, this only keeps quotes from breaking out."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def due_day(value: Any, tz: ZoneInfo) -> date | None:
    """A due instant as the day it falls on where the team works."""
    instant = when(value)
    return instant.astimezone(tz).date() if instant is not None else None


def due_instant(day: date, tz: ZoneInfo) -> str:
    local = datetime.combine(day, time(DUE_HOUR), tzinfo=tz)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def hours_of_ms(value: Any) -> Decimal:
    try:
        ms = Decimal(str(value or 0))
    except ArithmeticError:
        return Decimal(0)
    return (ms / MS_PER_HOUR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


def ms_of_hours(hours: Decimal) -> int:
    return int((hours * MS_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP))


def field_value(task: dict[str, Any], cf_id: str | None) -> str | None:
    """The first value's title of a custom field on a task (`customfields[].cfId`, `.value[].title`)."""
    if cf_id is None:
        return None
    for field in task.get("customfields") or []:
        if isinstance(field, dict) and field.get("cfId") == cf_id:
            values = field.get("value") or []
            first = values[0] if values and isinstance(values[0], dict) else {}
            title = first.get("title")
            return str(title) if title not in (None, "") else None
    return None


def number(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.strip())
    except ArithmeticError:
        return None


def day_bounds(day: date) -> tuple[str, str]:
    """A work-time entry's start and end: the day itself (isDuration 0)."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return (start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            (start + timedelta(hours=23, minutes=59)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
