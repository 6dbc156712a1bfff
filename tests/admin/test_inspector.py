"""The token inspector: what a pasted token is, checked line by line; the token itself goes nowhere."""

from __future__ import annotations

import logging
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client as Browser
from jwcrypto import jwt
from oauth2_provider.models import AccessToken

from oauthhub import keys
from oauthhub.models import SigningKey, Workspace, WorkspaceAdmin
from tests.admin.conftest import jti
from tests.admin.test_key import retired_key  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

URL = "/admin/oauthhub/workspace/inspector/"
ISSUER = "http://testserver/auth/acme"


def inspect(browser, token: str):
    response = browser.post(URL, {"token": token})
    assert response.status_code == 200, response.content
    return response


def lines(response) -> dict[str, tuple[bool | None, str]]:
    return {line.label: (line.ok, line.text) for line in response.context["inspection"].lines}


def failing(response) -> dict[str, str]:
    return {label: text for label, (ok, text) in lines(response).items() if ok is False}


def signed(workspace, **claims) -> str:
    """A JWT signed with the workspace's active key, with the claims of a real one unless overridden."""
    key = keys.signing_key(workspace)
    now = int(time.time())
    body = {"iss": ISSUER, "sub": "1", "aud": ISSUER, "client_id": "nobody", "scope": "read",
            "iat": now, "exp": now + 600, "jti": "crafted"} | claims
    header = {"alg": key.algorithm, "kid": key.kid, "typ": claims.pop("typ", "at+jwt")}
    token = jwt.JWT(header=header, claims={k: v for k, v in body.items() if v is not None and k != "typ"})
    token.make_signed_token(key.private())
    return token.serialize()


@pytest.fixture
def real(confidential_client, issue_token):
    return issue_token(confidential_client.client_id, confidential_client.plain_secret).json()["access_token"]


def test_page_is_linked_from_the_token_lists_and_the_workspace(admin_client, workspace):
    assert URL in admin_client.get("/admin/oauth2_provider/accesstoken/").content.decode()
    assert URL in admin_client.get("/admin/oauth2_provider/refreshtoken/").content.decode()
    assert URL in admin_client.get(f"/admin/oauthhub/workspace/{workspace.pk}/change/").content.decode()
    page = admin_client.get(URL)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert 'name="token"' in page.content.decode()


def test_a_valid_jwt_passes_every_check(admin_client, real, confidential_client):
    response = inspect(admin_client, real)
    inspection = response.context["inspection"]
    assert inspection.kind == "JWT access token"
    assert inspection.workspace == confidential_client.workspace
    assert inspection.key == SigningKey.objects.get(workspace=confidential_client.workspace, state="active")
    assert inspection.client == confidential_client
    assert failing(response) == {}
    assert inspection.verdict == "Valid: every check passes."
    assert set(lines(response)) >= {"Signature verified", "Not expired", "Already valid", "Issuer", "Audience",
                                    "Scopes", "Not revoked", "Key state", "Resource server check"}
    assert lines(response)["Not expired"][1].startswith("Expires in ")
    html = response.content.decode()
    assert "&quot;typ&quot;: &quot;at+jwt&quot;" in html and f"&quot;jti&quot;: &quot;{jti(real)}&quot;" in html


def test_a_revoked_jwt_says_so(admin_client, real, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        AccessToken.objects.get(oauthhub_record__jti=jti(real)).delete()
    response = inspect(admin_client, real)
    failed = failing(response)
    assert failed["Not revoked"].startswith("Revoked just now")
    assert "revoked" in failed["Resource server check"]
    assert response.context["inspection"].verdict.startswith("Not valid: Revoked")


@pytest.mark.parametrize(
    ("claims", "label", "text"),
    [
        ({"exp": int(time.time()) - 7200}, "Not expired", "Expired 2\xa0hours ago"),
        ({"exp": None}, "Not expired", "no exp claim"),
        ({"nbf": int(time.time()) + 3600}, "Already valid", "Not valid yet: its nbf is 59\xa0minutes from now"),
        ({"iss": "https://evil.example/acme"}, "Issuer", "Issued by 'https://evil.example/acme'"),
        ({"aud": "https://other-api.example"}, "Audience", "aud https://other-api.example is not one of"),
        ({"aud": None}, "Audience", "It has no aud claim"),
        ({"scope": "read admin"}, "Scopes", "admin is not a scope of workspace acme"),
        ({"typ": "JWT"}, "Access token type", "not \"at+jwt\""),
        ({"client_id": "ghost"}, "Client", "No client 'ghost' in workspace acme"),
        ({}, "Not revoked", "No record of this token's jti"),
    ],
)
def test_each_failing_check_says_why_in_plain_words(admin_client, workspace, claims, label, text):
    failed = failing(inspect(admin_client, signed(workspace, **claims)))
    assert label in failed, failed
    assert text in failed[label], failed[label]


def test_scope_the_client_may_no_longer_ask_for(admin_client, real, confidential_client):
    confidential_client.allowed_scopes.set([])
    assert "may no longer ask for read" in failing(inspect(admin_client, real))["Scopes"]


def test_a_tampered_token_fails_the_signature(admin_client, real):
    header, _, signature = real.split(".")
    forged = signed(Workspace.objects.get(slug="acme"), scope="read write").split(".")[1]
    failed = failing(inspect(admin_client, f"{header}.{forged}.{signature}"))
    assert "does not match key" in failed["Signature verified"]


def test_an_algorithm_other_than_the_keys_is_refused(admin_client, workspace):
    key = keys.signing_key(workspace)
    token = jwt.JWT(header={"alg": "HS256", "kid": key.kid, "typ": "at+jwt"}, claims={"iss": ISSUER})
    from jwcrypto import jwk

    token.make_signed_token(jwk.JWK.generate(kty="oct", size=256))
    assert "but key" in failing(inspect(admin_client, token.serialize()))["Signature verified"]


def test_retired_key_passes_and_revoked_key_fails(admin_client, confidential_client, issue_token, jwks_max_age):
    token = issue_token(confidential_client.client_id, confidential_client.plain_secret).json()["access_token"]
    workspace = confidential_client.workspace
    jwks_max_age(0)
    keys.rotate(workspace)
    assert lines(inspect(admin_client, token))["Key state"][0] is True
    assert "Retired" in lines(inspect(admin_client, token))["Key state"][1]
    keys.revoke(SigningKey.objects.get(workspace=workspace, state="retired"))
    failed = failing(inspect(admin_client, token))
    assert "was revoked" in failed["Key state"]
    assert "Resource server check" in failed


def test_disabled_workspace_fails(admin_client, real, workspace):
    Workspace.objects.filter(pk=workspace.pk).update(enabled=False)
    assert "is disabled" in failing(inspect(admin_client, real))["Workspace enabled"]


def test_unknown_kid_and_garbage(admin_client, workspace):
    other_server = jwt.JWT(header={"alg": "HS256", "kid": "elsewhere", "typ": "at+jwt"}, claims={"jti": "x"})
    from jwcrypto import jwk

    other_server.make_signed_token(jwk.JWK.generate(kty="oct", size=256))
    inspection = inspect(admin_client, other_server.serialize()).context["inspection"]
    assert inspection.workspace is None and inspection.header["kid"] == "elsewhere"
    assert "No workspace you manage has a key with kid 'elsewhere'" in inspection.verdict

    assert inspect(admin_client, "aaa.bbb.ccc").context["inspection"].kind == "Malformed JWT"
    unknown = inspect(admin_client, "not-a-token-of-ours").context["inspection"]
    assert unknown.workspace is None and "No access or refresh token" in unknown.verdict


def test_opaque_access_and_refresh_tokens_are_found_by_checksum(admin_client, workspace, client_factory, grant):
    Workspace.objects.filter(pk=workspace.pk).update(token_format="opaque")
    app = client_factory(workspace, grant_types=["authorization_code", "refresh_token"],
                         scopes=list(workspace.scopes.all()), redirect_uris="https://app.example.com/callback")
    from django.contrib.auth import get_user_model

    tokens = grant(app, get_user_model().objects.create_user("carol", password="pw-carol-123"))
    access = inspect(admin_client, tokens["access_token"])
    inspection = access.context["inspection"]
    assert inspection.kind == "Opaque access token" and inspection.workspace == workspace
    assert inspection.client == app and failing(access) == {}
    assert lines(access)["Signature"][0] is None  # does not apply
    refresh = inspect(admin_client, tokens["refresh_token"])
    assert refresh.context["inspection"].kind == "Refresh token" and failing(refresh) == {}
    AccessToken.objects.filter(application=app).first().refresh_token.revoke()
    assert "Revoked or used up" in failing(inspect(admin_client, tokens["refresh_token"]))["Not revoked"]


def test_the_token_goes_nowhere(admin_client, real, caplog):
    caplog.set_level(logging.DEBUG)
    response = inspect(admin_client, real)
    html = response.content.decode()
    signature = real.split(".")[2]
    assert real not in html and signature not in html  # decoded, never echoed
    assert "no-store" in response["Cache-Control"]
    assert real not in str(dict(admin_client.session))
    assert real not in str(admin_client.cookies)
    assert not any(real in record.getMessage() for record in caplog.records)
    assert not LogEntry.objects.exists()
    assert real not in admin_client.get("/admin/").content.decode()  # no leftover message


def test_get_ignores_a_token_in_the_url(admin_client, real):
    response = admin_client.get(URL, {"token": real})
    assert response.context["inspection"] is None


def test_post_needs_csrf(admin_user, real):
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert browser.post(URL, {"token": real}).status_code == 403


def test_empty_and_oversized_input_are_form_errors(admin_client, db):
    assert inspect(admin_client, "").context["token_errors"] == ["This field is required."]
    errors = inspect(admin_client, "x" * 20_000).context["token_errors"]
    assert "at most 16384 characters" in errors[0] and "xxxx" not in errors[0]


def test_only_staff_who_may_view_tokens(client, django_user_model, workspace):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_workspace"))
    client.force_login(user)
    assert client.get(URL).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_accesstoken"))
    assert client.get(URL).status_code == 200


def test_limited_admin_sees_only_their_workspaces_tokens(client, django_user_model, real, workspace_factory,
                                                        client_factory, issue_token):
    other = workspace_factory("other")
    far = client_factory(other)
    far_token = issue_token(far.client_id, far.plain_secret, workspace="other").json()["access_token"]
    user = django_user_model.objects.create_user("tenant", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_accesstoken"))
    WorkspaceAdmin.objects.create(user=user, workspace=Workspace.objects.get(slug="acme"))
    client.force_login(user)

    assert failing(inspect(client, real)) == {}
    hidden = inspect(client, far_token).context["inspection"]
    assert hidden.workspace is None and hidden.key is None and hidden.lines == []
    assert hidden.verdict.startswith("No workspace you manage has a key")  # nothing about workspace "other"
