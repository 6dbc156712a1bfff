"""Token admins: read-only, workspace-aware, and never showing a token value."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

pytestmark = pytest.mark.django_db

ACCESS = "/admin/oauth2_provider/accesstoken/"
REFRESH = "/admin/oauth2_provider/refreshtoken/"


@pytest.fixture
def issued(confidential_client, issue_token):
    """A real access token from the token endpoint: (raw value, row)."""
    response = issue_token(confidential_client.client_id, confidential_client.plain_secret)
    raw = response.json()["access_token"]
    return raw, get_access_token_model().objects.get(application=confidential_client)


def test_token_value_never_appears(admin_client, issued):
    raw, row = issued
    pages = [ACCESS, f"{ACCESS}{row.pk}/change/", f"{ACCESS}?q={row.application.client_id}"]
    for url in pages:
        html = admin_client.get(url).content.decode()
        assert raw not in html, url
        assert row.token_checksum not in html, url


def test_list_shows_workspace_client_scope_and_state(admin_client, issued):
    _, row = issued
    response = admin_client.get(ACCESS)
    html = response.content.decode()
    assert '<td class="field-workspace">acme</td>' in html
    assert '<td class="field-state">active</td>' in html
    assert '<td class="field-scope">read</td>' in html


def test_state_filter(admin_client, issued):
    _, row = issued
    assert admin_client.get(ACCESS, {"state": "active"}).context["cl"].result_count == 1
    assert admin_client.get(ACCESS, {"state": "expired"}).context["cl"].result_count == 0
    get_access_token_model().objects.filter(pk=row.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert admin_client.get(ACCESS, {"state": "expired"}).context["cl"].result_count == 1


def test_workspace_filter(admin_client, issued, workspace_factory):
    _, row = issued
    other = workspace_factory("other")
    workspace_param = "application__workspace__id__exact"
    assert admin_client.get(ACCESS, {workspace_param: row.application.workspace_id}).context["cl"].result_count == 1
    assert admin_client.get(ACCESS, {workspace_param: other.pk}).context["cl"].result_count == 0


def test_token_pages_are_read_only(admin_client, issued):
    _, row = issued
    url = f"{ACCESS}{row.pk}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert admin_client.post(url, {"scope": "write"}).status_code == 403
    assert admin_client.post(f"{ACCESS}{row.pk}/delete/").status_code == 403
    row.refresh_from_db()
    assert row.scope == "read"


def test_refresh_token_states(admin_client, refresh_token):
    def count(state: str) -> int:
        return admin_client.get(REFRESH, {"state": state}).context["cl"].result_count

    assert (count("active"), count("expired"), count("revoked")) == (1, 0, 0)
    refresh_token.oauthhub_expiry.expires = timezone.now() - timedelta(seconds=1)
    refresh_token.oauthhub_expiry.save()
    assert (count("active"), count("expired"), count("revoked")) == (0, 1, 0)
    refresh_token.revoke()
    assert (count("active"), count("expired"), count("revoked")) == (0, 0, 1)


def test_refresh_token_list_hides_the_value(admin_client, refresh_token):
    for url in (REFRESH, f"{REFRESH}{refresh_token.pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert refresh_token.token_checksum not in html
        assert "active" in html


def test_revoke_action_revokes_refresh_and_access_token(admin_client, refresh_token):
    access_pk = refresh_token.access_token_id
    response = admin_client.post(ACCESS, {"action": "revoke", "_selected_action": [access_pk]}, follow=True)
    assert "Revoked 2 token(s)." in response.content.decode()  # the access token and its refresh token
    assert not get_access_token_model().objects.filter(pk=access_pk).exists()
    assert get_refresh_token_model().objects.get(pk=refresh_token.pk).revoked is not None


def test_revoke_needs_change_permission(client, issued, django_user_model):
    from django.contrib.auth.models import Permission

    from oauthhub.models import WorkspaceAdmin

    _, row = issued
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_accesstoken"))
    WorkspaceAdmin.objects.create(user=viewer, workspace=row.application.workspace)
    client.force_login(viewer)

    response = client.get(ACCESS)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert response.context["action_form"] is None  # no action offered to a viewer
    client.post(ACCESS, {"action": "revoke", "_selected_action": [row.pk]})
    assert get_access_token_model().objects.filter(pk=row.pk).exists()
