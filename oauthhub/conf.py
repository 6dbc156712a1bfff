"""oauthhub settings: one ``OAUTHHUB`` dict in the host's settings, read lazily.

Every key is documented in ``docs/settings.md``. Values are read on first use,
never at import, and the cache is dropped when a test changes ``OAUTHHUB``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # Public base URL of the authorization server (scheme, host and any mount
    # prefix). A workspace's issuer is "<ISSUER_BASE_URL>/<slug>". When unset the
    # issuer is derived from each request, which is fine for development only.
    "ISSUER_BASE_URL": None,
    # Site-wide token lifetimes in seconds, used when neither the client nor the
    # workspace sets one.
    "ACCESS_TOKEN_TTL": 3600,
    "REFRESH_TOKEN_TTL": 30 * 86400,
    "AUTHORIZATION_CODE_TTL": 60,
    "ID_TOKEN_TTL": 3600,
    # How long a process may reuse a workspace it looked up. Saving a workspace
    # clears the shared cache entry at once; this bounds staleness where the
    # cache is per process (local memory).
    "WORKSPACE_CACHE_SECONDS": 5,
    # Token endpoint rate per client address and workspace, in DRF's notation
    # ("600/min"); None turns the throttle off.
    "TOKEN_ENDPOINT_RATE": None,
    # Encrypts signing keys at rest (any long random string). Unset, it is
    # derived from SECRET_KEY and `check --deploy` warns. Old values go in the
    # fallbacks so keys made under them still decrypt.
    "KEY_ENCRYPTION_KEY": None,
    "KEY_ENCRYPTION_KEY_FALLBACKS": [],
    # Cache-Control max-age of the JWKS, in seconds. A next key must be
    # published this long before it may start signing.
    "JWKS_MAX_AGE": 300,
    # Dotted path of the oauthhub.hooks.Hooks subclass to use.
    "HOOKS": "oauthhub.hooks.Hooks",
    # How this site validates oauthhub access tokens (oauthhub.contrib): see docs/resource-server.md.
    "RESOURCE_SERVER": {},
    # Security events that revoke tokens (see docs/tokens.md):
    # logging out revokes the refresh tokens that session consented to;
    # a password change or deactivation revokes all of the user's tokens.
    "REVOKE_ON_LOGOUT": True,
    "REVOKE_ON_PASSWORD_CHANGE": True,
    "REVOKE_ON_DEACTIVATION": True,
    # Extra workspace slugs to refuse, for paths the host site serves itself.
    "RESERVED_SLUGS": [],
    # Django cache alias oauthhub uses.
    "CACHE_ALIAS": "default",
    # Slug of the workspace that issues the management API's admin tokens
    # (created by a migration; see docs/api.md). Its tokens are the only ones
    # /api/v1/ accepts.
    "SYSTEM_WORKSPACE": "system",
    # Management API rate per admin client (or staff user), in DRF's notation;
    # None turns the throttle off.
    "API_RATE": "600/min",
}


class HubSettings:
    """Attribute access to ``settings.OAUTHHUB`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown oauthhub setting: OAUTHHUB[{name!r}]")
        if name not in self._cache:
            user = getattr(settings, "OAUTHHUB", {}) or {}
            self._cache[name] = user.get(name, DEFAULTS[name])
        return self._cache[name]

    def reload(self) -> None:
        self._cache.clear()


hub_settings = HubSettings()


@receiver(setting_changed)
def _reload_hub_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "OAUTHHUB":
        hub_settings.reload()
