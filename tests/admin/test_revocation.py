"""Revoking tokens from the admin: each action revokes what it says and nothing else, audited under the admin.

Every token here is a real one from the token endpoint; a revoked JWT is then
refused by the test host's protected view (it validates workspace acme's
tokens in-process), while the tokens an action must not touch keep working.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from oauthhub.models import AuditEvent, IssuedToken, Workspace, WorkspaceAdmin
from tests.admin.conftest import access_row, cc_token, jti, refresh_row
from tests.conftest import basic_auth

pytestmark = pytest.mark.django_db

ACCESS = "/admin/oauth2_provider/accesstoken/"
REFRESH = "/admin/oauth2_provider/refreshtoken/"
CLIENTS = "/admin/oauthhub/client/"
WORKSPACES = "/admin/oauthhub/workspace/"


# Helpers -------------------------------------------------------------------------------


@pytest.fixture
def act(admin_client, django_capture_on_commit_callbacks):
    """POST an admin action as a browser would; on_commit hooks run, as when the request commits."""

    def run(url: str, action: str, rows, **extra):
        data = {"action": action, "_selected_action": [row.pk for row in rows], **extra}
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(url, data, follow=True)

    return run


@pytest.fixture
def whoami(client):
    def call(tokens: dict) -> int:
        return client.get("/api-test/whoami", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code

    return call


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def the_event(admin_user, **fields) -> AuditEvent:
    event = AuditEvent.objects.get(**fields)
    assert event.actor == admin_user
    assert event.action == AuditEvent.Action.TOKENS_REVOKED
    assert event.detail["reason"] == "revoked in the admin"
    return event


# Revoke selected ----------------------------------------------------------------------


def test_revoke_selected_access_token_takes_its_refresh_token(scene, act, whoami, admin_user):
    assert whoami(scene.alice_app) == 200

    response = act(ACCESS, "revoke", [access_row(scene.alice_app["access_token"])])

    assert messages_of(response) == ["Revoked 2 token(s)."]
    assert scene.survivors() == {"bob_app", "alice_tool", "alice_far", "cc_app", "cc_tool"}
    record = IssuedToken.objects.get(jti=jti(scene.alice_app["access_token"]))
    assert record.revoked_at is not None and record.access_token is None
    event = the_event(admin_user)
    assert event.workspace == scene.app.workspace
    assert event.detail == {"reason": "revoked in the admin", "access_tokens": 1, "refresh_tokens": 1}
    assert event.target.startswith("access token #")
    assert whoami(scene.alice_app) == 401
    assert whoami(scene.bob_app) == 200


def test_revoke_selected_refresh_token_takes_its_access_token(scene, act, whoami, admin_user, post_form):
    response = act(REFRESH, "revoke", [refresh_row(scene.bob_app["refresh_token"])])

    assert messages_of(response) == ["Revoked 2 token(s)."]
    assert scene.survivors() == {"alice_app", "alice_tool", "alice_far", "cc_app", "cc_tool"}
    assert the_event(admin_user).detail == {"reason": "revoked in the admin", "access_tokens": 1, "refresh_tokens": 1}
    assert whoami(scene.bob_app) == 401
    assert whoami(scene.alice_app) == 200
    refreshed = post_form(
        "/auth/acme/oauth2/token", {"grant_type": "refresh_token", "refresh_token": scene.bob_app["refresh_token"]},
        HTTP_AUTHORIZATION=basic_auth(scene.app.client_id, scene.app.plain_secret),
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_revoke_selected_across_workspaces_is_one_event_per_workspace(scene, act, admin_user):
    rows = [access_row(scene.alice_app["access_token"]), access_row(scene.alice_far["access_token"])]

    response = act(ACCESS, "revoke", rows)

    assert messages_of(response) == ["Revoked 4 token(s)."]
    assert scene.survivors() == {"bob_app", "alice_tool", "cc_app", "cc_tool"}
    for ws in (scene.app.workspace, scene.far.workspace):
        event = the_event(admin_user, workspace=ws)
        assert (event.detail["access_tokens"], event.detail["refresh_tokens"]) == (1, 1)


def test_revoking_an_already_revoked_refresh_token_counts_nothing(scene, act, admin_user):
    row = refresh_row(scene.bob_app["refresh_token"])
    act(REFRESH, "revoke", [row])

    response = act(REFRESH, "revoke", [row])

    assert messages_of(response) == ["Revoked 0 token(s)."]
    assert scene.survivors() == {"alice_app", "alice_tool", "alice_far", "cc_app", "cc_tool"}
    latest = AuditEvent.objects.first()  # newest first
    assert latest.actor == admin_user and latest.detail["access_tokens"] == latest.detail["refresh_tokens"] == 0


# Revoke all tokens of these users -----------------------------------------------------


def test_revoke_users_revokes_every_token_of_the_user_in_the_selected_workspace(scene, act, whoami, admin_user):
    response = act(ACCESS, "revoke_users", [access_row(scene.alice_app["access_token"])])

    assert messages_of(response) == ["Revoked 4 token(s) of 1 user(s)."]
    # alice's token from another client of acme goes too; her token in "other", bob's and the clients' stay.
    assert scene.survivors() == {"bob_app", "alice_far", "cc_app", "cc_tool"}
    event = the_event(admin_user)
    assert event.workspace == scene.app.workspace
    assert event.target == f"user {scene.alice.pk}"
    assert (event.detail["access_tokens"], event.detail["refresh_tokens"]) == (2, 2)
    assert whoami(scene.alice_app) == whoami(scene.alice_tool) == 401
    assert whoami(scene.bob_app) == whoami(scene.cc_app) == 200


def test_revoke_users_from_refresh_tokens_of_two_users(scene, act, admin_user):
    rows = [refresh_row(scene.alice_far["refresh_token"]), refresh_row(scene.bob_app["refresh_token"])]

    response = act(REFRESH, "revoke_users", rows)

    assert messages_of(response) == ["Revoked 4 token(s) of 2 user(s)."]
    # alice only in "other" (the selected row's workspace), bob only in acme.
    assert scene.survivors() == {"alice_app", "alice_tool", "cc_app", "cc_tool"}
    assert {(e.workspace.slug, e.target) for e in AuditEvent.objects.all()} == {
        ("other", f"user {scene.alice.pk}"), ("acme", f"user {scene.bob.pk}"),
    }
    assert all(event.actor == admin_user for event in AuditEvent.objects.all())


def test_revoke_users_of_client_credentials_tokens_does_nothing(scene, act):
    response = act(ACCESS, "revoke_users", [access_row(scene.cc_app["access_token"])])

    assert "belong to no user" in messages_of(response)[0]
    assert scene.survivors() == set(scene.everything())
    assert not AuditEvent.objects.exists()


# Revoke all tokens of these clients (token lists and client list) ----------------------


def test_revoke_clients_from_the_token_list(scene, act, whoami, admin_user):
    response = act(ACCESS, "revoke_clients", [access_row(scene.cc_tool["access_token"])])

    assert messages_of(response) == ["Revoked 3 token(s) of 1 client(s)."]
    assert scene.survivors() == {"alice_app", "bob_app", "alice_far", "cc_app"}
    event = the_event(admin_user)
    assert event.target == f"client {scene.tool.client_id}"
    assert (event.detail["access_tokens"], event.detail["refresh_tokens"]) == (2, 1)
    assert whoami(scene.cc_tool) == whoami(scene.alice_tool) == 401
    assert whoami(scene.cc_app) == whoami(scene.alice_app) == 200


def test_client_admin_revoke_all_tokens(scene, act, whoami, admin_user):
    response = act(CLIENTS, "revoke_tokens", [scene.app])

    assert messages_of(response) == ["Revoked 5 token(s) of 1 client(s)."]
    assert scene.survivors() == {"alice_tool", "alice_far", "cc_tool"}
    event = the_event(admin_user)
    assert event.workspace == scene.app.workspace
    assert event.target == f"client {scene.app.client_id}"
    assert (event.detail["access_tokens"], event.detail["refresh_tokens"]) == (3, 2)
    assert whoami(scene.alice_app) == whoami(scene.bob_app) == whoami(scene.cc_app) == 401
    assert whoami(scene.alice_tool) == whoami(scene.cc_tool) == 200


def test_client_admin_revoke_two_clients_of_two_workspaces(scene, act, admin_user):
    response = act(CLIENTS, "revoke_tokens", [scene.tool, scene.far])

    assert messages_of(response) == ["Revoked 5 token(s) of 2 client(s)."]
    assert scene.survivors() == {"alice_app", "bob_app", "cc_app"}
    assert {event.target for event in AuditEvent.objects.all()} == {
        f"client {scene.tool.client_id}", f"client {scene.far.client_id}",
    }


# Workspace: revoke all tokens, after a confirmation ------------------------------------


def test_workspace_confirmation_shows_live_counts_and_revokes_nothing(scene, admin_client, workspace_factory):
    empty = workspace_factory("empty")
    selected = [scene.app.workspace, scene.far.workspace, empty]
    data = {"action": "revoke_tokens", "_selected_action": [ws.pk for ws in selected]}

    response = admin_client.post(WORKSPACES, data)

    assert response.status_code == 200
    assert response.templates[0].name == "oauthhub/admin/workspace_revoke_tokens_confirmation.html"
    assert [(ws.slug, a, r) for ws, a, r in response.context["rows"]] == [  # by slug
        ("acme", 5, 3), ("empty", 0, 0), ("other", 1, 1),
    ]
    html = response.content.decode()
    assert '<td class="access-tokens">5</td>' in html and '<td class="refresh-tokens">3</td>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="post" value="yes">' in html
    assert scene.survivors() == set(scene.everything())
    assert not AuditEvent.objects.exists()


def test_workspace_revoke_after_confirmation(scene, act, whoami, admin_user):
    response = act(WORKSPACES, "revoke_tokens", [scene.app.workspace], post="yes")

    assert messages_of(response) == ["Revoked 8 token(s) of workspace acme."]
    assert scene.survivors() == {"alice_far"}
    event = the_event(admin_user)
    assert event.workspace == scene.app.workspace
    assert event.target == "workspace acme"
    assert (event.detail["access_tokens"], event.detail["refresh_tokens"]) == (5, 3)
    for tokens in (scene.alice_app, scene.bob_app, scene.alice_tool, scene.cc_app, scene.cc_tool):
        assert whoami(tokens) == 401


def test_workspace_confirmation_needs_csrf(scene, admin_user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    data = {"action": "revoke_tokens", "_selected_action": [scene.app.workspace.pk], "post": "yes"}
    assert browser.post(WORKSPACES, data).status_code == 403
    assert scene.survivors() == set(scene.everything())


def test_a_new_token_works_after_the_workspace_was_revoked(scene, act, whoami, post_form):
    act(WORKSPACES, "revoke_tokens", [scene.app.workspace], post="yes")
    assert whoami(cc_token(post_form, scene.app)) == 200


# Permissions -----------------------------------------------------------------------------


@pytest.fixture
def staff(client, django_user_model):
    """A staff user logged in on ``client`` with only the permissions given, admin of every workspace there is."""

    def make(*codenames: str):
        user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
        for workspace in Workspace.objects.all():
            WorkspaceAdmin.objects.create(user=user, workspace=workspace)
        client.force_login(user)
        return client

    return make


def offered(response) -> set[str]:
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def test_revocation_actions_need_change_permission_on_both_token_models(scene, staff):
    browser = staff("view_accesstoken", "change_accesstoken", "view_client", "change_client", "view_workspace",
                    "change_workspace")
    assert offered(browser.get(ACCESS)) == set()
    assert "revoke_tokens" not in offered(browser.get(CLIENTS))
    assert "revoke_tokens" not in offered(browser.get(WORKSPACES))
    browser.post(CLIENTS, {"action": "revoke_tokens", "_selected_action": [scene.app.pk]})
    browser.post(WORKSPACES, {"action": "revoke_tokens", "_selected_action": [scene.app.workspace.pk], "post": "yes"})
    assert scene.survivors() == set(scene.everything())


def test_change_permission_on_both_token_models_offers_every_action(scene, staff):
    browser = staff("view_accesstoken", "change_accesstoken", "change_refreshtoken", "view_client",
                    "view_workspace")
    assert offered(browser.get(ACCESS)) == {"revoke", "revoke_users", "revoke_clients"}
    assert offered(browser.get(CLIENTS)) == {"revoke_tokens"}
    assert offered(browser.get(WORKSPACES)) == {"revoke_tokens"}


# The jti column ------------------------------------------------------------------------


def test_token_lists_show_the_jti_and_never_the_token(scene, admin_client):
    access, refresh = scene.alice_app["access_token"], scene.alice_app["refresh_token"]
    for url in (ACCESS, REFRESH, f"{ACCESS}{access_row(access).pk}/change/", f"{REFRESH}{refresh_row(refresh).pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert f"{jti(access)}" in html, url
        assert access not in html and refresh not in html, url


def test_token_lists_can_be_searched_by_jti(scene, admin_client):
    wanted = jti(scene.bob_app["access_token"])
    for url in (ACCESS, REFRESH):
        result = admin_client.get(url, {"q": wanted}).context["cl"].result_list
        assert [row.user for row in result] == [scene.bob], url


def test_revoked_refresh_token_shows_no_jti(scene, act, admin_client):
    row = refresh_row(scene.bob_app["refresh_token"])
    act(REFRESH, "revoke", [row])
    html = admin_client.get(f"{REFRESH}{row.pk}/change/").content.decode()
    assert jti(scene.bob_app["access_token"]) not in html
