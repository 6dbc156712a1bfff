"""Client admin: policy fields, scopes limited to the client's workspace, secrets shown once.

Only a digest of a client secret is stored, so the plain secret exists in one
place: the response that creates it (adding a client, switching it to
confidential, or rotating its secret). It travels from ``save_model`` to
``response_add``/``response_change`` on the instance, and never goes into the
session, a message, a log entry or a redirect.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import patch_cache_control

from ..durations import humanize
from ..models import AuditEvent, Client, Scope
from ..models.workspace import TTL_FIELDS
from . import changes
from .forms import (
    DurationField,
    GrantTypesField,
    RedirectURIsField,
    bounds_text,
    ttl_help,
)
from .scoping import ScopedRelatedFilter, WorkspaceScopedAdmin, narrow
from .token import may_revoke_tokens, revoke_tokens_of_clients

# Attribute carrying a just-generated plain secret from save_model to response_add.
_NEW_SECRET = "_oauthhub_new_secret"


class ClientForm(forms.ModelForm):
    """Errors come from ``Client.clean()``; this form adds only the cross-workspace scope check."""

    grant_types = GrantTypesField(label="Grant types", help_text="The workspace must allow them too.")
    redirect_uris = RedirectURIsField(label="Redirect URIs")
    allowed_scopes = forms.ModelMultipleChoiceField(
        label="Allowed scopes",
        queryset=Scope.objects.select_related("workspace"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Scopes this client may ask for; only the client's workspace's scopes count.",
    )
    access_token_ttl = DurationField(label="Access token TTL")
    refresh_token_ttl = DurationField(label="Refresh token TTL")

    class Meta:
        model = Client
        fields = (
            "workspace", "name", "client_type", "enabled", "grant_types", "redirect_uris",
            "allowed_scopes", "access_token_ttl", "refresh_token_ttl", "skip_authorization",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        workspace = self.instance.workspace if self.instance.workspace_id else None
        if workspace is not None and "allowed_scopes" in self.fields:
            self.fields["allowed_scopes"].queryset = Scope.objects.for_workspace(workspace)
        if self.instance._state.adding and "client_type" in self.fields and not self.initial.get("client_type"):
            # Most clients are services or server-side apps with a secret.
            self.initial["client_type"] = Client.Kind.CONFIDENTIAL
        for kind in ("access", "refresh"):
            name = TTL_FIELDS[kind]
            if name in self.fields:
                self.fields[name].help_text = self._ttl_help(kind, name, workspace)
                self.fields[name].widget.attrs["size"] = 28
                self.fields[name].widget.attrs["placeholder"] = (
                    f"inherits {humanize(workspace.effective_ttl(kind))} from workspace"
                    if workspace is not None else "inherits from workspace"
                )

    def _ttl_help(self, kind: str, name: str, workspace) -> str:
        if workspace is None:
            return ttl_help(
                current=None, bounds=bounds_text(kind, None), empty="Empty: inherits the workspace's lifetime."
            )
        inherited = humanize(workspace.effective_ttl(kind))
        return ttl_help(
            current=getattr(self.instance, name),
            bounds=bounds_text(kind, workspace.profile),
            empty=f"Empty: inherits {inherited} from workspace {workspace.slug}.",
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        workspace = cleaned.get("workspace") or (self.instance.workspace if self.instance.workspace_id else None)
        scopes = cleaned.get("allowed_scopes")
        if workspace is not None and scopes:
            foreign = [str(scope) for scope in scopes if scope.workspace_id != workspace.pk]
            if foreign:
                self.add_error(
                    "allowed_scopes",
                    f"These scopes belong to another workspace, not {workspace.slug}: {', '.join(foreign)}.",
                )
        return cleaned


class ClientAdmin(WorkspaceScopedAdmin):
    form = ClientForm
    change_form_template = "oauthhub/admin/client_change_form.html"
    list_display = ("name", "client_id", "workspace", "client_type", "enabled", "grant_types_display")
    list_filter = (("workspace", ScopedRelatedFilter), "client_type", "enabled")
    list_select_related = ("workspace",)
    search_fields = ("name", "client_id")
    radio_fields = {"client_type": admin.HORIZONTAL}
    actions = ["rotate_secret", "revoke_tokens"]
    view_on_site = False  # clients have no public page

    # client_secret (a digest) and DOT fields oauthhub does not use are never shown.
    _general = ("workspace", "name", "client_type", "enabled", "skip_authorization")
    _policy = ("grant_types", "redirect_uris", "allowed_scopes")
    _lifetimes = ("access_token_ttl", "refresh_token_ttl")

    def get_fieldsets(self, request, obj=None):
        general = ("client_id", *self._general, "created", "updated") if obj else self._general
        return (
            ("General", {"fields": general}),
            ("Grants and scopes", {"fields": self._policy}),
            ("Tokens — Time to live", {"fields": self._lifetimes}),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class ScopedClientForm(form):
            """Scopes offered on the add page: those of the workspaces the admin manages."""

            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                if "allowed_scopes" in self.fields:
                    field = self.fields["allowed_scopes"]
                    field.queryset = narrow(field.queryset, "workspace", request)

        return ScopedClientForm

    def get_readonly_fields(self, request, obj=None):
        # A client moved to another workspace would carry its tokens with it, and
        # tokens of workspace A must be worthless at workspace B.
        return ("client_id", "workspace", "created", "updated") if obj else ()

    @admin.display(description="grant types")
    def grant_types_display(self, obj: Client) -> str:
        return ", ".join(obj.grant_types or [])

    # Tokens ----------------------------------------------------------------

    def has_revoke_tokens_permission(self, request) -> bool:
        return may_revoke_tokens(request.user)

    @admin.action(description="Revoke all tokens", permissions=["revoke_tokens"])
    def revoke_tokens(self, request, queryset):
        """Every access and refresh token of each selected client (a leaked secret, a retired app)."""
        clients = list(queryset.select_related("workspace"))
        count, total = revoke_tokens_of_clients(request, clients)
        for client in clients:
            self.log_change(request, client, "Revoked all its tokens.")
        self.message_user(request, f"Revoked {total} token(s) of {count} client(s).", messages.SUCCESS)

    # Secrets ---------------------------------------------------------------

    def save_model(self, request, obj: Client, form, change: bool) -> None:
        # A new client, or one switched between public and confidential, gets a
        # fresh secret (or loses its old digest when it became public).
        names = [name for name in form.changed_data if name in form.fields]
        before = {}
        if change:
            stored = Client.objects.get(pk=obj.pk)
            before = changes.snapshot(stored, names)
            if "allowed_scopes" in names:
                before["allowed_scopes"] = _scope_names(stored)
        new_secret = not change or "client_type" in form.changed_data
        if new_secret:
            setattr(obj, _NEW_SECRET, obj.set_new_secret())
        super().save_model(request, obj, form, change)
        obj._oauthhub_before = before
        obj._oauthhub_names = names
        obj._oauthhub_secret_changed = change and new_secret

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        client = form.instance
        before = client.__dict__.pop("_oauthhub_before", {})
        names = client.__dict__.pop("_oauthhub_names", [])
        target = f"client {client.client_id}"
        if not change:
            changes.record(request, client.workspace, AuditEvent.Action.SETTINGS_CHANGED, target, operation="created")
            return
        after = changes.snapshot(client, names)
        if "allowed_scopes" in names:
            after["allowed_scopes"] = _scope_names(client)
        changed = changes.differences(before, after)
        if changed:
            changes.record(request, client.workspace, AuditEvent.Action.SETTINGS_CHANGED, target,
                           operation="updated", changed=changed)
        if client.__dict__.pop("_oauthhub_secret_changed", False):
            changes.record(request, client.workspace, AuditEvent.Action.SECRET_ROTATED, target,
                           reason=f"client type changed to {client.client_type}")

    def response_add(self, request, obj: Client, post_url_continue=None):
        secret = obj.__dict__.pop(_NEW_SECRET, None)
        if secret is None:  # a public client: nothing to show
            return super().response_add(request, obj, post_url_continue)
        return self.secret_page(request, obj, secret, created=True)

    def response_change(self, request, obj: Client):
        secret = obj.__dict__.pop(_NEW_SECRET, None)
        if secret is None:
            return super().response_change(request, obj)
        return self.secret_page(request, obj, secret)

    @admin.action(description="Rotate secret", permissions=["change"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request,
                "Select exactly one client: its new secret is shown once, on the next page.",
                messages.ERROR,
            )
            return None
        client = queryset.select_related("workspace").get()
        if not client.is_confidential:
            self.message_user(request, f"{client} is a public client; it has no secret.", messages.WARNING)
            return None
        return self.secret_page(request, client, self._rotate(request, client))

    def rotate_secret_view(self, request, object_id: str):
        """POST-only twin of the action, for the button on the change page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        client = self.get_object(request, unquote(object_id))
        if client is None:
            raise Http404("No such client.")
        if not self.has_change_permission(request, client):
            raise PermissionDenied
        if not client.is_confidential:
            self.message_user(request, f"{client} is a public client; it has no secret.", messages.WARNING)
            return HttpResponseRedirect(self._change_url(client))
        return self.secret_page(request, client, self._rotate(request, client))

    def _rotate(self, request, client: Client) -> str:
        """Replace the secret; the old one stops working at once. Tokens already issued stay valid."""
        secret = client.set_new_secret()
        client.save(update_fields=["client_secret", "updated"])
        self.log_change(request, client, "Rotated the client secret.")
        changes.record(request, client.workspace, AuditEvent.Action.SECRET_ROTATED, f"client {client.client_id}")
        return secret

    def secret_page(self, request, client: Client, secret: str, *, created: bool = False):
        """The one page that ever shows ``secret``."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Client created" if created else "New client secret",
            "client": client,
            "secret": secret,
            "created": created,
            "change_url": self._change_url(client),
        }
        response = TemplateResponse(request, "oauthhub/admin/client_secret.html", context)
        # Admin views are already never_cache; this one must stay so whatever wraps it.
        patch_cache_control(response, no_store=True, private=True)
        return response

    def _change_url(self, client: Client) -> str:
        return reverse(f"{self.admin_site.name}:{self._url_prefix}_change", args=[client.pk])

    @property
    def _url_prefix(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}"

    def get_urls(self):
        rotate = path(
            "<path:object_id>/rotate-secret/",
            self.admin_site.admin_view(self.rotate_secret_view),
            name=f"{self._url_prefix}_rotate_secret",
        )
        return [rotate, *super().get_urls()]


def _scope_names(client: Client) -> list[str]:
    return sorted(client.allowed_scopes.values_list("name", flat=True))
