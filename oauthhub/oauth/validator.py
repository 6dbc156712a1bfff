"""oauthhub's oauthlib request validator: django-oauth-toolkit's, scoped to a workspace.

DOT's validator owns client authentication, codes, PKCE bookkeeping and refresh
token rotation. This subclass adds what a multi-tenant server needs: every
client lookup is confined to the request's workspace, secrets are checked by
keyed digest, scopes come from the workspace, and lifetimes from the resolver.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import DataError
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from .. import tokens
from ..models import Client, RefreshTokenExpiry, Workspace

# Key under which the view hands the resolved Workspace to oauthlib's request.
WORKSPACE_KEY = "OAUTHHUB_WORKSPACE"


def workspace_of(request) -> Workspace:
    return request.headers[WORKSPACE_KEY]


class Validator(OAuth2Validator):
    # Clients ---------------------------------------------------------------

    def _load_application(self, client_id, request):
        workspace = workspace_of(request)
        client = request.client
        if (
            isinstance(client, Client)
            and client.client_id == client_id
            and client.workspace_id == workspace.pk
            and client.enabled
        ):
            return client
        request.client = None
        if not client_id or not isinstance(client_id, str) or len(client_id) > 255:
            return None
        try:
            client = Client.objects.get(workspace=workspace, client_id=client_id, enabled=True)
        except (Client.DoesNotExist, ValueError, DataError):
            # ValueError/DataError: drivers refuse a NUL byte in the literal.
            return None
        client.workspace = workspace  # the row we already hold; saves a query
        request.client = client
        return client

    def _check_secret(self, provided_secret, stored_secret):
        return tokens.secret_matches(provided_secret or "", stored_secret or "")

    # Grants and scopes -----------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return client.allows_grant_type(grant_type)

    def _allowed_scopes(self, client) -> dict[str, bool]:
        """name -> is_default for the scopes the client may ask for."""
        cached = getattr(client, "_oauthhub_scopes", None)
        if cached is None:
            cached = dict(client.allowed_scopes.values_list("name", "is_default"))
            client._oauthhub_scopes = cached
        return cached

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return set(scopes) <= set(self._allowed_scopes(client))

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return sorted(name for name, default in self._allowed_scopes(request.client).items() if default)

    def check_resource_indicators(self, request) -> None:
        """RFC 8707: a requested resource must be one of the workspace's audiences.

        Runs after oauthlib validated the grant and before the token is made, so
        the JWT's ``aud`` is the resource asked for. A refresh without one keeps
        the resources of the refresh token.
        """
        asked = [value for key, value in request.decoded_body or [] if key == "resource"]
        if not asked and request.grant_type == "refresh_token":
            asked = list(request.refresh_token_instance.resource or [])
        allowed = set(request.client.workspace.audiences)
        refused = [value for value in asked if value not in allowed]
        if refused:
            raise errors.CustomOAuth2Error(
                error="invalid_target",
                description=f"This workspace issues no tokens for {', '.join(refused)}.",
                status_code=400,
                request=request,
            )
        request.oauthhub_resources = asked
        request.resource = asked  # DOT stores it on the token rows

    def is_pkce_required(self, client_id, request):
        # OAuth 2.1 and RFC 9700 §2.1.1: every authorization code flow uses PKCE.
        return True

    def rotate_refresh_token(self, request):
        return workspace_of(request).rotate_refresh_tokens

    # Storage ---------------------------------------------------------------

    def _set_token_value(self, token_instance, raw_token):
        # RFC 9700 §4.14: keep only the lookup checksum at rest, whatever the
        # host's OAUTH2_PROVIDER says. DOT derives token_checksum from _raw_token.
        token_instance._raw_token = raw_token
        token_instance.token = ""

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        expires = timezone.now() + timedelta(seconds=tokens.lifetime(request.client, "code"))
        # Copy: oauthlib still sends the plain code in the redirect.
        stored = dict(code, code=tokens.hash_code(code["code"]))
        self._create_authorization_code(request, stored, expires=expires)

    def save_bearer_token(self, token, request, *args, **kwargs):
        if "refresh_token" in token and not request.client.allows_grant_type("refresh_token"):
            # oauthlib always mints one for the code grant; the client may not refresh.
            del token["refresh_token"]
        return super().save_bearer_token(token, request, *args, **kwargs)

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        RefreshTokenExpiry.objects.create(
            refresh_token=refresh_token,
            expires=timezone.now() + timedelta(seconds=tokens.lifetime(request.client, "refresh")),
        )
        return refresh_token

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        instance = request.refresh_token_instance
        expires = (
            RefreshTokenExpiry.objects.filter(refresh_token=instance).values_list("expires", flat=True).first()
        )
        if expires is None or expires <= timezone.now():
            return False
        return instance.user.is_active
