"""Scope: a permission a workspace's clients may ask for."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .workspace import Workspace

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
scope_name_validator = RegexValidator(
    re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$"),
    _("A scope name is printable ASCII without spaces, quotes or backslashes."),
    code="invalid_scope_name",
)


class ScopeQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> ScopeQuerySet:
        return self.filter(workspace=workspace)

    def defaults(self) -> ScopeQuerySet:
        return self.filter(is_default=True)


class Scope(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scopes")
    name = models.CharField(_("name"), max_length=100, validators=[scope_name_validator])
    description = models.CharField(
        _("description"), max_length=300, blank=True, help_text=_("Shown to users on the consent page.")
    )
    is_default = models.BooleanField(
        _("granted by default"),
        default=False,
        help_text=_("Granted when a client asks for no scope (if the client is allowed it)."),
    )

    objects = ScopeQuerySet.as_manager()

    class Meta:
        ordering = ["workspace", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="oauthhub_scope_unique_name")]
        verbose_name = _("scope")
        verbose_name_plural = _("scopes")

    def __str__(self) -> str:
        return f"{self.workspace.slug}:{self.name}"
