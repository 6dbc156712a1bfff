"""Protocol endpoints: token (DRF), authorization (login + consent), discovery."""

from __future__ import annotations

import hashlib
import json
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.core.cache import caches
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.decorators import method_decorator
from django.utils.http import quote_etag
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.forms import AllowForm
from oauth2_provider.views import AuthorizationView as DOTAuthorizationView
from rest_framework import exceptions as drf_exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from .. import keys
from ..cache import get_enabled_workspace
from ..conf import hub_settings
from ..exceptions import KeyDecryptionError
from ..models import Workspace
from .core import get_core
from .issuer import endpoint, issuer

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
log = logging.getLogger(__name__)


def resolve_workspace(request, slug: str) -> Workspace:
    workspace = get_enabled_workspace(slug)
    if workspace is None:
        raise Http404("No such workspace.")
    request.oauthhub_workspace = workspace
    return workspace


def oauth_error(error: str, description: str, status: int = 400, headers=None) -> HttpResponse:
    """An RFC 6749 §5.2 error body, never cached."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class TokenEndpointThrottle(SimpleRateThrottle):
    """Requests per client address per workspace; off unless OAUTHHUB sets a rate."""

    scope = "oauthhub-token"

    @property
    def cache(self):
        return caches[hub_settings.CACHE_ALIAS]

    def get_rate(self):
        return hub_settings.TOKEN_ENDPOINT_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": f"{self.scope}:{view.kwargs['workspace']}",
            "ident": self.get_ident(request),
        }


class OAuthEndpoint(APIView):
    """Base for form-posting OAuth endpoints: errors always in RFC 6749 JSON."""

    authentication_classes = ()
    permission_classes = ()
    parser_classes = ()
    renderer_classes = (JSONRenderer,)
    throttle_classes = (TokenEndpointThrottle,)

    def initial(self, request, *args, **kwargs):
        resolve_workspace(request._request, kwargs["workspace"])
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, Http404):
            return oauth_error("not_found", "No such workspace.", status=404)
        if isinstance(exc, drf_exceptions.MethodNotAllowed):
            return oauth_error(
                "invalid_request", "Use POST.", status=405, headers={"Allow": ", ".join(self.allowed_methods)}
            )
        if isinstance(exc, drf_exceptions.Throttled):
            return oauth_error(
                "temporarily_unavailable",
                "Too many requests; retry later.",
                status=429,
                headers={"Retry-After": str(int(exc.wait or 1))},
            )
        if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
            return oauth_error("invalid_request", "The request body is too large.", status=413)
        if isinstance(exc, KeyDecryptionError):
            log.error("%s cannot sign: %s", self.request.path, exc)
            return oauth_error(
                "server_error",
                "The workspace's signing key is unavailable; an administrator must restore its "
                "key-encryption key. Nothing was issued.",
                status=500,
            )
        # Anything else is our fault (a database or cache outage, a bug): log it
        # with its traceback and still answer in the protocol's own terms.
        log.exception("unexpected error at %s", self.request.path)
        return oauth_error("server_error", "The authorization server failed; retry later.", status=500)

    def form_request_error(self, request) -> HttpResponse | None:
        """Refuse what oauthlib should never see: a body that is not a plain form."""
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type != FORM_CONTENT_TYPE:
            return oauth_error("invalid_request", f"Send the parameters as {FORM_CONTENT_TYPE}.")
        form = request._request.POST  # parsed now, so a body over the limits raises here
        if any("\x00" in key or "\x00" in value for key, values in form.lists() for value in values):
            # No OAuth parameter may hold a NUL, and databases refuse it in text.
            return oauth_error("invalid_request", "Parameters must not contain NUL characters.")
        repeated = sorted(key for key, values in form.lists() if len(values) > 1 and key != "resource")
        if repeated:
            # RFC 6749 §3.2; only RFC 8707's resource may repeat.
            return oauth_error("invalid_request", f"Parameter repeated: {', '.join(repeated)}.")
        if request.query_params:
            return oauth_error("invalid_request", "Send parameters in the request body, not the URL query.")
        return None

    def oauthlib_response(self, headers, body, status) -> HttpResponse:
        response = HttpResponse(body, status=status, content_type="application/json")
        for name, value in headers.items():
            response[name] = value
        # Every answer of these endpoints concerns credentials: never cache it,
        # including the errors DOT passes on without these headers.
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        if status == 401:
            # RFC 6749 §5.2: answer with the scheme the client may authenticate with.
            response["WWW-Authenticate"] = f'Basic realm="{self.request.oauthhub_workspace.slug}"'
        return response

    def form_post(self, request, respond) -> HttpResponse:
        """Check the form, then hand the request to oauthlib through ``respond``."""
        refused = self.form_request_error(request)
        if refused:
            return refused
        _url, headers, body, status = respond(request._request)
        return self.oauthlib_response(headers, body, status)


class TokenView(OAuthEndpoint):
    def post(self, request, workspace):
        return self.form_post(request, self.create_token_response)

    @staticmethod
    def create_token_response(django_request):
        if not django_request.POST.get("grant_type"):
            # oauthlib would call this unsupported_grant_type; RFC 6749 §5.2 says
            # a missing parameter is invalid_request.
            body = {"error": "invalid_request", "error_description": "Missing grant_type parameter."}
            return None, {}, json.dumps(body), 400
        return get_core().create_token_response(django_request)


class RevocationView(OAuthEndpoint):
    """RFC 7009. Unknown, malformed or foreign tokens still get 200, as the RFC says."""

    def post(self, request, workspace):
        return self.form_post(request, get_core().create_revocation_response)


class IntrospectionView(OAuthEndpoint):
    """RFC 7662, for clients of this workspace (see Validator.introspect_token)."""

    def post(self, request, workspace):
        return self.form_post(request, get_core().create_introspect_response)


class ConsentForm(AllowForm):
    # A client may ask for no scope at all; DOT's form would refuse the blank field.
    scope = forms.CharField(required=False, widget=forms.HiddenInput())


@method_decorator(never_cache, name="dispatch")
class AuthorizationView(DOTAuthorizationView):
    """Authorization endpoint: Django login, then a consent page for the workspace's scopes."""

    template_name = "oauthhub/authorize.html"
    form_class = ConsentForm

    def dispatch(self, request, *args, **kwargs):
        self.workspace = resolve_workspace(request, kwargs["workspace"])
        return super().dispatch(request, *args, **kwargs)

    @classmethod
    def get_oauthlib_core(cls):
        return get_core()

    def get(self, request, *args, **kwargs):
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        client = self.workspace.clients.get(client_id=credentials["client_id"])
        if client.skip_authorization:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
            return self.redirect(uri, client)
        self.oauth2_data = {**credentials, "scopes": scopes}
        descriptions = dict(self.workspace.scopes.filter(name__in=scopes).values_list("name", "description"))
        context = {
            "application": client,
            "workspace": self.workspace,
            "scopes": [(name, descriptions.get(name) or name) for name in scopes],
            "form": self.get_form(),
        }
        return self.render_to_response(self.get_context_data(**context))

    def form_valid(self, form):
        # The hidden fields can be tampered with; an unknown client must not 500.
        if not self.workspace.clients.filter(client_id=form.cleaned_data.get("client_id")).exists():
            return self.render_to_response({"error": {"error": "invalid_client"}}, status=400)
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("workspace", self.workspace)
        return super().get_context_data(**kwargs)

    def redirect(self, redirect_to, application):
        # RFC 9207: tell the client which issuer answered, against mix-up attacks.
        parts = urlsplit(redirect_to)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "iss"]
        query.append(("iss", issuer(self.request, self.workspace)))
        return super().redirect(urlunsplit(parts._replace(query=urlencode(query))), application)


@require_safe
def discovery(request, workspace):
    """OIDC discovery and RFC 8414 metadata, for this workspace only."""
    ws = get_enabled_workspace(workspace)
    if ws is None:
        return oauth_error("not_found", "No such workspace.", status=404)
    grant_types = [g for g in Workspace.GrantType.values if ws.allows_grant_type(g)]
    metadata = {
        "issuer": issuer(request, ws),
        "authorization_endpoint": endpoint(request, ws, "authorize"),
        "token_endpoint": endpoint(request, ws, "token"),
        "revocation_endpoint": endpoint(request, ws, "revoke"),
        "introspection_endpoint": endpoint(request, ws, "introspect"),
        "scopes_supported": list(ws.scopes.order_by("name").values_list("name", flat=True)),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grant_types,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "subject_types_supported": ["public"],
        "jwks_uri": f"{issuer(request, ws)}/.well-known/jwks.json",
        "access_token_signing_alg_values_supported": sorted(
            {key.algorithm for key in keys.workspace_keys(ws.pk).values() if key.public_jwk}
        ),
    }
    response = HttpResponse(json.dumps(metadata), content_type="application/json")
    response["Cache-Control"] = f"public, max-age={hub_settings.WORKSPACE_CACHE_SECONDS}"
    return response


@require_safe
def jwks(request, workspace):
    """The workspace's public keys (next, active, retired); never a private or shared key."""
    ws = get_enabled_workspace(workspace)
    if ws is None:
        return oauth_error("not_found", "No such workspace.", status=404)
    body = json.dumps(keys.jwks(ws.pk), sort_keys=True)
    response = HttpResponse(body, content_type="application/jwk-set+json")
    response["ETag"] = quote_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    response["Cache-Control"] = f"public, max-age={hub_settings.JWKS_MAX_AGE}"
    return get_conditional_response(request, etag=response["ETag"], response=response)
