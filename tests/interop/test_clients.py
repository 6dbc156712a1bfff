"""Third-party OAuth clients (authlib, requests-oauthlib) against a real server process."""

from __future__ import annotations

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from django.contrib.auth import get_user_model
from requests_oauthlib import OAuth2Session as RequestsOAuthlibSession

from tests.interop.conftest import consent

REDIRECT_URI = "https://app.example.com/callback"


@pytest.fixture
def setup(workspace_factory, scope_factory, client_factory):
    ws = workspace_factory("shop", name="Shop", access_token_ttl=900)
    read = scope_factory(ws, "read", description="Read orders", is_default=True)
    write = scope_factory(ws, "write", description="Place orders")
    confidential = client_factory(
        ws, grant_types=["client_credentials", "authorization_code", "refresh_token"],
        scopes=[read, write], redirect_uris=REDIRECT_URI,
    )
    public = client_factory(
        ws, public=True, grant_types=["authorization_code", "refresh_token"],
        scopes=[read], redirect_uris=REDIRECT_URI,
    )
    get_user_model().objects.create_user("bob", password="pw-bob-12345")
    return confidential, public


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch):
    # requests-oauthlib refuses plain http unless told; the server is on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def token_url(server):
    return f"{server.url}/auth/shop/oauth2/token"


def authorize_url(server):
    return f"{server.url}/auth/shop/oauth2/authorize"


def test_authlib_client_credentials_basic_and_post(live_oauthhub, setup):
    confidential, _ = setup
    for method in ("client_secret_basic", "client_secret_post"):
        session = AuthlibSession(
            confidential.client_id, confidential.plain_secret, token_endpoint_auth_method=method, scope="read write"
        )
        token = session.fetch_token(token_url(live_oauthhub), grant_type="client_credentials")
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 900
        assert token["scope"] == "read write"


def test_authlib_authorization_code_with_pkce_then_refresh(live_oauthhub, setup, browser_login):
    confidential, _ = setup
    session = AuthlibSession(
        confidential.client_id, confidential.plain_secret, redirect_uri=REDIRECT_URI,
        scope="read write", code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, state = session.create_authorization_url(authorize_url(live_oauthhub), code_verifier=verifier)
    callback = consent(browser_login(live_oauthhub, "bob", "pw-bob-12345"), url)
    token = session.fetch_token(token_url(live_oauthhub), authorization_response=callback, code_verifier=verifier)
    assert token["scope"] == "read write"
    assert token["expires_in"] == 900
    refreshed = session.refresh_token(token_url(live_oauthhub), refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != token["refresh_token"]


def test_authlib_public_client_with_pkce(live_oauthhub, setup, browser_login):
    _, public = setup
    session = AuthlibSession(
        public.client_id, redirect_uri=REDIRECT_URI, scope="read",
        code_challenge_method="S256", token_endpoint_auth_method="none",
    )
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(authorize_url(live_oauthhub), code_verifier=verifier)
    callback = consent(browser_login(live_oauthhub, "bob", "pw-bob-12345"), url)
    token = session.fetch_token(token_url(live_oauthhub), authorization_response=callback, code_verifier=verifier)
    assert token["scope"] == "read"
    assert "refresh_token" in token


def test_requests_oauthlib_client_credentials(live_oauthhub, setup):
    from oauthlib.oauth2 import BackendApplicationClient

    confidential, _ = setup
    session = RequestsOAuthlibSession(client=BackendApplicationClient(client_id=confidential.client_id))
    token = session.fetch_token(
        token_url(live_oauthhub), client_id=confidential.client_id, client_secret=confidential.plain_secret,
    )
    assert token["expires_in"] == 900
    assert token["scope"] == ["read"]


def test_requests_oauthlib_authorization_code_with_pkce_then_refresh(live_oauthhub, setup, browser_login):
    confidential, _ = setup
    session = RequestsOAuthlibSession(
        confidential.client_id, redirect_uri=REDIRECT_URI, scope=["read"], pkce="S256"
    )
    url, _state = session.authorization_url(authorize_url(live_oauthhub))
    callback = consent(browser_login(live_oauthhub, "bob", "pw-bob-12345"), url)
    token = session.fetch_token(
        token_url(live_oauthhub), authorization_response=callback, client_secret=confidential.plain_secret,
        include_client_id=True,
    )
    assert token["scope"] == ["read"]
    refreshed = session.refresh_token(
        token_url(live_oauthhub), refresh_token=token["refresh_token"],
        auth=(confidential.client_id, confidential.plain_secret),
    )
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["expires_in"] == 900


def test_authlib_sees_rfc_errors(live_oauthhub, setup):
    from authlib.integrations.base_client import OAuthError

    confidential, _ = setup
    session = AuthlibSession(confidential.client_id, "wrong-secret")
    with pytest.raises(OAuthError) as excinfo:
        session.fetch_token(token_url(live_oauthhub), grant_type="client_credentials")
    assert excinfo.value.error == "invalid_client"


def test_authlib_revokes_and_introspects(live_oauthhub, setup, client_factory):
    confidential, _ = setup
    api = client_factory(confidential.workspace, name="orders API", can_introspect=True)
    session = AuthlibSession(confidential.client_id, confidential.plain_secret, scope="read")
    token = session.fetch_token(token_url(live_oauthhub), grant_type="client_credentials")
    introspector = AuthlibSession(api.client_id, api.plain_secret)
    introspect_url = f"{live_oauthhub.url}/auth/shop/oauth2/introspect"
    active = introspector.introspect_token(introspect_url, token=token["access_token"]).json()
    assert active["active"] is True and active["client_id"] == confidential.client_id and active["scope"] == "read"
    revoked = session.revoke_token(f"{live_oauthhub.url}/auth/shop/oauth2/revoke", token=token["access_token"])
    assert revoked.status_code == 200
    assert introspector.introspect_token(introspect_url, token=token["access_token"]).json() == {"active": False}
