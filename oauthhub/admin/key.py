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
from django.utils.timesince import timesince

from .. import keys
from ..exceptions import RotationError
from ..models import AuditEvent, SigningKey
from . import changes
from .scoping import ReadOnlyScopedAdmin, ScopedRelatedFilter

_COLUMNS = ("kid", "algorithm", "state", "age", "created_at", "activated_at", "retired_at", "publish_until")


@admin.display(description="age")
def age(key: SigningKey) -> str:
    return timesince(key.created_at) if key.created_at else "—"


class SigningKeyInline(admin.TabularInline):
    """A workspace's keys and where each is in its life, on the workspace's page."""

    model = SigningKey
    # Fewer columns than the key list, so the inline fits beside the form.
    fields = readonly_fields = ("kid", "algorithm", "state", "age", "activated_at", "publish_until")
    extra = 0
    show_change_link = True

    age = staticmethod(age)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SigningKeyAdmin(ReadOnlyScopedAdmin):
    list_display = ("workspace", "kid", "alg", "state_name", "age", "publish_until")
    list_display_links = ("kid",)
    list_filter = (("workspace", ScopedRelatedFilter), "state", "algorithm")
    list_select_related = ("workspace",)
    search_fields = ("kid",)
    fields = readonly_fields = ("workspace", *_COLUMNS, "revoked_at", "public_jwk")
    actions = ["revoke"]

    age = staticmethod(age)

    @admin.display(description="algorithm", ordering="algorithm")
    def alg(self, key: SigningKey) -> str:
        return key.algorithm

    @admin.display(description="state", ordering="state")
    def state_name(self, key: SigningKey) -> str:
        return key.state  # the filter beside the list explains each state

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
        live = keys.live_token_counts({key.workspace_id for key in queryset})
        for key in queryset:
            if key.state == SigningKey.State.REVOKED:
                continue
            try:
                keys.revoke(key)
            except RotationError as exc:
                self.message_user(request, f"{key.kid} of {key.workspace.slug} not revoked. {exc}", messages.ERROR)
                continue
            self.log_change(request, key, "Revoked the signing key.")
            changes.record(request, key.workspace, AuditEvent.Action.KEY_REVOKED, f"key {key.kid}",
                           state_was=key.state, live_tokens_at_most=live.get(key.workspace_id, 0))
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
