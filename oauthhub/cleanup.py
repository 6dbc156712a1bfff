"""Deleting what no longer matters: expired and revoked tokens, codes, records.

Each kind is deleted in small batches, each batch its own short transaction,
so no lock is held for long and several hosts may run it at once (a batch
another host already deleted simply deletes nothing).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from . import revocation
from .models import Authorization, IssuedToken

BATCH = 1000


def _authorization_memory() -> timedelta:
    """How long a consent is remembered: a day to catch a reused code, and as long as
    the session it was given in may live, so that logging out can still revoke it."""
    return max(timedelta(days=1), timedelta(seconds=settings.SESSION_COOKIE_AGE))


def _delete_in_batches(queryset) -> int:
    deleted = 0
    while True:
        with transaction.atomic():
            pks = list(queryset.order_by().values_list("pk", flat=True)[:BATCH])
            if not pks:
                return deleted
            deleted += queryset.model.objects.filter(pk__in=pks).delete()[1].get(queryset.model._meta.label, 0)


def clear_tokens(now=None) -> dict[str, int]:
    """Delete expired and revoked tokens, grants and records; return counts by kind.

    A refresh token lives until its own expiry (set from its workspace's or
    client's refresh TTL when issued), revoked or not: a rotated one is kept
    that long so its reuse is still detected. An access token goes once it
    expired, unless a live refresh token is still bound to it.
    """
    now = now or timezone.now()
    return {
        "refresh tokens": _delete_in_batches(
            RefreshToken.objects.filter(Q(oauthhub_expiry__expires__lte=now) | Q(oauthhub_expiry__isnull=True))
        ),
        "access tokens": _delete_in_batches(
            AccessToken.objects.filter(expires__lte=now).filter(
                Q(refresh_token__isnull=True) | Q(refresh_token__revoked__isnull=False)
            )
        ),
        "ID tokens": _delete_in_batches(IDToken.objects.filter(expires__lte=now, access_token__isnull=True)),
        "authorization codes": _delete_in_batches(Grant.objects.filter(expires__lte=now)),
        "token records": _delete_in_batches(
            IssuedToken.objects.filter(expires__lte=now - revocation.MARGIN, access_token__isnull=True)
        ),
        "authorizations": _delete_in_batches(
            Authorization.objects.filter(created_at__lte=now - _authorization_memory())
        ),
    }
