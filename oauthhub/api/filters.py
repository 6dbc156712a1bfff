"""Query-string filters of the management API's lists (django-filter)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as filters

from ..models import AuditEvent, Client, IssuedToken, Scope, SigningKey, Workspace
from ..profiles import PROFILES
from .serializers import ACTIVE, EXPIRED, REVOKED


class WorkspaceFilter(filters.FilterSet):
    enabled = filters.BooleanFilter()
    profile = filters.ChoiceFilter(choices=[(p.name, p.label) for p in PROFILES.values()])
    search = filters.CharFilter(method="filter_search", help_text="Part of the slug or name.")

    class Meta:
        model = Workspace
        fields = ["enabled", "profile", "token_format"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(slug__icontains=value) | Q(name__icontains=value))


class ScopeFilter(filters.FilterSet):
    name = filters.CharFilter()
    is_default = filters.BooleanFilter()

    class Meta:
        model = Scope
        fields: list[str] = []


class ClientFilter(filters.FilterSet):
    enabled = filters.BooleanFilter()
    client_type = filters.ChoiceFilter(choices=Client.Kind.choices)
    grant_type = filters.ChoiceFilter(
        choices=Workspace.GrantType.choices, method="filter_grant_type", help_text="Clients allowed this grant type."
    )
    search = filters.CharFilter(method="filter_search", help_text="Part of the name or client_id.")

    class Meta:
        model = Client
        fields = ["enabled", "client_type"]

    def filter_grant_type(self, queryset, name, value):
        # JSON containment is not on SQLite: match the quoted name inside the list.
        return queryset.filter(grant_types__icontains=f'"{value}"')

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(client_id__icontains=value))


class SigningKeyFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=SigningKey.State.choices)

    class Meta:
        model = SigningKey
        fields = ["state", "algorithm"]


class TokenFilter(filters.FilterSet):
    client = filters.CharFilter(field_name="access_token__application__client_id", help_text="A client_id.")
    user = filters.CharFilter(method="filter_user", help_text="A user's id (a user token's sub).")
    state = filters.ChoiceFilter(
        choices=[(ACTIVE, "active"), (EXPIRED, "expired"), (REVOKED, "revoked")], method="filter_state"
    )
    expires_after = filters.IsoDateTimeFilter(field_name="expires", lookup_expr="gt")
    expires_before = filters.IsoDateTimeFilter(field_name="expires", lookup_expr="lte")

    class Meta:
        model = IssuedToken
        fields: list[str] = []

    def filter_user(self, queryset, name, value):
        try:
            return queryset.filter(access_token__user__pk=value)
        except (ValueError, TypeError, ValidationError):  # not an id of this user model: no one
            return queryset.none()

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        live = queryset.filter(revoked_at__isnull=True)
        return live.filter(expires__gt=now) if value == ACTIVE else live.filter(expires__lte=now)


class AuditEventFilter(filters.FilterSet):
    workspace = filters.CharFilter(field_name="workspace__slug", help_text="A workspace slug.")
    actor = filters.CharFilter(method="filter_actor", help_text="A username, or a label such as a client_id.")
    action = filters.ChoiceFilter(choices=AuditEvent.Action.choices)
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_actor(self, queryset, name, value):
        from django.contrib.auth import get_user_model

        username = f"actor__{get_user_model().USERNAME_FIELD}"
        return queryset.filter(Q(**{username: value}) | Q(actor_label=value))
