"""AdminClientGrant: which workspaces a client of the system workspace may manage through the API."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .client import Client
from .workspace import Workspace


class AdminClientGrant(models.Model):
    """Makes a client of the system workspace an *admin client* of the management API.

    Its tokens (client credentials, scopes ``oauthhub:read``/``oauthhub:write``)
    manage every workspace when ``all_workspaces`` is set, else only
    ``workspaces``; an empty list manages none. A client without a grant
    manages nothing, so a client someone adds to the system workspace by hand
    gains no power over other tenants.
    """

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="admin_grant")
    all_workspaces = models.BooleanField(
        _("all workspaces"), default=False, help_text=_("Manages every workspace, present and future.")
    )
    workspaces = models.ManyToManyField(
        Workspace, blank=True, related_name="admin_client_grants", verbose_name=_("workspaces"),
        help_text=_("The workspaces it manages when not all of them."),
    )

    class Meta:
        verbose_name = _("admin client grant")
        verbose_name_plural = _("admin client grants")

    def __str__(self) -> str:
        return f"admin grant of {self.client.client_id}"
