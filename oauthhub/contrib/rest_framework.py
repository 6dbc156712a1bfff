"""DRF integration: authenticate with an oauthhub access token, require scopes.

Two lines of settings::

    REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["oauthhub.contrib.rest_framework.JWTAuthentication"]}
    OAUTHHUB = {"RESOURCE_SERVER": {"WORKSPACE": "demo"}}

and on a view::

    permission_classes = [HasScope]
    required_scopes = ["orders:read"]
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from ._bearer import BearerError, bearer_token, validated
from .tokenuser import TokenUser

REALM = "api"


class BearerAPIException(exceptions.APIException):
    """DRF renders it as ``{"detail": …, "code": …}`` and sends ``auth_header`` as WWW-Authenticate."""

    def __init__(self, error: BearerError, scope: str | None = None) -> None:
        super().__init__(detail=error.description, code=error.error)
        self.status_code = error.status
        self.auth_header = error.challenge(REALM, scope)


class JWTAuthentication(BaseAuthentication):
    """Sets ``request.user`` to a TokenUser and ``request.auth`` to the ValidatedToken."""

    def authenticate(self, request):
        try:
            token = bearer_token(request._request)
            if token is None:
                return None
            checked = validated(request._request, token)
        except BearerError as error:
            raise BearerAPIException(error) from None
        return TokenUser(checked), checked

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{REALM}"'


class HasScope(BasePermission):
    """Every scope in the view's ``required_scopes`` must be in the token."""

    def has_permission(self, request, view) -> bool:
        return _check_scopes(request, view, require_all=True)


class HasAnyScope(BasePermission):
    """At least one scope in the view's ``required_scopes`` must be in the token."""

    def has_permission(self, request, view) -> bool:
        return _check_scopes(request, view, require_all=False)


def _check_scopes(request, view, *, require_all: bool) -> bool:
    token = request.auth
    if not hasattr(token, "scopes"):
        return False  # not an oauthhub token: DRF answers 401 (or 403 for a session user)
    required = set(getattr(view, "required_scopes", ()))
    granted = required <= token.scopes if require_all else bool(required & token.scopes)
    if not granted:
        error = BearerError("insufficient_scope", "The access token lacks a required scope.", 403)
        raise BearerAPIException(error, scope=" ".join(sorted(required)))
    return True
