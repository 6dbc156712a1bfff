"""Refresh tokens: rotation per workspace, lifetimes, narrowing scope, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from oauthhub.models import RefreshTokenExpiry
from tests.conftest import basic_auth
from tests.oauth.test_authorization_code import exchange

TOKEN = "/auth/acme/oauth2/token"


@pytest.fixture
def tokens(authorize, post_form, confidential_client, pkce):
    """A fresh token response for the confidential client (scopes read + write)."""
    code = authorize(confidential_client, pkce[1], scope="read write")["code"]
    body = exchange(post_form, confidential_client, code, pkce[0]).json()
    assert "refresh_token" in body
    return body


def refresh(post_form, oauth_client, refresh_token, slug="acme", **extra):
    return post_form(
        f"/auth/{slug}/oauth2/token",
        {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra},
        HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret),
    )


def test_rotation_returns_a_new_refresh_token_and_kills_the_old(post_form, confidential_client, tokens):
    first = refresh(post_form, confidential_client, tokens["refresh_token"])
    assert first.status_code == 200, first.content
    new = first.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    replay = refresh(post_form, confidential_client, tokens["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_replaying_a_rotated_token_revokes_the_family(post_form, confidential_client, tokens):
    new = refresh(post_form, confidential_client, tokens["refresh_token"]).json()
    refresh(post_form, confidential_client, tokens["refresh_token"])  # reuse detected
    assert refresh(post_form, confidential_client, new["refresh_token"]).json()["error"] == "invalid_grant"


def test_without_rotation_the_same_refresh_token_comes_back(post_form, confidential_client, workspace, tokens):
    workspace.rotate_refresh_tokens = False
    workspace.save()
    body = refresh(post_form, confidential_client, tokens["refresh_token"]).json()
    assert body["refresh_token"] == tokens["refresh_token"]
    again = refresh(post_form, confidential_client, tokens["refresh_token"])
    assert again.status_code == 200


def test_new_refresh_token_lifetime_is_the_resolved_refresh_ttl(post_form, confidential_client, workspace, tokens):
    workspace.refresh_token_ttl = 7200
    workspace.save()
    refresh(post_form, confidential_client, tokens["refresh_token"])
    live = RefreshToken.objects.filter(revoked__isnull=True).get()
    issued_expiry = live.oauthhub_expiry.expires
    assert 7190 < (issued_expiry - timezone.now()).total_seconds() <= 7200
    confidential_client.refresh_token_ttl = 3600
    confidential_client.save()
    # the token already issued keeps its expiry
    assert RefreshTokenExpiry.objects.get(refresh_token=live).expires == issued_expiry


def test_expired_refresh_token_is_invalid_grant(post_form, confidential_client, tokens):
    RefreshTokenExpiry.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = refresh(post_form, confidential_client, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_may_narrow_scope(post_form, confidential_client, tokens):
    body = refresh(post_form, confidential_client, tokens["refresh_token"], scope="read").json()
    assert body["scope"] == "read"


def test_refresh_may_not_widen_scope(authorize, post_form, confidential_client, pkce):
    code = authorize(confidential_client, pkce[1], scope="read")["code"]
    body = exchange(post_form, confidential_client, code, pkce[0]).json()
    response = refresh(post_form, confidential_client, body["refresh_token"], scope="read write")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_refresh_expires_in_follows_a_ttl_edit(post_form, confidential_client, workspace, tokens):
    workspace.access_token_ttl = 600
    workspace.save()
    assert refresh(post_form, confidential_client, tokens["refresh_token"]).json()["expires_in"] == 600


def test_deactivated_user_cannot_refresh(post_form, confidential_client, user, tokens):
    user.is_active = False
    user.save()
    assert refresh(post_form, confidential_client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_token_of_one_workspace_is_invalid_grant_at_another(
    post_form, tokens, workspace_factory, client_factory
):
    other = workspace_factory("other")
    other_client = client_factory(other, grant_types=["client_credentials", "refresh_token"])
    response = refresh(post_form, other_client, tokens["refresh_token"], slug="other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_token_of_another_client_is_invalid_grant(post_form, workspace, client_factory, tokens):
    thief = client_factory(workspace, grant_types=["client_credentials", "refresh_token"])
    assert refresh(post_form, thief, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_client_without_refresh_grant_cannot_refresh(post_form, confidential_client, tokens):
    confidential_client.grant_types = ["authorization_code", "client_credentials"]
    confidential_client.save()
    response = refresh(post_form, confidential_client, tokens["refresh_token"])
    assert response.json()["error"] == "unauthorized_client"


def test_refresh_tokens_are_stored_only_as_checksums(tokens):
    assert RefreshToken.objects.get().token == ""
    assert AccessToken.objects.get().token == ""


def test_without_rotation_a_refresh_supersedes_the_previous_access_token(
    post_form, client, confidential_client, workspace, tokens, django_capture_on_commit_callbacks
):
    workspace.rotate_refresh_tokens = False
    workspace.save()
    with django_capture_on_commit_callbacks(execute=True):
        new = refresh(post_form, confidential_client, tokens["refresh_token"]).json()
    whoami = "/api-test/whoami"
    assert client.get(whoami, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code == 401
    assert client.get(whoami, HTTP_AUTHORIZATION=f"Bearer {new['access_token']}").status_code == 200
