"""What oauthhub records beside django-oauth-toolkit's token rows."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    def is_expired(self) -> bool:
        return timezone.now() >= self.expires
