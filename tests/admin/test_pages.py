"""Every admin page oauthhub registers renders, and DOT's own registrations are gone."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_access_token_model, get_grant_model, get_id_token_model, get_refresh_token_model

from oauthhub.admin.client import ClientAdmin
from oauthhub.models import Client, Scope, Workspace

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/oauthhub/workspace/",
    "/admin/oauthhub/scope/",
    "/admin/oauthhub/client/",
    "/admin/oauth2_provider/accesstoken/",
    "/admin/oauth2_provider/refreshtoken/",
]


@pytest.fixture
def everything(confidential_client, refresh_token):
    """One row of every model the admin shows."""
    return {
        "workspace": confidential_client.workspace,
        "scope": confidential_client.workspace.scopes.first(),
        "client": confidential_client,
        "accesstoken": refresh_token.access_token,
        "refreshtoken": refresh_token,
    }


def test_our_admins_replace_dots():
    registry = admin.site._registry
    assert isinstance(registry[Client], ClientAdmin)
    assert Workspace in registry and Scope in registry
    assert registry[get_access_token_model()].__module__ == "oauthhub.admin.token"
    assert registry[get_refresh_token_model()].__module__ == "oauthhub.admin.token"
    assert get_grant_model() not in registry
    assert get_id_token_model() not in registry


@pytest.mark.parametrize("url", CHANGELISTS)
def test_changelists_render(admin_client, everything, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("url", CHANGELISTS[3:])
@pytest.mark.parametrize("state", ["active", "expired", "revoked"])
def test_token_state_filter_renders(admin_client, everything, url, state):
    assert admin_client.get(url, {"state": state}).status_code == 200


@pytest.mark.parametrize("name", ["workspace", "scope", "client", "accesstoken", "refreshtoken"])
def test_change_pages_render(admin_client, everything, name):
    obj = everything[name]
    url = f"/admin/{obj._meta.app_label}/{name}/{obj.pk}/change/"
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["workspace", "scope", "client"])
def test_add_pages_render(admin_client, db, name):
    assert admin_client.get(f"/admin/oauthhub/{name}/add/").status_code == 200


@pytest.mark.parametrize("name", ["accesstoken", "refreshtoken"])
def test_tokens_cannot_be_added(admin_client, db, name):
    assert admin_client.get(f"/admin/oauth2_provider/{name}/add/").status_code == 403


@pytest.mark.parametrize("url", CHANGELISTS[2:])
def test_list_queries_do_not_grow_with_rows(
    admin_client, confidential_client, client_factory, admin_user, token_pair_factory, url
):
    def add_rows() -> None:
        client = client_factory(confidential_client.workspace)
        token_pair_factory(client, admin_user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    add_rows()
    one = count()
    for _ in range(4):
        add_rows()
    assert count() == one
