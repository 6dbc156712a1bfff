"""Token strings: secrets and their hashing, the lifetime resolver, JWT access tokens."""

from __future__ import annotations

import hashlib
import secrets
import time

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from jwcrypto import jwt
from oauthlib.oauth2.rfc6749.tokens import random_token_generator

from .hooks import get_hooks

_SECRET_PREFIX = "hmac-sha256$"
_SECRET_SALT = "oauthhub.client-secret"

# Where the token view hands oauthlib the workspace's issuer URL (see oauth/core.py).
ISSUER_KEY = "OAUTHHUB_ISSUER"


def generate_secret() -> str:
    """A client secret with 256 bits of randomness, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str, *, key: str | None = None) -> str:
    """Keyed SHA-256 digest of a server-generated secret.

    Secrets we generate carry 256 bits of entropy, so a slow password hash buys
    nothing against guessing; a keyed digest (HMAC with SECRET_KEY) keeps a
    database dump useless while costing microseconds instead of PBKDF2's ~0.5 s.
    """
    digest = salted_hmac(_SECRET_SALT, secret, secret=key, algorithm="sha256").hexdigest()
    return _SECRET_PREFIX + digest


def secret_matches(secret: str, stored: str) -> bool:
    """Constant-time check of ``secret`` against a stored digest.

    Digests made under a key in SECRET_KEY_FALLBACKS still verify, so rotating
    SECRET_KEY does not lock every client out.
    """
    if not stored.startswith(_SECRET_PREFIX):
        return False
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(hash_secret(secret, key=key), stored) for key in keys)


def hash_code(code: str) -> str:
    """Digest under which an authorization code is stored and looked up."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def new_jti() -> str:
    """A token's public id: random, unguessable, safe to log and show."""
    return secrets.token_urlsafe(16)


def lifetime(client, kind: str) -> int:
    """Seconds a new token of ``kind`` lives: client override → workspace → site default.

    ``kind`` is ``access``, ``refresh``, ``code`` or ``id``. oauthlib calls this
    through the server's ``token_expires_in`` callable for every token, so an
    edit applies to the next token issued.
    """
    return client.effective_ttl(kind)


# Access tokens ---------------------------------------------------------------------


def access_token(request) -> str:
    """oauthlib's token generator: an RFC 9068 JWT or an opaque string, per client."""
    client = request.client
    if client.effective_token_format() == client.workspace.TokenFormat.OPAQUE:
        return random_token_generator(request)
    return signed_access_token(request)


def access_token_claims(request) -> dict:
    """RFC 9068 claims, and nothing else unless the hooks add some."""
    client, user = request.client, request.user
    now = int(time.time())
    claims = {
        "iss": request.headers[ISSUER_KEY],
        "sub": str(user.pk) if user else client.client_id,
        "aud": audience(request),
        "client_id": client.client_id,
        "scope": " ".join(request.scopes or []),
        "iat": now,
        "exp": now + request.expires_in,
        "jti": new_jti(),
    }
    request.oauthhub_jti = claims["jti"]  # the token's record reuses it
    if user is not None and user.last_login is not None:
        # The session's sign-in: Django records it as the user's last login.
        claims["auth_time"] = int(user.last_login.timestamp())
        claims["amr"] = ["pwd"]
    return get_hooks().access_token_claims(claims, request)


def audience(request) -> str | list[str]:
    """The resources asked for (RFC 8707, checked at validation), else the default audience."""
    resources = getattr(request, "oauthhub_resources", None)
    if resources:
        return resources[0] if len(resources) == 1 else list(resources)
    audiences = request.client.workspace.audiences
    return audiences[0] if audiences else request.headers[ISSUER_KEY]


def signed_access_token(request) -> str:
    from . import keys  # keys → models → client → tokens: import when first signing

    key = keys.signing_key(request.client.workspace)
    header = {"alg": key.algorithm, "kid": key.kid, "typ": "at+jwt"}
    token = jwt.JWT(header=header, claims=access_token_claims(request))
    token.make_signed_token(key.private())
    return token.serialize()
