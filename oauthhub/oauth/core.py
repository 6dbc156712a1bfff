"""Glue between Django requests and oauthlib (django-oauth-toolkit's OAuthLibCore)."""

from __future__ import annotations

from functools import lru_cache

from oauth2_provider.oauth2_backends import OAuthLibCore

from .. import tokens
from .issuer import issuer
from .server import Server
from .validator import WORKSPACE_KEY, Validator


class WorkspaceOAuthLibCore(OAuthLibCore):
    """Hands oauthlib the request's workspace and the body exactly as sent."""

    def extract_headers(self, request):
        headers = super().extract_headers(request)
        # A META-style key without the HTTP_ prefix: no client header can set it.
        headers[WORKSPACE_KEY] = request.oauthhub_workspace
        headers[tokens.ISSUER_KEY] = issuer(request, request.oauthhub_workspace)
        return headers

    def extract_body(self, request):
        # Every value is kept: the token view has refused repeated parameters
        # already, except RFC 8707's resource, which may repeat. Codes are stored
        # as digests, so the presented code is hashed before oauthlib looks it up.
        return [
            (key, tokens.hash_code(value) if key == "code" else value)
            for key, values in request.POST.lists()
            for value in values
        ]


@lru_cache(maxsize=1)
def get_core() -> WorkspaceOAuthLibCore:
    """One oauthlib server per process; it holds no per-workspace state."""
    return WorkspaceOAuthLibCore(Server(Validator()))
