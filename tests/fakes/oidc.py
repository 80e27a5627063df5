"""A local OpenID Connect provider that follows the specs, for the single sign-on tests:

- Discovery: https://openid.net/specs/openid-connect-discovery-1_0.html (issuer, endpoints, jwks_uri, S256)
- Code flow: https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth (3.1.2.1 authorization request:
  response_type=code, client_id, redirect_uri exactly as registered, scope with openid, state, nonce)
- PKCE: RFC 7636 (code_challenge_method=S256; the token request's code_verifier must hash to the challenge)
- Token endpoint: RFC 6749 4.1.3 / 5.2 (client_secret_basic; a code is used once, by the same redirect_uri;
  errors as {"error": "invalid_grant" | "invalid_client" | "invalid_request"})
- id_token: RS256 signed with the key named by its `kid`, published in the JWKS; `rotate()` adds a new key and
  signs with it, `drop_old()` unpublishes the older ones.

Who signs in is `user` (claims); `mode` makes the next id_token wrong on purpose: "forged" (signed with a key not
published), "expired", "wrong_aud", "wrong_nonce", "alg_none".
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.fakes.server import FakeServer

CLIENT_ID = "pmsbot-admin"
CLIENT_SECRET = "oidc-client-secret-0123456789"


@functools.cache
def _key(kid: str, variant: str = "") -> RSAKey:
    """One key per (kid, variant) in a process: generating 2,048-bit keys for every test costs seconds."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class OidcFake(FakeServer):
    redirect_uris: set[str] = field(default_factory=set)
    user: dict[str, Any] = field(default_factory=lambda: {"sub": "u-1", "email": "admin@corp.example"})
    mode: str = ""
    keys: list[RSAKey] = field(default_factory=lambda: [_key("k1")])
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    jwks_reads: int = 0

    @property
    def issuer(self) -> str:
        return self.base

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/jwks", self.jwks)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/token", self.token)

    def rotate(self) -> None:
        self.keys.append(_key(f"k{len(self.keys) + 1}"))

    def drop_old(self) -> None:
        self.keys = self.keys[-1:]

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": self.issuer, "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"], "scopes_supported": ["openid", "email"]})

    async def jwks(self, request: web.Request) -> web.Response:
        self.jwks_reads += 1
        return web.json_response({"keys": [k.as_dict(private=False) for k in self.keys]})

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != CLIENT_ID or q.get("redirect_uri") not in self.redirect_uris:
            return web.Response(status=400, text="unknown client or redirect_uri")  # never redirect to it
        back = q["redirect_uri"]
        problem = ("unsupported_response_type" if q.get("response_type") != "code"
                   else "invalid_scope" if "openid" not in q.get("scope", "").split()
                   else "invalid_request" if not (q.get("state") and q.get("nonce") and q.get("code_challenge")
                                                  and q.get("code_challenge_method") == "S256") else None)
        if problem:
            raise web.HTTPFound(f"{back}?{urlencode({'error': problem, 'state': q.get('state', '')})}")
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"redirect_uri": back, "challenge": q["code_challenge"], "nonce": q["nonce"],
                            "user": dict(self.user)}
        raise web.HTTPFound(f"{back}?{urlencode({'code': code, 'state': q['state']})}")

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        auth = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {expected}":
            return web.json_response({"error": "invalid_client"}, status=401,
                                     headers={"WWW-Authenticate": "Basic"})
        form = await request.post()
        grant = self.codes.pop(str(form.get("code", "")), None)  # used once, whatever happens next
        if form.get("grant_type") != "authorization_code" or grant is None:
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if form.get("redirect_uri") != grant["redirect_uri"] or challenge != grant["challenge"]:
            return web.json_response({"error": "invalid_grant", "error_description": "PKCE or redirect_uri"},
                                     status=400)
        return web.json_response({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                  "expires_in": 3600, "id_token": self.id_token(grant["user"], grant["nonce"])},
                                 headers={"Cache-Control": "no-store"})

    def id_token(self, user: dict[str, Any], nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce, **user}
        mode, self.mode = self.mode, ""
        if mode == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif mode == "wrong_aud":
            claims["aud"] = "someone-else"
        elif mode == "wrong_nonce":
            claims["nonce"] = "not-the-one"
        if mode == "alg_none":
            head = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{head}.{body}."
        key = _key(self.keys[-1].kid or "k1", "forged") if mode == "forged" else self.keys[-1]  # same kid, other key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
