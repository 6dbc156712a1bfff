"""RFC 7662 introspection: what an authenticated client of the workspace may learn about a token.

Anything not active, not found, of another workspace, or not the caller's to
see is answered the same way, ``active: false``, so the endpoint tells an
outsider nothing.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from ..exceptions import InvalidToken
from ..models import Client, Workspace
from ..tokens import ISSUER_KEY
from ..validation import MAX_TOKEN_LENGTH, WorkspaceKeys, validate


def introspect(token: str, hint: str | None, caller: Client, workspace: Workspace, headers) -> dict | None:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    issuer = headers[ISSUER_KEY]
    lookups = [_access_token, _refresh_token]
    if hint == "refresh_token":
        lookups.reverse()
    for lookup in lookups:
        claims = lookup(token, checksum, caller, workspace, issuer)
        if claims is not None:
            return claims
    return None


def _may_see(caller: Client, owner_id: int) -> bool:
    return caller.can_introspect or caller.pk == owner_id


def _access_token(token, checksum, caller, workspace, issuer) -> dict | None:
    row = (
        AccessToken.objects.select_related("application", "user", "oauthhub_record")
        .filter(token_checksum=checksum, application__workspace=workspace)
        .first()
    )
    if row is None or row.is_expired() or not _may_see(caller, row.application_id):
        return None
    record = getattr(row, "oauthhub_record", None)
    if record is None or record.revoked_at is not None:
        return None
    claims = {
        "scope": row.scope,
        "client_id": row.application.client_id,
        "sub": str(row.user.pk) if row.user else row.application.client_id,
        "iss": issuer,
        "exp": int(row.expires.timestamp()),
        "iat": int(row.created.timestamp()),
        "token_type": "Bearer",
        "jti": record.jti,
    }
    if token.count(".") == 2:
        # A JWT is only active while its signature verifies under a published,
        # unrevoked key; its own claims are then the truth.
        try:
            verified = validate(token, key_source=WorkspaceKeys(workspace.slug), issuer=issuer, audience=None)
        except InvalidToken:
            return None
        claims.update({name: verified.claims[name] for name in ("sub", "aud", "exp", "iat", "jti")
                       if name in verified.claims})
    else:
        claims["aud"] = row.resource or (workspace.audiences[:1] or [issuer])
        if len(claims["aud"]) == 1:
            claims["aud"] = claims["aud"][0]
    return claims


def _refresh_token(token, checksum, caller, workspace, issuer) -> dict | None:
    row = (
        RefreshToken.objects.select_related("application", "user", "access_token", "oauthhub_expiry")
        .filter(token_checksum=checksum, application__workspace=workspace, revoked__isnull=True)
        .first()
    )
    expiry = getattr(row, "oauthhub_expiry", None) if row else None
    if row is None or expiry is None or expiry.expires <= timezone.now() or not _may_see(caller, row.application_id):
        return None
    return {
        "scope": row.access_token.scope if row.access_token else "",
        "client_id": row.application.client_id,
        "sub": str(row.user.pk),
        "iss": issuer,
        "exp": int(expiry.expires.timestamp()),
        "iat": int(row.created.timestamp()),
        "token_type": "refresh_token",
    }
