"""Workspace admin: lifetimes typed as human durations, errors beside their field."""

from __future__ import annotations

import pytest

from oauthhub.admin.forms import compact
from oauthhub.models import Workspace
from tests.admin.conftest import form_data

pytestmark = pytest.mark.django_db

CHANGE = "/admin/oauthhub/workspace/{pk}/change/"


def change(admin_client, workspace, **fields):
    """Submit the workspace's change form with ``fields`` changed."""
    url = CHANGE.format(pk=workspace.pk)
    data = form_data(admin_client.get(url))
    data.update(fields)
    return admin_client.post(url, data)


def field_errors(response, name: str) -> list[str]:
    return response.context["adminform"].form.errors.get(name, [])


def assert_error_beside(response, name: str, text: str) -> None:
    assert response.status_code == 200
    assert any(text in message for message in field_errors(response, name)), field_errors(response, name)
    # Rendered in that field's own row, not only at the top of the page.
    assert f"errors field-{name}" in response.content.decode()


@pytest.mark.parametrize(
    ("seconds", "text"), [(900, "15m"), (3600, "1h"), (30 * 86400, "30d"), (90, "90s"), (86400 + 1, "86401s")]
)
def test_compact_round_trips_through_parse(seconds, text):
    from oauthhub.durations import parse

    assert compact(seconds) == text
    assert parse(text) == seconds


def test_ttl_of_15m_saves_900_and_applies_to_the_next_token(admin_client, confidential_client, issue_token):
    workspace = confidential_client.workspace
    response = change(admin_client, workspace, access_token_ttl="15m")

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    workspace.refresh_from_db()
    assert workspace.access_token_ttl == 900
    token = issue_token(confidential_client.client_id, confidential_client.plain_secret)
    assert token.status_code == 200, token.content
    assert token.json()["expires_in"] == 900


def test_stored_ttl_is_shown_as_a_duration_that_parses(admin_client, workspace):
    Workspace.objects.filter(pk=workspace.pk).update(access_token_ttl=900, refresh_token_ttl=30 * 86400)
    html = admin_client.get(CHANGE.format(pk=workspace.pk)).content.decode()
    assert 'name="access_token_ttl" value="15m"' in html
    assert 'name="refresh_token_ttl" value="30d"' in html
    assert "Now 15 min." in html


def test_help_text_shows_bounds_and_what_empty_inherits(admin_client, workspace):
    html = admin_client.get(CHANGE.format(pk=workspace.pk)).content.decode()
    assert "Allowed: 1 s to 1 day." in html
    assert "Empty: inherits 1 h from the site default." in html


def test_help_text_shows_the_profile_bounds(admin_client, workspace_factory):
    workspace = workspace_factory("bank", profile="open_banking")
    html = admin_client.get(CHANGE.format(pk=workspace.pk)).content.decode()
    assert "Allowed: 1 s to 10 min." in html


def test_ttl_above_the_bound_is_refused_beside_the_field(admin_client, workspace):
    response = change(admin_client, workspace, access_token_ttl="25h")

    assert_error_beside(response, "access_token_ttl", "at most 1 day")
    workspace.refresh_from_db()
    assert workspace.access_token_ttl is None


def test_refresh_shorter_than_access_is_refused_beside_refresh(admin_client, workspace):
    response = change(admin_client, workspace, access_token_ttl="2h", refresh_token_ttl="1h")

    assert_error_beside(response, "refresh_token_ttl", "at least the access token TTL")
    workspace.refresh_from_db()
    assert (workspace.access_token_ttl, workspace.refresh_token_ttl) == (None, None)


def test_unparseable_duration_is_a_field_error(admin_client, workspace):
    response = change(admin_client, workspace, id_token_ttl="soon")

    assert_error_beside(response, "id_token_ttl", "is not a duration")
    # The admin's text is shown back as typed, to be corrected.
    assert 'name="id_token_ttl" value="soon"' in response.content.decode()


def test_emptying_a_ttl_inherits_again(admin_client, workspace):
    Workspace.objects.filter(pk=workspace.pk).update(access_token_ttl=900)
    assert change(admin_client, workspace, access_token_ttl="").status_code == 302
    workspace.refresh_from_db()
    assert workspace.access_token_ttl is None


def test_grant_types_are_checkboxes(admin_client, workspace):
    response = change(admin_client, workspace, grant_types=["client_credentials"])
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.grant_types == ["client_credentials"]
    html = admin_client.get(CHANGE.format(pk=workspace.pk)).content.decode()
    assert 'type="checkbox" name="grant_types" value="authorization_code"' in html


def test_list_shows_effective_lifetimes_in_words(admin_client, workspace):
    Workspace.objects.filter(pk=workspace.pk).update(access_token_ttl=900)
    html = admin_client.get("/admin/oauthhub/workspace/").content.decode()
    assert "15 min" in html
    assert "30 days (site default)" in html


def test_add_open_banking_workspace_with_empty_ttls_gets_the_presets(admin_client, db):
    data = form_data(admin_client.get("/admin/oauthhub/workspace/add/"))
    data.update(slug="bank", name="Bank", profile="open_banking")

    response = admin_client.post("/admin/oauthhub/workspace/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    workspace = Workspace.objects.get(slug="bank")
    assert workspace.access_token_ttl == 300
    assert workspace.grant_types == list(Workspace.GrantType.values)


def test_scopes_are_edited_inline(admin_client, workspace):
    url = CHANGE.format(pk=workspace.pk)
    data = form_data(admin_client.get(url))
    extra = int(data["scopes-TOTAL_FORMS"]) - 1  # the blank row
    data.update({f"scopes-{extra}-name": "admin", f"scopes-{extra}-description": "Administer"})

    assert admin_client.post(url, data).status_code == 302
    assert set(workspace.scopes.values_list("name", flat=True)) == {"read", "write", "admin"}
