"""Signing keys (rotate, revoke), tokens (filters, revoke one, bulk revoke), and the audit log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from oauthhub import revocation
from oauthhub.models import AuditEvent, IssuedToken, SigningKey
from tests.api.conftest import API
from tests.conftest import REDIRECT_URI, basic_auth

KEYS = f"{API}/workspaces/acme/keys/"
TOKENS = f"{API}/workspaces/acme/tokens/"


# Keys ---------------------------------------------------------------------------------------------------


def test_list_keys_public_parts_only(api, workspace):
    response = api.get(KEYS)
    assert response.status_code == 200
    keys = response.json()["results"]
    assert {k["state"] for k in keys} == {"active", "next"}
    assert all(k["public_jwk"]["kid"] == k["kid"] and "d" not in k["public_jwk"] for k in keys)
    text = response.content.decode()
    for key in SigningKey.objects.filter(workspace=workspace):
        assert key.private_jwk_encrypted not in text
    assert "private" not in text
    assert [k["state"] for k in api.get(KEYS, {"state": "next"}).json()["results"]] == ["next"]


def test_rotate_refused_while_the_next_key_is_young_then_forced(api, workspace):
    before = {k.state: k.kid for k in SigningKey.objects.filter(workspace=workspace)}
    response = api.post(f"{KEYS}rotate/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "rotation_refused"
    assert "resource servers may cache the JWKS" in response.json()["detail"]
    response = api.post(f"{KEYS}rotate/", {"force": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["kid"] == before["next"] and response.json()["state"] == "active"
    states = dict(SigningKey.objects.filter(workspace=workspace).values_list("kid", "state"))
    assert states[before["active"]] == "retired"
    event = AuditEvent.objects.get(action="keys_rotated")
    assert event.detail == {"via": "api", "active": before["next"], "force": True}


def test_rotate_when_due(api, workspace, settings):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "JWKS_MAX_AGE": 0}
    assert api.post(f"{KEYS}rotate/", format="json").status_code == 200


def test_revoke_retired_key_but_not_the_active_one(api, workspace):
    active = SigningKey.objects.get(workspace=workspace, state="active")
    response = api.post(f"{KEYS}{active.kid}/revoke/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Rotate first")
    api.post(f"{KEYS}rotate/", {"force": True}, format="json")
    response = api.post(f"{KEYS}{active.kid}/revoke/")
    assert response.status_code == 200
    assert response.json()["state"] == "revoked" and response.json()["revoked_at"]
    assert AuditEvent.objects.get(action="key_revoked").target == f"key {active.kid}"
    assert api.get(f"{KEYS}{active.kid}/").json()["state"] == "revoked"


# Tokens ---------------------------------------------------------------------------------------------------


@pytest.fixture
def tokens(confidential_client, client_factory, workspace, post_form, authorize, pkce):
    """Two client-credentials tokens of two clients, and a user token (alice's)."""
    other = client_factory(workspace, name="Other")
    issued = {}
    for name, app in (("app", confidential_client), ("other", other)):
        response = post_form("/auth/acme/oauth2/token", {"grant_type": "client_credentials"},
                             HTTP_AUTHORIZATION=basic_auth(app.client_id, app.plain_secret))
        issued[name] = response.json()["access_token"]
    verifier, challenge = pkce
    code = authorize(confidential_client, challenge)["code"]
    response = post_form("/auth/acme/oauth2/token", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier,
    }, HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret))
    issued["alice"] = response.json()["access_token"]
    issued["alice_refresh"] = response.json()["refresh_token"]
    return issued


def jti(token: str) -> str:
    import jwt as pyjwt

    return pyjwt.decode(token, options={"verify_signature": False})["jti"]


def test_list_and_filter_tokens(api, tokens, confidential_client, user):
    body = api.get(TOKENS).json()
    assert body["count"] == 3
    assert all(t["state"] == "active" for t in body["results"])
    assert "access_token" not in json.dumps(body) and tokens["app"] not in json.dumps(body)
    by_client = api.get(TOKENS, {"client": confidential_client.client_id}).json()["results"]
    assert {t["jti"] for t in by_client} == {jti(tokens["app"]), jti(tokens["alice"])}
    by_user = api.get(TOKENS, {"user": str(user.pk)}).json()["results"]
    assert [t["jti"] for t in by_user] == [jti(tokens["alice"])]
    assert by_user[0]["user"] == str(user.pk) and by_user[0]["scope"] == "read"
    assert api.get(TOKENS, {"user": "not-an-id"}).json()["count"] == 0

    IssuedToken.objects.filter(jti=jti(tokens["other"])).update(expires=timezone.now() - timedelta(seconds=1))
    assert [t["jti"] for t in api.get(TOKENS, {"state": "expired"}).json()["results"]] == [jti(tokens["other"])]
    assert api.get(TOKENS, {"state": "active"}).json()["count"] == 2
    assert api.get(TOKENS, {"state": "bogus"}).status_code == 400


def test_retrieve_by_jti(api, tokens, confidential_client):
    body = api.get(f"{TOKENS}{jti(tokens['app'])}/").json()
    assert body["client"] == confidential_client.client_id and body["user"] is None
    assert body["state"] == "active" and body["issued_at"] and body["expires"]
    assert api.get(f"{TOKENS}unknown-jti/").status_code == 404


def test_revoke_one_token(api, tokens, confidential_client, post_form, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{TOKENS}{jti(tokens['alice'])}/revoke/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "revoked" and body["revoked_at"] and body["client"] is None  # the row is gone
    assert revocation.is_revoked(jti(tokens["alice"]))
    assert not revocation.is_revoked(jti(tokens["app"]))
    introspection = post_form("/auth/acme/oauth2/introspect", {"token": tokens["alice"]},
                              HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id,
                                                            confidential_client.plain_secret))
    assert introspection.json() == {"active": False}
    # The bound refresh token went with it.
    refresh = post_form("/auth/acme/oauth2/token", {"grant_type": "refresh_token",
                                                   "refresh_token": tokens["alice_refresh"]},
                        HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret))
    assert refresh.status_code == 400
    event = AuditEvent.objects.get(action="tokens_revoked")
    assert event.target == f"token {jti(tokens['alice'])}" and event.actor_label == api.admin.client_id
    # Revoking again is harmless.
    assert api.post(f"{TOKENS}{jti(tokens['alice'])}/revoke/").json()["state"] == "revoked"


def test_bulk_revoke_by_user(api, tokens, user):
    response = api.post(f"{TOKENS}revoke/", {"user": str(user.pk)}, format="json")
    assert response.status_code == 200
    assert response.json() == {"revoked": 2}  # alice's access and refresh tokens
    assert [t["jti"] for t in api.get(TOKENS, {"state": "revoked"}).json()["results"]] == [jti(tokens["alice"])]
    event = AuditEvent.objects.get(action="tokens_revoked")
    assert (event.target, event.actor, event.actor_label) == (f"user {user.pk}", None, api.admin.client_id)
    assert event.detail["reason"] == "revoked through the management API"


def test_bulk_revoke_by_client(api, tokens, confidential_client):
    response = api.post(f"{TOKENS}revoke/", {"client": confidential_client.client_id}, format="json")
    assert response.json() == {"revoked": 3}  # its client-credentials token, alice's access + refresh
    assert api.get(TOKENS, {"state": "active"}).json()["count"] == 1


@pytest.mark.parametrize("body, errors", [
    ({}, {"non_field_errors": ["Give exactly one of user or client."]}),
    ({"user": "1", "client": "x"}, {"non_field_errors": ["Give exactly one of user or client."]}),
    ({"user": "999999"}, {"user": ["No user with this id."]}),
    ({"user": "abc"}, {"user": ["No user with this id."]}),
    ({"client": "nope"}, {"client": ["No client with this client_id in this workspace."]}),
])
def test_bulk_revoke_errors(api, workspace, body, errors):
    response = api.post(f"{TOKENS}revoke/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == errors


def test_bulk_revoke_by_session_user_names_the_user(tokens, staff_factory, workspace, user):
    from rest_framework.test import APIClient

    staff = staff_factory(superuser=True)
    browser = APIClient()
    browser.force_login(staff)
    assert browser.post(f"{TOKENS}revoke/", {"user": str(user.pk)}, format="json").status_code == 200
    event = AuditEvent.objects.get(action="tokens_revoked")
    assert event.actor == staff and event.actor_name == "staff"


def test_revoking_tokens_needs_token_permissions(tokens, staff_factory, workspace, user):
    from rest_framework.test import APIClient

    browser = APIClient()
    browser.force_login(staff_factory(perms=["oauth2_provider.view_accesstoken"], workspaces=[workspace]))
    assert browser.get(TOKENS).status_code == 200
    response = browser.post(f"{TOKENS}revoke/", {"user": str(user.pk)}, format="json")
    assert response.status_code == 403
    assert "oauth2_provider.change_accesstoken" in response.json()["detail"]


# Audit ----------------------------------------------------------------------------------------------------


def test_audit_events_filters(api, workspace, workspace_factory, staff_factory):
    other = workspace_factory("other")
    staff = staff_factory("auditor")
    now = timezone.now()
    rows = [
        AuditEvent.objects.create(workspace=workspace, action="keys_rotated", actor_label="command", target="a"),
        AuditEvent.objects.create(workspace=workspace, action="tokens_revoked", actor=staff, target="b"),
        AuditEvent.objects.create(workspace=other, action="keys_rotated", actor_label="cid-1", target="c"),
    ]
    AuditEvent.objects.filter(pk=rows[0].pk).update(created_at=now - timedelta(days=2))
    url = f"{API}/audit-events/"

    def targets(**params):
        response = api.get(url, params)
        assert response.status_code == 200, response.content
        return [event["target"] for event in response.json()["results"]]

    assert targets() == ["c", "b", "a"]
    assert targets(workspace="acme") == ["b", "a"]
    assert targets(action="keys_rotated") == ["c", "a"]
    assert targets(actor="auditor") == ["b"]
    assert targets(actor="cid-1") == ["c"]
    assert targets(created_before=(now - timedelta(days=1)).isoformat()) == ["a"]
    assert targets(created_after=(now - timedelta(days=1)).isoformat(), workspace="acme") == ["b"]
    assert targets(ordering="created_at") == ["a", "b", "c"]
    event = api.get(f"{url}{rows[1].pk}/").json()
    assert event == {
        "id": rows[1].pk, "created_at": event["created_at"], "workspace": "acme", "actor": "auditor",
        "actor_label": "", "action": "tokens_revoked", "target": "b", "detail": {},
    }
    assert api.get(url, {"created_after": "yesterday"}).status_code == 400


def test_audit_log_is_read_only(api, workspace):
    event = AuditEvent.objects.create(workspace=workspace, action="keys_rotated")
    assert api.post(f"{API}/audit-events/", {}, format="json").status_code == 405
    assert api.delete(f"{API}/audit-events/{event.pk}/").status_code == 405
    assert api.patch(f"{API}/audit-events/{event.pk}/", {}, format="json").status_code == 405
    assert api.delete(f"{API}/audit-events/{event.pk}/").json()["code"] == "method_not_allowed"
