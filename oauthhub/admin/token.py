"""Read-only admins for django-oauth-toolkit's access and refresh tokens.

Tokens are issued by the OAuth flows, never typed in, so there is no add form
and no edits. The token value and its checksum are never displayed: the value
column is blank anyway (oauthhub stores tokens hashed), and the checksum is
what a lookup matches on. The one change allowed is DOT's revocation, as an
action, which keeps the tombstones refresh-token reuse detection relies on.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import revoke_access_token

from ..models import RefreshTokenExpiry

ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"


class StateFilter(admin.SimpleListFilter):
    """Active / expired / revoked; each token admin says how its rows map to states."""

    title = "state"
    parameter_name = "state"

    def __init__(self, request, params, model, model_admin):
        self.token_admin = model_admin  # queryset() is not given the admin
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(state, state.capitalize()) for state in model_admin.states]

    def queryset(self, request, queryset):
        if self.value() in self.token_admin.states:
            return queryset.filter(self.token_admin.state_q(self.value(), timezone.now()))
        return queryset


class TokenAdmin(admin.ModelAdmin):
    """What both token admins share: read-only, workspace-aware, no N+1."""

    states: tuple[str, ...] = ()
    list_filter = ("application__workspace", "application", StateFilter)
    list_select_related = ("application__workspace", "user")
    ordering = ("-created",)
    actions = ["revoke"]

    def get_search_fields(self, request):
        # Non-secret identifiers only; never the token (it would land in ?q= and access logs).
        return ("application__client_id", "application__name", f"user__{get_user_model().USERNAME_FIELD}")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoke instead: deleting rows loses what DOT's revocation keeps consistent.
        return False

    def has_revoke_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.display(description="workspace", ordering="application__workspace__slug")
    def workspace(self, obj) -> str:
        return obj.application.workspace.slug if obj.application else "—"

    @admin.display(description="client", ordering="application__name")
    def client(self, obj) -> str:
        return str(obj.application) if obj.application else "—"

    @admin.display(description="state")
    def state(self, obj) -> str:
        return self.state_of(obj, timezone.now())

    def state_of(self, obj, now) -> str:
        raise NotImplementedError

    def state_q(self, state: str, now) -> Q:
        raise NotImplementedError

    def revoke_one(self, obj) -> None:
        raise NotImplementedError

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset:
            self.revoke_one(token)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)


class AccessTokenAdmin(TokenAdmin):
    """An access token row that exists is revocable; revoking deletes it (DOT's way)."""

    states = (ACTIVE, EXPIRED)
    list_display = ("id", "workspace", "client", "user", "scope", "created", "expires", "state")
    fields = readonly_fields = (
        "id", "workspace", "client", "user", "scope", "resource", "created", "expires", "state",
        "source_refresh_token", "id_token",
    )

    def state_of(self, obj, now) -> str:
        return EXPIRED if obj.expires <= now else ACTIVE

    def state_q(self, state: str, now) -> Q:
        return Q(expires__gt=now) if state == ACTIVE else Q(expires__lte=now)

    def revoke_one(self, obj) -> None:
        # Revokes the bound refresh token too, keeping its tombstone.
        revoke_access_token(obj)


class RefreshTokenAdmin(TokenAdmin):
    """Refresh tokens: their expiry lives in oauthhub's RefreshTokenExpiry row."""

    states = (ACTIVE, EXPIRED, REVOKED)
    list_display = ("id", "workspace", "client", "user", "scope", "created", "expires", "revoked", "state")
    list_select_related = (*TokenAdmin.list_select_related, "access_token", "oauthhub_expiry")
    fields = readonly_fields = (
        "id", "workspace", "client", "user", "scope", "resource", "created", "expires", "revoked", "state",
        "access_token", "token_family",
    )

    @admin.display(description="scope")
    def scope(self, obj) -> str:
        # DOT keeps the scope on the access token; a rotated or revoked one has none left.
        return obj.access_token.scope if obj.access_token else "—"

    @admin.display(description="expires", ordering="oauthhub_expiry__expires")
    def expires(self, obj):
        expiry = _expiry(obj)
        return expiry.expires if expiry else None

    def state_of(self, obj, now) -> str:
        if obj.revoked:
            return REVOKED
        expiry = _expiry(obj)
        # No expiry row: the validator refuses the token, so it is as good as expired.
        return ACTIVE if expiry and expiry.expires > now else EXPIRED

    def state_q(self, state: str, now) -> Q:
        live = Q(revoked__isnull=True)
        if state == REVOKED:
            return ~live
        if state == ACTIVE:
            return live & Q(oauthhub_expiry__expires__gt=now)
        return live & (Q(oauthhub_expiry__isnull=True) | Q(oauthhub_expiry__expires__lte=now))

    def revoke_one(self, obj) -> None:
        obj.revoke()


def _expiry(refresh_token) -> RefreshTokenExpiry | None:
    try:
        return refresh_token.oauthhub_expiry
    except RefreshTokenExpiry.DoesNotExist:
        return None

