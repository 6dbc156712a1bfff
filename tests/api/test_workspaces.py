"""Workspaces: CRUD, durations in and out, the model's bounds as field errors, ETag/If-Match, disable, delete."""

from __future__ import annotations

import pytest

from oauthhub.models import AuditEvent, Workspace
from tests.api.conftest import API

WORKSPACES = f"{API}/workspaces/"


def test_list_is_paginated_and_ordered(api, workspace_factory):
    for slug in ("zeta", "alpha", "mid"):
        workspace_factory(slug)
    body = api.get(WORKSPACES, {"limit": 2}).json()
    assert body["count"] == 4  # and the system workspace
    assert [w["slug"] for w in body["results"]] == ["alpha", "mid"]
    assert "offset=2" in body["next"] and body["previous"] is None
    slugs = [w["slug"] for w in api.get(WORKSPACES, {"ordering": "-slug"}).json()["results"]]
    assert slugs == ["zeta", "system", "mid", "alpha"]


def test_list_filters(api, workspace_factory):
    workspace_factory("bank", profile="open_banking", name="Big Bank")
    workspace_factory("off", enabled=False)
    assert [w["slug"] for w in api.get(WORKSPACES, {"profile": "open_banking"}).json()["results"]] == ["bank"]
    assert [w["slug"] for w in api.get(WORKSPACES, {"enabled": "false"}).json()["results"]] == ["off"]
    assert [w["slug"] for w in api.get(WORKSPACES, {"search": "big"}).json()["results"]] == ["bank"]
    response = api.get(WORKSPACES, {"profile": "nonsense"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and "profile" in response.json()["errors"]


def test_create_with_durations_returns_seconds_and_human_text(api):
    response = api.post(WORKSPACES, {
        "slug": "shop", "name": "Shop", "access_token_ttl": "5m", "refresh_token_ttl": "30d",
        "authorization_code_ttl": 30, "id_token_ttl": "1h", "key_rotation_period": None,
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["access_token_ttl"], body["access_token_ttl_human"]) == (300, "5 min")
    assert (body["refresh_token_ttl"], body["refresh_token_ttl_human"]) == (30 * 86400, "30 days")
    assert (body["authorization_code_ttl"], body["authorization_code_ttl_human"]) == (30, "30 s")
    assert (body["id_token_ttl"], body["id_token_ttl_human"]) == (3600, "1 h")
    assert (body["key_rotation_period"], body["key_rotation_period_human"]) == (None, "never")
    assert body["grant_types"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert response["ETag"]
    workspace = Workspace.objects.get(slug="shop")
    assert workspace.access_token_ttl == 300
    assert workspace.signing_keys.filter(state="active").exists()  # ready to sign


def test_inherited_ttl_is_null_with_the_value_that_applies(api, settings, workspace):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "ACCESS_TOKEN_TTL": 900}
    body = api.get(f"{WORKSPACES}acme/").json()
    assert body["access_token_ttl"] is None
    assert body["access_token_ttl_human"] == "15 min (site default)"


def test_profile_presets_apply_on_creation(api):
    body = api.post(WORKSPACES, {"slug": "bank", "name": "Bank", "profile": "open_banking"}, format="json").json()
    assert body["access_token_ttl"] == 300 and body["authorization_code_ttl"] == 60


@pytest.mark.parametrize("value, message", [
    ("15x", "'15x' is not a duration; use seconds or 90s, 15m, 1h, 30d."),
    (-5, "A duration cannot be negative."),
    (True, "Enter a duration in seconds (900) or as 90s, 15m, 1h, 30d."),
    ([1], "Enter a duration in seconds (900) or as 90s, 15m, 1h, 30d."),
    ("999999999d", "A duration must be at most 2147483647 seconds."),
])
def test_bad_durations_are_field_errors(api, value, message):
    response = api.post(WORKSPACES, {"slug": "shop", "name": "Shop", "access_token_ttl": value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"access_token_ttl": [message]}


def test_model_bounds_and_messages_are_the_admins(api, workspace_factory):
    workspace_factory("bank", profile="open_banking")
    response = api.patch(f"{WORKSPACES}bank/", {"access_token_ttl": "15m"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Access token TTL must be at most 10 min for the Open banking (FAPI-style) profile.",
        "errors": {"access_token_ttl": [
            "Access token TTL must be at most 10 min for the Open banking (FAPI-style) profile."
        ]},
    }
    # The same message the model gives the admin form and the commands:
    from django.core.exceptions import ValidationError

    bank = Workspace.objects.get(slug="bank")
    bank.access_token_ttl = 900
    with pytest.raises(ValidationError) as raised:
        bank.full_clean()
    assert raised.value.message_dict["access_token_ttl"] == response.json()["errors"]["access_token_ttl"]


def test_several_field_errors_at_once(api, workspace):
    response = api.patch(f"{WORKSPACES}acme/", {
        "access_token_ttl": "2h", "refresh_token_ttl": "1h", "refresh_token_grace_period": "10m",
        "key_rotation_period": "1h",
    }, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == {
        "refresh_token_ttl": ["Refresh token TTL must be at least the access token TTL (2 h)."],
        "refresh_token_grace_period": ["Refresh token grace period must be at most 5 min."],
        "key_rotation_period": ["Key rotation period must be at least 1 day (or empty: never)."],
    }
    assert response.json()["detail"] == "The request has invalid fields; see errors."


def test_slug_rules(api, workspace):
    for slug, message in [
        ("api", "“api” is reserved: the site serves /api/ itself. Choose another slug."),
        ("Not Valid", "Use 1–50 lowercase letters, digits and hyphens, starting and ending with a letter or digit."),
        ("acme", "workspace with this slug already exists."),
    ]:
        response = api.post(WORKSPACES, {"slug": slug, "name": "x"}, format="json")
        assert response.status_code == 400, slug
        assert response.json()["errors"] == {"slug": [message]}


def test_slug_cannot_change(api, workspace):
    response = api.patch(f"{WORKSPACES}acme/", {"slug": "renamed", "name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["slug"] == "acme"
    assert Workspace.objects.filter(slug="acme", name="Renamed").exists()


def test_put_replaces_and_audits_what_changed(api, workspace):
    body = api.get(f"{WORKSPACES}acme/").json()
    body.update(name="Acme Inc", access_token_ttl="5m")
    response = api.put(f"{WORKSPACES}acme/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["access_token_ttl"] == 300
    event = AuditEvent.objects.get(workspace=workspace)
    assert event.action == AuditEvent.Action.SETTINGS_CHANGED
    assert event.actor is None and event.actor_label == api.admin.client_id
    assert event.detail == {"via": "api", "operation": "updated",
                            "changed": {"name": ["Acme", "Acme Inc"], "access_token_ttl": [None, 300]}}


def test_ttl_edit_applies_to_the_next_token(api, workspace, client_factory, post_form):
    from tests.conftest import basic_auth

    app = client_factory(workspace)
    api.patch(f"{WORKSPACES}acme/", {"access_token_ttl": "5m"}, format="json")
    response = post_form("/auth/acme/oauth2/token", {"grant_type": "client_credentials"},
                         HTTP_AUTHORIZATION=basic_auth(app.client_id, app.plain_secret))
    assert response.json()["expires_in"] == 300


# Optimistic concurrency -------------------------------------------------------------------------------------


def test_stale_if_match_is_412_and_nothing_is_saved(api, workspace):
    etag = api.get(f"{WORKSPACES}acme/")["ETag"]
    assert api.patch(f"{WORKSPACES}acme/", {"name": "First"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    response = api.patch(f"{WORKSPACES}acme/", {"name": "Second", "access_token_ttl": 60}, format="json",
                         HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    workspace.refresh_from_db()
    assert (workspace.name, workspace.access_token_ttl) == ("First", None)


def test_current_if_match_succeeds_and_returns_the_new_etag(api, workspace):
    etag = api.get(f"{WORKSPACES}acme/")["ETag"]
    response = api.put(f"{WORKSPACES}acme/", {"name": "New"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert api.get(f"{WORKSPACES}acme/")["ETag"] == response["ETag"]


def test_if_match_star_and_lists(api, workspace):
    etag = api.get(f"{WORKSPACES}acme/")["ETag"]
    assert api.patch(f"{WORKSPACES}acme/", {"name": "A"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    current = api.get(f"{WORKSPACES}acme/")["ETag"]
    assert api.patch(f"{WORKSPACES}acme/", {"name": "B"}, format="json",
                     HTTP_IF_MATCH=f"{etag}, {current}").status_code == 200
    assert api.patch(f"{WORKSPACES}acme/", {"name": "C"}, format="json",
                     HTTP_IF_MATCH="W/" + api.get(f"{WORKSPACES}acme/")["ETag"]).status_code == 412


def test_an_edit_elsewhere_changes_the_etag(api, workspace):
    etag = api.get(f"{WORKSPACES}acme/")["ETag"]
    Workspace.objects.get(slug="acme").save()  # e.g. in the admin console
    response = api.patch(f"{WORKSPACES}acme/", {"name": "Lost update?"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412


def test_unchanged_put_keeps_the_etag(api, workspace):
    first = api.get(f"{WORKSPACES}acme/")
    response = api.patch(f"{WORKSPACES}acme/", {"name": "Acme"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert response.status_code == 200
    assert response["ETag"] == first["ETag"]
    assert not AuditEvent.objects.exists()


# Disable, enable, delete ------------------------------------------------------------------------------------


def test_disable_and_enable(api, workspace, client):
    response = api.post(f"{WORKSPACES}acme/disable/")
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert client.get("/auth/acme/.well-known/openid-configuration").status_code == 404
    assert api.post(f"{WORKSPACES}acme/enable/").json()["enabled"] is True
    assert client.get("/auth/acme/.well-known/openid-configuration").status_code == 200
    operations = list(AuditEvent.objects.order_by("pk").values_list("detail__operation", flat=True))
    assert operations == ["disabled", "enabled"]


def test_delete_needs_the_slug_confirmed(api, workspace):
    response = api.delete(f"{WORKSPACES}acme/")
    assert response.status_code == 400
    assert response.json()["code"] == "confirmation_required"
    assert "?confirm=acme" in response.json()["detail"]
    assert api.delete(f"{WORKSPACES}acme/?confirm=other").status_code == 400
    assert Workspace.objects.filter(slug="acme").exists()
    assert api.delete(f"{WORKSPACES}acme/?confirm=acme").status_code == 204
    assert not Workspace.objects.filter(slug="acme").exists()
    event = AuditEvent.objects.get()
    assert (event.workspace, event.target, event.detail["operation"]) == (None, "workspace acme", "deleted")


def test_delete_with_live_tokens(api, confidential_client, post_form, django_capture_on_commit_callbacks):
    from tests.conftest import basic_auth

    post_form("/auth/acme/oauth2/token", {"grant_type": "client_credentials"},
              HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret))
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"{WORKSPACES}acme/?confirm=acme").status_code == 204


def test_system_workspace_is_protected(api, system):
    for response in (api.delete(f"{WORKSPACES}system/?confirm=system"), api.post(f"{WORKSPACES}system/disable/")):
        assert response.status_code == 409
        assert response.json()["code"] == "system_workspace_protected"
    response = api.patch(f"{WORKSPACES}system/", {"token_format": "opaque"}, format="json")
    assert response.json()["errors"] == {"token_format": [
        "The system workspace issues JWTs: the management API validates them."]}
    response = api.patch(f"{WORKSPACES}system/", {"grant_types": ["authorization_code"]}, format="json")
    assert "grant_types" in response.json()["errors"]
    # Its lifetimes are edited like any workspace's.
    assert api.patch(f"{WORKSPACES}system/", {"access_token_ttl": "10m"}, format="json").status_code == 200
    assert api.get(f"{WORKSPACES}system/").json()["is_system"] is True


def test_restricted_admin_cannot_create_workspaces(api_as, workspace):
    api = api_as(workspaces=[workspace])
    response = api.post(WORKSPACES, {"slug": "mine", "name": "Mine"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Workspace.objects.filter(slug="mine").exists()
