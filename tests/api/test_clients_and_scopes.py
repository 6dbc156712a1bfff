"""Scopes and clients: the secret shown once, rotate-secret, scopes by name, TTL overrides, the models' rules."""

from __future__ import annotations

from oauthhub.models import AuditEvent, Client, Scope
from tests.api.conftest import API
from tests.conftest import basic_auth

SCOPES = f"{API}/workspaces/acme/scopes/"
CLIENTS = f"{API}/workspaces/acme/clients/"


def token_response(post_form, client_id, secret, slug="acme"):
    return post_form(f"/auth/{slug}/oauth2/token", {"grant_type": "client_credentials"},
                     HTTP_AUTHORIZATION=basic_auth(client_id, secret))


# Scopes -------------------------------------------------------------------------------------------------


def test_scope_crud(api, workspace):
    created = api.post(SCOPES, {"name": "orders:read", "description": "Read orders"}, format="json")
    assert created.status_code == 201, created.content
    scope = created.json()
    assert scope == {"id": scope["id"], "name": "orders:read", "description": "Read orders", "is_default": False}
    assert [s["name"] for s in api.get(SCOPES).json()["results"]] == ["orders:read", "read", "write"]
    assert [s["name"] for s in api.get(SCOPES, {"is_default": "true"}).json()["results"]] == ["read"]
    assert api.patch(f"{SCOPES}{scope['id']}/", {"is_default": True}, format="json").json()["is_default"] is True
    assert api.delete(f"{SCOPES}{scope['id']}/").status_code == 204
    assert not Scope.objects.filter(name="orders:read").exists()
    operations = list(AuditEvent.objects.order_by("pk").values_list("detail__operation", flat=True))
    assert operations == ["created", "updated", "deleted"]


def test_scope_names_are_unique_per_workspace_and_valid(api, workspace):
    response = api.post(SCOPES, {"name": "read"}, format="json")
    assert response.json()["errors"] == {"name": ["This workspace already has a scope called read."]}
    response = api.post(SCOPES, {"name": 'bad "quote"'}, format="json")
    assert response.json()["errors"] == {
        "name": ["A scope name is printable ASCII without spaces, quotes or backslashes."]}


def test_system_scopes_are_protected(api, system):
    url = f"{API}/workspaces/system/scopes/"
    read = Scope.objects.get(workspace=system, name="oauthhub:read")
    for response in (api.delete(f"{url}{read.pk}/"),
                     api.patch(f"{url}{read.pk}/", {"name": "renamed"}, format="json")):
        assert response.status_code == 409
        assert response.json()["code"] == "system_workspace_protected"
    assert api.patch(f"{url}{read.pk}/", {"description": "Reads"}, format="json").status_code == 200


# Clients ------------------------------------------------------------------------------------------------


def test_create_returns_the_secret_once_and_it_works(api, workspace, post_form):
    response = api.post(CLIENTS, {
        "name": "Billing", "grant_types": ["client_credentials"], "allowed_scopes": ["read", "write"],
        "access_token_ttl": "5m",
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_secret"] and body["client_type"] == "confidential"
    assert body["allowed_scopes"] == ["read", "write"]
    assert (body["access_token_ttl"], body["access_token_ttl_human"]) == (300, "5 min")
    assert body["refresh_token_ttl"] is None and body["refresh_token_ttl_human"] == "30 days (from the workspace)"
    assert body["token_format"] is None and response["ETag"]
    token = token_response(post_form, body["client_id"], body["client_secret"])
    assert token.status_code == 200 and token.json()["expires_in"] == 300

    client = Client.objects.get(client_id=body["client_id"])
    assert body["client_secret"] not in client.client_secret  # only a digest is stored
    for shown in (api.get(f"{CLIENTS}{client.client_id}/").content, api.get(CLIENTS).content):
        assert body["client_secret"].encode() not in shown
        assert client.client_secret.encode() not in shown
        assert b"client_secret" not in shown


def test_rotate_secret(api, workspace, client_factory, post_form):
    app = client_factory(workspace)
    response = api.post(f"{CLIENTS}{app.client_id}/rotate-secret/")
    assert response.status_code == 200
    new_secret = response.json()["client_secret"]
    assert new_secret and new_secret != app.plain_secret
    assert token_response(post_form, app.client_id, app.plain_secret).status_code == 401
    assert token_response(post_form, app.client_id, new_secret).status_code == 200
    assert AuditEvent.objects.get(action="secret_rotated").target == f"client {app.client_id}"


def test_public_client_has_no_secret(api, workspace):
    response = api.post(CLIENTS, {
        "name": "SPA", "client_type": "public", "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": ["https://spa.example.com/cb"],
    }, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["client_secret"] is None
    assert response.json()["redirect_uris"] == ["https://spa.example.com/cb"]
    rotate = api.post(f"{CLIENTS}{response.json()['client_id']}/rotate-secret/")
    assert rotate.status_code == 400
    assert rotate.json()["errors"] == {"client_type": ["A public client has no secret to rotate."]}


def test_client_rules_are_the_models(api, workspace, workspace_factory):
    response = api.post(CLIENTS, {
        "name": "Bad", "client_type": "public", "grant_types": ["client_credentials", "authorization_code"],
        "redirect_uris": ["http://example.com/cb", "https://x.example.com/*"],
    }, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "grant_types": ["A public client cannot use client credentials: it has no secret."],
        "redirect_uris": [
            "http://example.com/cb: use https (http is allowed only for 127.0.0.1, [::1] and localhost).",
            "https://x.example.com/*: wildcards are not allowed; register each redirect URI exactly.",
        ],
    }
    workspace_factory("bank", profile="open_banking")
    response = api.post(f"{API}/workspaces/bank/clients/", {
        "name": "x", "grant_types": ["client_credentials"], "access_token_ttl": "1h"}, format="json")
    assert response.json()["errors"] == {"access_token_ttl": [
        "Access token TTL must be at most 10 min for the Open banking (FAPI-style) profile."]}
    response = api.post(CLIENTS, {"name": "x", "grant_types": []}, format="json")
    assert response.json()["errors"] == {"grant_types": ["Choose at least one grant type."]}
    assert not Client.objects.filter(workspace__slug__in=["acme", "bank"]).exists()


def test_update_client_and_etag(api, workspace, client_factory, post_form):
    app = client_factory(workspace, scopes=[workspace.scopes.get(name="read")])
    etag = api.get(f"{CLIENTS}{app.client_id}/")["ETag"]
    response = api.patch(f"{CLIENTS}{app.client_id}/", {
        "allowed_scopes": ["read", "write"], "access_token_ttl": "10m", "token_format": "opaque",
    }, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["token_format"] == "opaque"
    event = AuditEvent.objects.get(target=f"client {app.client_id}")
    assert event.detail["changed"]["allowed_scopes"] == [["acme:read"], ["acme:read", "acme:write"]]
    stale = api.patch(f"{CLIENTS}{app.client_id}/", {"name": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    body = token_response(post_form, app.client_id, app.plain_secret).json()
    assert body["expires_in"] == 600 and body["access_token"].count(".") == 0  # opaque now
    assert api.patch(f"{CLIENTS}{app.client_id}/", {"token_format": None}, format="json").json()["token_format"] is None


def test_client_type_cannot_change(api, workspace, client_factory):
    app = client_factory(workspace)
    response = api.patch(f"{CLIENTS}{app.client_id}/", {"client_type": "public"}, format="json")
    assert response.status_code == 200 and response.json()["client_type"] == "confidential"


def test_disable_client_revokes_its_tokens(api, workspace, client_factory, post_form):
    app = client_factory(workspace)
    assert token_response(post_form, app.client_id, app.plain_secret).status_code == 200
    assert api.patch(f"{CLIENTS}{app.client_id}/", {"enabled": False}, format="json").status_code == 200
    assert api.get(f"{API}/workspaces/acme/tokens/", {"state": "revoked"}).json()["count"] == 1
    assert token_response(post_form, app.client_id, app.plain_secret).status_code == 401


def test_client_filters_and_delete(api, workspace, client_factory):
    client_factory(workspace, name="Alpha")
    beta = client_factory(workspace, name="Beta", public=True, grant_types=["authorization_code"],
                          redirect_uris="https://b.example.com/cb")
    assert [c["name"] for c in api.get(CLIENTS, {"client_type": "public"}).json()["results"]] == ["Beta"]
    assert [c["name"] for c in api.get(CLIENTS, {"grant_type": "client_credentials"}).json()["results"]] == ["Alpha"]
    assert [c["name"] for c in api.get(CLIENTS, {"search": "alp"}).json()["results"]] == ["Alpha"]
    assert [c["name"] for c in api.get(CLIENTS, {"ordering": "-name"}).json()["results"]] == ["Beta", "Alpha"]
    assert api.delete(f"{CLIENTS}{beta.client_id}/").status_code == 204
    assert not Client.objects.filter(pk=beta.pk).exists()
