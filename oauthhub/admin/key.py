"""Signing key admin: read-only rows, revocation behind a confirmation page.

Keys are made and moved between states by ``oauthhub.keys`` only (creation of
a workspace, rotation, pruning), so nothing here adds or edits one. The
encrypted private JWK is never shown: it is not in any field list, and the
model marks it non-editable so no form picks it up.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from .. import keys
from ..exceptions import RotationError
from ..models import SigningKey

_COLUMNS = ("kid", "algorithm", "state", "created_at", "activated_at", "retired_at", "publish_until")


class SigningKeyInline(admin.TabularInline):
    """A workspace's keys and where each is in its life, on the workspace's page."""

    model = SigningKey
    fields = readonly_fields = _COLUMNS
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ("workspace", "kid", "algorithm", "state", "created_at", "activated_at", "publish_until")
    list_display_links = ("kid",)
    list_filter = ("workspace", "state", "algorithm")
    list_select_related = ("workspace",)
    search_fields = ("kid",)
    fields = readonly_fields = ("workspace", *_COLUMNS, "revoked_at", "public_jwk")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoke instead: deleting the active or next key would leave the
        # workspace half-rotated, and a revoked row records what happened.
        return False

    def has_revoke_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke(self, request, queryset):
        """First a page listing what would break; the keys are revoked only when it is confirmed."""
        queryset = queryset.select_related("workspace")
        if request.POST.get("post") != "yes":
            return self.revoke_confirmation(request, queryset)
        revoked = []
        for key in queryset:
            if key.state == SigningKey.State.REVOKED:
                continue
            try:
                keys.revoke(key)
            except RotationError as exc:
                self.message_user(request, f"{key.kid} of {key.workspace.slug} not revoked. {exc}", messages.ERROR)
                continue
            self.log_change(request, key, "Revoked the signing key.")
            revoked.append(key.kid)
        if revoked:
            self.message_user(request, f"Revoked {len(revoked)} key(s): {', '.join(revoked)}.", messages.SUCCESS)
        return None

    def revoke_confirmation(self, request, queryset) -> TemplateResponse:
        tokens = keys.live_token_counts({key.workspace_id for key in queryset})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Revoke signing keys?",
            "rows": [(key, tokens.get(key.workspace_id, 0)) for key in queryset],
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "oauthhub/admin/signingkey_revoke_confirmation.html", context)
