"""Our own HTTP surface as an OpenAPI 3.1 document, served at GET /openapi.json: the platforms' callbacks, other
systems' webhooks, the pages and the admin, health and metrics. tests/test_openapi_document.py holds it to the
routes the app registers (each route documented, each documented path routed) and validates it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot import __version__

JSON = "application/json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"
Operation = dict[str, Any]
Answers = Mapping[int, tuple[str, str, dict[str, Any] | None]]  # status -> (description, media type, schema)

ERROR = {"$ref": "#/components/schemas/Error"}
STATUS = {"$ref": "#/components/schemas/Status"}
ACCEPTED = {"$ref": "#/components/schemas/Accepted"}


def _content(media: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {media: {"schema": schema or ({"type": "string"} if media != JSON else {"type": "object"})}}


def _op(summary: str, tag: str, responses: Answers, *,
        params: tuple[str, ...] = (), query: tuple[tuple[str, str, bool], ...] = (),
        body: tuple[str, dict[str, Any] | None] | None = None, description: str = "",
        security: str | None = None) -> Operation:
    """One operation: path parameters by name, query parameters as (name, description, required), a request body
    as (media type, schema), responses as status -> (description, media type, schema)."""
    op: Operation = {"summary": summary, "tags": [tag], "responses": {
        str(status): {"description": text, **({"content": _content(media, schema)} if media else {})}
        for status, (text, media, schema) in responses.items()}}
    if description:
        op["description"] = description
    parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
    parameters += [{"name": n, "in": "query", "required": r, "description": d, "schema": {"type": "string"}}
                   for n, d, r in query]
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": _content(*body)}
    if security:
        op["security"] = [{security: []}]
    return op


def _refused(*statuses: int) -> Answers:
    texts = {400: "malformed request", 401: "not signed, or not by the platform", 403: "altered or expired link",
             404: "no such thing", 409: "already used or decided", 413: "body larger than 1 MiB"}
    return {s: (texts[s], JSON, ERROR) for s in statuses}


def _platform(name: str, how: str) -> Operation:
    return _op(f"{name}'s callbacks: messages, commands, button clicks", "platforms",
               {200: ("acknowledged (stored once; a redelivery is recognised)", JSON, None), **_refused(400, 401, 413)},
               body=(JSON, None), description=f"Exists when {name} is configured. {how}")


def _paths() -> dict[str, dict[str, Operation]]:
    page: Answers = {200: ("the page", HTML, None)}
    hook_ok: Answers = {200: ("stored once (`duplicate` when this body was seen before)", JSON, ACCEPTED)}
    return {
        "/healthz": {"get": _op("the process is up", "health", {200: ("up", JSON, STATUS)})},
        "/readyz": {"get": _op("the database answers and its schema is current", "health",
                               {200: ("ready", JSON, STATUS), 503: ("not ready, with the reason", JSON, STATUS)})},
        "/metrics": {"get": _op("Prometheus metrics", "health", {200: ("text exposition format", "text/plain",
                                                                      None)})},
        "/openapi.json": {"get": _op("this document", "health", {200: ("OpenAPI 3.1", JSON, None)})},
        "/slack/events": {"post": _platform("Slack", "Signed with SLACK_SIGNING_SECRET (X-Slack-Signature, "
                                                     "X-Slack-Request-Timestamp); events, /pms and interactivity.")},
        "/feishu/events": {"post": _platform("Feishu", "Encrypted and signed with FEISHU_ENCRYPT_KEY "
                                                       "(X-Lark-Signature), or carrying the verification token.")},
        "/dingtalk/events": {"post": _platform("DingTalk", "Signed with the app secret (timestamp and sign "
                                                           "headers, within an hour, each pair used once).")},
        "/dingtalk/event-subscription": {"post": _op(
            "DingTalk's encrypted event push (address-book changes; the console's URL check)", "platforms",
            {200: ("{msg_signature, encrypt, timeStamp, nonce}: \"success\", encrypted (stored once per eventId)",
                   JSON, None), **_refused(400, 401, 413), 403: ("for another app or corp (receiver id)", JSON, ERROR)},
            query=(("msg_signature", "SHA-1 of the sorted token, timestamp, nonce and encrypt", True),
                   ("timestamp", "ms or s; within an hour of our clock", True), ("nonce", "random string", True)),
            body=(JSON, {"type": "object", "required": ["encrypt"], "properties": {"encrypt": {"type": "string"}}}),
            description="Exists when `dingtalk_events:` is configured (token, aes_key; AES-256-CBC as DingTalk's "
                        "samples). Bodies over 256 KiB get 413.")},
        "/dingtalk/decide/{token}": {
            "get": _op("a decision link's confirmation page (changes nothing)", "platforms",
                       {**page, 403: ("altered or expired link", HTML, None)}, params=("token",)),
            "post": _op("confirm the decision", "platforms",
                        {**page, 403: ("altered or expired link", HTML, None), 409: ("already used", HTML, None)},
                        params=("token",), body=(FORM, None)),
        },
        "/hooks/{name}": {"post": _op(
            "a configured source's delivery (Jira's webhook is the source `jira`)", "hooks",
            {**hook_ok, **_refused(400, 401, 404, 413), 403: ("not this source's", JSON, ERROR)},
            params=("name",), body=(JSON, None),
            description="Verified as the source's configuration says (HMAC signature header, or a token).")},
        "/hooks/{name}/{token}": {"post": _op(
            "a source's delivery with its token in the path (Zentao: /hooks/zentao/{token})", "hooks",
            {**hook_ok, **_refused(400, 401, 404, 413), 403: ("not this source's", JSON, ERROR)},
            params=("name", "token"), body=(JSON, None))},
        "/console": {"get": _op("the web chat (PMSBOT_CONSOLE=1 or `pmsbot demo`)", "console", page)},
        "/console/api/people": {"get": _op("the people one can chat as", "console", {200: ("people", JSON, None)})},
        "/console/api/messages": {"post": _op(
            "say something as a person", "console", {202: ("stored", JSON, None), **_refused(400, 404)},
            body=(JSON, {"type": "object", "required": ["person", "text"], "properties": {
                "person": {"type": "string"}, "text": {"type": "string"}, "client_id": {"type": "string"}}}))},
        "/console/api/actions": {"post": _op(
            "click a button", "console", {202: ("stored", JSON, None), **_refused(400, 404)},
            body=(JSON, {"type": "object", "required": ["person", "action", "value"], "properties": {
                "person": {"type": "string"}, "action": {"type": "string"}, "value": {"type": "string"},
                "reason": {"type": "string"}, "client_id": {"type": "string"}}}))},
        "/console/api/feed": {"get": _op("a person's conversation", "console",
                                         {200: ("messages", JSON, None), **_refused(400)},
                                         query=(("person", "person id", True),
                                                ("after", "only messages after this id", False)))},
        "/console/api/messages/{id}": {"get": _op("one message of the feed", "console",
                                                  {200: ("the message", JSON, None), **_refused(404)},
                                                  params=("id",))},
        "/r/{token}": {
            "get": _op("a task's field report page (signed link)", "pages",
                       {**page, 403: ("altered or expired link", HTML, None)}, params=("token",)),
            "post": _op("submit a field report (percent, hours, note, photo, blocker)", "pages",
                        {200: ("the page with the answer, or with a notice when this form was sent before", HTML,
                               None),
                         **{status: ("the page, with what is wrong shown on the form", HTML, None)
                            for status in (400, 413, 415)},
                         403: ("altered or expired link, or not our form", HTML, None)},
                        params=("token",), body=("multipart/form-data", None)),
        },
        "/r/{token}/qr.{fmt}": {"get": _op(
            "the field link's QR code", "pages", {200: ("SVG or PNG", "image/svg+xml", None)},
            params=("token", "fmt"))},
        "/photos/{token}": {"get": _op("a field report's photo (signed link)", "pages",
                                       {200: ("the photo", "image/jpeg", None), 403: ("altered link", HTML, None)},
                                       params=("token",))},
        "/files/{token}": {"get": _op("a file attached to a built-in task from chat (signed link)", "pages",
                                      {200: ("the picture or PDF, as its bytes were checked to be", "image/jpeg",
                                             None), 404: ("altered link or no such file", HTML, None)},
                                      params=("token",))},
        "/projects/{key}": {"get": _op("a project's dashboard", "pages", {**page, 403: ("no access", HTML, None)},
                                       params=("key",), query=(("v", "a signed view link", False),),
                                       security="adminSession")},
        "/projects/{key}/standups": {"get": _op(
            "a project's standup history, day by day", "pages",
            {**page, 400: ("a timezone or number of days that is none", HTML, None), 403: ("no access", HTML, None)},
            params=("key",), query=(("v", "a signed view link (the dashboard's)", False),
                                    ("days", "how many days back (1-90, default 14)", False),
                                    ("tz", "the viewer's timezone, an IANA name (default: the deployment's)", False),
                                    ("lang", "zh or en (default: the browser's)", False)),
            security="adminSession")},
        "/projects/{key}/snapshot.png": {"get": _op(
            "a PNG of the dashboard (headless Chromium)", "pages", {200: ("PNG", "image/png", None)},
            params=("key",), query=(("v", "a signed view link", False),), security="adminSession")},
        "/link/jira/{token}": {
            "get": _op("let pmsbot write in Jira as you: Cloud redirects to Atlassian's consent, Data Center asks for "
                       "a personal access token", "pages",
                       {200: ("the token form (Data Center)", HTML, None), 302: ("to Atlassian's consent (Cloud)", "", None),
                        400: ("altered or expired link", HTML, None), 404: ("not set up here", HTML, None)},
                       params=("token",)),
            "post": _op("keep a Data Center personal access token once Jira says whose it is", "pages",
                        {200: ("linked", HTML, None), 400: ("refused, with why", HTML, None),
                         404: ("not set up here", HTML, None)}, params=("token",), body=(FORM, None))},
        "/link/jira/callback": {"get": _op(
            "Atlassian's OAuth 2.0 (3LO) redirect: the code becomes the person's grant", "pages",
            {200: ("linked", HTML, None), 400: ("refused, declined, or an altered state", HTML, None),
             404: ("not set up here", HTML, None)},
            query=(("code", "the authorization code", False), ("state", "the signed state naming the person", True),
                   ("error", "access_denied when consent was refused", False)))},
        **_portfolio(page),
        "/admin": {"get": _admin_page("overview: connectors, queues, schedules")},
        "/admin/login": {
            "get": _op("the login form (with sso: configured, only as ?break_glass=1; else to /admin/sso)", "admin",
                       {**page, 303: ("single sign-on is on: to /admin/sso", "", None)},
                       query=(("break_glass", "1: the audited shared-token login while sso is on", False),)),
            "post": _op("log in with PMSBOT_ADMIN_TOKEN", "admin",
                        {303: ("logged in: to /admin", "", None), **page}, body=(FORM, None)),
        },
        "/admin/enter/{token}": {
            "get": _op("a one-time admin link's page", "admin", page, params=("token",)),
            "post": _op("use the one-time link", "admin", {303: ("logged in", "", None), **page},
                        params=("token",), body=(FORM, None)),
        },
        "/admin/sso": {"get": _op("single sign-on (sso: configured): to the OpenID Connect provider", "admin", {
            303: ("to the provider's authorization endpoint (code flow, PKCE S256, state, nonce)", "", None),
            502: ("the provider's discovery document cannot be read", HTML, None)})},
        "/admin/sso/callback": {"get": _op(
            "back from the provider: the code exchanged, the id_token validated, the person's roles checked", "admin",
            {200: ("signed in (admin: on to /admin; pmo: the dashboards)", HTML, None),
             403: ("state, token or person refused (a member, an unknown or deactivated person)", HTML, None)},
            query=(("code", "the authorization code", False), ("state", "the flow's state", False),
                   ("error", "the provider's refusal", False)))},
        "/admin/logout": {"post": _admin_form("log out")},
        "/admin/dead": {"get": _admin_page("dead letters and rejected deliveries")},
        "/admin/dead/{id}/replay": {"post": _admin_form("send a dead letter again", "id")},
        "/admin/failed/{id}/replay": {"post": _admin_form("run a rejected delivery again", "id")},
        "/admin/audit": {"get": _admin_page("the audit log and the hash chain's status")},
        "/admin/people": {"get": _admin_page("people and their linked accounts")},
    }


def _portfolio(page: Answers) -> dict[str, dict[str, Operation]]:
    view = ("v", "a person's signed portfolio link (the PMO digest's); without it, an admin session", False)
    lang = ("lang", "zh | en", False)
    trend_query = (view, lang, ("milestone", "one of the project's milestones (default: the whole project)", False),
                   ("weeks", "weeks shown, 1-104 (default 26)", False))
    answers: Answers = {**page, 303: ("no session or link: to /admin/login", "", None),
                        **_refused(400), 403: ("altered or expired link, or not a reader", HTML, None)}
    return {
        "/portfolio": {"get": _op(
            "every project the viewer may read: health, progress against plan, risks, overdue tasks, approvals "
            "waiting, last standup", "pages", answers, security="adminSession",
            query=(view, lang, ("department", "only this department", False), ("pm", "only this PM's", False),
                   ("tag", "only projects with this tag", False),
                   ("sort", "health | project | progress | gap | risks | overdue | approvals | standup", False),
                   ("order", "asc | desc", False)))},
        "/portfolio.{fmt}": {"get": _op(
            "the portfolio's rows as CSV or XLSX (fmt: csv | xlsx), with the page's filters and order", "pages",
            {200: ("the file", "text/csv", None), 303: ("no session or link: to /admin/login", "", None),
             **_refused(400, 404), 403: ("altered or expired link", HTML, None)},
            params=("fmt",), query=(view, lang), security="adminSession")},
        "/portfolio/{key}": {"get": _op(
            "a project's trends from the daily snapshots: burndown, burnup, cycle time, throughput, workload, "
            "risks by kind, standup participation", "pages", {**answers, 404: ("no such project", HTML, None)},
            params=("key",), query=trend_query, security="adminSession")},
        "/portfolio/{key}/trends.{fmt}": {"get": _op(
            "the trend page's figures as CSV or XLSX (fmt: csv | xlsx)", "pages",
            {200: ("the file", "text/csv", None), 303: ("no session or link: to /admin/login", "", None),
             **_refused(400, 404), 403: ("altered or expired link, or not a reader", HTML, None)},
            params=("key", "fmt"), query=trend_query, security="adminSession")},
    }


def _admin_page(summary: str) -> Operation:
    return _op(summary, "admin", {200: ("the page", HTML, None), 303: ("no session: to /admin/login", "", None)},
               security="adminSession")


def _admin_form(summary: str, *params: str) -> Operation:
    return _op(summary, "admin", {303: ("done: back to the page", "", None), 403: ("bad CSRF token", HTML, None)},
               params=params, body=(FORM, None), security="adminSession")


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "pmsbot", "version": __version__,
                 "description": "The HTTP surface of one pmsbot web process. Malformed requests get a 4xx with "
                                "`{\"error\": …}`; bodies over 1 MiB get 413.",
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "paths": _paths(),
        "components": {
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
                "Accepted": {"type": "object", "required": ["ok"], "properties": {
                    "ok": {"type": "boolean"}, "duplicate": {"type": "boolean"}, "ignored": {"type": "boolean"},
                    "requeued": {"type": "boolean"}}},
            },
            "securitySchemes": {"adminSession": {"type": "apiKey", "in": "cookie", "name": "pmsbot_admin"}},
        },
    }


def add_routes(app: web.Application) -> None:
    body = document()

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(body)

    app.router.add_get("/openapi.json", serve)
