"""Glue between Django requests and oauthlib (django-oauth-toolkit's OAuthLibCore)."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from oauth2_provider.oauth2_backends import OAuthLibCore

from .. import tokens
from .issuer import issuer
from .server import Server
from .validator import SESSION_KEY, WORKSPACE_KEY, Validator


class WorkspaceOAuthLibCore(OAuthLibCore):
    """Hands oauthlib the request's workspace and the body exactly as sent."""

    def extract_headers(self, request):
        headers = super().extract_headers(request)
        # A META-style key without the HTTP_ prefix: no client header can set it.
        headers[WORKSPACE_KEY] = request.oauthhub_workspace
        headers[tokens.ISSUER_KEY] = issuer(request, request.oauthhub_workspace)
        session_key = getattr(getattr(request, "session", None), "session_key", None)
        if session_key:
            headers[SESSION_KEY] = hashlib.sha256(session_key.encode()).hexdigest()
        return headers

    def create_introspect_response(self, request):
        """RFC 7662, which DOT's OAuthLibCore does not wrap."""
        uri, http_method, body, headers = self._extract_params(request)
        headers, body, status = self.server.create_introspect_response(uri, http_method, body, headers)
        return None, headers, body, status

    def extract_body(self, request):
        # Every value is kept: the token view has refused repeated parameters
        # already, except RFC 8707's resource, which may repeat. Codes are stored
        # as digests, so the presented code is hashed before oauthlib looks it up.
        # A blank scope means none was asked for (oauthlib would read it as the
        # scope "" and refuse it); runs of spaces between scopes are forgiven.
        body = []
        for key, values in request.POST.lists():
            for value in values:
                if key == "code":
                    value = tokens.hash_code(value)
                elif key == "scope":
                    value = " ".join(value.split())
                    if not value:
                        continue
                body.append((key, value))
        return body


@lru_cache(maxsize=1)
def get_core() -> WorkspaceOAuthLibCore:
    """One oauthlib server per process; it holds no per-workspace state."""
    return WorkspaceOAuthLibCore(Server(Validator()))
