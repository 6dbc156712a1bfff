"""``oauthhub_cleartokens``: exactly the dead rows go, the live ones (and the tombstones still needed) stay."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from oauthhub import revocation
from oauthhub.models import Authorization, IssuedToken, RefreshTokenExpiry
from tests.admin.conftest import access_row, cc_token, jti, refresh_row, user_tokens
from tests.conftest import REDIRECT_URI, basic_auth

COMMAND = "oauthhub_cleartokens"
KINDS = ("refresh tokens", "access tokens", "ID tokens", "authorization codes", "token records", "authorizations")


def counts(out: str) -> dict[str, int]:
    """The command's report, ``{kind: count}``; every line must be one."""
    found = {}
    for line in out.splitlines():
        match = re.fullmatch(r"\s*(\d+) (.+) deleted", line)
        assert match, line
        found[match[2]] = int(match[1])
    return found


def past(**delta) -> timezone.datetime:
    return timezone.now() - timedelta(**delta)


def expire_access(tokens: dict) -> None:
    """An access token (and its record, which shares its expiry) expired an hour ago."""
    AccessToken.objects.filter(pk=access_row(tokens["access_token"]).pk).update(expires=past(hours=1))
    IssuedToken.objects.filter(jti=jti(tokens["access_token"])).update(expires=past(hours=1))


def expire_refresh(refresh_token: str) -> None:
    RefreshTokenExpiry.objects.filter(refresh_token=refresh_row(refresh_token)).update(expires=past(hours=1))


def record(token: str) -> IssuedToken | None:
    return IssuedToken.objects.filter(jti=jti(token)).first()


def revoke(access_token: str, refresh_token: str | None = None) -> None:
    revocation.revoke(
        access_tokens=AccessToken.objects.filter(pk=access_row(access_token).pk),
        refresh_tokens=RefreshToken.objects.filter(pk=refresh_row(refresh_token).pk)
        if refresh_token else RefreshToken.objects.none(),
        workspace=None,
        reason="test",
    )


def refresh(post_form, oauth_client, refresh_token: str):
    return post_form(
        "/auth/acme/oauth2/token", {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret),
    )


def code_only(client, user, oauth_client, pkce) -> tuple[Grant, Authorization]:
    """Consent without exchanging the code: a Grant row and its Authorization."""
    from urllib.parse import urlencode

    client.force_login(user)
    query = urlencode({
        "response_type": "code", "client_id": oauth_client.client_id, "redirect_uri": REDIRECT_URI,
        "scope": "read", "code_challenge": pkce[1], "code_challenge_method": "S256",
    })
    page = client.get(f"/auth/acme/oauth2/authorize?{query}")
    data = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    assert client.post(f"/auth/acme/oauth2/authorize?{query}", {**data, "allow": "Authorize"}).status_code == 302
    return Grant.objects.latest("pk"), Authorization.objects.latest("pk")


@pytest.fixture
def rows(confidential_client, user, post_form, client, pkce):
    """One row of every fate; the names say what cleanup must do with them."""
    app = confidential_client
    live_cc = cc_token(post_form, app)
    expired_cc = cc_token(post_form, app)
    revoked_cc = cc_token(post_form, app)
    revoked_expired_cc = cc_token(post_form, app)
    live_pair = user_tokens(post_form, app, user)
    stale_pair = user_tokens(post_form, app, user)  # access token expired, refresh token live
    dead_pair = user_tokens(post_form, app, user)  # both expired
    rotated = user_tokens(post_form, app, user)  # refreshed: old refresh token revoked, then expired
    rotated_new = refresh(post_form, app, rotated["refresh_token"]).json()
    revoked_pair = user_tokens(post_form, app, user)  # revoked, not expired: a tombstone

    expire_access(expired_cc)
    revoke(revoked_cc["access_token"])
    revoke(revoked_expired_cc["access_token"])
    # Expired beyond the revocation list's margin: nothing needs its record any more.
    IssuedToken.objects.filter(jti=jti(revoked_expired_cc["access_token"])).update(
        expires=past(seconds=revocation.MARGIN.total_seconds() + 60)
    )
    expire_access(stale_pair)
    stale_access = access_row(stale_pair["access_token"])
    expire_access(dead_pair)
    expire_refresh(dead_pair["refresh_token"])
    expire_refresh(rotated["refresh_token"])
    revoke(revoked_pair["access_token"], revoked_pair["refresh_token"])

    live_grant, _ = code_only(client, user, app, pkce)
    expired_grant, old_authorization = code_only(client, user, app, pkce)
    Grant.objects.filter(pk=expired_grant.pk).update(expires=past(seconds=1))
    # Consents are remembered as long as a session may live (two weeks by default), then go.
    Authorization.objects.filter(pk=old_authorization.pk).update(created_at=past(days=15))
    Authorization.objects.filter(token_family=refresh_row(dead_pair["refresh_token"]).token_family).update(
        created_at=past(days=14, seconds=1)
    )
    return locals()


def test_deletes_exactly_the_dead_rows(run, rows):
    before = {
        "access": set(AccessToken.objects.values_list("pk", flat=True)),
        "refresh": set(RefreshToken.objects.values_list("pk", flat=True)),
        "records": set(IssuedToken.objects.values_list("jti", flat=True)),
        "grants": set(Grant.objects.values_list("pk", flat=True)),
        "authorizations": set(Authorization.objects.values_list("pk", flat=True)),
    }
    dead_access = {access_row(rows[name]["access_token"]).pk for name in ("expired_cc", "dead_pair")}
    dead_refresh = {refresh_row(rows[name]["refresh_token"]).pk for name in ("dead_pair", "rotated")}
    # The stale pair's record stays with its access token, which a live refresh token keeps.
    dead_records = {jti(rows[name]["access_token"]) for name in ("expired_cc", "revoked_expired_cc", "dead_pair")}
    dead_authorizations = {
        rows["old_authorization"].pk,
        Authorization.objects.get(token_family=refresh_row(rows["dead_pair"]["refresh_token"]).token_family).pk,
    }

    out = run(COMMAND)

    assert counts(out) == {
        "refresh tokens": 2, "access tokens": 2, "ID tokens": 0, "authorization codes": 1, "token records": 3,
        "authorizations": 2,
    }
    assert set(AccessToken.objects.values_list("pk", flat=True)) == before["access"] - dead_access
    assert set(RefreshToken.objects.values_list("pk", flat=True)) == before["refresh"] - dead_refresh
    assert set(IssuedToken.objects.values_list("jti", flat=True)) == before["records"] - dead_records
    assert set(Grant.objects.values_list("pk", flat=True)) == before["grants"] - {rows["expired_grant"].pk}
    assert set(Authorization.objects.values_list("pk", flat=True)) == before["authorizations"] - dead_authorizations
    assert not RefreshTokenExpiry.objects.filter(refresh_token_id__in=dead_refresh).exists()


def test_live_rows_and_needed_tombstones_survive(run, rows, whoami, post_form):
    run(COMMAND)

    for name in ("live_cc", "live_pair", "rotated_new"):
        assert access_row(rows[name]["access_token"]) is not None, name
    # Expired, but its refresh token is live and still bound to it; its record stays with it.
    assert AccessToken.objects.filter(pk=rows["stale_access"].pk, refresh_token__isnull=False).exists()
    assert record(rows["stale_pair"]["access_token"]) is not None
    for name in ("live_pair", "stale_pair", "rotated_new"):
        assert refresh_row(rows[name]["refresh_token"]).revoked is None, name
    # Revoked and not yet expired: kept, so its reuse is detected and its jti stays on the list.
    assert refresh_row(rows["revoked_pair"]["refresh_token"]).revoked is not None
    for name in ("revoked_cc", "revoked_pair", "rotated"):
        assert record(rows[name]["access_token"]).revoked_at is not None, name
    assert Grant.objects.filter(pk=rows["live_grant"].pk).exists()

    cache.clear()  # the list reloads from the records that survived
    assert whoami(rows["live_cc"]["access_token"]).status_code == 200
    assert whoami(rows["live_pair"]["access_token"]).status_code == 200
    for name in ("revoked_cc", "revoked_pair", "rotated"):
        assert whoami(rows[name]["access_token"]).status_code == 401, name

    # The expired access token's refresh token still buys a new one.
    response = refresh(post_form, rows["app"], rows["stale_pair"]["refresh_token"])
    assert response.status_code == 200, response.content
    assert whoami(response.json()["access_token"]).status_code == 200


def test_reusing_a_kept_rotated_refresh_token_is_still_detected(run, rows, post_form):
    """A rotated refresh token outlives cleanup until its own expiry, so its reuse still revokes the family."""
    rotated_again = refresh(post_form, rows["app"], rows["live_pair"]["refresh_token"]).json()
    run(COMMAND)

    reused = refresh(post_form, rows["app"], rows["live_pair"]["refresh_token"])

    assert reused.json()["error"] == "invalid_grant"
    assert refresh_row(rotated_again["refresh_token"]).revoked is not None


def test_running_twice_is_harmless(run, rows):
    first = counts(run(COMMAND))
    state = (
        set(AccessToken.objects.values_list("pk", flat=True)),
        set(RefreshToken.objects.values_list("pk", flat=True)),
        set(IssuedToken.objects.values_list("pk", flat=True)),
        set(Grant.objects.values_list("pk", flat=True)),
        set(Authorization.objects.values_list("pk", flat=True)),
    )

    second = counts(run(COMMAND))

    assert sum(first.values()) == 10
    assert second == dict.fromkeys(KINDS, 0)
    assert state == (
        set(AccessToken.objects.values_list("pk", flat=True)),
        set(RefreshToken.objects.values_list("pk", flat=True)),
        set(IssuedToken.objects.values_list("pk", flat=True)),
        set(Grant.objects.values_list("pk", flat=True)),
        set(Authorization.objects.values_list("pk", flat=True)),
    )


def test_nothing_to_do(run, db):
    assert counts(run(COMMAND)) == dict.fromkeys(KINDS, 0)


def test_deletes_in_batches(run, rows, monkeypatch):
    from oauthhub import cleanup

    monkeypatch.setattr(cleanup, "BATCH", 1)
    assert counts(run(COMMAND))["token records"] == 3
    assert not IssuedToken.objects.filter(
        expires__lte=timezone.now() - revocation.MARGIN, access_token__isnull=True
    ).exists()


def test_logout_after_a_cleanup_still_revokes_what_the_session_consented_to(
    run, authorize, client, post_form, confidential_client, pkce
):
    from tests.oauth.test_authorization_code import exchange

    code = authorize(confidential_client, pkce[1])["code"]  # logs alice in on `client`
    mine = exchange(post_form, confidential_client, code, pkce[0]).json()
    Authorization.objects.update(created_at=past(days=2))  # she consented two days ago; the session lives on
    run(COMMAND)

    client.post("/accounts/logout/")

    assert refresh(post_form, confidential_client, mine["refresh_token"]).json().get("error") == "invalid_grant"
