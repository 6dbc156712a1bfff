"""Multi-tenant admins: every oauthhub admin page shows and changes only the workspaces a user manages.

``oauthhub.access.manageable_workspaces`` answers who manages what (the same
answer the management API uses): a superuser manages every workspace, another
staff user those of their WorkspaceAdmin rows, anyone else none. Each
ModelAdmin says how its rows reach their workspace (``workspace_path``), and
:class:`WorkspaceScopedAdmin` then narrows, in one place:

- the changelist, its actions and search (``get_queryset``);
- change, delete and history pages: an object of another workspace is a 404,
  exactly as one that does not exist, so a crafted URL learns nothing;
- list filters: use :class:`ScopedRelatedFilter` for a foreign key, so only
  managed workspaces (and their clients, scopes, keys) are offered;
- related pickers: workspace, scope and client dropdowns and checkboxes.

Django's model permissions still apply on top: a workspace admin needs
view/change permissions as any staff user does.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404

from ..access import manageable_workspaces, manages_all
from ..models import Client, Scope, SigningKey, Workspace

# How rows of the models a picker may offer reach their workspace.
_PICKER_PATHS: dict[type[Model], str] = {Workspace: "", Scope: "workspace", Client: "workspace",
                                          SigningKey: "workspace"}

_CACHE_ATTR = "_oauthhub_workspace_ids"


def workspace_ids(request) -> frozenset[int] | None:
    """pks of the workspaces ``request.user`` manages, or None when they manage all; once per request."""
    if not hasattr(request, _CACHE_ATTR):
        user = request.user
        ids = None if manages_all(user) else frozenset(manageable_workspaces(user).values_list("pk", flat=True))
        setattr(request, _CACHE_ATTR, ids)
    return getattr(request, _CACHE_ATTR)


def manages_every_workspace(request) -> bool:
    return workspace_ids(request) is None


def narrow(queryset: QuerySet, path: str, request) -> QuerySet:
    """``queryset`` limited to rows whose workspace (reached by ``path``; "" for workspaces) the user manages."""
    ids = workspace_ids(request)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in" if path else "pk__in": ids})


def may_manage(request, workspace_id: int | None) -> bool:
    ids = workspace_ids(request)
    return ids is None or workspace_id in ids


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A foreign-key list filter offering only what the admin manages.

    Workspaces, clients, scopes and keys: those of the managed workspaces.
    Anything else (users): only values found in the rows the admin may see,
    so a filter never lists another tenant's users.
    """

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        path = _PICKER_PATHS.get(field.remote_field.model)
        if path is None:
            seen = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
            return field.get_choices(include_blank=False, limit_choices_to={"pk__in": seen}, ordering=ordering)
        ids = workspace_ids(request)
        limit = None if ids is None else {f"{path}__in" if path else "pk__in": ids}
        return field.get_choices(include_blank=False, limit_choices_to=limit, ordering=ordering)


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Base of every oauthhub ModelAdmin: rows, objects, filters and pickers of managed workspaces only."""

    # ORM path from a row to its Workspace: "workspace", "application__workspace"; "" for Workspace itself.
    workspace_path = "workspace"

    def get_queryset(self, request):
        return narrow(super().get_queryset(request), self.workspace_path, request)

    def workspace_id_of(self, obj) -> int | None:
        """The pk of ``obj``'s workspace, following ``workspace_path`` attribute by attribute."""
        if not self.workspace_path:
            return obj.pk
        *hops, last = self.workspace_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop, None)
            if obj is None:
                return None
        return getattr(obj, f"{last}_id", None)

    def _in_scope(self, request, obj) -> bool:
        return obj is None or may_manage(request, self.workspace_id_of(obj))

    def has_view_permission(self, request, obj=None) -> bool:
        return self._in_scope(request, obj) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._in_scope(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._in_scope(request, obj) and super().has_delete_permission(request, obj)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with "doesn't exist. Perhaps it was deleted?";
        # a 404 says the same of an object that exists in another workspace.
        raise Http404(f"No {opts.verbose_name} with ID {object_id!r} in the workspaces you manage.")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._picker(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._picker(db_field, request, kwargs))

    @staticmethod
    def _picker(db_field, request, kwargs: dict) -> dict:
        path = _PICKER_PATHS.get(db_field.related_model)
        if path is not None:
            queryset = kwargs.get("queryset", db_field.related_model._default_manager.all())
            kwargs["queryset"] = narrow(queryset, path, request)
        return kwargs


class ReadOnlyScopedAdmin(WorkspaceScopedAdmin):
    """A record nobody edits in the console: rows change only through the
    operations that keep them consistent (rotation, revocation, auditing)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
