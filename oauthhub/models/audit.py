"""AuditEvent: who changed what in a workspace, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .workspace import Workspace


class AuditEventQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> AuditEventQuerySet:
        return self.filter(workspace=workspace)


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        SETTINGS_CHANGED = "settings_changed", _("settings changed")
        KEYS_ROTATED = "keys_rotated", _("signing keys rotated")
        KEY_REVOKED = "key_revoked", _("signing key revoked")
        TOKENS_REVOKED = "tokens_revoked", _("tokens revoked")
        SECRET_ROTATED = "secret_rotated", _("client secret rotated")
        REUSE_DETECTED = "reuse_detected", _("token reuse detected")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who acted when no user did: "command", "system", a client_id.
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    target = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target}".strip()

    @property
    def actor_name(self) -> str:
        return self.actor.get_username() if self.actor else (self.actor_label or "system")
