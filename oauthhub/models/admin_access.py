"""WorkspaceAdmin: a staff user who may manage one workspace (in the admin console and the API)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .workspace import Workspace


class WorkspaceAdmin(models.Model):
    """One row per (staff user, workspace) the user may manage.

    Superusers manage every workspace without rows. A staff user with no row
    manages none. ``oauthhub.access.manageable_workspaces`` is the one reader.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="admins")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="oauthhub_workspace_admin_unique"),
        ]
        verbose_name = _("workspace admin")
        verbose_name_plural = _("workspace admins")

    def __str__(self) -> str:
        return f"{self.user} manages {self.workspace.slug}"
