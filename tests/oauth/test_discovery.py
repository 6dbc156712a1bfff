"""OIDC discovery and RFC 8414 metadata, per workspace, carrying the mount prefix."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path", ["/auth/acme/.well-known/openid-configuration", "/auth/.well-known/oauth-authorization-server/acme"]
)
def test_metadata_describes_this_workspace_only(client, workspace, workspace_factory, scope_factory, path):
    scope_factory(workspace_factory("other"), "secret-scope")
    response = client.get(path)
    assert response.status_code == 200
    meta = response.json()
    assert meta["issuer"] == "http://testserver/auth/acme"
    assert meta["token_endpoint"] == "http://testserver/auth/acme/oauth2/token"
    assert meta["authorization_endpoint"] == "http://testserver/auth/acme/oauth2/authorize"
    assert meta["revocation_endpoint"] == "http://testserver/auth/acme/oauth2/revoke"
    assert meta["introspection_endpoint"] == "http://testserver/auth/acme/oauth2/introspect"
    assert meta["scopes_supported"] == ["read", "write"]
    assert meta["grant_types_supported"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post", "none"}
    assert meta["response_types_supported"] == ["code"]
    assert meta["jwks_uri"] == "http://testserver/auth/acme/.well-known/jwks.json"
    assert meta["access_token_signing_alg_values_supported"] == ["ES256"]


def test_issuer_base_url_setting_wins(client, workspace, settings):
    settings.OAUTHHUB = {"ISSUER_BASE_URL": "https://id.example.com/auth/"}
    meta = client.get("/auth/acme/.well-known/openid-configuration").json()
    assert meta["issuer"] == "https://id.example.com/auth/acme"
    assert meta["token_endpoint"] == "https://id.example.com/auth/acme/oauth2/token"


def test_grant_types_follow_the_workspace(client, workspace):
    workspace.grant_types = ["client_credentials"]
    workspace.save()
    meta = client.get("/auth/acme/.well-known/openid-configuration").json()
    assert meta["grant_types_supported"] == ["client_credentials"]


def test_unknown_and_disabled_workspaces_are_404(client, workspace):
    assert client.get("/auth/nope/.well-known/openid-configuration").status_code == 404
    workspace.enabled = False
    workspace.save()
    assert client.get("/auth/acme/.well-known/openid-configuration").status_code == 404
    assert client.get("/auth/.well-known/oauth-authorization-server/acme").status_code == 404


def test_authlib_reads_the_metadata(client, workspace):
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    response = client.get("/auth/.well-known/oauth-authorization-server/acme", secure=True)
    metadata = AuthorizationServerMetadata(response.json())
    metadata.validate()  # every RFC 8414 rule authlib knows
    assert metadata["issuer"] == "https://testserver/auth/acme"
