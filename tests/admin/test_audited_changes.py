"""Client, scope and key changes made in the console land in the audit log under the admin's name."""

from __future__ import annotations

import pytest

from oauthhub.models import AuditEvent, Client, Scope
from tests.admin.conftest import form_data
from tests.admin.test_client import ADD, CHANGE, LIST, add_client, add_data
from tests.admin.test_key import KEYS, retired_key  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def events(action: str):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# Clients ----------------------------------------------------------------------------------


def test_add_form_defaults_to_confidential_and_says_what_ttls_inherit(admin_client, workspace):
    response = admin_client.get(ADD)
    form = response.context["adminform"].form
    assert form.initial["client_type"] == Client.Kind.CONFIDENTIAL
    html = response.content.decode()
    assert "checked" in html.split('value="confidential"')[1].split(">")[0]
    assert 'placeholder="inherits from workspace"' in html


def test_change_form_placeholders_name_the_inherited_ttl(admin_client, confidential_client):
    html = admin_client.get(CHANGE.format(pk=confidential_client.pk)).content.decode()
    assert 'placeholder="inherits 1 h from workspace"' in html
    assert 'placeholder="inherits 30 days from workspace"' in html


def test_adding_a_client_is_audited(admin_client, workspace, admin_user):
    _, client = add_client(admin_client, workspace)
    [event] = events(AuditEvent.Action.SETTINGS_CHANGED)
    assert (event.workspace, event.actor, event.target) == (workspace, admin_user, f"client {client.client_id}")
    assert event.detail == {"via": "admin", "operation": "created"}


def test_client_changes_are_audited_with_scopes_by_name(admin_client, confidential_client, admin_user):
    url = CHANGE.format(pk=confidential_client.pk)
    read = Scope.objects.get(workspace=confidential_client.workspace, name="read")
    data = form_data(admin_client.get(url)) | {"name": "Renamed", "access_token_ttl": "10m",
                                               "allowed_scopes": [read.pk]}
    assert admin_client.post(url, data).status_code == 302
    [event] = events(AuditEvent.Action.SETTINGS_CHANGED)
    assert event.actor == admin_user
    assert event.detail["changed"] == {
        "name": ["Test client", "Renamed"], "access_token_ttl": [None, 600],
        "allowed_scopes": [["read", "write"], ["read"]],
    }
    assert events(AuditEvent.Action.SECRET_ROTATED) == []


def test_rotate_secret_button_and_action_are_audited(admin_client, confidential_client, admin_user):
    admin_client.post(f"/admin/oauthhub/client/{confidential_client.pk}/rotate-secret/")
    admin_client.post(LIST, {"action": "rotate_secret", "_selected_action": [confidential_client.pk]})
    rotated = events(AuditEvent.Action.SECRET_ROTATED)
    assert len(rotated) == 2
    for event in rotated:
        assert event.actor == admin_user
        assert event.target == f"client {confidential_client.client_id}"
        assert event.workspace == confidential_client.workspace
        assert confidential_client.plain_secret not in str(event.detail)


def test_switching_to_confidential_records_a_new_secret(admin_client, workspace, client_factory):
    client = client_factory(workspace, public=True, grant_types=["authorization_code"],
                            redirect_uris="https://a.example.com/cb")
    url = CHANGE.format(pk=client.pk)
    data = form_data(admin_client.get(url)) | {"client_type": "confidential", "grant_types": ["client_credentials"]}
    response = admin_client.post(url, data)
    [event] = events(AuditEvent.Action.SECRET_ROTATED)
    assert response.context["secret"] not in str(event.detail)


def test_a_refused_client_form_records_nothing(admin_client, workspace):
    response = admin_client.post(ADD, add_data(workspace, grant_types=[]))
    assert response.status_code == 200
    assert "Choose at least one grant type." in str(response.context["adminform"].form.errors["grant_types"])
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("fields", "name", "text"),
    [
        ({"grant_types": ["bogus"]}, "grant_types", "Select a valid choice"),
        ({"grant_types": []}, "grant_types", "Choose at least one grant type."),
        ({"client_type": "public", "grant_types": ["client_credentials"]}, "grant_types",
         "cannot use client credentials"),
        ({"grant_types": ["authorization_code"], "redirect_uris": ""}, "redirect_uris",
         "Add at least one redirect URI"),
        ({"grant_types": ["authorization_code"], "redirect_uris": "https://a.example.com/*"}, "redirect_uris",
         "wildcards are not allowed"),
        ({"grant_types": ["authorization_code"], "redirect_uris": "https://a.example.com/cb#x"}, "redirect_uris",
         "must not contain a fragment"),
        ({"grant_types": ["authorization_code"], "redirect_uris": "http://localhost:8000/cb\nhttp://evil.example/cb"},
         "redirect_uris", "use https"),
        ({"access_token_ttl": "2h", "refresh_token_ttl": "1h"}, "refresh_token_ttl", "at least the access token TTL"),
        ({"access_token_ttl": "0"}, "access_token_ttl", "at least 1 s"),
        ({"refresh_token_ttl": "soon"}, "refresh_token_ttl", "is not a duration"),
        ({"workspace": "9999"}, "workspace", "Select a valid choice"),
    ],
)
def test_every_client_validation_path_is_a_field_error(admin_client, workspace, fields, name, text):
    response = admin_client.post(ADD, add_data(workspace) | fields)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert text in " ".join(errors.get(name, [])), errors
    assert not Client.objects.exists()


def test_open_banking_refuses_public_clients(admin_client, workspace_factory):
    bank = workspace_factory("bank", profile="open_banking")
    response = admin_client.post(ADD, add_data(bank, client_type="public", grant_types=["authorization_code"],
                                               redirect_uris="https://a.example.com/cb"))
    assert "allows confidential clients only" in str(response.context["adminform"].form.errors["client_type"])


def test_client_ttl_above_the_profile_bound(admin_client, workspace_factory):
    bank = workspace_factory("bank", profile="open_banking")
    response = admin_client.post(ADD, add_data(bank, access_token_ttl="20m"))
    assert "at most 10 min for the Open banking" in str(response.context["adminform"].form.errors["access_token_ttl"])


# Scopes -------------------------------------------------------------------------------------------


def test_scope_add_change_delete_are_audited(admin_client, workspace, admin_user):
    admin_client.post("/admin/oauthhub/scope/add/", {"workspace": workspace.pk, "name": "admin",
                                                     "description": "Administer"})
    scope = Scope.objects.get(name="admin")
    admin_client.post(f"/admin/oauthhub/scope/{scope.pk}/change/", {"name": "admin", "description": "Run it all"})
    admin_client.post(f"/admin/oauthhub/scope/{scope.pk}/delete/", {"post": "yes"})
    admin_client.post("/admin/oauthhub/scope/", {"action": "delete_selected", "post": "yes",
                                                 "_selected_action": [workspace.scopes.get(name="write").pk]})
    details = [(e.target, e.detail) for e in events(AuditEvent.Action.SETTINGS_CHANGED)]
    assert details == [
        ("scope admin", {"via": "admin", "operation": "created"}),
        ("scope admin", {"via": "admin", "operation": "updated",
                         "changed": {"description": ["Administer", "Run it all"]}}),
        ("scope admin", {"via": "admin", "operation": "deleted"}),
        ("scope write", {"via": "admin", "operation": "deleted"}),
    ]
    assert {e.actor for e in events(AuditEvent.Action.SETTINGS_CHANGED)} == {admin_user}


# Keys ---------------------------------------------------------------------------------------------


def test_key_revocation_is_audited(admin_client, retired_key, admin_user):  # noqa: F811
    admin_client.post(KEYS, {"action": "revoke", "_selected_action": [retired_key.pk], "post": "yes"})
    [event] = events(AuditEvent.Action.KEY_REVOKED)
    assert (event.actor, event.target, event.workspace) == (admin_user, f"key {retired_key.kid}",
                                                            retired_key.workspace)
    assert event.detail == {"via": "admin", "state_was": "retired", "live_tokens_at_most": 0}


def test_refused_key_revocation_is_not_audited(admin_client, workspace):
    active = workspace.signing_keys.get(state="active")
    admin_client.post(KEYS, {"action": "revoke", "_selected_action": [active.pk], "post": "yes"})
    assert events(AuditEvent.Action.KEY_REVOKED) == []


def test_audit_list_and_page_show_a_readable_diff(admin_client, workspace, admin_user):
    from tests.admin.test_workspace import change

    change(admin_client, workspace, access_token_ttl="15m", key_rotation_period="")
    event = AuditEvent.objects.get(action="settings_changed")
    listing = admin_client.get("/admin/oauthhub/auditevent/").content.decode()
    assert "access_token_ttl: inherit → 15 min" in listing
    page = admin_client.get(f"/admin/oauthhub/auditevent/{event.pk}/change/").content.decode()
    assert "<td>key_rotation_period</td><td>90 days</td><td>never</td>" in page
