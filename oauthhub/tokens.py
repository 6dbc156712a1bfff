"""Token strings: secret generation and hashing, and the one lifetime resolver."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SECRET_PREFIX = "hmac-sha256$"
_SECRET_SALT = "oauthhub.client-secret"


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


def lifetime(client, kind: str) -> int:
    """Seconds a new token of ``kind`` lives: client override → workspace → site default.

    ``kind`` is ``access``, ``refresh``, ``code`` or ``id``. oauthlib calls this
    through the server's ``token_expires_in`` callable for every token, so an
    edit applies to the next token issued.
    """
    return client.effective_ttl(kind)
