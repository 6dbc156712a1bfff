"""Validating oauthhub's JWT access tokens, for resource servers (see oauthhub.contrib).

Two key sources: in-process (this site holds the workspace: keys come from the
database through the cache) and remote (another service: the JWKS is fetched
over HTTP, cached, and refetched at most once per interval on an unknown kid).

What is checked, in order: the token is a compact JWS of sane size; the header
names a ``kid`` the workspace publishes and exactly that key's algorithm (so no
``none`` and no HS/RS confusion; ``jwk``/``jku``/``x5u`` headers are never
used); ``typ`` is ``at+jwt``; the signature; ``iss``; ``aud``; ``exp``, ``nbf``
and ``iat`` with a small leeway.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from dataclasses import dataclass, field

from django.core.cache import caches
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException

from .conf import hub_settings
from .exceptions import ConfigurationError, InvalidToken

log = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 8192
ACCEPTED_TYPES = {"at+jwt", "application/at+jwt"}
_ASYMMETRIC_KTY = {"RSA", "EC", "OKP"}


@dataclass(frozen=True)
class ValidatedToken:
    """A token that passed every check; what a view reads from ``request.auth``."""

    claims: dict
    token_kid: str = ""
    scopes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", frozenset(str(self.claims.get("scope", "")).split()))

    @property
    def subject(self) -> str:
        return self.claims["sub"]

    @property
    def client_id(self) -> str | None:
        return self.claims.get("client_id")

    @property
    def jti(self) -> str | None:
        return self.claims.get("jti")

    @property
    def is_client_token(self) -> bool:
        """True for client credentials: no user, the subject is the client."""
        return self.claims.get("sub") == self.claims.get("client_id")


# Key sources ------------------------------------------------------------------------


class WorkspaceKeys:
    """Keys of a workspace in this site's database, read through the shared cache."""

    def __init__(self, workspace_slug: str) -> None:
        self.workspace_slug = workspace_slug

    def key(self, kid: str) -> tuple[jwk.JWK, str] | None:
        from . import keys
        from .cache import get_enabled_workspace

        workspace = get_enabled_workspace(self.workspace_slug)
        record = keys.workspace_keys(workspace.pk).get(kid) if workspace else None
        return (record.verification_key(), record.algorithm) if record else None


class RemoteJWKS:
    """A JWKS fetched over HTTP and cached; an unknown kid refetches, rate-limited.

    Only asymmetric signing keys are taken from a JWKS: a shared secret is never
    published, so an ``oct`` key there is ignored rather than trusted.
    """

    def __init__(self, url: str, *, cache_seconds: int = 300, refetch_interval: int = 30, timeout: float = 5) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval
        self.timeout = timeout

    @property
    def _cache(self):
        return caches[hub_settings.CACHE_ALIAS]

    def key(self, kid: str) -> tuple[jwk.JWK, str] | None:
        document = self._cache.get(self._document_key)
        if document is None or kid not in document:
            # A lock per interval: forged kids cannot make us fetch more often than this.
            if document is None or self._cache.add(self._refetch_key, 1, self.refetch_interval):
                document = self._fetch() or document or {}
        entry = (document or {}).get(kid)
        return (jwk.JWK(**entry), entry["alg"]) if entry else None

    @property
    def _document_key(self) -> str:
        return f"oauthhub:jwks:{self.url}"

    @property
    def _refetch_key(self) -> str:
        return f"oauthhub:jwks-refetch:{self.url}"

    def _fetch(self) -> dict | None:
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:  # noqa: S310 (https in config)
                keyset = json.loads(response.read(512 * 1024))
        except (OSError, ValueError) as exc:
            log.warning("could not fetch JWKS %s: %s", self.url, exc)
            return None
        document = {
            entry["kid"]: entry
            for entry in keyset.get("keys", [])
            if isinstance(entry, dict) and entry.get("kty") in _ASYMMETRIC_KTY
            and entry.get("kid") and entry.get("alg") and entry.get("use", "sig") == "sig"
        }
        self._cache.set(self._document_key, document, self.cache_seconds)
        return document


# Validation ---------------------------------------------------------------------------


def validate(token: str, *, key_source, issuer: str, audience: str | None, leeway: int = 30) -> ValidatedToken:
    """Return the token's claims if every check passes, else raise InvalidToken.

    ``audience`` None skips the audience check: only the authorization server's
    own introspection does that.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("The access token is empty or too long.")
    if token.count(".") != 2:
        raise InvalidToken("The access token is not a signed JWT (a JWE or garbage was sent).")
    parsed = jws.JWS()
    try:
        parsed.deserialize(token)
        header = parsed.jose_header
    except (JWException, ValueError, TypeError):
        raise InvalidToken("The access token is malformed.") from None
    if not isinstance(header, dict):
        raise InvalidToken("The access token is malformed.")
    if str(header.get("typ", "")).lower() not in ACCEPTED_TYPES:
        raise InvalidToken('The token is not an access token (typ must be "at+jwt").')
    kid = header.get("kid")
    found = key_source.key(kid) if isinstance(kid, str) and kid else None
    if found is None:
        raise InvalidToken("The access token was signed by a key this workspace does not publish.")
    key, algorithm = found
    if header.get("alg") != algorithm:
        raise InvalidToken("The access token's algorithm is not its key's algorithm.")
    checked = jwt.JWT(
        algs=[algorithm],
        expected_type="JWS",
        check_claims={"iss": issuer, "exp": None, **({"aud": audience} if audience is not None else {})},
    )
    checked.leeway = leeway
    try:
        checked.deserialize(token, key)
    except jwt.JWTExpired:
        raise InvalidToken("The access token has expired.") from None
    except jwt.JWTMissingClaim as exc:
        raise InvalidToken(f"The access token lacks a claim: {exc}") from None
    except jwt.JWTInvalidClaimValue as exc:
        raise InvalidToken(_claim_message(exc)) from None
    except (JWException, ValueError, TypeError):
        raise InvalidToken("The access token's signature does not verify.") from None
    claims = json.loads(checked.claims)
    now = time.time()
    for name in ("nbf", "iat"):
        if isinstance(claims.get(name), (int, float)) and claims[name] > now + leeway:
            raise InvalidToken("The access token is not valid yet.")
    if not isinstance(claims.get("sub"), str):
        raise InvalidToken("The access token lacks a subject.")
    return ValidatedToken(claims=claims, token_kid=kid)


def _claim_message(exc: Exception) -> str:
    text = str(exc)
    if "'iss'" in text:
        return "The access token was issued by another authorization server or workspace."
    if "'aud'" in text:
        return "The access token is not meant for this API (aud)."
    return "The access token has an invalid claim."


# Configuration -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceServerConfig:
    key_source: object
    issuer: str | None  # None: derive from the request (in-process, no ISSUER_BASE_URL)
    audience: str | None  # None: the workspace's default audience
    workspace: str | None
    leeway: int


def resource_server_config() -> ResourceServerConfig:
    """Read OAUTHHUB["RESOURCE_SERVER"]; explain exactly what is missing."""
    config = hub_settings.RESOURCE_SERVER or {}
    leeway = int(config.get("LEEWAY", 30))
    if config.get("JWKS_URL"):
        missing = [name for name in ("ISSUER", "AUDIENCE") if not config.get(name)]
        if missing:
            raise ConfigurationError(
                f'OAUTHHUB["RESOURCE_SERVER"] with a JWKS_URL (remote mode) also needs {" and ".join(missing)}.'
            )
        source = RemoteJWKS(
            config["JWKS_URL"],
            cache_seconds=int(config.get("JWKS_CACHE_SECONDS", 300)),
            refetch_interval=int(config.get("JWKS_REFETCH_INTERVAL", 30)),
        )
        return ResourceServerConfig(source, config["ISSUER"], config["AUDIENCE"], None, leeway)
    if not config.get("WORKSPACE"):
        raise ConfigurationError(
            'Set OAUTHHUB["RESOURCE_SERVER"] = {"WORKSPACE": "<slug>"} (same site) or '
            '{"JWKS_URL": …, "ISSUER": …, "AUDIENCE": …} (another service).'
        )
    workspace = config["WORKSPACE"]
    return ResourceServerConfig(
        WorkspaceKeys(workspace), config.get("ISSUER"), config.get("AUDIENCE"), workspace, leeway
    )
