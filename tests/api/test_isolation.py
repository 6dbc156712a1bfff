"""An admin token limited to one workspace: the others' objects are 404s and never appear in lists."""

from __future__ import annotations

import pytest

from oauthhub import revocation
from oauthhub.models import AuditEvent, IssuedToken, SigningKey
from tests.api.conftest import API
from tests.conftest import basic_auth


@pytest.fixture
def two(workspace, workspace_factory, scope_factory, client_factory, post_form):
    """acme (managed) and globex (not), each with a scope, a client, keys, a token and an audit event."""
    globex = workspace_factory("globex", name="Globex")
    scope_factory(globex, "secret-scope")
    objects = {}
    for ws in (workspace, globex):
        app = client_factory(ws, scopes=list(ws.scopes.all()), name=f"{ws.slug} app")
        response = post_form(f"/auth/{ws.slug}/oauth2/token", {"grant_type": "client_credentials"},
                             HTTP_AUTHORIZATION=basic_auth(app.client_id, app.plain_secret))
        assert response.status_code == 200
        AuditEvent.objects.create(workspace=ws, action="settings_changed", target=f"workspace {ws.slug}")
        objects[ws.slug] = {
            "client": app,
            "scope": ws.scopes.first(),
            "key": SigningKey.objects.filter(workspace=ws).first(),
            "token": IssuedToken.objects.get(workspace=ws),
            "event": AuditEvent.objects.get(workspace=ws),
        }
    AuditEvent.objects.create(workspace=None, action="tokens_revoked", target="site-wide")
    return objects


@pytest.fixture
def limited(api_as, workspace):
    return api_as(workspaces=[workspace])


def test_lists_show_only_the_managed_workspace(limited, two):
    assert [w["slug"] for w in limited.get(f"{API}/workspaces/").json()["results"]] == ["acme"]
    events = limited.get(f"{API}/audit-events/").json()["results"]
    assert {e["workspace"] for e in events} == {"acme"}
    assert limited.get(f"{API}/audit-events/", {"workspace": "globex"}).json()["count"] == 0


@pytest.mark.parametrize("path", [
    "workspaces/globex/",
    "workspaces/globex/scopes/",
    "workspaces/globex/clients/",
    "workspaces/globex/keys/",
    "workspaces/globex/tokens/",
    "workspaces/system/",
    "workspaces/system/clients/",
])
def test_other_workspaces_are_404(limited, two, path):
    response = limited.get(f"{API}/{path}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_other_workspace_objects_are_404_on_every_method(limited, two):
    other = two["globex"]
    urls = {
        "scope": f"{API}/workspaces/globex/scopes/{other['scope'].pk}/",
        "client": f"{API}/workspaces/globex/clients/{other['client'].client_id}/",
        "key": f"{API}/workspaces/globex/keys/{other['key'].kid}/",
        "token": f"{API}/workspaces/globex/tokens/{other['token'].jti}/",
        "event": f"{API}/audit-events/{other['event'].pk}/",
    }
    for url in urls.values():
        assert limited.get(url).status_code == 404, url
    attempts = [
        limited.patch(f"{API}/workspaces/globex/", {"name": "pwned"}, format="json"),
        limited.delete(f"{API}/workspaces/globex/?confirm=globex"),
        limited.post(f"{API}/workspaces/globex/disable/"),
        limited.post(f"{API}/workspaces/globex/scopes/", {"name": "x"}, format="json"),
        limited.delete(urls["scope"]),
        limited.post(f"{API}/workspaces/globex/clients/", {"name": "x", "grant_types": ["client_credentials"]},
                     format="json"),
        limited.post(f"{urls['client']}rotate-secret/"),
        limited.post(f"{API}/workspaces/globex/keys/rotate/", {"force": True}, format="json"),
        limited.post(f"{urls['key']}revoke/"),
        limited.post(f"{urls['token']}revoke/"),
        limited.post(f"{API}/workspaces/globex/tokens/revoke/", {"client": other["client"].client_id}, format="json"),
    ]
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert not AuditEvent.objects.filter(actor_label=limited.admin.client_id).exists()
    assert not revocation.is_revoked(other["token"].jti)


def test_objects_cannot_be_reached_through_the_managed_workspace(limited, two):
    """A foreign object's id under the managed workspace's URL is a 404 too."""
    other = two["globex"]
    for url in (
        f"{API}/workspaces/acme/scopes/{other['scope'].pk}/",
        f"{API}/workspaces/acme/clients/{other['client'].client_id}/",
        f"{API}/workspaces/acme/keys/{other['key'].kid}/",
        f"{API}/workspaces/acme/tokens/{other['token'].jti}/",
    ):
        assert limited.get(url).status_code == 404, url
    response = limited.post(f"{API}/workspaces/acme/tokens/revoke/", {"client": other["client"].client_id},
                            format="json")
    assert response.status_code == 400  # not in this workspace; nothing said about where it is
    assert response.json()["errors"] == {"client": ["No client with this client_id in this workspace."]}


def test_allowed_scopes_cannot_name_another_workspaces_scope(limited, two):
    response = limited.post(f"{API}/workspaces/acme/clients/", {
        "name": "x", "grant_types": ["client_credentials"], "allowed_scopes": ["secret-scope"],
    }, format="json")
    assert response.status_code == 400
    assert "allowed_scopes" in response.json()["errors"]


def test_managed_workspace_works(limited, two):
    mine = two["acme"]
    assert limited.get(f"{API}/workspaces/acme/clients/{mine['client'].client_id}/").status_code == 200
    assert limited.get(f"{API}/workspaces/acme/tokens/").json()["count"] == 1
    assert limited.patch(f"{API}/workspaces/acme/", {"name": "Mine"}, format="json").status_code == 200


def test_site_wide_events_only_for_admins_of_every_workspace(api, limited, two):
    assert api.get(f"{API}/audit-events/", {"action": "tokens_revoked"}).json()["count"] == 1
    assert limited.get(f"{API}/audit-events/", {"action": "tokens_revoked"}).json()["count"] == 0


def test_grant_with_no_workspaces_manages_none(api_as, two):
    api = api_as(workspaces=[])
    assert api.get(f"{API}/workspaces/").json()["count"] == 0
    assert api.get(f"{API}/workspaces/acme/").status_code == 404
    assert api.get(f"{API}/audit-events/").json()["count"] == 0


def test_grant_changes_apply_to_live_tokens(limited, two):
    grant = limited.admin.admin_grant
    grant.workspaces.add(two["globex"]["client"].workspace)
    assert {w["slug"] for w in limited.get(f"{API}/workspaces/").json()["results"]} == {"acme", "globex"}
    grant.workspaces.clear()
    assert limited.get(f"{API}/workspaces/acme/").status_code == 404
