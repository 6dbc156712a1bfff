"""Workspace admin: identity, lifetimes in human durations, token format and signing, grant types, scopes.

Its change page also shows read-only facts (issuer, endpoints, live token
counts, tokens issued per hour), audits every saved change, and hosts the
token inspector's URL.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from oauth2_provider.models import AccessToken, RefreshToken

from .. import keys, revocation
from ..access import system_workspace_slug
from ..durations import humanize
from ..exceptions import RotationError
from ..models import AuditEvent, Scope, Workspace, admin_access
from ..models.workspace import TTL_FIELDS, site_default_ttl
from . import changes
from .facts import workspace_facts
from .forms import DurationField, GrantTypesField, bounds_text, ttl_help
from .inspector import inspector_view
from .key import SigningKeyInline
from .scope import ScopeInline
from .scoping import WorkspaceScopedAdmin, manages_every_workspace
from .token import ADMIN_REASON, may_revoke_tokens

# Carries what a save changed from save_model to save_related (where inline scopes are known).
_CHANGES = "_oauthhub_changes"


class AudiencesField(forms.CharField):
    """Audiences one per line; stored as the model's JSON list, first line first (the default aud).

    Lines rather than JSON because an admin should not have to type brackets
    and quotes; ``Workspace.clean()`` still decides what is allowed.
    """

    widget = forms.Textarea(attrs={"rows": 3, "cols": 80, "spellcheck": "false"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        lines = (line.strip() for line in super().to_python(value).splitlines())
        return list(dict.fromkeys(line for line in lines if line))


class WorkspaceForm(forms.ModelForm):
    """Lifetimes typed as "15m"; errors come from ``Workspace.clean()``, keyed by field."""

    access_token_ttl = DurationField(label="Access token TTL")
    refresh_token_ttl = DurationField(label="Refresh token TTL")
    authorization_code_ttl = DurationField(label="Authorization code TTL")
    id_token_ttl = DurationField(label="ID token TTL")
    grant_types = GrantTypesField(
        label="Allowed grant types", help_text="Grant types any client of this workspace may be given."
    )
    audiences = AudiencesField(
        label="Audiences",
        help_text="One per line: the APIs this workspace issues tokens for. The first is the default aud; "
        "a client may ask for any of them with the resource parameter (RFC 8707). Empty: aud is the issuer.",
    )
    refresh_token_grace_period = DurationField(
        label="Refresh token grace period",
        widget=forms.TextInput(attrs={"size": 8, "placeholder": "none", "autocomplete": "off"}),
        help_text="After a rotation the previous refresh token may be presented again for this long (a client "
        "retrying after a network error) without revoking its family. At most 5 min; empty: none.",
    )
    key_rotation_period = DurationField(
        label="Key rotation period",
        widget=forms.TextInput(attrs={"size": 8, "placeholder": "never", "autocomplete": "off"}),
        help_text="Rotate the signing keys when the active key is this old, e.g. 90d (at least 1d). Rotation "
        "happens when cron runs <code>manage.py oauthhub_rotate_keys --due</code>. Empty: never.",
    )

    class Meta:
        model = Workspace
        fields = "__all__"
        help_texts = {
            # The next key already exists, so a new algorithm takes two rotations to sign.
            "signing_algorithm": "Applies to keys made from now on: the next rotation publishes a key of this "
            "algorithm, and the rotation after that makes it sign.",
        }

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
        if not self.initial.get("refresh_token_grace_period"):
            self.initial["refresh_token_grace_period"] = None  # shown empty ("none"), not "0s"

    def clean_refresh_token_grace_period(self) -> int:
        return self.cleaned_data.get("refresh_token_grace_period") or 0

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


class WorkspaceAdminInline(admin.TabularInline):
    """Staff users who manage this workspace; only a superuser grants or withdraws that."""

    model = admin_access.WorkspaceAdmin
    fields = ("user",)
    extra = 0
    verbose_name = "workspace admin"
    verbose_name_plural = "Workspace admins (staff users who manage this workspace only)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Superusers manage everything already; only staff can use the console.
            kwargs["queryset"] = get_user_model()._default_manager.filter(is_staff=True, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class WorkspaceAdmin(WorkspaceScopedAdmin):
    form = WorkspaceForm
    workspace_path = ""  # a workspace is its own workspace
    change_form_template = "oauthhub/admin/workspace_change_form.html"
    inlines = [ScopeInline, SigningKeyInline, WorkspaceAdminInline]
    list_display = ("slug", "name", "profile", "enabled", "access_ttl", "refresh_ttl")
    list_display_links = ("slug", "name")
    list_filter = ("enabled", "profile")
    search_fields = ("slug", "name")
    actions = ["rotate_signing_keys", "revoke_tokens"]
    readonly_fields = ("profile_rules",)
    fieldsets = (
        ("General", {"fields": ("slug", "name", "description", "enabled")}),
        (
            "Tokens — Time to live",
            {
                "fields": (
                    "access_token_ttl",
                    "refresh_token_ttl",
                    "authorization_code_ttl",
                    "id_token_ttl",
                    "rotate_refresh_tokens",
                    "refresh_token_grace_period",
                ),
                "description": "Type 900, 90s, 15m, 1h or 30d. Leave empty to inherit. "
                "Clients may override the access and refresh lifetimes. "
                "A change applies to tokens issued from then on.",
            },
        ),
        (
            "Token format and signing",
            {"fields": ("token_format", "audiences", "signing_algorithm", "key_rotation_period")},
        ),
        ("Grant types", {"fields": ("grant_types",)}),
        ("Security", {"fields": ("profile", "profile_rules")}),
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.slug == system_workspace_slug():
            return False  # it issues the API's admin tokens
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        # As in the management API: only an admin of every workspace creates workspaces.
        return manages_every_workspace(request) and super().has_add_permission(request)

    @admin.display(description="Profile rules")
    def profile_rules(self, obj: Workspace | None) -> str:
        profile = obj.profile_rules if obj is not None else None
        if profile is None:
            return "Chosen with the profile above; shown once the workspace is saved."
        rules = [
            "PKCE required for the authorization code grant" if profile.pkce_required else "PKCE optional",
            "confidential clients only" if profile.confidential_clients_only else "public clients allowed",
        ]
        bounds = "; ".join(f"{profile.bounds(kind)[0]}: {profile.describe_bounds(kind)}" for kind in TTL_FIELDS)
        return f"{profile.label}: {', '.join(rules)}. Bounds — {bounds}."

    # Facts, links and buttons on the change page ----------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["facts"] = workspace_facts(request, obj)
            context["inspector_url"] = reverse(f"{self.admin_site.name}:oauthhub_token_inspector")
            context["revoke_tokens_url"] = self._revoke_tokens_url(obj)
            context["may_revoke_tokens"] = may_revoke_tokens(request.user)
            context["changelist_url"] = reverse(f"{self.admin_site.name}:oauthhub_workspace_changelist")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("inspector/", view(self.inspector), name="oauthhub_token_inspector"),
            path(
                "<path:object_id>/revoke-tokens/",
                view(self.revoke_tokens_view),
                name="oauthhub_workspace_revoke_tokens",
            ),
            *super().get_urls(),
        ]

    def inspector(self, request):
        return inspector_view(request, model_admin=self)

    def _revoke_tokens_url(self, workspace: Workspace) -> str:
        return reverse(f"{self.admin_site.name}:oauthhub_workspace_revoke_tokens", args=[workspace.pk])

    def revoke_tokens_view(self, request, object_id: str):
        """The "Revoke all tokens" confirmation for one workspace, reached by a link (GET changes nothing)."""
        workspace = self.get_object(request, unquote(object_id))
        if workspace is None:
            raise Http404("No such workspace among those you manage.")
        if not may_revoke_tokens(request.user):
            raise PermissionDenied
        return self.revoke_tokens_confirmation(request, Workspace.objects.filter(pk=workspace.pk))

    # Saving: audit and the TTL message ----------------------------------------------------

    def save_model(self, request, obj: Workspace, form, change: bool) -> None:
        names = [name for name in form.changed_data if name in form.fields]
        before = changes.snapshot(Workspace.objects.get(pk=obj.pk), names) if change else {}
        super().save_model(request, obj, form, change)
        changed = changes.differences(before, changes.snapshot(obj, names)) if change else {}
        setattr(obj, _CHANGES, changed)

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        workspace = form.instance
        detail = {"operation": "updated" if change else "created"}
        changed = workspace.__dict__.pop(_CHANGES, {})
        if changed:
            detail["changed"] = changed
        scopes = _scope_changes(formsets)
        if scopes:
            detail["scopes"] = scopes
        if not change or changed or scopes:
            changes.record(request, workspace, AuditEvent.Action.SETTINGS_CHANGED, f"workspace {workspace.slug}",
                           **detail)
        workspace._oauthhub_ttl_changes = {name: values for name, values in changed.items()
                                           if name in TTL_FIELDS.values()}

    def response_change(self, request, obj: Workspace):
        ttl_changes = obj.__dict__.pop("_oauthhub_ttl_changes", {})
        if ttl_changes:
            self.message_user(request, self._ttl_message(request, obj, ttl_changes), messages.WARNING)
        return super().response_change(request, obj)

    def _ttl_message(self, request, workspace: Workspace, ttl_changes: dict) -> str:
        labels = {name: WorkspaceForm.base_fields[name].label for name in TTL_FIELDS.values()}
        kinds = {name: kind for kind, name in TTL_FIELDS.items()}
        described = "; ".join(
            f"{labels[name]} changed from {_ttl_words(old, kinds[name])} to {_ttl_words(new, kinds[name])}"
            for name, (old, new) in ttl_changes.items()
        )
        text = format_html(
            "{}. The new TTL applies to tokens issued from now on; tokens already issued keep the expiry they "
            "were issued with.",
            described,
        )
        if not may_revoke_tokens(request.user):
            return text
        return format_html(
            '{} <a class="button revoke-existing-tokens" href="{}">Revoke existing tokens of {}…</a>',
            text, self._revoke_tokens_url(workspace), workspace.slug,
        )

    # Actions -------------------------------------------------------------------------------

    @admin.action(description="Rotate signing keys", permissions=["change"])
    def rotate_signing_keys(self, request, queryset):
        """Rotate each selected workspace; one refused (too early, or already rotating) does not stop the rest."""
        for workspace in queryset:
            try:
                active = keys.rotate(workspace)
            except RotationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            self.log_change(request, workspace, f"Rotated the signing keys; {active.kid} signs now.")
            changes.record(request, workspace, AuditEvent.Action.KEYS_ROTATED, f"workspace {workspace.slug}",
                           active=active.kid, force=False)
            self.message_user(
                request, f"Rotated the signing keys of {workspace.slug}: {active.kid} signs now.", messages.SUCCESS
            )

    def has_revoke_tokens_permission(self, request) -> bool:
        return may_revoke_tokens(request.user)

    @admin.action(description="Revoke all tokens", permissions=["revoke_tokens"])
    def revoke_tokens(self, request, queryset):
        """Every token of each selected workspace, once a page listing what that ends has been confirmed."""
        if request.POST.get("post") != "yes":
            return self.revoke_tokens_confirmation(request, queryset)
        for workspace in queryset:
            count = revocation.revoke_workspace(workspace, reason=ADMIN_REASON, actor=request.user)
            self.log_change(request, workspace, f"Revoked all its tokens ({count}).")
            self.message_user(request, f"Revoked {count} token(s) of workspace {workspace.slug}.", messages.SUCCESS)
        return None

    def revoke_tokens_confirmation(self, request, queryset) -> TemplateResponse:
        access, refresh = live_token_counts(queryset)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Revoke all tokens?",
            "rows": [(workspace, access.get(workspace.pk, 0), refresh.get(workspace.pk, 0)) for workspace in queryset],
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "oauthhub/admin/workspace_revoke_tokens_confirmation.html", context)

    @admin.display(description="Access token TTL")
    def access_ttl(self, obj: Workspace) -> str:
        return _effective(obj, "access")

    @admin.display(description="Refresh token TTL")
    def refresh_ttl(self, obj: Workspace) -> str:
        return _effective(obj, "refresh")


def _ttl_words(seconds: int | None, kind: str) -> str:
    return humanize(seconds) if seconds is not None else f"{humanize(site_default_ttl(kind))} (site default)"


def _scope_changes(formsets) -> dict[str, list[str]]:
    """Scopes added, changed and deleted through the inline, by name."""
    found: dict[str, list[str]] = {}
    for formset in formsets:
        if formset.model is not Scope:
            continue
        for label, objects in (
            ("added", formset.new_objects),
            ("changed", [obj for obj, _ in formset.changed_objects]),
            ("deleted", formset.deleted_objects),
        ):
            if objects:
                found[label] = sorted(obj.name for obj in objects)
    return found


def live_token_counts(workspaces) -> tuple[dict[int, int], dict[int, int]]:
    """Unexpired access tokens, and unrevoked unexpired refresh tokens, per workspace pk."""
    now = timezone.now()

    def per_workspace(queryset) -> dict[int, int]:
        rows = queryset.order_by().values("application__workspace").annotate(count=Count("pk"))
        return dict(rows.values_list("application__workspace", "count"))

    ids = [workspace.pk for workspace in workspaces]
    access = AccessToken.objects.filter(application__workspace__in=ids, expires__gt=now)
    refresh = RefreshToken.objects.filter(
        application__workspace__in=ids, revoked__isnull=True, oauthhub_expiry__expires__gt=now
    )
    return per_workspace(access), per_workspace(refresh)


def _effective(workspace: Workspace, kind: str) -> str:
    """The lifetime in force, marked when it comes from the site default."""
    text = humanize(workspace.effective_ttl(kind))
    return text if getattr(workspace, TTL_FIELDS[kind]) is not None else f"{text} (site default)"
