"""Serializers of the management API: one per resource, validation by the models' own rules.

Each writable serializer applies the incoming values to a copy of the object
and runs the model's ``full_clean()``, so the bounds and messages are the ones
the admin console and the commands show (profiles, refresh ≥ access, redirect
URI rules …), returned as field errors.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..access import system_workspace_slug
from ..durations import humanize
from ..models import AuditEvent, Client, IssuedToken, Scope, SigningKey, Workspace
from ..models.workspace import TTL_FIELDS
from ..profiles import PROFILES
from .exceptions import django_errors
from .fields import DurationField

ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"


@extend_schema_field(OpenApiTypes.STR)
class HumanDurationField(serializers.Field):
    """Read-only: how a duration reads to a person (``"5 min"``), from ``describe(instance)``."""

    def __init__(self, describe, **kwargs) -> None:
        self.describe = describe
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance) -> str:
        return self.describe(instance)


class ModelCleanMixin:
    """Validate by the model: apply ``attrs`` to a copy of the object and ``full_clean()`` it."""

    clean_exclude: tuple[str, ...] = ()

    def new_instance(self):
        return self.Meta.model()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = copy.copy(self.instance) if self.instance is not None else self.new_instance()
        for name, value in attrs.items():
            field = instance._meta.get_field(name)
            if not field.many_to_many:
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=list(self.clean_exclude), validate_unique=False)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors(exc)) from None
        return attrs


# Workspaces ------------------------------------------------------------------------------


def _workspace_ttl(kind: str):
    def describe(workspace: Workspace) -> str:
        inherited = getattr(workspace, TTL_FIELDS[kind]) is None
        return humanize(workspace.effective_ttl(kind)) + (" (site default)" if inherited else "")

    return describe


class WorkspaceSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A workspace. TTLs: integer seconds (or ``"15m"``-style text in); null inherits the site default."""

    access_token_ttl = DurationField(allow_null=True, required=False)
    access_token_ttl_human = HumanDurationField(_workspace_ttl("access"))
    refresh_token_ttl = DurationField(allow_null=True, required=False)
    refresh_token_ttl_human = HumanDurationField(_workspace_ttl("refresh"))
    authorization_code_ttl = DurationField(allow_null=True, required=False)
    authorization_code_ttl_human = HumanDurationField(_workspace_ttl("code"))
    id_token_ttl = DurationField(allow_null=True, required=False)
    id_token_ttl_human = HumanDurationField(_workspace_ttl("id"))
    refresh_token_grace_period = DurationField(required=False)
    refresh_token_grace_period_human = HumanDurationField(lambda ws: humanize(ws.refresh_token_grace_period))
    key_rotation_period = DurationField(allow_null=True, required=False)
    key_rotation_period_human = HumanDurationField(
        lambda ws: "never" if ws.key_rotation_period is None else humanize(ws.key_rotation_period)
    )
    profile = serializers.ChoiceField(choices=[(p.name, p.label) for p in PROFILES.values()], required=False)
    audiences = serializers.ListField(child=serializers.CharField(max_length=2000), required=False)
    grant_types = serializers.ListField(
        child=serializers.ChoiceField(choices=Workspace.GrantType.choices), required=False,
        help_text="Grant types any client of this workspace may be given. Empty on creation: all of them.",
    )
    is_system = serializers.SerializerMethodField(
        help_text="The workspace that issues the management API's admin tokens."
    )

    class Meta:
        model = Workspace
        fields = [
            "slug", "name", "description", "profile", "enabled", "is_system",
            "access_token_ttl", "access_token_ttl_human", "refresh_token_ttl", "refresh_token_ttl_human",
            "authorization_code_ttl", "authorization_code_ttl_human", "id_token_ttl", "id_token_ttl_human",
            "rotate_refresh_tokens", "refresh_token_grace_period", "refresh_token_grace_period_human",
            "token_format", "signing_algorithm", "key_rotation_period", "key_rotation_period_human",
            "audiences", "grant_types", "created_at", "updated_at",
        ]
        read_only_fields = ["enabled", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # The slug is the issuer's path and the resource's URL: fixed once created.
            fields["slug"].read_only = True
        return fields

    def get_is_system(self, workspace: Workspace) -> bool:
        return workspace.slug == system_workspace_slug()


# Scopes -------------------------------------------------------------------------------------


class ScopeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scope
        fields = ["id", "name", "description", "is_default"]

    def validate_name(self, value: str) -> str:
        taken = Scope.objects.for_workspace(self.context["workspace"]).filter(name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(f"This workspace already has a scope called {value}.", code="unique")
        return value


# Clients ---------------------------------------------------------------------------------------


class RedirectURIsField(serializers.ListField):
    """The model's space-separated text as a list of URIs."""

    child = serializers.CharField(max_length=2000)

    def to_internal_value(self, data):
        uris = super().to_internal_value(data)
        bad = [uri for uri in uris if not uri or any(c.isspace() for c in uri)]
        if bad:
            raise serializers.ValidationError("A redirect URI cannot contain whitespace.")
        return " ".join(dict.fromkeys(uris))

    def to_representation(self, data):
        return data.split() if isinstance(data, str) else super().to_representation(data)


class ScopeNameField(serializers.SlugRelatedField):
    """A scope of the client's workspace, by name."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:  # PostgreSQL refuses a NUL in a query
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


def _client_ttl(kind: str):
    def describe(client: Client) -> str:
        inherited = getattr(client, TTL_FIELDS[kind]) is None
        return humanize(client.effective_ttl(kind)) + (" (from the workspace)" if inherited else "")

    return describe


class ClientSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A client. Its secret is never here: only create and rotate-secret answer with it, once."""

    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    client_type = serializers.ChoiceField(choices=Client.Kind.choices, default=Client.Kind.CONFIDENTIAL)
    grant_types = serializers.ListField(child=serializers.ChoiceField(choices=Workspace.GrantType.choices))
    redirect_uris = RedirectURIsField(required=False)
    allowed_scopes = ScopeNameField(
        many=True, slug_field="name", queryset=Scope.objects.none(), required=False,
        help_text="Names of scopes of the client's workspace it may ask for.",
    )
    access_token_ttl = DurationField(allow_null=True, required=False)
    access_token_ttl_human = HumanDurationField(_client_ttl("access"))
    refresh_token_ttl = DurationField(allow_null=True, required=False)
    refresh_token_ttl_human = HumanDurationField(_client_ttl("refresh"))
    token_format = serializers.ChoiceField(
        choices=Workspace.TokenFormat.choices, allow_null=True, required=False,
        help_text="null: the workspace's format.",
    )

    # grant_types: clean() says "Choose at least one grant type." for an empty list; the field's
    # own "cannot be blank" would say it twice.
    clean_exclude = ("client_secret", "grant_types")

    class Meta:
        model = Client
        fields = [
            "client_id", "name", "workspace", "client_type", "enabled", "grant_types", "redirect_uris",
            "allowed_scopes", "access_token_ttl", "access_token_ttl_human", "refresh_token_ttl",
            "refresh_token_ttl_human", "token_format", "can_introspect", "skip_authorization", "created", "updated",
        ]
        read_only_fields = ["client_id", "created", "updated"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        workspace = self.context.get("workspace")
        if workspace is not None and "allowed_scopes" in self.fields:
            self.fields["allowed_scopes"].child_relation.queryset = Scope.objects.for_workspace(workspace)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["client_type"].read_only = True  # a secret cannot appear or vanish in place
        return fields

    def new_instance(self) -> Client:
        return Client(workspace=self.context["workspace"])

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["token_format"] = data["token_format"] or None
        return data

    def validate_token_format(self, value):
        return value or ""

    def create(self, validated_data) -> Client:
        scopes = validated_data.pop("allowed_scopes", [])
        client = Client(workspace=self.context["workspace"], **validated_data)
        client.plain_secret = client.set_new_secret()
        client.save()
        client.allowed_scopes.set(scopes)
        return client


class ClientWithSecretSerializer(ClientSerializer):
    """Answers create and rotate-secret: the only time the plain secret is ever sent."""

    client_secret = serializers.CharField(
        source="plain_secret", read_only=True, allow_null=True,
        help_text="Shown this once; only a digest is stored. null for a public client.",
    )

    class Meta(ClientSerializer.Meta):
        fields = [*ClientSerializer.Meta.fields, "client_secret"]


# Keys ---------------------------------------------------------------------------------------------


class SigningKeySerializer(serializers.ModelSerializer):
    """A signing key's public side and history; private material never leaves the database."""

    # Plain text: the same choices as the workspace's signing_algorithm, documented there.
    algorithm = serializers.CharField(read_only=True)

    class Meta:
        model = SigningKey
        fields = [
            "kid", "algorithm", "state", "public_jwk", "created_at", "activated_at", "retired_at", "revoked_at",
            "publish_until",
        ]
        read_only_fields = fields


class RotateKeysSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False,
        help_text="Rotate even if the next key was published less than one JWKS cache period ago "
                  "(resource servers may not know it yet).",
    )


# Tokens ---------------------------------------------------------------------------------------------


class TokenSerializer(serializers.ModelSerializer):
    """An access token, by its jti. The token itself is never stored, so never shown.

    ``client``, ``user``, ``scope`` and ``issued_at`` come from the token's row,
    which revocation (and clean-up after expiry) deletes: a revoked token keeps
    only its jti, expiry and revocation time.
    """

    state = serializers.SerializerMethodField()
    client = serializers.CharField(source="access_token.application.client_id", read_only=True, allow_null=True)
    user = serializers.CharField(source="access_token.user.pk", read_only=True, allow_null=True)
    scope = serializers.CharField(source="access_token.scope", read_only=True, allow_null=True)
    issued_at = serializers.DateTimeField(source="access_token.created", read_only=True, allow_null=True)

    class Meta:
        model = IssuedToken
        fields = ["jti", "state", "client", "user", "scope", "issued_at", "expires", "revoked_at"]
        read_only_fields = fields

    def get_state(self, record: IssuedToken) -> str:
        return token_state(record, self.context.get("now") or timezone.now())


def token_state(record: IssuedToken, now) -> str:
    if record.revoked_at is not None:
        return REVOKED
    return EXPIRED if record.expires <= now else ACTIVE


class BulkRevokeSerializer(serializers.Serializer):
    """Exactly one of ``user`` (the id a token's ``sub`` carries) or ``client`` (a client_id)."""

    user = serializers.CharField(required=False, max_length=255, help_text="A user's id (a user token's sub).")
    client = serializers.CharField(required=False, max_length=255, help_text="A client_id of the workspace.")

    def validate(self, attrs):
        if ("user" in attrs) == ("client" in attrs):
            raise serializers.ValidationError("Give exactly one of user or client.")
        return attrs


class RevokedCountSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="Access and refresh tokens revoked.")


# Audit ---------------------------------------------------------------------------------------------


class AuditEventSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    actor = serializers.CharField(source="actor_name", read_only=True, help_text="Username, else the label.")
    detail = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "workspace", "actor", "actor_label", "action", "target", "detail"]
        read_only_fields = fields


# Errors (documentation only) ---------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: validation_error, not_found …")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False,
        help_text="validation_error only: messages by field name (non_field_errors for the rest).",
    )
