"""What oauthhub records beside django-oauth-toolkit's token rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .client import Client
from .workspace import Workspace


class RefreshTokenExpiry(models.Model):
    """The absolute expiry of a refresh token, fixed when it is issued.

    DOT's refresh token row has no expiry of its own; keeping it here means a
    later TTL edit never shortens or stretches a token already handed out.
    """

    refresh_token = models.OneToOneField(
        "oauth2_provider.RefreshToken",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="oauthhub_expiry",
    )
    expires = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("refresh token expiry")
        verbose_name_plural = _("refresh token expiries")

    def __str__(self) -> str:
        return f"RefreshToken #{self.refresh_token_id} expires {self.expires:%Y-%m-%d %H:%M:%S}"


def REVOKE(collector, field, sub_objs, using):
    """``on_delete`` of IssuedToken.access_token: keep the record, mark it revoked.

    DOT revokes an access token by deleting its row (directly, through a refresh
    token, a token family, or a cascade). The record outlives the row so the
    token's jti stays on the revocation list until the token would have expired.
    """
    from .. import revocation

    now = timezone.now()
    records = list(sub_objs)
    collector.add_field_update(field, None, records)
    live = [record for record in records if record.revoked_at is None and record.expires > now]
    if live:
        collector.add_field_update(IssuedToken._meta.get_field("revoked_at"), now, live)
        transaction.on_commit(lambda: revocation.remember(live), using=using)


class IssuedTokenQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> IssuedTokenQuerySet:
        return self.filter(workspace=workspace)

    def revoked(self) -> IssuedTokenQuerySet:
        return self.filter(revoked_at__isnull=False)

    def unexpired(self) -> IssuedTokenQuerySet:
        return self.filter(expires__gt=timezone.now())


class IssuedToken(models.Model):
    """One access token oauthhub issued: its public id (``jti``) and its fate.

    The token itself is never stored. A JWT carries the jti as a claim; an
    opaque token gets one too, so admins and the API can name any token.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="issued_tokens")
    access_token = models.OneToOneField(
        "oauth2_provider.AccessToken",
        on_delete=REVOKE,
        null=True,
        blank=True,
        related_name="oauthhub_record",
    )
    jti = models.CharField(_("token ID (jti)"), max_length=64, unique=True)
    # When it was issued: the admin's "tokens issued per hour" chart counts these.
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True, db_index=True)
    expires = models.DateTimeField(_("expires"), db_index=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, db_index=True)

    objects = IssuedTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("issued token")
        verbose_name_plural = _("issued tokens")

    def __str__(self) -> str:
        return f"token {self.jti}"


class Authorization(models.Model):
    """One consent a user gave in a browser session, and what its code turned into.

    It lets a second use of a code revoke every token the first use produced
    (RFC 6749 §4.1.2), and a logout revoke the tokens its session consented to.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="authorizations")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="authorizations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    # SHA-256 of the session key: enough to match a logout, useless to steal a session.
    session_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    exchanged_at = models.DateTimeField(null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    access_token_jti = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("authorization")
        verbose_name_plural = _("authorizations")

    def __str__(self) -> str:
        return f"authorization #{self.pk} of {self.client}"
