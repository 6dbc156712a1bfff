"""One hook class for customizing oauthhub; point OAUTHHUB["HOOKS"] at a subclass.

Each method is small and documented; override only what you need::

    class Hooks(oauthhub.hooks.Hooks):
        def access_token_claims(self, claims, request):
            if request.user and request.user.is_staff:
                claims["staff"] = True
            return claims
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.module_loading import import_string

from .conf import hub_settings


class Hooks:
    def access_token_claims(self, claims: dict, request) -> dict:
        """Return the claims of a JWT access token about to be signed.

        ``request`` is oauthlib's request: ``request.client`` is the oauthhub
        Client (``.workspace`` its workspace), ``request.user`` the resource owner
        or None for client credentials, ``request.scopes`` the granted scopes.
        The registered claims (iss, sub, aud, exp, iat, jti, client_id, scope)
        are already set; keep tokens small and free of personal data.
        """
        return claims


@lru_cache(maxsize=4)
def _load(path: str) -> Hooks:
    return import_string(path)()


def get_hooks() -> Hooks:
    return _load(hub_settings.HOOKS)
