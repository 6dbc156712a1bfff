"""oauthhub's oauthlib request validator: django-oauth-toolkit's, scoped to a workspace.

DOT's validator owns client authentication, codes, PKCE bookkeeping and refresh
token rotation. This subclass adds what a multi-tenant server needs: every
client lookup is confined to the request's workspace, secrets are checked by
keyed digest, scopes come from the workspace, and lifetimes from the resolver.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import DataError, transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from .. import revocation, tokens
from ..models import AuditEvent, Authorization, Client, IssuedToken, RefreshTokenExpiry, Workspace
from ..signals import token_issued

# Keys under which the views hand oauthlib the resolved Workspace and a hash of
# the browser session (META-style names: no HTTP header can produce them).
WORKSPACE_KEY = "OAUTHHUB_WORKSPACE"
SESSION_KEY = "OAUTHHUB_SESSION"


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
        code_hash = tokens.hash_code(code["code"])
        # Copy: oauthlib still sends the plain code in the redirect.
        self._create_authorization_code(request, dict(code, code=code_hash), expires=expires)
        Authorization.objects.create(
            workspace=workspace_of(request),
            client=request.client,
            user=request.user,
            code_hash=code_hash,
            session_hash=request.headers.get(SESSION_KEY, ""),
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        # RFC 6749 §4.1.2: a code used twice revokes what its first use produced.
        used = Authorization.objects.filter(code_hash=code, client=client, exchanged_at__isnull=False).first()
        if used is not None:
            revocation.revoke(
                access_tokens=AccessToken.objects.filter(oauthhub_record__jti=used.access_token_jti),
                refresh_tokens=RefreshToken.objects.filter(token_family=used.token_family)
                if used.token_family else RefreshToken.objects.none(),
                workspace=workspace_of(request),
                reason="authorization code reused",
                action=AuditEvent.Action.REUSE_DETECTED,
                actor_label=client.client_id,
                target=f"authorization #{used.pk}",
            )
        return False

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        refresh_token = getattr(request, "oauthhub_refresh_token", None)
        Authorization.objects.filter(code_hash=code, client=request.client).update(
            exchanged_at=timezone.now(),
            token_family=refresh_token.token_family if refresh_token else None,
            access_token_jti=getattr(request, "oauthhub_jti", ""),
        )

    def save_bearer_token(self, token, request, *args, **kwargs):
        if "refresh_token" in token and not request.client.allows_grant_type("refresh_token"):
            # oauthlib always mints one for the code grant; the client may not refresh.
            del token["refresh_token"]
        with transaction.atomic():
            presented = getattr(request, "refresh_token_instance", None)
            if presented is not None and not (
                RefreshToken.objects.select_for_update().filter(pk=presented.pk, revoked__isnull=True).exists()
            ):
                # A parallel request rotated it first (the row lock made us wait for it).
                raise errors.InvalidGrantError(description="The refresh token was already used.", request=request)
            super().save_bearer_token(token, request, *args, **kwargs)
            if presented is not None and not self.rotate_refresh_token(request):
                # Without rotation DOT reuses the access token row, so the previous
                # (opaque) token stops working; the previous JWT is revoked to match.
                self._supersede(presented.access_token_id)
                self._record(request, AccessToken.objects.get(pk=presented.access_token_id))
        record = request.oauthhub_record
        transaction.on_commit(lambda: token_issued.send(
            sender=Client, workspace=workspace_of(request), client=request.client, user=request.user,
            grant_type=request.grant_type, jti=record.jti, expires=record.expires,
        ))

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        self._record(request, access_token)
        return access_token

    def _record(self, request, access_token) -> None:
        """The token's IssuedToken record: its jti (the JWT's own, or a new one) and expiry."""
        jti = getattr(request, "oauthhub_jti", None) or tokens.new_jti()
        request.oauthhub_jti = jti
        request.oauthhub_record = IssuedToken.objects.create(
            access_token=access_token, workspace=workspace_of(request), jti=jti, expires=access_token.expires
        )

    @staticmethod
    def _supersede(access_token_id: int) -> None:
        previous = list(IssuedToken.objects.filter(access_token_id=access_token_id))
        IssuedToken.objects.filter(pk__in=[r.pk for r in previous]).update(access_token=None, revoked_at=timezone.now())
        transaction.on_commit(lambda: revocation.remember(previous))

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        RefreshTokenExpiry.objects.create(
            refresh_token=refresh_token,
            expires=timezone.now() + timedelta(seconds=tokens.lifetime(request.client, "refresh")),
        )
        request.oauthhub_refresh_token = refresh_token
        return refresh_token

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """A live refresh token of this client, unexpired, whose user is still active.

        Replaces DOT's check so that the grace period and reuse detection follow
        the workspace: presenting an already rotated token revokes its whole
        family, unless it comes within the grace period after the rotation (a
        retry after a lost response), which then rotates the family's current
        token instead.
        """
        checksum = hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()
        presented = (
            RefreshToken.objects.filter(token_checksum=checksum, application=client)
            .select_related("user", "oauthhub_expiry")
            .order_by(F("revoked").desc(nulls_first=True))
            .first()
        )
        now = timezone.now()
        if presented is None or not presented.user.is_active:
            return False
        expiry = getattr(presented, "oauthhub_expiry", None)
        if expiry is None or expiry.expires <= now:
            return False
        current = presented
        if presented.revoked is not None:
            grace = workspace_of(request).refresh_token_grace_period
            current = self._retried_within_grace(presented, grace, now)
            if current is None:
                revocation.revoke_family(
                    presented.token_family, workspace=workspace_of(request), reason="refresh token reuse"
                )
                return False
        elif presented.access_token_id is None:
            return False  # its access token was revoked: so was it, in effect
        request.user = presented.user
        request.refresh_token = refresh_token
        request.refresh_token_instance = current
        return True

    def _retried_within_grace(self, presented, grace_seconds: int, now):
        """The family's live refresh token, if ``presented`` was rotated (not revoked) moments ago."""
        if not grace_seconds or presented.revoked <= now - timedelta(seconds=grace_seconds):
            return None
        # Rotation leaves a successor access token pointing back at it; revocation does not.
        if not AccessToken.objects.filter(source_refresh_token=presented).exists():
            return None
        return RefreshToken.objects.filter(token_family=presented.token_family, revoked__isnull=True).first()

    # Introspection -----------------------------------------------------------

    def introspect_token(self, token, token_type_hint, request, *args, **kwargs):
        """RFC 7662 claims of an active token the caller may see, else None (``active: false``)."""
        from .introspection import introspect

        return introspect(token, token_type_hint, request.client, workspace_of(request), request.headers)
