"""RFC 7662 introspection: who may ask, and what an active or dead token looks like."""

from __future__ import annotations

import jwt as pyjwt
import pytest
from django.utils import timezone

from oauthhub import keys
from oauthhub.models import SigningKey
from tests.conftest import basic_auth
from tests.oauth.test_authorization_code import exchange

INTROSPECT = "/auth/acme/oauth2/introspect"


def issue(post_form, oauth_client, scope="read") -> dict:
    return post_form(f"/auth/{oauth_client.workspace.slug}/oauth2/token",
                     {"grant_type": "client_credentials", "scope": scope},
                     HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret)).json()


@pytest.fixture
def api(workspace, client_factory):
    """A resource server's client: allowed to introspect any token of the workspace."""
    return client_factory(workspace, name="orders API", can_introspect=True)


def ask(post_form, caller, token, **extra):
    response = post_form(INTROSPECT, {"token": token, **extra},
                         HTTP_AUTHORIZATION=basic_auth(caller.client_id, caller.plain_secret))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()


def test_active_jwt(post_form, api, confidential_client):
    body = issue(post_form, confidential_client)
    claims = pyjwt.decode(body["access_token"], options={"verify_signature": False})
    result = ask(post_form, api, body["access_token"])
    assert result == {
        "active": True, "scope": "read", "client_id": confidential_client.client_id,
        "sub": confidential_client.client_id, "aud": claims["aud"], "iss": "http://testserver/auth/acme",
        "exp": claims["exp"], "iat": claims["iat"], "token_type": "Bearer", "jti": claims["jti"],
    }


def test_active_opaque_token(post_form, api, confidential_client, workspace):
    workspace.token_format = "opaque"
    workspace.save()
    result = ask(post_form, api, issue(post_form, confidential_client)["access_token"])
    assert result["active"] is True and result["token_type"] == "Bearer" and result["jti"]
    assert result["aud"] == "http://testserver/auth/acme"


def test_active_refresh_token(authorize, post_form, api, confidential_client, pkce, user):
    code = authorize(confidential_client, pkce[1])["code"]
    tokens = exchange(post_form, confidential_client, code, pkce[0]).json()
    result = ask(post_form, api, tokens["refresh_token"], token_type_hint="refresh_token")
    assert result["active"] is True and result["token_type"] == "refresh_token"
    assert result["sub"] == str(user.pk) and result["scope"] == "read"


def test_a_client_may_introspect_its_own_tokens(post_form, confidential_client):
    token = issue(post_form, confidential_client)["access_token"]
    assert ask(post_form, confidential_client, token)["active"] is True


def test_another_client_without_the_flag_learns_nothing(post_form, confidential_client, workspace, client_factory):
    nosy = client_factory(workspace)
    token = issue(post_form, confidential_client)["access_token"]
    assert ask(post_form, nosy, token) == {"active": False}


def test_token_of_another_workspace_is_inactive(post_form, api, workspace_factory, client_factory):
    other = client_factory(workspace_factory("other"))
    assert ask(post_form, api, issue(post_form, other, scope="")["access_token"]) == {"active": False}


def test_caller_of_another_workspace_cannot_authenticate(post_form, confidential_client, workspace_factory,
                                                         client_factory):
    outsider = client_factory(workspace_factory("other"), can_introspect=True)
    token = issue(post_form, confidential_client)["access_token"]
    response = post_form(INTROSPECT, {"token": token},
                         HTTP_AUTHORIZATION=basic_auth(outsider.client_id, outsider.plain_secret))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_unauthenticated_caller_is_refused(post_form, confidential_client):
    token = issue(post_form, confidential_client)["access_token"]
    assert post_form(INTROSPECT, {"token": token}).status_code == 401


def test_expired_token_is_inactive(post_form, api, confidential_client):
    from oauth2_provider.models import AccessToken

    token = issue(post_form, confidential_client)["access_token"]
    AccessToken.objects.update(expires=timezone.now())
    assert ask(post_form, api, token) == {"active": False}


def test_revoked_token_is_inactive(post_form, api, confidential_client):
    token = issue(post_form, confidential_client)["access_token"]
    post_form("/auth/acme/oauth2/revoke", {"token": token},
              HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret))
    assert ask(post_form, api, token) == {"active": False}


def test_token_signed_by_a_revoked_key_is_inactive(post_form, api, confidential_client, workspace):
    token = issue(post_form, confidential_client)["access_token"]
    keys.rotate(workspace, force=True)
    assert ask(post_form, api, token)["active"] is True  # retired key: still fine
    keys.revoke(SigningKey.objects.get(workspace=workspace, state="retired"))
    assert ask(post_form, api, token) == {"active": False}


@pytest.mark.parametrize("token", ["unknown", "a.b.c", "x" * 9000, "eyJ.eyJ.sig"])
def test_unknown_and_malformed_tokens_are_inactive(post_form, api, token):
    assert ask(post_form, api, token) == {"active": False}


def test_missing_token_is_invalid_request(post_form, api):
    response = post_form(INTROSPECT, {}, HTTP_AUTHORIZATION=basic_auth(api.client_id, api.plain_secret))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


