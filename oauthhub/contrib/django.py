"""Plain Django views: ``@require_access_token(scopes=[…])``."""

from __future__ import annotations

from functools import wraps

from django.http import JsonResponse

from ._bearer import BearerError, bearer_token, validated
from .tokenuser import TokenUser

REALM = "api"


def require_access_token(scopes=(), *, any_scope: bool = False):
    """Answer 401/403 per RFC 6750 unless the request carries a valid token with ``scopes``.

    The view sees ``request.user`` (a TokenUser) and ``request.access_token``.
    """
    required = set(scopes)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                token = bearer_token(request)
                if token is None:
                    raise BearerError("missing_token", "An access token is required.", 401)
                checked = validated(request, token)
                granted = required <= checked.scopes if not any_scope else bool(required & checked.scopes)
                if required and not granted:
                    raise BearerError("insufficient_scope", "The access token lacks a required scope.", 403)
            except BearerError as error:
                scope = " ".join(sorted(required)) if error.error == "insufficient_scope" else None
                response = JsonResponse({"error": error.error, "error_description": error.description},
                                        status=error.status)
                response["WWW-Authenticate"] = error.challenge(REALM, scope)
                return response
            request.user, request.access_token = TokenUser(checked), checked
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
