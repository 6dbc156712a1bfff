"""Scope admin: its own list, and the inline edited on a workspace's page."""

from __future__ import annotations

from django.contrib import admin

from ..models import Scope


class ScopeInline(admin.TabularInline):
    """A workspace's scopes, edited beside its lifetimes (the usual place to add them)."""

    model = Scope
    fields = ("name", "description", "is_default")
    extra = 1


class ScopeAdmin(admin.ModelAdmin):
    list_display = ("workspace", "name", "description", "is_default")
    list_display_links = ("name",)
    list_filter = ("workspace", "is_default")
    list_select_related = ("workspace",)
    search_fields = ("name",)
    fields = ("workspace", "name", "description", "is_default")

    def get_readonly_fields(self, request, obj=None):
        # Moving a scope would leave another workspace's clients allowed to ask for it.
        return ("workspace",) if obj is not None else ()
