"""An OpenID Connect relying party: discovery, the provider's keys (JWKS, fetched again for a key id not seen:
rotation), the authorization code flow with PKCE (S256), and id_token validation (signature with the provider's
key, iss, aud, exp/iat with leeway, nonce). PKCE and tokens from authlib; JOSE from joserfc (authlib's own).

Spec: https://openid.net/specs/openid-connect-core-1_0.html (3.1.3.7 id_token validation),
https://openid.net/specs/openid-connect-discovery-1_0.html, RFC 7636 (PKCE).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from bot import constants
from bot.clocks import Clock
from bot.config.identity import SsoConfig

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")  # asymmetric only: never "none" or HS*


class OidcError(Exception):
    """The provider or its answer cannot be trusted or reached; the message names why (for the log)."""


@dataclass(frozen=True, kw_only=True)
class Flow:
    """What the browser carries (in a signed cookie) from leaving for the provider to coming back."""

    state: str
    nonce: str
    verifier: str


class OidcClient:
    def __init__(self, sso: SsoConfig, *, redirect_uri: str, clock: Clock,
                 timeout_s: float = constants.SSO_HTTP_TIMEOUT_S) -> None:
        self.sso = sso
        self.redirect_uri = redirect_uri
        self._clock = clock
        self._timeout_s = timeout_s
        self._meta: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_until = 0.0

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s) as http:
                r = await http.get(url)
            data = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"{url}: {type(exc).__name__}: {exc}") from None
        if r.status_code != 200 or not isinstance(data, dict):
            raise OidcError(f"{url}: HTTP {r.status_code}")
        return data

    async def metadata(self) -> dict[str, Any]:
        if self._meta is None:
            meta = await self._get(f"{self.sso.issuer}/.well-known/openid-configuration")
            if meta.get("issuer", "").rstrip("/") != self.sso.issuer:  # Discovery 4.3: must be the issuer asked
                raise OidcError(f"discovery names issuer {meta.get('issuer')!r}, not {self.sso.issuer!r}")
            for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(meta.get(field), str):
                    raise OidcError(f"discovery has no {field}")
            self._meta = meta
        return self._meta

    async def _key_set(self, *, fresh: bool = False) -> KeySet:
        if fresh or self._keys is None or time.monotonic() >= self._keys_until:
            data = await self._get((await self.metadata())["jwks_uri"])
            try:
                self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError) as exc:
                raise OidcError(f"jwks: {exc}") from None
            self._keys_until = time.monotonic() + constants.SSO_JWKS_TTL_S
        return self._keys

    async def published_keys(self) -> int:
        """How many signing keys the provider publishes (`pmsbot check`)."""
        return len((await self._key_set(fresh=True)).keys)

    async def start(self) -> tuple[str, Flow]:
        """The provider's URL to send the browser to, and what to keep for the way back."""
        meta = await self.metadata()
        flow = Flow(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64))
        query = {"response_type": "code", "client_id": self.sso.client_id, "redirect_uri": self.redirect_uri,
                 "scope": " ".join(self.sso.scopes), "state": flow.state, "nonce": flow.nonce,
                 "code_challenge": create_s256_code_challenge(flow.verifier), "code_challenge_method": "S256"}
        return f"{meta['authorization_endpoint']}?{urlencode(query)}", flow

    async def finish(self, code: str, flow: Flow) -> dict[str, Any]:
        """The validated claims of the id_token the code is exchanged for."""
        meta = await self.metadata()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "code_verifier": flow.verifier, "client_id": self.sso.client_id}
        secret = self.sso.client_secret
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s) as http:
                r = await (http.post(meta["token_endpoint"], data=form,  # client_secret_basic
                                     auth=(self.sso.client_id, secret.get_secret_value())) if secret
                           else http.post(meta["token_endpoint"], data=form))
            data = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"token endpoint: {type(exc).__name__}: {exc}") from None
        token = data.get("id_token") if isinstance(data, dict) else None
        if r.status_code != 200 or not isinstance(token, str):
            raise OidcError(f"token endpoint: HTTP {r.status_code} {str(data)[:200]}")
        return await self.validate(token, nonce=flow.nonce)

    async def validate(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), algorithms=list(ALGORITHMS))
            except (JoseError, ValueError) as exc:  # a key id not seen yet: the provider rotated, read again once
                if "kid" not in str(exc).lower() and "key" not in str(exc).lower():
                    raise
                decoded = jwt.decode(id_token, await self._key_set(fresh=True), algorithms=list(ALGORITHMS))
            claims = decoded.claims
            registry = JWTClaimsRegistry(now=int(self._clock.timestamp()), leeway=constants.SSO_LEEWAY_S,
                                         iss={"essential": True, "value": self.sso.issuer},
                                         aud={"essential": True, "value": self.sso.client_id},
                                         exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
                                         nonce={"essential": True, "value": nonce})
            registry.validate(claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError(f"id_token refused: {type(exc).__name__}: {exc}") from None
        azp = claims.get("azp")
        if isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1 and azp != self.sso.client_id:
            raise OidcError("id_token refused: several audiences and azp is not this client")
        return dict(claims)
