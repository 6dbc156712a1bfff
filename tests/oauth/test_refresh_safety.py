"""Refresh and code safety: reuse detection, grace period, one winner in a race, security events."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from oauth2_provider.models import AccessToken, RefreshToken

from oauthhub.models import AuditEvent
from tests.conftest import basic_auth
from tests.oauth.test_authorization_code import exchange
from tests.oauth.test_refresh_token import refresh


@pytest.fixture
def tokens(authorize, post_form, confidential_client, pkce):
    code = authorize(confidential_client, pkce[1], scope="read")["code"]
    return exchange(post_form, confidential_client, code, pkce[0]).json()


def whoami(client, token):
    return client.get("/api-test/whoami", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_reuse_revokes_the_family_and_is_audited(post_form, client, confidential_client, tokens,
                                                  django_capture_on_commit_callbacks):
    new = refresh(post_form, confidential_client, tokens["refresh_token"]).json()
    with django_capture_on_commit_callbacks(execute=True):
        replay = refresh(post_form, confidential_client, tokens["refresh_token"])
    assert replay.json()["error"] == "invalid_grant"
    assert refresh(post_form, confidential_client, new["refresh_token"]).json()["error"] == "invalid_grant"
    assert whoami(client, new["access_token"]) == 401
    first_event = AuditEvent.objects.filter(action="reuse_detected").order_by("pk").first()
    assert first_event.detail["refresh_tokens"] == 1 and first_event.detail["access_tokens"] == 1
    assert first_event.workspace.slug == "acme"


def test_grace_period_lets_a_retry_through_without_revoking(post_form, confidential_client, workspace, tokens):
    workspace.refresh_token_grace_period = 30
    workspace.save()
    refresh(post_form, confidential_client, tokens["refresh_token"])  # its response is lost on the way
    retry = refresh(post_form, confidential_client, tokens["refresh_token"])
    assert retry.status_code == 200, retry.content
    # the family goes on from the retry, with one live refresh token, and nothing was revoked as reuse
    live = RefreshToken.objects.filter(revoked__isnull=True)
    assert live.count() == 1
    assert refresh(post_form, confidential_client, retry.json()["refresh_token"]).status_code == 200
    assert not AuditEvent.objects.filter(action="reuse_detected").exists()


def test_after_the_grace_period_a_retry_is_reuse(post_form, confidential_client, workspace, tokens):
    from datetime import timedelta

    from django.utils import timezone

    workspace.refresh_token_grace_period = 30
    workspace.save()
    refresh(post_form, confidential_client, tokens["refresh_token"])
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(seconds=31))
    assert refresh(post_form, confidential_client, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_deliberately_revoked_token_gets_no_grace(post_form, confidential_client, workspace, tokens):
    workspace.refresh_token_grace_period = 300
    workspace.save()
    post_form("/auth/acme/oauth2/revoke", {"token": tokens["refresh_token"]},
              HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret))
    assert refresh(post_form, confidential_client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_second_use_of_a_code_revokes_what_the_first_produced(authorize, post_form, client, confidential_client,
                                                              pkce, django_capture_on_commit_callbacks):
    code = authorize(confidential_client, pkce[1], scope="read")["code"]
    first = exchange(post_form, confidential_client, code, pkce[0]).json()
    assert whoami(client, first["access_token"]) == 200
    with django_capture_on_commit_callbacks(execute=True):
        second = exchange(post_form, confidential_client, code, pkce[0])
    assert second.json()["error"] == "invalid_grant"
    assert whoami(client, first["access_token"]) == 401
    assert refresh(post_form, confidential_client, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(action="reuse_detected", target__startswith="authorization").exists()


def test_logout_revokes_the_refresh_tokens_that_session_consented_to(authorize, client, post_form,
                                                                     confidential_client, pkce):
    code = authorize(confidential_client, pkce[1], scope="read")["code"]  # logs "alice" in on `client`
    mine = exchange(post_form, confidential_client, code, pkce[0]).json()
    client.post("/accounts/logout/")
    assert refresh(post_form, confidential_client, mine["refresh_token"]).json()["error"] == "invalid_grant"


def test_logout_leaves_other_sessions_alone(authorize, client, post_form, confidential_client, pkce, user):
    from django.test import Client as Browser

    code = authorize(confidential_client, pkce[1], scope="read")["code"]
    other_session = exchange(post_form, confidential_client, code, pkce[0]).json()
    browser = Browser()
    browser.force_login(user)
    browser.post("/accounts/logout/")
    assert refresh(post_form, confidential_client, other_session["refresh_token"]).status_code == 200


def test_logout_revocation_can_be_turned_off(authorize, client, post_form, confidential_client, pkce, settings):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "REVOKE_ON_LOGOUT": False}
    code = authorize(confidential_client, pkce[1], scope="read")["code"]
    mine = exchange(post_form, confidential_client, code, pkce[0]).json()
    client.post("/accounts/logout/")
    assert refresh(post_form, confidential_client, mine["refresh_token"]).status_code == 200


@pytest.mark.parametrize("event", ["password", "deactivate"])
def test_password_change_or_deactivation_revokes_everything(post_form, client, confidential_client, tokens, user,
                                                            event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        if event == "password":
            user.set_password("a-new-password-123")
        else:
            user.is_active = False
        user.save()
    assert whoami(client, tokens["access_token"]) == 401
    assert refresh(post_form, confidential_client, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(action="tokens_revoked", detail__reason__in=[
        "password changed", "user deactivated"]).count() == 1


def test_a_login_does_not_revoke_anything(client, tokens, user, post_form, confidential_client):
    client.force_login(user)  # updates last_login only
    assert refresh(post_form, confidential_client, tokens["refresh_token"]).status_code == 200


# The race ---------------------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_refreshes_yield_exactly_one_success(workspace_factory, scope_factory, client_factory):
    """N requests with one refresh token at once, on PostgreSQL's row locks: one new pair, the rest invalid_grant."""
    from django.test import Client as HttpClient

    ws = workspace_factory("race")
    read = scope_factory(ws, "read", is_default=True)
    c = client_factory(ws, grant_types=["client_credentials", "authorization_code", "refresh_token"],
                       scopes=[read], redirect_uris="https://app.example.com/callback")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("racer", password="pw-racer-123")
    grant_refresh = _refresh_token_for(c, user)
    results, barrier = [], threading.Barrier(8)

    def attempt():
        try:
            barrier.wait()
            response = HttpClient().post(
                "/auth/race/oauth2/token", f"grant_type=refresh_token&refresh_token={grant_refresh}",
                content_type="application/x-www-form-urlencoded",
                HTTP_AUTHORIZATION=basic_auth(c.client_id, c.plain_secret))
            results.append((response.status_code, response.json().get("error")))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [(200, None)] + [(400, "invalid_grant")] * 7
    # Never a fork of the family. (A duplicate that arrives only after the winner
    # committed is plain reuse and revokes the family, winner included: then none.)
    assert RefreshToken.objects.filter(revoked__isnull=True).count() <= 1
    assert AccessToken.objects.filter(user=user).count() <= 1


def _refresh_token_for(oauth_client, user) -> str:
    """Issue a refresh token the way the code grant does, through oauthhub's own validator."""
    from django.test import Client as HttpClient

    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlencode, urlsplit

    from tests.conftest import REDIRECT_URI

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = HttpClient()
    browser.force_login(user)
    query = urlencode({"response_type": "code", "client_id": oauth_client.client_id, "redirect_uri": REDIRECT_URI,
                       "scope": "read", "code_challenge": challenge, "code_challenge_method": "S256"})
    page = browser.get(f"/auth/race/oauth2/authorize?{query}")
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data["allow"] = "Authorize"
    location = browser.post(f"/auth/race/oauth2/authorize?{query}", data)["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = browser.post(
        "/auth/race/oauth2/token",
        urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                   "code_verifier": verifier}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret))
    return response.json()["refresh_token"]
