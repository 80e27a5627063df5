"""The aiohttp application: health, metrics and the routes of each enabled inbound platform."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import constants
from bot.clocks import Clock
from bot.config import Config
from bot.decision_links import LinkSigner
from bot.hooks import registry as hooks
from bot.metrics import INBOX_FAILED, INBOX_PENDING, OUTBOX_STATES
from bot.platforms.people import AliasLookup, EmailLookup, KnownPeople
from bot.platforms.registry import Adapter, Inbound, build_adapters
from bot.records import Project
from bot.runtime import Runtime
from bot.store import audit as audit_log
from bot.store import migrate
from bot.store.db import Database, StoreSession
from bot.store.identities import IdentityStore
from bot.store.replay import first_uses
from bot.store.web import server_key
from bot.web import admin, console, dashboard, field, jira_link, openapi, portfolio, sso, standup_history
from bot.web.decide import DecidePage
from bot.web.pages import WEB, Web

if TYPE_CHECKING:  # a platform's adapter and sender modules are imported only when it is on
    from bot.platforms import dingtalk, feishu, slack
    from bot.platforms.dingtalk_crypto import CallbackCipher
    from bot.pms.base import PMS
    from notifiers.base import Rendered

log = logging.getLogger("pmsbot.web")

RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PAGE_PREFIXES = ("/r/", "/admin", "/projects/", "/photos/")  # pages: errors as pages, not JSON


def json_error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Machines get a 4xx with a JSON reason, never an HTML page or a stack trace."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or request.path == "/console" or request.path.startswith(PAGE_PREFIXES):
            raise
        reason = exc.reason if exc.status != 413 else f"body larger than {constants.MAX_BODY_BYTES} bytes"
        return json_error(exc.status, reason)
    except json.JSONDecodeError:
        return json_error(400, "body is not valid JSON")
    except RecursionError:  # request.json() on a body nested thousands deep
        return json_error(400, "body is nested too deeply")
    except UnicodeDecodeError:
        return json_error(400, "body is not valid UTF-8")
    except Exception:  # the HTTP boundary: log, answer 500 without details
        # The route, not the path: a path may hold a signed link (a credential) that must not reach the logs.
        resource = request.match_info.route.resource
        log.exception("unhandled error on %s %s", request.method, resource.canonical if resource else "?")
        return json_error(500, "internal error")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    try:
        await rt.db.ping()
        current = await migrate.current_revision(rt.db)
    except Exception as exc:  # readiness reports, it does not fail
        return web.json_response({"status": "unavailable", "database": type(exc).__name__}, status=503)
    if current != migrate.head_revision():
        return web.json_response({"status": "unavailable", "schema": current}, status=503)
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    INBOX_PENDING.set(await rt.inbox.pending_count())
    INBOX_FAILED.set(await rt.inbox.failed_count())
    counts = await rt.outbox.counts()
    for state in ("pending", "sent", "dead"):
        OUTBOX_STATES.labels(state).set(counts.get(state, 0))
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _audit_link(db: Database, clock: Clock) -> Callable[[str, str], Awaitable[None]]:
    async def note(person: str, action: str) -> None:
        async with db.write() as s:
            await audit_log.append(s, actor=person, action=action, subject=person, detail={}, now=clock.now())
    return note


def build_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=constants.MAX_BODY_BYTES, middlewares=[errors_as_json])
    app[RUNTIME] = runtime
    db, clock, config, renderer = runtime.db, runtime.clock, runtime.config, runtime.renderer

    async def web_key() -> bytes:
        # Read when the app starts: a web process started before `pmsbot db upgrade` has none until a restart.
        configured = runtime.settings.pmsbot_secret_key
        return runtime.web_key or (configured.get_secret_value().encode() if configured else await server_key(db))

    def connectors(session: StoreSession) -> Callable[[Project], PMS]:
        # The PMS clients are made by the first page that reads a project (a web process may never need them).
        from bot.pms.registry import connector_for

        return connector_for(session, runtime.remotes, clock=clock)

    pages = Web(key=web_key, public_url=runtime.settings.pmsbot_public_url, clock=clock, templates=renderer,
                default_locale=config.locale)
    app[WEB] = pages
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    openapi.add_routes(app)
    if runtime.console:
        console.add_routes(app, console.ConsoleDeps(db=db, clock=clock, templates=renderer,
                                                    default_locale=config.locale, accept=runtime.inbox.accept,
                                                    settle=runtime.settling.settled))
    hooks.add_routes(app, lambda request: request.app[RUNTIME].inbox, runtime.config, runtime.clock)
    field.add_routes(app, field.FieldDeps(
        db=db, clock=clock, default_locale=config.locale, connectors=connectors, accept=runtime.inbox.accept,
        received=runtime.inbox.find, caused_by=runtime.outbox.envelopes_caused_by, settle=runtime.settling.settled))
    admin.add_routes(app, admin.AdminDeps(
        db=db, clock=clock, config=config,
        admin_token=lambda: runtime.settings.pmsbot_admin_token,  # read each time: rotating it ends its sessions
        replay_dead_letter=runtime.outbox.replay, wake_delivery=runtime.wake_delivery,
        wake_inbox=runtime.inbox.wake))
    if config.sso is not None:  # the provider sends the browser back to this address: it must be the public one
        from bot.web.oidc import OidcClient

        base = (runtime.settings.pmsbot_public_url or f"http://{runtime.settings.host}:{runtime.settings.port}")
        client = OidcClient(config.sso, redirect_uri=base.rstrip("/") + sso.CALLBACK, clock=clock)
        sso.add_routes(app, sso.SsoDeps(db=db, clock=clock, sso=config.sso, client=client))
    dashboard.add_routes(app, dashboard.DashboardDeps(
        db=db, clock=clock, connectors=connectors, default_locale=config.locale, timezone=config.timezone,
        risk_scans=config.risk_alerts, listener=(runtime.settings.host, runtime.settings.port)))
    jira_link.add_routes(app, jira_link.JiraLinkDeps(
        linking=lambda: getattr(runtime.remotes.get("jira"), "people", None), audit=_audit_link(db, clock)))
    portfolio.add_routes(app, portfolio.PortfolioDeps(db=db, clock=clock, default_locale=config.locale,
                                                      timezone=config.timezone))
    standup_history.add_routes(app, standup_history.StandupHistoryDeps(
        db=db, clock=clock, default_locale=config.locale, timezone=config.timezone))
    adapters = platform_adapters(runtime)
    for adapter in adapters:
        adapter.add_routes(app)

    async def start_adapters(app: web.Application) -> None:
        await pages.start()
        for adapter in adapters:
            await adapter.start()

    async def close_adapters(app: web.Application) -> None:
        for adapter in adapters:
            await adapter.close()

    app.on_startup.append(start_adapters)
    app.on_cleanup.append(close_adapters)
    return app


# ---- the inbound adapters' wiring: each takes only its share of the runtime -----------------------------------------
def platform_adapters(runtime: Runtime) -> list[Adapter]:
    """The adapters of the platforms that are on, handed this runtime's inbox, outbox, catalogs and senders."""
    on = runtime.settings.enabled_platforms()
    inbound = Inbound(intake=runtime.inbox, outcomes=runtime.settling, texts=runtime.renderer,
                      replay=functools.partial(first_uses, runtime.db), clock=runtime.clock)
    return build_adapters(inbound, slack=_slack_parts(runtime) if "slack" in on else None,
                          feishu=_feishu_parts(runtime) if "feishu" in on else None,
                          dingtalk=_dingtalk_parts(runtime) if "dingtalk" in on else None)


def _people(rt: Runtime, platform: str, email_of: EmailLookup, aliases_of: AliasLookup | None = None
            ) -> KnownPeople:
    return KnownPeople(IdentityStore(rt.db), platform, email_of, aliases_of, default_locale=rt.config.locale,
                       locales=rt.renderer.catalogs)


def _slack_parts(rt: Runtime) -> slack.SlackParts:
    from bot.platforms import slack
    from notifiers.slack import client_for

    s = rt.settings
    assert s.slack_bot_token is not None
    client = client_for(s.slack_bot_token.get_secret_value(), s.slack_api_url)
    return slack.SlackParts(
        client=client, api_url=s.slack_api_url, people=_people(rt, slack.PLATFORM, slack.email_lookup(client)),
        signing_secret=s.slack_signing_secret.get_secret_value() if s.slack_signing_secret else None,
        app_token=s.slack_app_token.get_secret_value() if s.slack_app_token else None)


def _feishu_parts(rt: Runtime) -> feishu.FeishuParts:
    from bot.platforms import feishu
    from notifiers.feishu import FeishuSender, card_for

    s = rt.settings
    assert s.feishu_app_id and s.feishu_app_secret
    found = rt.delivery.senders.get(feishu.PLATFORM)
    sender = found if isinstance(found, FeishuSender) else None

    async def email_of(open_id: str) -> str | None:
        return await sender.user_email(open_id) if sender else None

    async def card_answer(inbox_id: int, account: str, locale: str) -> dict[str, Any] | None:
        found = await _card_update(rt, feishu.PLATFORM, inbox_id, account)
        return card_for(rt.renderer, found[0], rt.renderer.catalogs[locale]["feishu"]) if found else None

    return feishu.FeishuParts(
        encrypt_key=s.feishu_encrypt_key.get_secret_value() if s.feishu_encrypt_key else None,
        verification_token=s.feishu_verification_token.get_secret_value() if s.feishu_verification_token else None,
        long_connection=s.feishu_long_connection, api_base=s.feishu_api_base or constants.FEISHU_DEFAULT_API_BASE,
        app_id=s.feishu_app_id, app_secret=s.feishu_app_secret.get_secret_value(),
        people=_people(rt, feishu.PLATFORM, email_of), card_answer=card_answer,
        contacts=any(d.kind == "feishu" for d in rt.config.directory.sources),
        approval_engine=any(r.engine is not None and r.engine.kind == "feishu_approval"
                            for r in rt.config.approval_chains.rules))


def _dingtalk_parts(rt: Runtime) -> dingtalk.DingTalkParts:
    from bot.platforms import dingtalk
    from notifiers.dingtalk import LINK_PURPOSE, DingTalkSender, session_webhook_allowed

    s = rt.settings
    assert s.dingtalk_client_id and s.dingtalk_client_secret
    secret = s.dingtalk_client_secret.get_secret_value()
    found = rt.delivery.senders.get(dingtalk.PLATFORM)
    sender = found if isinstance(found, DingTalkSender) else None

    async def card_answer(inbox_id: int, account: str, locale: str) -> dict[str, Any] | None:
        if sender is None:
            return None
        found = await _card_update(rt, dingtalk.PLATFORM, inbox_id, account)
        return sender.card_params(*found) if found else None  # in the card's own language

    return dingtalk.DingTalkParts(
        client_id=s.dingtalk_client_id, client_secret=secret, stream=s.dingtalk_stream,
        api_base=s.dingtalk_api_base or constants.DINGTALK_DEFAULT_API_BASE,
        people=_people(rt, dingtalk.PLATFORM, *dingtalk.profile_lookups(sender)),
        links=LinkSigner(secret, purpose=LINK_PURPOSE, clock=rt.clock),
        decide_page=DecidePage(rt.renderer, default_locale=rt.config.locale), card_answer=card_answer,
        session_webhook_allowed=functools.partial(session_webhook_allowed, oapi_base=sender.oapi) if sender else None,
        directory_source=any(d.kind == "dingtalk" for d in rt.config.directory.sources),
        event_push=_dingtalk_event_push(rt.config, s.dingtalk_client_id),
        approval_engine=any(r.engine is not None and r.engine.kind == "dingtalk_oa"
                            for r in rt.config.approval_chains.rules))


def _dingtalk_event_push(config: Config, client_id: str) -> CallbackCipher | None:
    """The encrypted HTTP event push's keys (`dingtalk_events:`); the receiver id defaults to the app key."""
    from bot.platforms.dingtalk_crypto import CallbackCipher

    events = config.dingtalk_events
    if events is None:
        return None
    return CallbackCipher(token=events.token.get_secret_value(), aes_key=events.aes_key.get_secret_value(),
                          receiver=events.owner_key or client_id)


async def _card_update(rt: Runtime, platform: str, inbox_id: int, account: str) -> tuple[Rendered, str] | None:
    """The card change an event caused for the clicker, rendered, with its language."""
    update = await rt.outbox.card_update_for(inbox_id, platform, account)
    if update is None:
        return None
    return rt.renderer.render(platform=platform, locale=update.locale, kind=update.kind, data=update.data,
                              actions=update.actions), update.locale

