"""The OpenAPI 3 schema (drf-spectacular) and the interactive docs served from packaged assets.

The schema documents oauthhub's own endpoints only, whatever else the host
serves: the management API and the OAuth token, revocation and introspection
endpoints, at the paths the host mounted them on. The protocol views are
described from here (OpenApiViewExtension subclasses that document a subclass
of each view), so ``oauthhub/oauth/views.py`` carries no schema code. None of
this writes drf-spectacular's global settings, so a host's own schema (if it
has one) is unaffected and ours needs no SPECTACULAR_SETTINGS.
"""

from __future__ import annotations

import inspect

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response

from ..access import READ_SCOPE, SYSTEM_SCOPES, WRITE_SCOPE, system_workspace_slug
from ..models import Workspace
from .serializers import ErrorSerializer

TITLE = "oauthhub management API"
DESCRIPTION = (
    "Automate everything the admin console does: workspaces and their token lifetimes, scopes, clients, "
    "signing keys, tokens and the audit log. Authenticate with an admin access token of the system "
    "workspace (client credentials; scopes oauthhub:read, oauthhub:write), or as a staff user's session "
    "(with the CSRF token on writes). The OAuth endpoints each workspace serves are documented under "
    "the oauth2 tag. See docs/api.md."
)

# What oauthhub.durations.parse reads.
DURATION_PATTERN = r"^\s*\d{1,9}\s*[smhdSMHD]?\s*$"

_ERRORS = {
    "400": "Invalid request: see errors (validation_error) or detail.",
    "401": "No credentials, or an invalid, expired or revoked token (WWW-Authenticate says which).",
    "403": "Authenticated, but lacking a scope (insufficient_scope) or permission (permission_denied).",
    "404": "No such object among those the caller may manage.",
    "409": "The current state refuses the change (e.g. rotation_refused, system_workspace_protected).",
    "412": "If-Match does not name the current ETag: the object changed since it was read. Nothing was saved.",
    "429": "Too many requests from this client; retry after Retry-After seconds.",
}


# The management API's operations -------------------------------------------------------------


class ManagementSchema(AutoSchema):
    """Tags, operation ids, parameters and error responses of the management API's views.

    A view declares ``schema_tag``; ``operations``, per action, a ``summary``
    and any ``request``/``responses``/``parameters`` that introspection cannot
    see; and which actions take If-Match (``etag_actions``), send an ETag
    (``etag_responses``) or may answer 409 (``conflict_actions``). Views are
    described through these attributes rather than ``@extend_schema``, whose
    decorators bind to the host's DEFAULT_SCHEMA_CLASS at import time.
    """

    def _operation(self) -> dict:
        return getattr(self.view, "operations", {}).get(self.view.action, {})

    def get_tags(self) -> list[str]:
        return [self.view.schema_tag]

    def get_operation_id(self) -> str:
        return f"{self.view.schema_tag}_{self.view.action}".replace("-", "_")

    def get_summary(self) -> str | None:
        return self._operation().get("summary")

    def get_description(self) -> str:
        # The resource's own docstring, not one a mixin lends it.
        return self._operation().get("description") or inspect.cleandoc(type(self.view).__dict__.get("__doc__") or "")

    def get_request_serializer(self):
        operation = self._operation()
        return operation["request"] if "request" in operation else super().get_request_serializer()

    def get_response_serializers(self):
        operation = self._operation()
        return operation["responses"] if "responses" in operation else super().get_response_serializers()

    def get_override_parameters(self) -> list:
        parameters = [*super().get_override_parameters(), *self._operation().get("parameters", ())]
        for name in ("workspace_slug", "slug"):
            if f"{{{name}}}" in self.path:
                # The example is the demo workspace (manage.py oauthhub_demo), which the CI
                # schema check creates, so generated requests also reach real objects.
                parameters.append(OpenApiParameter(
                    name, OpenApiTypes.STR, OpenApiParameter.PATH, description="The workspace's slug.",
                    examples=[OpenApiExample("demo", value="demo")],
                ))
        if self.view.action in getattr(self.view, "etag_actions", ()):
            parameters.append(OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                description="The ETag you read; a stale one answers 412 and nothing is saved.",
            ))
        if self.view.action in getattr(self.view, "etag_responses", ()):
            parameters.append(OpenApiParameter(
                "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                response=[201] if self.view.action == "create" else [200],
                description="Send it back in If-Match to update only what you read.",
            ))
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response")
        codes = {"400", "401", "403", "429"}
        if "{" in path:
            codes.add("404")
        if self.view.action in getattr(self.view, "etag_actions", ()):
            codes.add("412")
        if self.view.action in getattr(self.view, "conflict_actions", ()):
            codes.add("409")
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            responses.setdefault(code, {
                "content": {"application/json": {"schema": error.ref}},
                "description": _ERRORS[code],
            })
        return operation


class PerViewSchema:
    """``schema = PerViewSchema()``: a fresh ManagementSchema for each view instance.

    As DRF's DefaultSchema does. One instance shared by a view class would mix
    up two views inspected at once (two threads serving /api/schema/).
    """

    def __get__(self, instance, owner) -> ManagementSchema:
        schema = ManagementSchema()
        schema.view = instance
        return schema


class DurationFieldExtension(OpenApiSerializerFieldExtension):
    """Seconds out; seconds or ``"15m"``-style text in."""

    target_class = "oauthhub.api.fields.DurationField"

    def map_serializer_field(self, auto_schema, direction):
        seconds = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
        if direction == "response":
            return {**seconds, "description": "Seconds."}
        return {
            "oneOf": [seconds, {"type": "string", "pattern": DURATION_PATTERN}],
            "description": "Seconds, or a duration such as 90s, 15m, 1h, 30d.",
        }


class AdminTokenScheme(OpenApiAuthenticationExtension):
    """Admin tokens: OAuth 2 client credentials at the system workspace's token endpoint."""

    target_class = "oauthhub.api.authentication.AdminTokenAuthentication"
    name = "adminToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "An access token of the system workspace (create a client with "
                           "`manage.py oauthhub_create_admin_client`), sent as Authorization: Bearer.",
            "flows": {"clientCredentials": {"tokenUrl": system_token_url(), "scopes": dict(SYSTEM_SCOPES)}},
        }

    def get_security_requirement(self, auto_schema):
        return {self.name: [READ_SCOPE if auto_schema.method in SAFE_METHODS else WRITE_SCOPE]}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "oauthhub.api.authentication.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
            "description": "A staff user's Django session; writes also need the CSRF token (X-CSRFToken).",
        }


def system_token_url() -> str:
    try:
        return reverse("oauthhub:token", kwargs={"workspace": system_workspace_slug()})
    except NoReverseMatch:  # mounted without the oauthhub namespace
        return f"/{system_workspace_slug()}/oauth2/token"


# The OAuth endpoints ---------------------------------------------------------------------------


class OAuthError(serializers.Serializer):
    error = serializers.CharField(help_text="RFC 6749 §5.2 error code (invalid_client, invalid_grant …).")
    error_description = serializers.CharField(required=False)


class _ClientCredentials(serializers.Serializer):
    client_id = serializers.CharField(required=False, help_text="client_secret_post, or a public client.")
    client_secret = serializers.CharField(required=False, help_text="client_secret_post.")


class TokenRequest(_ClientCredentials):
    grant_type = serializers.ChoiceField(choices=Workspace.GrantType.values)
    code = serializers.CharField(required=False, help_text="authorization_code")
    redirect_uri = serializers.CharField(required=False, help_text="authorization_code")
    code_verifier = serializers.CharField(required=False, help_text="authorization_code (PKCE)")
    refresh_token = serializers.CharField(required=False, help_text="refresh_token")
    scope = serializers.CharField(required=False, help_text="Space-separated scope names.")
    resource = serializers.CharField(required=False, help_text="RFC 8707: the API the token is for.")


class TokenResponse(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds: the lifetime that applied (client, workspace, site).")
    scope = serializers.CharField(required=False)
    refresh_token = serializers.CharField(required=False)
    id_token = serializers.CharField(required=False)


class TokenReference(_ClientCredentials):
    token = serializers.CharField()
    token_type_hint = serializers.ChoiceField(choices=["access_token", "refresh_token"], required=False)


class IntrospectionResponse(serializers.Serializer):
    active = serializers.BooleanField()
    scope = serializers.CharField(required=False)
    client_id = serializers.CharField(required=False)
    sub = serializers.CharField(required=False)
    aud = serializers.JSONField(required=False, help_text="A string or a list of strings.")
    iss = serializers.CharField(required=False)
    exp = serializers.IntegerField(required=False)
    iat = serializers.IntegerField(required=False)
    jti = serializers.CharField(required=False)
    token_type = serializers.CharField(required=False)


class OAuthEndpointSchema(AutoSchema):
    """One of the form-posting protocol endpoints (token, revoke, introspect)."""

    def __init__(self, *, name, summary, description, request, response, statuses) -> None:
        super().__init__()
        self.name, self.summary, self.description = name, summary, description
        self.request_serializer, self.response_serializer, self.statuses = request, response, statuses

    def get_tags(self):
        return ["oauth2"]

    def get_operation_id(self):
        return f"oauth2_{self.name}"

    def get_summary(self):
        return self.summary

    def get_description(self):
        return self.description

    def map_parsers(self):
        return ["application/x-www-form-urlencoded"]

    def get_request_serializer(self):
        return self.request_serializer

    def get_response_serializers(self):
        return {200: self.response_serializer, **{code: OAuthError for code in self.statuses}}

    def get_override_parameters(self):
        return [OpenApiParameter("workspace", OpenApiTypes.STR, OpenApiParameter.PATH,
                                 description="The workspace's slug.")]

    def get_auth(self):
        self.registry.register_on_missing(ResolvedComponent(
            name="clientSecretBasic", type=ResolvedComponent.SECURITY_SCHEMA, object="clientSecretBasic",
            schema={"type": "http", "scheme": "basic", "description": "client_secret_basic (RFC 6749 §2.3.1)."},
        ))
        return [{"clientSecretBasic": []}, {}]  # or client_secret_post / a public client in the body


_OAUTH_ERRORS = (400, 401, 404, 413, 429)


class TokenEndpoint(OpenApiViewExtension):
    target_class = "oauthhub.oauth.views.TokenView"

    def view_replacement(self):
        schema = OAuthEndpointSchema(
            name="token", summary="Token endpoint (RFC 6749)", request=TokenRequest, response=TokenResponse,
            description="Exchange a grant (client credentials, authorization code with PKCE, refresh token) "
                        "for tokens. Admin tokens come from the system workspace's token endpoint.",
            statuses=_OAUTH_ERRORS,
        )
        return type("TokenView", (self.target_class,), {"schema": schema})


class RevocationEndpoint(OpenApiViewExtension):
    target_class = "oauthhub.oauth.views.RevocationView"

    def view_replacement(self):
        schema = OAuthEndpointSchema(
            name="revoke", summary="Revocation (RFC 7009)", request=TokenReference, response=None,
            description="Revoke an access or refresh token of the calling client. Unknown tokens also get 200.",
            statuses=_OAUTH_ERRORS,
        )
        return type("RevocationView", (self.target_class,), {"schema": schema})


class IntrospectionEndpoint(OpenApiViewExtension):
    target_class = "oauthhub.oauth.views.IntrospectionView"

    def view_replacement(self):
        schema = OAuthEndpointSchema(
            name="introspect", summary="Introspection (RFC 7662)", request=TokenReference,
            response=IntrospectionResponse,
            description='What a token is, for an authenticated client of the workspace; {"active": false} '
                        "for anything revoked, expired, unknown, or not the caller's to see.",
            statuses=_OAUTH_ERRORS,
        )
        return type("IntrospectionView", (self.target_class,), {"schema": schema})


_PROTOCOL_VIEWS = {
    "oauthhub.oauth.views.TokenView", "oauthhub.oauth.views.RevocationView", "oauthhub.oauth.views.IntrospectionView",
}


# Generation -------------------------------------------------------------------------------------


def is_documented(callback) -> bool:
    from .views import ManagementView

    cls = getattr(callback, "cls", None)
    if cls is None:
        return False
    return issubclass(cls, ManagementView) or f"{cls.__module__}.{cls.__qualname__}" in _PROTOCOL_VIEWS


class ManagementEndpoints(EndpointEnumerator):
    """Only oauthhub's endpoints, wherever the host mounted them."""

    def get_api_endpoints(self, patterns=None, prefix=""):
        return [endpoint for endpoint in super().get_api_endpoints(patterns, prefix) if is_documented(endpoint[3])]


class ManagementSchemaGenerator(SchemaGenerator):
    endpoint_inspector_cls = ManagementEndpoints

    def get_schema(self, request=None, public=False):
        schema = super().get_schema(request=request, public=public)
        schema["info"] = {"title": TITLE, "version": "1", "description": DESCRIPTION}
        return schema


# Generated schemas by (urlconf, language): nothing in them depends on the database
# or the request, and generating one takes a noticeable fraction of a second.
_generated: dict[tuple, dict] = {}


@receiver(setting_changed)
def _forget_generated(**kwargs) -> None:
    _generated.clear()


class SchemaView(SpectacularAPIView):
    """GET /api/schema/: public, like any API description; YAML, or JSON by Accept (or ?format=json).

    Generated once per process (per urlconf and language), so serving it costs
    no more than any small page.
    """

    generator_class = ManagementSchemaGenerator
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    serve_public = True
    urlconf = None

    def _get_schema_response(self, request):
        key = (getattr(request, "urlconf", None) or settings.ROOT_URLCONF, translation.get_language())
        if key not in _generated:
            _generated[key] = super()._get_schema_response(request).data
        return Response(_generated[key])


class DocsView(SpectacularSwaggerView):
    """GET /api/docs/: Swagger UI from drf-spectacular-sidecar's static files; no CDN."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    url_name = "oauthhub:api:schema"
    title = TITLE

    def _get_schema_url(self, request):
        try:
            return super()._get_schema_url(request)
        except NoReverseMatch:
            return request.path.rsplit("docs/", 1)[0] + "schema/"

    @staticmethod
    def _swagger_ui_resource(filename):
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon():
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
