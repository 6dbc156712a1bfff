"""Who is calling the management API: an admin access token, or a staff user's session.

Admin tokens are JWT access tokens of the system workspace, validated here in
process (signature, ``iss``, ``aud``, expiry) against that workspace's keys,
whatever ``OAUTHHUB["RESOURCE_SERVER"]`` says, and checked against the
revocation list. A token of any other workspace fails the issuer and key
checks, so it is never accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from .. import revocation
from ..access import manageable_workspaces, manages_all, system_workspace_slug
from ..contrib._bearer import BearerError, _derive, bearer_token
from ..contrib.tokenuser import TokenUser
from ..exceptions import InvalidToken
from ..models import Client
from ..validation import ValidatedToken, WorkspaceKeys, validate
from .exceptions import REALM, BearerAuthError, invalid_token

LEEWAY = 30


@dataclass(frozen=True)
class AdminToken:
    """``request.auth`` of a request with a valid admin token."""

    token: ValidatedToken
    client: Client
    user: object | None  # the resource owner of a user token; None for client credentials

    @property
    def scopes(self) -> frozenset[str]:
        return self.token.scopes


class AdminClientUser(TokenUser):
    """``request.user`` of a client-credentials admin token: the client, not a person."""

    def __init__(self, token: ValidatedToken, client: Client) -> None:
        super().__init__(token)
        self.client = client

    def __str__(self) -> str:
        return f"client {self.client.client_id}"


class AdminTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <admin access token>``."""

    def authenticate(self, request):
        try:
            token = bearer_token(request._request)
            if token is None:
                return None
            slug = system_workspace_slug()
            issuer, audience = _derive(request._request, slug, None, None)
        except BearerError as error:
            raise BearerAuthError(error) from None
        try:
            checked = validate(token, key_source=WorkspaceKeys(slug), issuer=issuer, audience=audience,
                               leeway=LEEWAY)
        except InvalidToken as exc:
            raise invalid_token(exc.reason) from None
        if not checked.jti or revocation.is_revoked(checked.jti):
            raise invalid_token("The access token was revoked.")
        client = (
            Client.objects.select_related("workspace")
            .filter(workspace__slug=slug, client_id=checked.client_id or "", enabled=True)
            .first()
        )
        if client is None:
            raise invalid_token("The access token's client is disabled or deleted.")
        if checked.is_client_token:
            return AdminClientUser(checked, client), AdminToken(checked, client, None)
        user = _user(checked.subject)
        if user is None:
            raise invalid_token("The access token's user is inactive or deleted.")
        return user, AdminToken(checked, client, user)

    def authenticate_header(self, request) -> str:
        # Also what makes DRF answer 401 (not 403) to a request without credentials.
        return f'Bearer realm="{REALM}"'


class StaffSessionAuthentication(SessionAuthentication):
    """A logged-in user's Django session; CSRF is enforced on unsafe methods (DRF's rule).

    Whether the user is staff, and what they may do, is the permission's call.
    """


def _user(subject: str):
    try:
        return get_user_model()._default_manager.filter(pk=subject, is_active=True).first()
    except (ValueError, TypeError, ValidationError):
        return None


# What the views need to know about the caller ------------------------------------------


def caller_workspaces(request):
    """The workspaces the caller may manage (a queryset), worked out once per request.

    A user token of the system workspace is limited twice: by its client's
    grant and by the user's own rights.
    """
    cached = getattr(request, "_oauthhub_workspaces", None)
    if cached is None:
        auth = request.auth
        if isinstance(auth, AdminToken):
            cached = manageable_workspaces(auth.client)
            if auth.user is not None:
                cached = cached.filter(pk__in=manageable_workspaces(auth.user).values("pk"))
        else:
            cached = manageable_workspaces(request.user)
        request._oauthhub_workspaces = cached
    return cached.all()


def caller_manages_all(request) -> bool:
    auth = request.auth
    if isinstance(auth, AdminToken):
        return manages_all(auth.client) and (auth.user is None or manages_all(auth.user))
    return manages_all(request.user)


def actor(request) -> dict:
    """``actor``/``actor_label`` keyword arguments for audit events and revocations."""
    auth = request.auth
    if isinstance(auth, AdminToken):
        return {"actor": auth.user, "actor_label": auth.client.client_id}
    return {"actor": request.user, "actor_label": ""}
