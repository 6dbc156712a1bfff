"""Workspace admin: identity, lifetimes in human durations, token format and signing, grant types, scopes."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import conditional_escape
from oauth2_provider.models import AccessToken, RefreshToken

from .. import keys, revocation
from ..durations import humanize
from ..exceptions import RotationError
from ..models import Workspace
from ..models.workspace import TTL_FIELDS, site_default_ttl
from .forms import DurationField, GrantTypesField, bounds_text, ttl_help
from .key import SigningKeyInline
from .scope import ScopeInline
from .token import ADMIN_REASON, may_revoke_tokens


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
    inlines = [ScopeInline, SigningKeyInline]
    list_display = ("slug", "name", "profile", "enabled", "access_ttl", "refresh_ttl")
    list_display_links = ("slug", "name")
    list_filter = ("enabled", "profile")
    search_fields = ("slug", "name")
    actions = ["rotate_signing_keys", "revoke_tokens"]
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
        (
            "Token format and signing",
            {"fields": ("token_format", "audiences", "signing_algorithm", "key_rotation_period")},
        ),
        ("Grant types", {"fields": ("grant_types",)}),
    )

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
