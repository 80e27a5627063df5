"""Jira writes as the person: their own credential when they linked one, else none (the bot account writes).

- Jira Cloud, OAuth 2.0 (3LO) (https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/): the person
  consents at `{auth}/authorize?audience=api.atlassian.com&client_id…&scope=…&redirect_uri…&state…&response_type=code
  &prompt=consent`; the code is exchanged at `POST {auth}/oauth/token` (grant_type authorization_code) for an access
  token (expires_in seconds) and, with the `offline_access` scope, a refresh token that rotates: each refresh answers
  a new one and the old one stops working. `GET {api}/oauth/token/accessible-resources` names the sites the grant
  covers; the one whose url is JIRA_URL gives the cloud id, and calls go to `{api}/ex/jira/{cloudid}/rest/api/3/…`.
- Jira Data Center: a personal access token the person made, sent as `Authorization: Bearer`.
A refresh Atlassian refuses (the person revoked the app) forgets the grant: writes fall back to the bot account.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.clocks import Clock
from bot.config import Settings
from bot.constants import PMS_TIMEOUT_S
from bot.pms.base import PMSDown
from bot.pms.http import PMSHttp
from bot.records import Person
from bot.store.credentials import credential_of, drop_credential, keep_credential
from bot.store.db import Database

log = logging.getLogger("pmsbot.pms")

SCOPES = "read:jira-work write:jira-work read:jira-user offline_access"
REFRESH_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class PersonCredential:
    bearer: str
    base_url: str  # where /rest/api/N goes: the site (Data Center) or the API gateway's /ex/jira/{cloudid}


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str
    auth_url: str = "https://auth.atlassian.com"
    api_url: str = "https://api.atlassian.com"


def build(settings: Settings, db: Database, server_key: Callable[[], Awaitable[bytes]], clock: Clock
          ) -> JiraPeople | None:
    """Per-person writes: on Data Center always (people paste their own token); on Cloud with an OAuth app."""
    if not settings.jira_url:
        return None
    cloud = settings.jira_pat is None
    oauth = None
    if cloud:
        if not (settings.jira_oauth_client_id and settings.jira_oauth_client_secret):
            return None
        oauth = OAuthApp(settings.jira_oauth_client_id, settings.jira_oauth_client_secret.get_secret_value(),
                         auth_url=settings.jira_oauth_auth_url.rstrip("/"),
                         api_url=settings.jira_oauth_api_url.rstrip("/"))
    return JiraPeople(db, server_key, site_url=settings.jira_url, cloud=cloud, oauth=oauth, clock=clock)


class LinkRefused(Exception):
    """The code, token or site did not give a working credential: `reason` says why (shown to the person)."""


class JiraPeople:
    def __init__(self, db: Database, server_key: Callable[[], Awaitable[bytes]], *, site_url: str, cloud: bool,
                 oauth: OAuthApp | None, clock: Clock) -> None:
        self.db = db
        self._key = server_key
        self.site_url = site_url.rstrip("/")
        self.cloud = cloud
        self.oauth = oauth
        self.clock = clock
        self._http = httpx.AsyncClient(timeout=PMS_TIMEOUT_S, follow_redirects=False)

    async def close(self) -> None:
        await self._http.aclose()

    @property
    def can_link(self) -> bool:
        return self.oauth is not None if self.cloud else True

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        assert self.oauth is not None
        return f"{self.oauth.auth_url}/authorize?" + urlencode({
            "audience": "api.atlassian.com", "client_id": self.oauth.client_id, "scope": SCOPES,
            "redirect_uri": redirect_uri, "state": state, "response_type": "code", "prompt": "consent"})

    async def credential(self, person_id: str) -> PersonCredential | None:
        data = await credential_of(self.db, await self._key(), person_id, "jira")
        if data is None:
            return None
        if data.get("kind") == "pat":
            return PersonCredential(bearer=str(data["token"]), base_url=self.site_url)
        if self.oauth is None:
            return None
        expires = float(data.get("expires_at", 0))
        if expires - REFRESH_MARGIN.total_seconds() <= self.clock.now().timestamp():
            data = await self._refresh(person_id, data)
            if data is None:
                return None
        return PersonCredential(bearer=str(data["access_token"]),
                                base_url=f"{self.oauth.api_url}/ex/jira/{data['cloud_id']}")

    async def forget(self, person_id: str) -> None:
        await drop_credential(self.db, person_id, "jira")

    async def _token(self, body: dict[str, str]) -> dict[str, Any]:
        assert self.oauth is not None
        response = await self._http.post(f"{self.oauth.auth_url}/oauth/token", json={
            **body, "client_id": self.oauth.client_id, "client_secret": self.oauth.client_secret})
        answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or not answer.get("access_token"):
            raise LinkRefused(str(answer.get("error_description") or answer.get("error")
                                  or f"the token endpoint answered {response.status_code}")[:200])
        return dict(answer)

    def _grant(self, answer: dict[str, Any], cloud_id: str) -> dict[str, Any]:
        return {"kind": "oauth", "access_token": answer["access_token"], "refresh_token": answer.get("refresh_token"),
                "expires_at": self.clock.now().timestamp() + float(answer.get("expires_in", 3600)),
                "cloud_id": cloud_id}

    async def _refresh(self, person_id: str, data: dict[str, Any]) -> dict[str, Any] | None:
        if not data.get("refresh_token"):
            await self.forget(person_id)
            return None
        try:
            answer = await self._token({"grant_type": "refresh_token", "refresh_token": str(data["refresh_token"])})
        except LinkRefused as exc:  # revoked, or the rotating token was used already: link again
            log.warning("jira: %s's grant no longer refreshes (%s): writes go as the bot", person_id, exc)
            await self.forget(person_id)
            return None
        except httpx.HTTPError as exc:
            log.warning("jira: refreshing %s's grant failed (%s): this write goes as the bot", person_id, exc)
            return None
        fresh = self._grant(answer, str(data["cloud_id"]))
        fresh["refresh_token"] = answer.get("refresh_token") or data["refresh_token"]  # rotated: keep the new one
        await keep_credential(self.db, await self._key(), person_id, "jira", fresh, self.clock.now())
        return fresh

    async def link_code(self, person_id: str, code: str, redirect_uri: str) -> str:
        """Exchange a consent's code; the site's name. LinkRefused when it gives no grant on JIRA_URL's site."""
        try:
            answer = await self._token({"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": redirect_uri})
            assert self.oauth is not None
            sites = await self._http.get(f"{self.oauth.api_url}/oauth/token/accessible-resources",
                                         headers={"Authorization": f"Bearer {answer['access_token']}",
                                                  "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise LinkRefused(f"Atlassian did not answer ({type(exc).__name__})") from exc
        listed = sites.json() if sites.status_code == 200 else []
        site = next((s for s in listed if isinstance(s, dict) and str(s.get("url", "")).rstrip("/") == self.site_url),
                    None)
        if site is None:
            raise LinkRefused(f"the grant does not cover {self.site_url}")
        await keep_credential(self.db, await self._key(), person_id, "jira", self._grant(answer, str(site["id"])),
                              self.clock.now())
        return str(site.get("name") or self.site_url)

    async def link_pat(self, person_id: str, token: str) -> str:
        """Keep a Data Center personal access token once Jira says whose it is; that user's name."""
        try:
            me = await self._http.get(f"{self.site_url}/rest/api/2/myself",
                                      headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise LinkRefused(f"Jira did not answer ({type(exc).__name__})") from exc
        if me.status_code != 200:
            raise LinkRefused(f"Jira refused the token ({me.status_code})")
        await keep_credential(self.db, await self._key(), person_id, "jira", {"kind": "pat", "token": token},
                              self.clock.now())
        return str(me.json().get("displayName") or me.json().get("name") or "")


async def call_as(http: PMSHttp, people: JiraPeople | None, by: Person | None, method: str, path: str, *,
                  params: Any, json: Any, files: Any = None, headers: dict[str, str] | None = None
                  ) -> tuple[httpx.Response, bool]:
    """A call as `by` when they linked their own Jira, else as the bot account; and whether it went as them."""
    credential = await people.credential(by.id) if people is not None and by is not None else None
    if credential is None:
        return await http.call(method, path, params=params, json=json, files=files, headers=headers), False
    try:
        return await http.call(method, credential.base_url + path, params=params, json=json, files=files,
                               headers=headers, bearer=credential.bearer), True
    except PMSDown as exc:
        if exc.kind != "auth" or people is None or by is None:
            raise
        await people.forget(by.id)  # the token was revoked: link again; this write goes as the bot
        return await http.call(method, path, params=params, json=json, files=files, headers=headers), False
