"""RFC 7009 revocation endpoint, and what a revocation does everywhere else."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from oauth2_provider.models import AccessToken, RefreshToken

from oauthhub import revocation
from oauthhub.models import IssuedToken
from oauthhub.signals import token_revoked
from tests.conftest import basic_auth
from tests.oauth.test_authorization_code import exchange

REVOKE = "/auth/acme/oauth2/revoke"


@pytest.fixture
def auth(confidential_client):
    return {"HTTP_AUTHORIZATION": basic_auth(confidential_client.client_id, confidential_client.plain_secret)}


@pytest.fixture
def user_tokens(authorize, post_form, confidential_client, pkce):
    code = authorize(confidential_client, pkce[1], scope="read")["code"]
    return exchange(post_form, confidential_client, code, pkce[0]).json()


def cc_token(post_form, oauth_client, scope="read") -> str:
    response = post_form(f"/auth/{oauth_client.workspace.slug}/oauth2/token",
                         {"grant_type": "client_credentials", "scope": scope},
                         HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret))
    return response.json()["access_token"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block as if its transaction committed (on_commit hooks fire), as in production."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def whoami(client, token):
    return client.get("/api-test/whoami", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_revoking_an_access_token(post_form, client, auth, confidential_client, committed):
    token = cc_token(post_form, confidential_client)
    assert whoami(client, token) == 200
    with committed():
        response = post_form(REVOKE, {"token": token, "token_type_hint": "access_token"}, **auth)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not AccessToken.objects.exists()
    assert IssuedToken.objects.get().revoked_at is not None
    assert whoami(client, token) == 401


def test_hint_is_honoured_but_not_trusted(post_form, client, auth, confidential_client, committed):
    token = cc_token(post_form, confidential_client)
    with committed():
        assert post_form(REVOKE, {"token": token, "token_type_hint": "refresh_token"}, **auth).status_code == 200
    assert whoami(client, token) == 401


def test_revoking_a_refresh_token_revokes_its_access_token(post_form, client, auth, user_tokens, committed):
    with committed():
        response = post_form(REVOKE, {"token": user_tokens["refresh_token"]}, **auth)
    assert response.status_code == 200
    assert RefreshToken.objects.get().revoked is not None
    assert whoami(client, user_tokens["access_token"]) == 401
    refreshed = post_form("/auth/acme/oauth2/token",
                          {"grant_type": "refresh_token", "refresh_token": user_tokens["refresh_token"]}, **auth)
    assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("token", ["unknown", "a.b.c", "x" * 5000, "%00"])
def test_unknown_and_malformed_tokens_answer_200(post_form, auth, token):
    assert post_form(REVOKE, {"token": token}, **auth).status_code == 200


def test_another_clients_token_is_not_revoked(post_form, client, auth, workspace, client_factory):
    other = client_factory(workspace, scopes=list(workspace.scopes.all()))
    token = cc_token(post_form, other)
    assert post_form(REVOKE, {"token": token}, **auth).status_code == 200
    assert whoami(client, token) == 200


def test_another_workspaces_token_is_never_touched(post_form, auth, workspace_factory, client_factory):
    other = client_factory(workspace_factory("other"))
    token = cc_token(post_form, other, scope="")
    assert post_form(REVOKE, {"token": token}, **auth).status_code == 200
    assert AccessToken.objects.filter(application=other).exists()


def test_client_authentication_is_required(post_form, confidential_client):
    token = cc_token(post_form, confidential_client)
    response = post_form(REVOKE, {"token": token})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    wrong = post_form(REVOKE, {"token": token}, HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, "x"))
    assert wrong.status_code == 401
    assert AccessToken.objects.exists()


def test_missing_token_is_invalid_request(post_form, auth):
    response = post_form(REVOKE, {"token_type_hint": "access_token"}, **auth)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_cache_flush_never_resurrects_a_revoked_token(post_form, client, auth, confidential_client, committed):
    token = cc_token(post_form, confidential_client)
    with committed():
        post_form(REVOKE, {"token": token}, **auth)
    assert whoami(client, token) == 401
    cache.clear()  # Redis restarted, or FLUSHALL
    assert whoami(client, token) == 401
    assert revocation.load() == 1


def test_the_list_holds_a_token_until_its_expiry_plus_a_margin(post_form, auth, confidential_client, committed):
    from datetime import timedelta

    from django.utils import timezone

    token = cc_token(post_form, confidential_client)
    with committed():
        post_form(REVOKE, {"token": token}, **auth)
    record = IssuedToken.objects.get()
    assert revocation.is_revoked(record.jti)
    # Just expired: still listed, for resource servers that allow some clock skew.
    IssuedToken.objects.update(expires=timezone.now() - timedelta(seconds=30))
    cache.clear()
    assert revocation.is_revoked(record.jti)
    # Long expired: no longer listed (its signature check fails on exp anyway).
    IssuedToken.objects.update(expires=timezone.now() - revocation.MARGIN - timedelta(seconds=1))
    cache.clear()
    assert not revocation.is_revoked(record.jti)


def test_token_revoked_signal(post_form, confidential_client, committed):
    cc_token(post_form, confidential_client)
    seen = []
    token_revoked.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="test")
    try:
        with committed():
            revocation.revoke_client(confidential_client, reason="test")
    finally:
        token_revoked.disconnect(dispatch_uid="test")
    assert [(s["reason"], s["count"], s["workspace"]) for s in seen] == [("test", 1, confidential_client.workspace)]


def test_deleting_a_client_revokes_its_jwts(post_form, client, confidential_client, committed):
    token = cc_token(post_form, confidential_client)
    with committed():
        confidential_client.delete()
    assert whoami(client, token) == 401


def test_disabling_a_client_revokes_its_tokens(post_form, client, confidential_client, workspace, client_factory,
                                               committed):
    token = cc_token(post_form, confidential_client)
    bystander = cc_token(post_form, client_factory(workspace, scopes=list(workspace.scopes.all())))
    confidential_client.enabled = False
    with committed():
        confidential_client.save()
    assert whoami(client, token) == 401
    assert whoami(client, bystander) == 200


def test_a_full_local_memory_cache_never_forgets_a_revocation(post_form, client, auth, confidential_client,
                                                               committed, settings):
    # Local memory holds 300 entries by default and evicts the oldest beyond that.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "OPTIONS": {"MAX_ENTRIES": 10}}}
    token = cc_token(post_form, confidential_client)
    with committed():
        post_form(REVOKE, {"token": token}, **auth)
    for n in range(50):
        cache.set(f"filler-{n}", n)
    assert whoami(client, token) == 401
