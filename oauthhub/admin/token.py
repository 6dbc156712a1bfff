"""Read-only admins for django-oauth-toolkit's access and refresh tokens.

Tokens are issued by the OAuth flows, never typed in, so there is no add form
and no edits. The token value and its checksum are never displayed: the value
column is blank anyway (oauthhub stores tokens hashed), and the checksum is
what a lookup matches on; a token is named by its jti instead. The one change
allowed is revocation, as actions that go through ``oauthhub.revocation``, so
each is audited under the admin's name, keeps the tombstones refresh-token
reuse detection relies on, and puts the jtis on the revocation list.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from .. import revocation
from ..models import Client, IssuedToken, RefreshTokenExpiry, Workspace
from .scoping import ReadOnlyScopedAdmin, ScopedRelatedFilter

ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"

# The reason every admin revocation records; the audit event names the admin.
ADMIN_REASON = "revoked in the admin"


def may_revoke_tokens(user) -> bool:
    """Whether ``user`` may revoke tokens from any admin page.

    Every revocation changes both kinds of token (a refresh token takes its
    access token with it, and the other way round), so it takes the change
    permission on both.
    """
    return user.has_perms(
        [f"{model._meta.app_label}.change_{model._meta.model_name}" for model in (AccessToken, RefreshToken)]
    )


def revoke_tokens_of_clients(request, clients) -> tuple[int, int]:
    """``revocation.revoke_client`` for each of ``clients`` as ``request.user``: (clients, tokens)."""
    done = total = 0
    for client in clients:
        total += revocation.revoke_client(client, reason=ADMIN_REASON, actor=request.user)
        done += 1
    return done, total


class ClientFilter(ScopedRelatedFilter):
    """DOT calls the client "application"; the console says client."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = "client"


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


class TokenAdmin(ReadOnlyScopedAdmin):
    """What both token admins share: read-only, workspace-aware, no N+1, revocation as actions."""

    states: tuple[str, ...] = ()
    # How a row reaches its jti (the IssuedToken record of the access token).
    record_path = ""
    workspace_path = "application__workspace"
    change_list_template = "oauthhub/admin/token_change_list.html"
    list_filter = (
        ("application__workspace", ScopedRelatedFilter),
        ("application", ClientFilter),
        ("user", ScopedRelatedFilter),
        StateFilter,
    )
    list_select_related = ("application__workspace", "user")
    ordering = ("-created",)
    actions = ["revoke", "revoke_users", "revoke_clients"]

    def get_search_fields(self, request):
        # Non-secret identifiers only; never the token (it would land in ?q= and access logs).
        return (
            "application__client_id", "application__name", f"user__{get_user_model().USERNAME_FIELD}",
            f"{self.record_path}__jti",
        )

    def has_revoke_permission(self, request) -> bool:
        return may_revoke_tokens(request.user)

    @admin.display(description="workspace", ordering="application__workspace__slug")
    def workspace(self, obj) -> str:
        return obj.application.workspace.slug if obj.application else "—"

    @admin.display(description="client", ordering="application__name")
    def client(self, obj) -> str:
        return str(obj.application) if obj.application else "—"

    @admin.display(description="state")
    def state(self, obj) -> str:
        return self.state_of(obj, timezone.now())

    @admin.display(description="token ID (jti)")
    def jti(self, obj) -> str:
        record = self.record_of(obj)
        return record.jti if record else "—"

    def record_of(self, obj) -> IssuedToken | None:
        raise NotImplementedError

    def state_of(self, obj, now) -> str:
        raise NotImplementedError

    def state_q(self, state: str, now) -> Q:
        raise NotImplementedError

    def selected(self, queryset) -> tuple[QuerySet, QuerySet]:
        """The (access tokens, refresh tokens) that revoking the rows of ``queryset`` revokes."""
        raise NotImplementedError

    # Actions ---------------------------------------------------------------

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        """The selected rows only, with their bound tokens; one audit event per workspace."""
        total = 0
        for workspace, rows in _by_workspace(queryset).items():
            access_tokens, refresh_tokens = self.selected(queryset.filter(pk__in=rows))
            total += revocation.revoke(
                access_tokens=access_tokens,
                refresh_tokens=refresh_tokens,
                workspace=workspace,
                reason=ADMIN_REASON,
                actor=request.user,
                target=_describe(self.opts.verbose_name, rows),
            )
        self.message_user(request, f"Revoked {total} token(s).", messages.SUCCESS)

    @admin.action(description="Revoke all tokens of these users", permissions=["revoke"])
    def revoke_users(self, request, queryset):
        """Every token of each selected row's user, in that row's workspace only."""
        rows = queryset.exclude(user=None).exclude(application=None).order_by()
        pairs = set(rows.values_list("user", "application__workspace").distinct())
        if not pairs:
            self.message_user(
                request, "The selected tokens belong to no user (client credentials): nothing to revoke.",
                messages.WARNING,
            )
            return
        users = get_user_model()._default_manager.in_bulk({user for user, _ in pairs})
        workspaces = Workspace.objects.in_bulk({workspace for _, workspace in pairs})
        total = 0
        for user_pk, workspace_pk in sorted(pairs):
            total += revocation.revoke_user(
                users[user_pk], workspace=workspaces[workspace_pk], reason=ADMIN_REASON, actor=request.user
            )
        count = len({user for user, _ in pairs})
        self.message_user(request, f"Revoked {total} token(s) of {count} user(s).", messages.SUCCESS)

    @admin.action(description="Revoke all tokens of these clients", permissions=["revoke"])
    def revoke_clients(self, request, queryset):
        clients = Client.objects.filter(pk__in=queryset.order_by().values("application")).select_related("workspace")
        count, total = revoke_tokens_of_clients(request, clients)
        self.message_user(request, f"Revoked {total} token(s) of {count} client(s).", messages.SUCCESS)


class AccessTokenAdmin(TokenAdmin):
    """An access token row that exists is revocable; revoking deletes it (DOT's way)."""

    states = (ACTIVE, EXPIRED)
    record_path = "oauthhub_record"
    list_display = ("id", "jti", "workspace", "client", "user", "scope", "expires", "state")
    list_select_related = (*TokenAdmin.list_select_related, "oauthhub_record")
    fields = readonly_fields = (
        "id", "jti", "workspace", "client", "user", "scope", "resource", "created", "expires", "state",
        "source_refresh_token", "id_token",
    )

    def record_of(self, obj) -> IssuedToken | None:
        try:
            return obj.oauthhub_record
        except IssuedToken.DoesNotExist:
            return None

    def state_of(self, obj, now) -> str:
        return EXPIRED if obj.expires <= now else ACTIVE

    def state_q(self, state: str, now) -> Q:
        return Q(expires__gt=now) if state == ACTIVE else Q(expires__lte=now)

    def selected(self, queryset):
        # The bound refresh token goes too, as at the revocation endpoint: left
        # alone, it would buy a fresh access token and undo the revocation.
        return queryset, RefreshToken.objects.filter(access_token__in=queryset)


class RefreshTokenAdmin(TokenAdmin):
    """Refresh tokens: their expiry lives in oauthhub's RefreshTokenExpiry row."""

    states = (ACTIVE, EXPIRED, REVOKED)
    record_path = "access_token__oauthhub_record"
    list_display = ("id", "jti", "workspace", "client", "user", "scope", "expires", "revoked", "state")
    list_select_related = (*TokenAdmin.list_select_related, "access_token__oauthhub_record", "oauthhub_expiry")
    fields = readonly_fields = (
        "id", "jti", "workspace", "client", "user", "scope", "resource", "created", "expires", "revoked", "state",
        "access_token", "token_family",
    )

    @admin.display(description="access token ID (jti)")
    def jti(self, obj) -> str:
        return super().jti(obj)

    def record_of(self, obj) -> IssuedToken | None:
        # A revoked or rotated refresh token has no access token left.
        if obj.access_token is None:
            return None
        try:
            return obj.access_token.oauthhub_record
        except IssuedToken.DoesNotExist:
            return None

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

    def selected(self, queryset):
        # revocation.revoke() deletes each refresh token's bound access token itself.
        return AccessToken.objects.none(), queryset


def _expiry(refresh_token) -> RefreshTokenExpiry | None:
    try:
        return refresh_token.oauthhub_expiry
    except RefreshTokenExpiry.DoesNotExist:
        return None


def _by_workspace(queryset) -> dict[Workspace | None, list[int]]:
    """The pks of ``queryset`` grouped by their client's workspace (None for a token without a client)."""
    groups: dict[int | None, list[int]] = defaultdict(list)
    for pk, workspace_pk in queryset.order_by("pk").values_list("pk", "application__workspace"):
        groups[workspace_pk].append(pk)
    workspaces = Workspace.objects.in_bulk([pk for pk in groups if pk is not None])
    return {workspaces.get(workspace_pk): pks for workspace_pk, pks in groups.items()}


def _describe(noun: str, pks: list[int], limit: int = 300) -> str:
    """An audit target naming the rows ("access token #4", "2 access tokens: #4, #7"); fits the column."""
    if len(pks) == 1:
        return f"{noun} #{pks[0]}"
    text = f"{len(pks)} {noun}s: " + ", ".join(f"#{pk}" for pk in pks)
    return text if len(text) <= limit else text[: limit - 4].rsplit(",", 1)[0] + ", …"
