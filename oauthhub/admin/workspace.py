"""Workspace admin: identity, lifetimes in human durations, token format, grant types, scopes."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import conditional_escape

from ..durations import humanize
from ..models import Workspace
from ..models.workspace import TTL_FIELDS, site_default_ttl
from .forms import DurationField, GrantTypesField, bounds_text, ttl_help
from .scope import ScopeInline


class WorkspaceForm(forms.ModelForm):
    """Lifetimes typed as "15m"; errors come from ``Workspace.clean()``, keyed by field."""

    access_token_ttl = DurationField(label="Access token TTL")
    refresh_token_ttl = DurationField(label="Refresh token TTL")
    authorization_code_ttl = DurationField(label="Authorization code TTL")
    id_token_ttl = DurationField(label="ID token TTL")
    grant_types = GrantTypesField(
        label="Allowed grant types", help_text="Grant types any client of this workspace may be given."
    )

    class Meta:
        model = Workspace
        fields = "__all__"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            # The admin renders help text as HTML, which would swallow "<slug>".
            self.fields["slug"].help_text = conditional_escape(self.fields["slug"].help_text)
        adding = self.instance._state.adding
        if adding and not self.initial.get("grant_types"):
            # A new workspace with no grant type chosen gets them all
            # (Workspace.apply_profile_presets); show that instead of empty boxes.
            self.initial["grant_types"] = list(Workspace.GrantType.values)
        for kind, name in TTL_FIELDS.items():
            if name in self.fields:
                self.fields[name].help_text = self._ttl_help(kind, name, adding)

    def _ttl_help(self, kind: str, name: str, adding: bool) -> str:
        default = humanize(site_default_ttl(kind))
        if adding:
            # The profile is not chosen yet, so show every profile's bounds.
            return ttl_help(
                current=None,
                bounds=bounds_text(kind, None),
                empty=f"Empty: the profile's preset if it has one, else the site default ({default}).",
            )
        return ttl_help(
            current=getattr(self.instance, name),
            bounds=bounds_text(kind, self.instance.profile),
            empty=f"Empty: inherits {default} from the site default.",
        )


class WorkspaceAdmin(admin.ModelAdmin):
    form = WorkspaceForm
    inlines = [ScopeInline]
    list_display = ("slug", "name", "profile", "enabled", "access_ttl", "refresh_ttl")
    list_display_links = ("slug", "name")
    list_filter = ("enabled", "profile")
    search_fields = ("slug", "name")
    fieldsets = (
        ("General", {"fields": ("slug", "name", "description", "profile", "enabled")}),
        (
            "Tokens — Time to live",
            {
                "fields": (
                    "access_token_ttl",
                    "refresh_token_ttl",
                    "authorization_code_ttl",
                    "id_token_ttl",
                    "rotate_refresh_tokens",
                ),
                "description": "Type 900, 90s, 15m, 1h or 30d. Leave empty to inherit. "
                "Clients may override the access and refresh lifetimes.",
            },
        ),
        ("Token format", {"fields": ("token_format",)}),
        ("Grant types", {"fields": ("grant_types",)}),
    )

    @admin.display(description="Access token TTL")
    def access_ttl(self, obj: Workspace) -> str:
        return _effective(obj, "access")

    @admin.display(description="Refresh token TTL")
    def refresh_ttl(self, obj: Workspace) -> str:
        return _effective(obj, "refresh")


def _effective(workspace: Workspace, kind: str) -> str:
    """The lifetime in force, marked when it comes from the site default."""
    text = humanize(workspace.effective_ttl(kind))
    return text if getattr(workspace, TTL_FIELDS[kind]) is not None else f"{text} (site default)"
