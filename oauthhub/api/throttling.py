"""Requests per admin client (or staff user) to the management API, counted in the Django cache."""

from __future__ import annotations

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from ..conf import hub_settings
from .authentication import AdminToken


class ManagementThrottle(SimpleRateThrottle):
    """``OAUTHHUB["API_RATE"]`` (e.g. "600/min") per caller; None turns it off.

    The cache is oauthhub's (Redis in production), so the limit holds across
    processes. DRF checks throttles after permissions, so only authenticated
    callers are counted; the address is a fallback that should not occur.
    """

    scope = "oauthhub-api"

    @property
    def cache(self):
        return caches[hub_settings.CACHE_ALIAS]

    def get_rate(self):
        return hub_settings.API_RATE

    def get_cache_key(self, request, view):
        auth = request.auth
        if isinstance(auth, AdminToken):
            ident = f"client:{auth.client.client_id}"
        elif request.user is not None and getattr(request.user, "is_authenticated", False):
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
