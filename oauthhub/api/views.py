"""The management API's resources: workspaces and, under each, scopes, clients, keys and tokens; the audit log.

Every queryset starts from the workspaces the caller may manage
(``caller_workspaces``), so an object of any other workspace is a 404 and
never appears in a list. Every change is audited under the caller's name:
the staff user, or the admin client's client_id.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from oauth2_provider.models import AccessToken, RefreshToken
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from .. import keys, revocation
from ..access import SYSTEM_SCOPES, system_workspace_slug
from ..models import AuditEvent, Client, IssuedToken, Scope, SigningKey, Workspace
from .authentication import (
    AdminTokenAuthentication,
    StaffSessionAuthentication,
    actor,
    caller_manages_all,
    caller_workspaces,
)
from .conditional import check_if_match, etag
from .exceptions import (
    ConfirmationRequired,
    SystemWorkspaceProtected,
    api_exception_handler,
)
from .filters import (
    AuditEventFilter,
    ClientFilter,
    ScopeFilter,
    SigningKeyFilter,
    TokenFilter,
    WorkspaceFilter,
)
from .pagination import ManagementPagination
from .permissions import ManagementPermission
from .schema import PerViewSchema
from .serializers import (
    AuditEventSerializer,
    BulkRevokeSerializer,
    ClientSerializer,
    ClientWithSecretSerializer,
    RevokedCountSerializer,
    RotateKeysSerializer,
    ScopeSerializer,
    SigningKeySerializer,
    TokenSerializer,
    WorkspaceSerializer,
)
from .throttling import ManagementThrottle

# The reason every API revocation records; the audit event names the caller.
API_REASON = "revoked through the management API"

_DEFAULT_PERMISSION = {
    "list": "view", "retrieve": "view", "create": "add", "update": "change", "partial_update": "change",
    "destroy": "delete",
}


class ManagementView(GenericViewSet):
    """What every resource shares: authentication, permissions, throttle, errors, pagination, filters."""

    authentication_classes = (AdminTokenAuthentication, StaffSessionAuthentication)
    permission_classes = (ManagementPermission,)
    throttle_classes = (ManagementThrottle,)
    renderer_classes = (JSONRenderer,)
    parser_classes = (JSONParser,)
    pagination_class = ManagementPagination
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    versioning_class = None
    schema = PerViewSchema()

    schema_tag = ""
    # The model whose Django permissions a staff user needs (view/add/change/delete by action).
    permission_model = None
    # Custom actions: the permissions a staff user needs for each.
    action_permissions: dict[str, tuple[str, ...]] = {}
    etag_actions: tuple[str, ...] = ()
    etag_responses: tuple[str, ...] = ()
    conflict_actions: tuple[str, ...] = ()

    def get_exception_handler(self):
        return api_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if any("\x00" in str(value) for value in kwargs.values()):
            # No slug, client_id, kid or jti holds a NUL, and PostgreSQL refuses one in a query.
            raise NotFound()

    def django_permissions(self) -> list[str]:
        if self.action in self.action_permissions:
            return list(self.action_permissions[self.action])
        kind = _DEFAULT_PERMISSION.get(self.action)
        if kind is None or self.permission_model is None:
            return []
        opts = self.permission_model._meta
        return [f"{opts.app_label}.{kind}_{opts.model_name}"]

    @property
    def schema_only(self) -> bool:
        """True while drf-spectacular inspects the view (no request, no database)."""
        return getattr(self, "swagger_fake_view", False)

    def audit(self, workspace, action_name: str, target: str, **detail) -> None:
        AuditEvent.objects.create(
            workspace=workspace, action=action_name, target=target, detail={"via": "api", **detail},
            **actor(self.request),
        )


class WorkspaceChildView(ManagementView):
    """A resource under ``/workspaces/<slug>/``; the workspace must be one the caller manages."""

    def get_workspace(self) -> Workspace:
        if not hasattr(self, "_workspace"):
            self._workspace = get_object_or_404(caller_workspaces(self.request), slug=self.kwargs["workspace_slug"])
        return self._workspace

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not self.schema_only:
            context["workspace"] = self.get_workspace()
        return context


def _changes(instance, validated_data: dict) -> dict[str, list]:
    """field -> [old, new] for what ``validated_data`` would change (many-to-many by name)."""
    changed = {}
    for name, new in validated_data.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            old_names = sorted(str(obj) for obj in getattr(instance, name).all())
            new_names = sorted(str(obj) for obj in new)
            if old_names != new_names:
                changed[name] = [old_names, new_names]
        elif getattr(instance, name) != new:
            changed[name] = [getattr(instance, name), new]
    return changed


class ConditionalUpdateMixin:
    """PUT/PATCH with optional If-Match under a row lock; unchanged data saves nothing (same ETag)."""

    etag_field = "updated_at"

    def respond(self, obj, code=status.HTTP_200_OK, serializer_class=None) -> Response:
        serializer = (serializer_class or self.get_serializer_class())(obj, context=self.get_serializer_context())
        return Response(serializer.data, status=code, headers={"ETag": etag(obj, self.etag_field)})

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_locked_object()
            check_if_match(request, instance, self.etag_field)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            changed = _changes(instance, serializer.validated_data)
            if changed:
                instance = serializer.save()
                self.audit(self.workspace_of(instance), AuditEvent.Action.SETTINGS_CHANGED,
                           self.describe(instance), operation="updated", changed=changed)
        return self.respond(instance)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def get_locked_object(self):
        """The object, its row locked until the transaction ends (PostgreSQL), so the ETag check holds."""
        queryset = self.filter_queryset(self.get_queryset()).select_for_update(of=("self",))
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        return get_object_or_404(queryset, **{self.lookup_field: lookup})

    def workspace_of(self, instance) -> Workspace | None:
        return instance.workspace

    def describe(self, instance) -> str:
        raise NotImplementedError


# Workspaces ----------------------------------------------------------------------------------------


class WorkspaceViewSet(
    ConditionalUpdateMixin, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, ManagementView,
):
    """Workspaces: one authorization server each, with its lifetimes given as durations.

    TTLs are integer seconds; on input also "15m", "1h", "30d". Null inherits the
    site default. Each `*_human` field says what applies. Bounds are the
    workspace profile's, with the admin console's messages.
    """

    serializer_class = WorkspaceSerializer
    lookup_field = "slug"
    filterset_class = WorkspaceFilter
    ordering_fields = ["slug", "name", "created_at", "updated_at"]
    ordering = ["slug"]
    schema_tag = "workspaces"
    permission_model = Workspace
    action_permissions = {"disable": ("oauthhub.change_workspace",), "enable": ("oauthhub.change_workspace",)}
    etag_actions = ("update", "partial_update", "destroy", "disable", "enable")
    etag_responses = ("create", "retrieve", "update", "partial_update", "disable", "enable")
    conflict_actions = ("destroy", "disable")
    operations = {
        "list": {"summary": "List the workspaces you manage"},
        "create": {"summary": "Create a workspace (admins of every workspace only)"},
        "retrieve": {"summary": "A workspace, with its ETag"},
        "update": {"summary": "Replace a workspace's settings"},
        "partial_update": {"summary": "Change some of a workspace's settings"},
        "destroy": {
            "summary": "Delete a workspace and everything in it",
            "parameters": [OpenApiParameter("confirm", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True,
                                            description="The workspace's slug, repeated.")],
        },
        "disable": {"summary": "Disable a workspace: every endpoint of it answers 404", "request": None},
        "enable": {"summary": "Enable a workspace again", "request": None},
    }

    def get_queryset(self):
        if self.schema_only:
            return Workspace.objects.none()
        return caller_workspaces(self.request)

    def workspace_of(self, instance):
        return instance

    def describe(self, instance) -> str:
        return f"workspace {instance.slug}"

    def create(self, request, *args, **kwargs):
        if not caller_manages_all(request):
            raise PermissionDenied("Only an admin of every workspace may create workspaces.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                workspace = serializer.save()
                self.audit(workspace, AuditEvent.Action.SETTINGS_CHANGED, self.describe(workspace),
                           operation="created")
        except IntegrityError:  # another request took the slug since validation
            raise ValidationError({"slug": ["A workspace with this slug already exists."]}) from None
        return self.respond(workspace, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        workspace = self.get_object()
        if workspace.slug == system_workspace_slug():
            raise SystemWorkspaceProtected("The system workspace issues the API's admin tokens; it cannot be deleted.")
        if request.query_params.get("confirm") != workspace.slug:
            raise ConfirmationRequired(
                f"Deleting workspace {workspace.slug} deletes its clients, scopes, keys, tokens and audit log, "
                f"and its issuer stops answering. Repeat the request with ?confirm={workspace.slug}."
            )
        check_if_match(request, workspace, self.etag_field)
        slug = workspace.slug
        with transaction.atomic():
            workspace.delete()
            # Recorded without a workspace: the workspace's own events went with it.
            self.audit(None, AuditEvent.Action.SETTINGS_CHANGED, f"workspace {slug}", operation="deleted")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def disable(self, request, *args, **kwargs):
        return self._set_enabled(request, False)

    @action(detail=True, methods=["post"])
    def enable(self, request, *args, **kwargs):
        return self._set_enabled(request, True)

    def _set_enabled(self, request, enabled: bool) -> Response:
        with transaction.atomic():
            workspace = self.get_locked_object()
            if not enabled and workspace.slug == system_workspace_slug():
                raise SystemWorkspaceProtected(
                    "The system workspace issues the API's admin tokens; disabling it would lock the API out."
                )
            check_if_match(request, workspace, self.etag_field)
            if workspace.enabled != enabled:
                workspace.enabled = enabled
                workspace.save()
                self.audit(workspace, AuditEvent.Action.SETTINGS_CHANGED, self.describe(workspace),
                           operation="enabled" if enabled else "disabled")
        return self.respond(workspace)


# Scopes ----------------------------------------------------------------------------------------------


class ScopeViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, WorkspaceChildView,
):
    """Scopes a workspace's clients may ask for."""

    serializer_class = ScopeSerializer
    filterset_class = ScopeFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    schema_tag = "scopes"
    permission_model = Scope
    conflict_actions = ("update", "partial_update", "destroy")
    operations = {
        "list": {"summary": "List a workspace's scopes"},
        "create": {"summary": "Add a scope"},
        "retrieve": {"summary": "A scope"},
        "update": {"summary": "Replace a scope"},
        "partial_update": {"summary": "Change a scope"},
        "destroy": {"summary": "Delete a scope (clients lose it)"},
    }

    def get_queryset(self):
        if self.schema_only:
            return Scope.objects.none()
        return Scope.objects.for_workspace(self.get_workspace())

    def perform_create(self, serializer):
        with transaction.atomic():
            scope = serializer.save(workspace=self.get_workspace())
            self.audit(scope.workspace, AuditEvent.Action.SETTINGS_CHANGED, f"scope {scope.name}", operation="created")

    def perform_update(self, serializer):
        self._protect(serializer.instance, renaming=serializer.validated_data.get("name", serializer.instance.name))
        changed = _changes(serializer.instance, serializer.validated_data)
        if changed:
            with transaction.atomic():
                scope = serializer.save()
                self.audit(scope.workspace, AuditEvent.Action.SETTINGS_CHANGED, f"scope {scope.name}",
                           operation="updated", changed=changed)

    def perform_destroy(self, instance):
        self._protect(instance)
        with transaction.atomic():
            instance.delete()
            self.audit(instance.workspace, AuditEvent.Action.SETTINGS_CHANGED, f"scope {instance.name}",
                       operation="deleted")

    def _protect(self, scope: Scope, renaming: str | None = None) -> None:
        if scope.workspace.slug == system_workspace_slug() and scope.name in SYSTEM_SCOPES and renaming != scope.name:
            raise SystemWorkspaceProtected(f"Admin tokens carry {scope.name}; it cannot be renamed or deleted.")


# Clients ------------------------------------------------------------------------------------------------


class ClientViewSet(
    ConditionalUpdateMixin, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, WorkspaceChildView,
):
    """Clients of a workspace. A secret is shown once: in the answer to create and to rotate-secret."""

    serializer_class = ClientSerializer
    lookup_field = "client_id"
    filterset_class = ClientFilter
    ordering_fields = ["name", "created", "updated", "client_id"]
    ordering = ["name", "id"]
    schema_tag = "clients"
    permission_model = Client
    action_permissions = {"rotate_secret": ("oauthhub.change_client",)}
    etag_field = "updated"
    etag_actions = ("update", "partial_update", "destroy", "rotate_secret")
    etag_responses = ("create", "retrieve", "update", "partial_update", "rotate_secret")
    operations = {
        "list": {"summary": "List a workspace's clients"},
        "create": {"summary": "Register a client; the answer holds its secret, once",
                   "responses": {201: ClientWithSecretSerializer}},
        "retrieve": {"summary": "A client (never its secret), with its ETag"},
        "update": {"summary": "Replace a client's settings"},
        "partial_update": {"summary": "Change some of a client's settings"},
        "destroy": {"summary": "Delete a client; its tokens are revoked"},
        "rotate_secret": {
            "summary": "Give a confidential client a new secret; the old one stops working. "
                       "The answer holds it, once",
            "request": None, "responses": {200: ClientWithSecretSerializer},
        },
    }

    def get_queryset(self):
        if self.schema_only:
            return Client.objects.none()
        return (
            Client.objects.for_workspace(self.get_workspace())
            .select_related("workspace")
            .prefetch_related("allowed_scopes")
        )

    def describe(self, instance) -> str:
        return f"client {instance.client_id}"

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            client = serializer.save()
            self.audit(client.workspace, AuditEvent.Action.SETTINGS_CHANGED, self.describe(client),
                       operation="created")
        return self.respond(client, status.HTTP_201_CREATED, ClientWithSecretSerializer)

    def destroy(self, request, *args, **kwargs):
        client = self.get_object()
        check_if_match(request, client, self.etag_field)
        with transaction.atomic():
            client.delete()
            self.audit(client.workspace, AuditEvent.Action.SETTINGS_CHANGED, self.describe(client),
                       operation="deleted")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, *args, **kwargs):
        with transaction.atomic():
            client = self.get_locked_object()
            check_if_match(request, client, self.etag_field)
            if not client.is_confidential:
                raise ValidationError({"client_type": ["A public client has no secret to rotate."]})
            client.plain_secret = client.set_new_secret()
            client.save()
            self.audit(client.workspace, AuditEvent.Action.SECRET_ROTATED, self.describe(client))
        return self.respond(client, serializer_class=ClientWithSecretSerializer)


# Keys ----------------------------------------------------------------------------------------------------


class SigningKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceChildView):
    """A workspace's signing keys: next → active → retired (→ revoked). Public parts only."""

    serializer_class = SigningKeySerializer
    lookup_field = "kid"
    filterset_class = SigningKeyFilter
    ordering_fields = ["created_at", "activated_at", "state"]
    ordering = ["-created_at", "-id"]
    schema_tag = "keys"
    permission_model = SigningKey
    action_permissions = {
        "rotate": ("oauthhub.change_signingkey",),
        "revoke": ("oauthhub.change_signingkey",),
    }
    conflict_actions = ("rotate", "revoke")
    operations = {
        "list": {"summary": "List a workspace's signing keys (public parts only)"},
        "retrieve": {"summary": "A signing key (public part only)"},
        "rotate": {
            "summary": "Rotate: the next key signs, the active one retires, a new next key is published",
            "request": RotateKeysSerializer, "responses": {200: SigningKeySerializer},
        },
        "revoke": {
            "summary": "Revoke a next or retired key: tokens it signed fail from now on",
            "request": None, "responses": {200: SigningKeySerializer},
        },
    }

    def get_queryset(self):
        if self.schema_only:
            return SigningKey.objects.none()
        return SigningKey.objects.for_workspace(self.get_workspace())

    @action(detail=False, methods=["post"])
    def rotate(self, request, *args, **kwargs):
        workspace = self.get_workspace()
        options = RotateKeysSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        force = options.validated_data["force"]
        active = keys.rotate(workspace, force=force)  # RotationError → 409
        self.audit(workspace, AuditEvent.Action.KEYS_ROTATED, f"workspace {workspace.slug}",
                   active=active.kid, force=force)
        return Response(self.get_serializer(active).data)

    @action(detail=True, methods=["post"])
    def revoke(self, request, *args, **kwargs):
        key = self.get_object()
        live = keys.live_token_counts([key.workspace_id]).get(key.workspace_id, 0)
        keys.revoke(key)  # RotationError → 409
        self.audit(key.workspace, AuditEvent.Action.KEY_REVOKED, f"key {key.kid}", live_tokens_at_most=live)
        key.refresh_from_db()
        return Response(self.get_serializer(key).data)


# Tokens ---------------------------------------------------------------------------------------------------


class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceChildView):
    """Access tokens a workspace issued, named by jti. A revoked token keeps only its jti and dates."""

    serializer_class = TokenSerializer
    lookup_field = "jti"
    filterset_class = TokenFilter
    ordering_fields = ["expires", "revoked_at", "id"]
    ordering = ["-id"]
    schema_tag = "tokens"
    permission_model = AccessToken
    action_permissions = {
        name: ("oauth2_provider.change_accesstoken", "oauth2_provider.change_refreshtoken")
        for name in ("revoke", "revoke_many")
    }
    operations = {
        "list": {"summary": "List a workspace's access tokens by jti (never the tokens themselves)"},
        "retrieve": {"summary": "An access token, by jti"},
        "revoke": {
            "summary": "Revoke one access token (and the refresh token bound to it)",
            "request": None, "responses": {200: TokenSerializer},
        },
        "revoke_many": {
            "summary": "Revoke every token of a user or of a client in this workspace",
            "request": BulkRevokeSerializer, "responses": {200: RevokedCountSerializer},
        },
    }

    def get_queryset(self):
        if self.schema_only:
            return IssuedToken.objects.none()
        return IssuedToken.objects.for_workspace(self.get_workspace()).select_related(
            "access_token__application", "access_token__user"
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @action(detail=True, methods=["post"])
    def revoke(self, request, *args, **kwargs):
        record = self.get_object()
        if record.access_token_id is not None:
            revocation.revoke(
                access_tokens=AccessToken.objects.filter(pk=record.access_token_id),
                # Left alone, the bound refresh token would buy a new access token.
                refresh_tokens=RefreshToken.objects.filter(access_token_id=record.access_token_id),
                workspace=record.workspace, reason=API_REASON, target=f"token {record.jti}", **actor(request),
            )
            record = self.get_queryset().get(pk=record.pk)
        return Response(self.get_serializer(record).data)

    @action(detail=False, methods=["post"], url_path="revoke", url_name="revoke-many")
    def revoke_many(self, request, *args, **kwargs):
        workspace = self.get_workspace()
        wanted = BulkRevokeSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        if "user" in wanted.validated_data:
            user = _find_user(wanted.validated_data["user"])
            count = revocation.revoke_user(user, workspace=workspace, reason=API_REASON, **actor(request))
        else:
            client = workspace.clients.filter(client_id=wanted.validated_data["client"]).first()
            if client is None:
                raise ValidationError({"client": ["No client with this client_id in this workspace."]})
            count = revocation.revoke_client(client, reason=API_REASON, **actor(request))
        return Response({"revoked": count})


def _find_user(user_id: str):
    try:
        user = get_user_model()._default_manager.filter(pk=user_id).first()
    except (ValueError, TypeError, DjangoValidationError):
        user = None
    if user is None:
        raise ValidationError({"user": ["No user with this id."]})
    return user


# Audit ----------------------------------------------------------------------------------------------------


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ManagementView):
    """Who changed what, and when, in the workspaces you manage. Read-only."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    schema_tag = "audit-events"
    permission_model = AuditEvent
    operations = {
        "list": {"summary": "The audit log of the workspaces you manage"},
        "retrieve": {"summary": "One audit event"},
    }

    def get_queryset(self):
        if self.schema_only:
            return AuditEvent.objects.none()
        visible = Q(workspace__in=caller_workspaces(self.request))
        if caller_manages_all(self.request):
            visible |= Q(workspace__isnull=True)  # site-wide events, and those of deleted workspaces
        return AuditEvent.objects.filter(visible).select_related("workspace", "actor")


@csrf_exempt  # it changes nothing; a CSRF failure page would be HTML, not the API's JSON
def not_found(request, *args, **kwargs) -> HttpResponse:
    """Anything else under ``api/``: a JSON 404, so no such path falls through to a workspace's URLs.

    A path that only lacks its trailing slash is redirected with 308, which
    (unlike APPEND_SLASH's 301) keeps the method and body of a POST.
    """
    path = request.path_info
    if not path.endswith("/"):
        try:
            match = resolve(path + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            location = request.path + "/" + (f"?{query}" if query else "")
            return HttpResponsePermanentRedirect(location, preserve_request=True)
    return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
