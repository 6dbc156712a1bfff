"""Client admin: secrets shown exactly once, rotation, scopes confined to the workspace."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from oauthhub.models import Client, Workspace
from tests.admin.conftest import form_data

pytestmark = pytest.mark.django_db

ADD = "/admin/oauthhub/client/add/"
CHANGE = "/admin/oauthhub/client/{pk}/change/"
LIST = "/admin/oauthhub/client/"


def add_data(workspace, **fields) -> dict:
    data = {
        "workspace": workspace.pk,
        "name": "Billing",
        "client_type": "confidential",
        "enabled": "on",
        "grant_types": ["client_credentials"],
        "redirect_uris": "",
        "allowed_scopes": [s.pk for s in workspace.scopes.all()],
        "access_token_ttl": "",
        "refresh_token_ttl": "",
    }
    data.update(fields)
    return data


def add_client(admin_client, workspace, **fields):
    """Add a client through the admin; returns (response, client)."""
    response = admin_client.post(ADD, add_data(workspace, **fields))
    return response, Client.objects.filter(name=fields.get("name", "Billing")).first()


def test_adding_a_client_shows_its_secret_once_and_it_works(admin_client, workspace, issue_token):
    response, client = add_client(admin_client, workspace)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "oauthhub/admin/client_secret.html"
    secret = response.context["secret"]
    html = response.content.decode()
    assert html.count(secret) == 1
    assert client.client_id in html
    assert "will not be shown again" in html
    assert "no-store" in response["Cache-Control"]
    assert client.client_secret != secret and secret not in client.client_secret

    token = issue_token(client.client_id, secret)
    assert token.status_code == 200, token.content

    change_page = admin_client.get(CHANGE.format(pk=client.pk)).content.decode()
    assert secret not in change_page
    assert client.client_secret not in change_page  # nor its digest


def test_the_secret_goes_nowhere_but_the_page(admin_client, workspace):
    response, client = add_client(admin_client, workspace)
    secret = response.context["secret"]

    assert secret not in str(admin_client.cookies)
    assert secret not in str(dict(admin_client.session))
    assert not any(secret in entry.change_message for entry in LogEntry.objects.all())
    # The next page carries no leftover message with it.
    assert secret not in admin_client.get(LIST).content.decode()


def test_adding_a_public_client_has_no_secret_page(admin_client, workspace):
    response, client = add_client(
        admin_client,
        workspace,
        client_type="public",
        grant_types=["authorization_code"],
        redirect_uris="https://app.example.com/cb",
    )
    assert response.status_code == 302
    assert client.client_secret == ""


def test_redirect_uris_one_per_line_are_stored_space_separated(admin_client, workspace):
    response, client = add_client(
        admin_client,
        workspace,
        grant_types=["authorization_code"],
        redirect_uris="https://a.example.com/cb\r\n  http://127.0.0.1:8000/cb \n",
    )
    assert response.status_code == 200
    assert client.redirect_uris == "https://a.example.com/cb http://127.0.0.1:8000/cb"
    html = admin_client.get(CHANGE.format(pk=client.pk)).content.decode()
    assert "https://a.example.com/cb\nhttp://127.0.0.1:8000/cb</textarea>" in html


def test_bad_redirect_uri_is_refused_beside_the_field(admin_client, workspace):
    response, client = add_client(
        admin_client, workspace, grant_types=["authorization_code"], redirect_uris="http://app.example.com/cb"
    )
    assert client is None
    assert "use https" in " ".join(response.context["adminform"].form.errors["redirect_uris"])


def test_scopes_of_another_workspace_are_refused_on_add(admin_client, workspace, workspace_factory, scope_factory):
    other = scope_factory(workspace_factory("other"), "secrets")

    response, client = add_client(admin_client, workspace, allowed_scopes=[other.pk])

    assert client is None
    errors = response.context["adminform"].form.errors["allowed_scopes"]
    assert "another workspace" in errors[0] and "other:secrets" in errors[0]


def test_change_form_offers_only_the_workspaces_scopes(
    admin_client, confidential_client, workspace_factory, scope_factory
):
    other = scope_factory(workspace_factory("other"), "secrets")
    form = admin_client.get(CHANGE.format(pk=confidential_client.pk)).context["adminform"].form
    offered = set(form.fields["allowed_scopes"].queryset)
    assert offered == set(confidential_client.workspace.scopes.all())
    assert other not in offered


def test_change_form_hides_secret_and_unused_dot_fields(admin_client, confidential_client):
    response = admin_client.get(CHANGE.format(pk=confidential_client.pk))
    form = response.context["adminform"].form
    hidden = {"client_secret", "algorithm", "allowed_origins", "post_logout_redirect_uris",
              "hash_client_secret", "registration_source", "cimd_expires_at", "user"}
    assert not hidden & set(form.fields)
    assert "workspace" not in form.fields  # read-only once created
    assert "Empty: inherits 1 h from workspace acme." in response.content.decode()


def test_client_ttl_is_a_duration(admin_client, confidential_client, issue_token):
    url = CHANGE.format(pk=confidential_client.pk)
    data = form_data(admin_client.get(url))
    data["access_token_ttl"] = "10m"

    assert admin_client.post(url, data).status_code == 302
    confidential_client.refresh_from_db()
    assert confidential_client.access_token_ttl == 600
    token = issue_token(confidential_client.client_id, confidential_client.plain_secret)
    assert token.json()["expires_in"] == 600


def test_client_ttl_errors_come_from_the_model(admin_client, confidential_client):
    url = CHANGE.format(pk=confidential_client.pk)
    data = form_data(admin_client.get(url))
    data["refresh_token_ttl"] = "later"
    data["access_token_ttl"] = "2d"

    form = admin_client.post(url, data).context["adminform"].form
    assert "is not a duration" in form.errors["refresh_token_ttl"][0]
    assert "at most 1 day" in form.errors["access_token_ttl"][0]


def test_rotate_action_gives_a_new_working_secret(admin_client, confidential_client, issue_token):
    old = confidential_client.plain_secret

    response = admin_client.post(LIST, {"action": "rotate_secret", "_selected_action": [confidential_client.pk]})

    assert response.status_code == 200
    new = response.context["secret"]
    assert new != old and response.content.decode().count(new) == 1
    assert issue_token(confidential_client.client_id, new).status_code == 200
    assert issue_token(confidential_client.client_id, old).status_code == 401


def test_rotate_action_refuses_more_than_one(admin_client, confidential_client, client_factory):
    second = client_factory(confidential_client.workspace, name="Second")
    before = dict(Client.objects.values_list("pk", "client_secret"))

    response = admin_client.post(
        LIST, {"action": "rotate_secret", "_selected_action": [confidential_client.pk, second.pk]}, follow=True
    )

    assert "Select exactly one client" in response.content.decode()
    assert dict(Client.objects.values_list("pk", "client_secret")) == before


def test_rotate_action_on_a_public_client_changes_nothing(admin_client, workspace, client_factory):
    public = client_factory(
        workspace, public=True, grant_types=["authorization_code"], redirect_uris="https://a.example.com/cb"
    )
    response = admin_client.post(LIST, {"action": "rotate_secret", "_selected_action": [public.pk]}, follow=True)
    assert "public client" in response.content.decode()


def test_rotate_button_posts_to_its_own_url(admin_client, confidential_client, issue_token):
    url = f"/admin/oauthhub/client/{confidential_client.pk}/rotate-secret/"
    assert url in admin_client.get(CHANGE.format(pk=confidential_client.pk)).content.decode()
    assert admin_client.get(url).status_code == 405

    response = admin_client.post(url)

    assert response.status_code == 200
    assert issue_token(confidential_client.client_id, response.context["secret"]).status_code == 200
    assert issue_token(confidential_client.client_id, confidential_client.plain_secret).status_code == 401
    assert LogEntry.objects.filter(object_id=str(confidential_client.pk)).exists()


def test_rotate_url_needs_csrf(admin_user, confidential_client):
    from django.test import Client as BrowserClient

    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    response = browser.post(f"/admin/oauthhub/client/{confidential_client.pk}/rotate-secret/")
    assert response.status_code == 403


def test_list_shows_grant_types(admin_client, confidential_client):
    html = admin_client.get(LIST).content.decode()
    assert "client_credentials, authorization_code, refresh_token" in html
    assert confidential_client.client_id in html


def test_add_without_a_workspace_is_a_field_error(admin_client, workspace):
    response = admin_client.post(ADD, add_data(workspace) | {"workspace": "", "allowed_scopes": []})
    assert response.status_code == 200
    assert not Client.objects.exists()
    assert "workspace" in response.context["adminform"].form.errors


def test_grant_type_the_workspace_refuses_is_a_field_error(admin_client, workspace):
    Workspace.objects.filter(pk=workspace.pk).update(grant_types=["authorization_code"])
    response, client = add_client(admin_client, workspace)
    assert client is None
    assert "does not allow" in response.context["adminform"].form.errors["grant_types"][0]


def test_switching_to_confidential_shows_a_new_secret(admin_client, workspace, client_factory, issue_token):
    client = client_factory(workspace, public=True, grant_types=["authorization_code"],
                            redirect_uris="https://a.example.com/cb")
    url = CHANGE.format(pk=client.pk)
    data = form_data(admin_client.get(url)) | {"client_type": "confidential", "grant_types": ["client_credentials"]}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert issue_token(client.client_id, response.context["secret"]).status_code == 200


def test_switching_to_public_drops_the_secret(admin_client, confidential_client):
    url = CHANGE.format(pk=confidential_client.pk)
    data = form_data(admin_client.get(url)) | {"client_type": "public", "grant_types": ["authorization_code"]}

    assert admin_client.post(url, data).status_code == 302
    confidential_client.refresh_from_db()
    assert confidential_client.client_secret == ""


def test_ordinary_change_keeps_the_secret(admin_client, confidential_client, issue_token):
    url = CHANGE.format(pk=confidential_client.pk)
    assert admin_client.post(url, form_data(admin_client.get(url)) | {"name": "Renamed"}).status_code == 302
    assert issue_token(confidential_client.client_id, confidential_client.plain_secret).status_code == 200
