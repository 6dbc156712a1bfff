"""Scope admin: its own list, and the inline edited on a workspace's page."""

from __future__ import annotations

from django.contrib import admin

from ..models import AuditEvent, Scope
from . import changes
from .scoping import ScopedRelatedFilter, WorkspaceScopedAdmin


class ScopeInline(admin.TabularInline):
    """A workspace's scopes, edited beside its lifetimes (the usual place to add them)."""

    model = Scope
    fields = ("name", "description", "is_default")
    extra = 1


class ScopeAdmin(WorkspaceScopedAdmin):
    list_display = ("workspace", "name", "description", "is_default")
    list_display_links = ("name",)
    list_filter = (("workspace", ScopedRelatedFilter), "is_default")
    list_select_related = ("workspace",)
    search_fields = ("name",)
    fields = ("workspace", "name", "description", "is_default")

    def get_readonly_fields(self, request, obj=None):
        # Moving a scope would leave another workspace's clients allowed to ask for it.
        return ("workspace",) if obj is not None else ()

    def save_model(self, request, obj: Scope, form, change: bool) -> None:
        names = [name for name in form.changed_data if name in form.fields]
        before = changes.snapshot(Scope.objects.get(pk=obj.pk), names) if change else {}
        super().save_model(request, obj, form, change)
        target = f"scope {obj.name}"
        if not change:
            changes.record(request, obj.workspace, AuditEvent.Action.SETTINGS_CHANGED, target, operation="created")
            return
        changed = changes.differences(before, changes.snapshot(obj, names))
        if changed:
            changes.record(request, obj.workspace, AuditEvent.Action.SETTINGS_CHANGED, target, operation="updated",
                           changed=changed)

    def delete_model(self, request, obj: Scope) -> None:
        super().delete_model(request, obj)
        changes.record(request, obj.workspace, AuditEvent.Action.SETTINGS_CHANGED, f"scope {obj.name}",
                       operation="deleted")

    def delete_queryset(self, request, queryset) -> None:
        doomed = [(scope.workspace, scope.name) for scope in queryset.select_related("workspace")]
        super().delete_queryset(request, queryset)
        for workspace, name in doomed:
            changes.record(request, workspace, AuditEvent.Action.SETTINGS_CHANGED, f"scope {name}",
                           operation="deleted")
