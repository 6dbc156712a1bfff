"""Revoking tokens: the revocation list in the shared cache, and bulk revocation.

A revoked access token's row is deleted (django-oauth-toolkit's way); its
IssuedToken record stays, marked revoked, until the token would have expired.
Those records are the revocation list's source of truth. The shared cache
(Redis in production) holds one key per revoked jti, so every process refuses
a revoked JWT on its next request, plus a marker saying the list is loaded: a
flushed or lapsed marker makes the next check reload the list from the
database, so a cache flush never resurrects a revoked token. Without a shared
cache the database is asked directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from .conf import hub_settings
from .models import AuditEvent, Client, IssuedToken, Workspace
from .signals import token_revoked

log = logging.getLogger(__name__)

_LOADED = "oauthhub:revoked:loaded"
# A revoked token stays listed this long past its expiry: resource servers
# accept an expired token for a few seconds of clock skew (their leeway).
MARGIN = timedelta(minutes=5)
_CHUNK = 500
RELOAD_EVERY = 600  # seconds


def _cache():
    return caches[hub_settings.CACHE_ALIAS]


def _key(jti: str) -> str:
    return f"oauthhub:revoked:{jti}"


# The list -------------------------------------------------------------------------


def remember(records: Iterable[IssuedToken]) -> None:
    """Put revoked records on the cached list, until their tokens' expiry (plus the margin)."""
    now = timezone.now()
    ttls = {record.jti: int((record.expires + MARGIN - now).total_seconds()) for record in records}
    ttls = {jti: ttl for jti, ttl in ttls.items() if ttl > 0}
    if ttls:
        # One round trip: a longer stay for a few entries is harmless (their tokens have expired).
        _cache().set_many({_key(jti): 1 for jti in ttls}, max(ttls.values()))


def is_revoked(jti: str) -> bool:
    """True if the token with ``jti`` was revoked.

    With a shared cache (Redis): one round trip while the list is loaded. A
    per-process cache (local memory) can neither see other processes'
    revocations nor hold a long list (it evicts), so the database answers.
    """
    if not _cache_is_shared():
        return IssuedToken.objects.revoked().filter(jti=jti, expires__gt=timezone.now() - MARGIN).exists()
    found = _cache().get_many([_LOADED, _key(jti)])
    if _LOADED not in found:
        load()
        return _cache().get(_key(jti)) is not None
    return _key(jti) in found


def load() -> int:
    """(Re)build the cached list from the database; returns how many tokens are on it.

    The marker is set last (a revocation landing meanwhile writes its own key),
    and lapses after RELOAD_EVERY: should the cache ever evict an entry, the
    list is whole again within that time.
    """
    records = list(
        IssuedToken.objects.revoked().filter(expires__gt=timezone.now() - MARGIN).only("jti", "expires")
    )
    remember(records)
    _cache().set(_LOADED, 1, RELOAD_EVERY)
    return len(records)


def _cache_is_shared() -> bool:
    return not isinstance(_cache(), (LocMemCache, DummyCache))


# Revoking ----------------------------------------------------------------------------


def revoke(
    *,
    access_tokens,
    refresh_tokens,
    workspace: Workspace | None,
    reason: str,
    action: str = AuditEvent.Action.TOKENS_REVOKED,
    actor=None,
    actor_label: str = "",
    target: str = "",
) -> int:
    """Revoke the live tokens among the given querysets; audit and signal it; return the count.

    Refresh tokens are marked revoked (reuse of one then revokes its family);
    access tokens are deleted, which puts their jtis on the revocation list.
    Subqueries, not lists of ids, so a workspace of any size fits one statement each.
    """
    now = timezone.now()
    with transaction.atomic():
        live_refresh = refresh_tokens.filter(revoked__isnull=True, oauthhub_expiry__expires__gt=now)
        live_access = access_tokens.filter(expires__gt=now)
        access_count = AccessToken.objects.filter(
            Q(pk__in=live_access.values("pk")) | Q(refresh_token__in=live_refresh.values("pk"))
        ).count()
        refresh_ids = list(live_refresh.values_list("pk", flat=True))
        for start in range(0, len(refresh_ids), _CHUNK):  # bounded statements on any database
            chunk = refresh_ids[start:start + _CHUNK]
            RefreshToken.objects.filter(pk__in=chunk).update(revoked=now, updated=now)
            AccessToken.objects.filter(refresh_token__pk__in=chunk).delete()
        AccessToken.objects.filter(pk__in=live_access.values("pk")).delete()
        refresh_count = len(refresh_ids)
        AuditEvent.objects.create(
            workspace=workspace,
            actor=actor,
            actor_label=actor_label,
            action=action,
            target=target,
            detail={"reason": reason, "access_tokens": access_count, "refresh_tokens": refresh_count},
        )
        count = access_count + refresh_count
        transaction.on_commit(
            lambda: token_revoked.send(sender=Workspace, workspace=workspace, reason=reason, count=count)
        )
    log.info("revoked %s tokens (%s) %s", count, reason, target)
    return count


def revoke_family(token_family: UUID | None, *, workspace: Workspace, reason: str) -> int:
    """Every refresh and access token descended from one grant."""
    if token_family is None:
        return 0
    family = RefreshToken.objects.filter(token_family=token_family)
    return revoke(
        access_tokens=AccessToken.objects.filter(Q(source_refresh_token__in=family) | Q(refresh_token__in=family)),
        refresh_tokens=family,
        workspace=workspace,
        reason=reason,
        action=AuditEvent.Action.REUSE_DETECTED,
        actor_label="system",
        target=f"token family {token_family}",
    )


def revoke_user(user, *, workspace: Workspace | None = None, reason: str, actor=None, actor_label: str = "") -> int:
    """All of ``user``'s tokens, in one workspace or in all of them (one audit event per workspace)."""
    workspaces = [workspace] if workspace else Workspace.objects.filter(
        Q(pk__in=AccessToken.objects.filter(user=user).values("application__workspace"))
        | Q(pk__in=RefreshToken.objects.filter(user=user).values("application__workspace"))
    )
    total = 0
    for ws in workspaces:
        total += revoke(
            access_tokens=AccessToken.objects.filter(user=user, application__workspace=ws),
            refresh_tokens=RefreshToken.objects.filter(user=user, application__workspace=ws),
            workspace=ws, reason=reason, actor=actor, actor_label=actor_label, target=f"user {user.pk}",
        )
    return total


def revoke_client(client: Client, *, reason: str, actor=None, actor_label: str = "") -> int:
    return revoke(
        access_tokens=AccessToken.objects.filter(application=client),
        refresh_tokens=RefreshToken.objects.filter(application=client),
        workspace=client.workspace, reason=reason, actor=actor, actor_label=actor_label,
        target=f"client {client.client_id}",
    )


def revoke_workspace(workspace: Workspace, *, reason: str, actor=None, actor_label: str = "") -> int:
    return revoke(
        access_tokens=AccessToken.objects.filter(application__workspace=workspace),
        refresh_tokens=RefreshToken.objects.filter(application__workspace=workspace),
        workspace=workspace, reason=reason, actor=actor, actor_label=actor_label,
        target=f"workspace {workspace.slug}",
    )
