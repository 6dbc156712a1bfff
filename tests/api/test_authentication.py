"""Who gets in: admin tokens of the system workspace (scopes, revocation), staff sessions (CSRF, permissions)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from oauthhub.models import AdminClientGrant, WorkspaceAdmin
from tests.api.conftest import API, READ, WRITE
from tests.conftest import REDIRECT_URI, basic_auth

WORKSPACES = f"{API}/workspaces/"


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


# No or bad credentials: 401 with an RFC 6750 challenge -------------------------------------------


def test_no_credentials_is_401_with_bare_bearer_challenge(db):
    response = APIClient().get(WORKSPACES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="oauthhub"'
    assert response.json() == {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 9000])
def test_malformed_token_is_invalid_token(system, token):
    response = bearer(token).get(WORKSPACES)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response.json()["code"] == "invalid_token"


def test_token_in_query_string_is_refused(system, admin_client_factory, admin_token):
    token = admin_token(admin_client_factory())
    response = APIClient().get(f"{WORKSPACES}?access_token={token}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_token_of_another_workspace_is_never_accepted(system, workspace, client_factory, post_form):
    # An ordinary client of acme, even one allowed scopes named like the system's.
    from oauthhub.models import Scope

    scopes = [Scope.objects.create(workspace=workspace, name=name) for name in (READ, WRITE)]
    outsider = client_factory(workspace, scopes=scopes)
    response = post_form(
        "/auth/acme/oauth2/token", {"grant_type": "client_credentials", "scope": f"{READ} {WRITE}"},
        HTTP_AUTHORIZATION=basic_auth(outsider.client_id, outsider.plain_secret),
    )
    assert response.status_code == 200, response.content
    response = bearer(response.json()["access_token"]).get(WORKSPACES)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_system_client_without_a_grant_manages_nothing(system, client_factory, admin_token, workspace):
    # Someone adds a client to the system workspace by hand: its tokens validate, but reach nothing.
    stray = client_factory(system, scopes=list(system.scopes.all()))
    api = bearer(admin_token(stray))
    assert api.get(WORKSPACES).json()["results"] == []
    assert api.get(f"{WORKSPACES}acme/").status_code == 404
    assert api.post(WORKSPACES, {"slug": "new", "name": "New"}, format="json").status_code == 403


def test_revoked_admin_token_is_refused(system, admin_client_factory, admin_token, django_capture_on_commit_callbacks):
    from oauthhub import revocation

    admin = admin_client_factory()
    api = bearer(admin_token(admin))
    assert api.get(WORKSPACES).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        revocation.revoke_client(admin, reason="test")
    response = api.get(WORKSPACES)
    assert response.status_code == 401
    assert response.json() == {"code": "invalid_token", "detail": "The access token was revoked."}


def test_disabled_admin_client_token_is_refused(system, admin_client_factory, admin_token,
                                                django_capture_on_commit_callbacks):
    admin = admin_client_factory()
    api = bearer(admin_token(admin))
    with django_capture_on_commit_callbacks(execute=True):
        admin.enabled = False
        admin.save()
    assert api.get(WORKSPACES).status_code == 401


def test_disabled_system_workspace_refuses_every_token(system, admin_client_factory, admin_token):
    api = bearer(admin_token(admin_client_factory()))
    system.enabled = False
    system.save()
    response = api.get(WORKSPACES)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_system_workspace_setting_names_the_issuer(settings, admin_client_factory, admin_token):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "SYSTEM_WORKSPACE": "mgmt"}
    admin = admin_client_factory()  # creates the "mgmt" workspace on the way
    assert admin.workspace.slug == "mgmt"
    assert bearer(admin_token(admin)).get(WORKSPACES).status_code == 200


# Scopes ------------------------------------------------------------------------------------------------


def test_read_scope_reads_but_cannot_write(api_as, workspace):
    api = api_as(scopes=[READ])
    assert api.get(WORKSPACES).status_code == 200
    assert api.get(f"{WORKSPACES}acme/clients/").status_code == 200
    response = api.patch(f"{WORKSPACES}acme/", {"name": "Changed"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert response["WWW-Authenticate"] == (
        'Bearer realm="oauthhub", error="insufficient_scope", '
        'error_description="The access token lacks the oauthhub:write scope.", scope="oauthhub:write"'
    )
    workspace.refresh_from_db()
    assert workspace.name == "Acme"


def test_write_scope_alone_reads_and_writes(api_as, workspace):
    api = api_as(scopes=[WRITE])
    assert api.get(f"{WORKSPACES}acme/").status_code == 200
    assert api.patch(f"{WORKSPACES}acme/", {"name": "Changed"}, format="json").status_code == 200


def test_token_asked_with_fewer_scopes_gets_fewer(admin_client_factory, admin_token, workspace):
    admin = admin_client_factory()
    api = bearer(admin_token(admin, scope=READ))
    assert api.get(WORKSPACES).status_code == 200
    assert api.patch(f"{WORKSPACES}acme/", {"name": "x"}, format="json").json()["code"] == "insufficient_scope"


def test_token_without_any_api_scope_is_403_on_reads(admin_client_factory, admin_token, workspace):
    admin = admin_client_factory()
    AdminClientGrant.objects.filter(client=admin).update(all_workspaces=True)
    admin.allowed_scopes.set([])  # a token with no scope at all
    response = bearer(admin_token(admin)).get(WORKSPACES)
    assert response.status_code == 403
    assert 'scope="oauthhub:read"' in response["WWW-Authenticate"]


# Staff sessions -----------------------------------------------------------------------------------------


@pytest.fixture
def browser():
    """A session client with CSRF checks on, as a browser is."""
    return APIClient(enforce_csrf_checks=True)


def csrf_token(browser) -> str:
    browser.get("/accounts/login/")
    return browser.cookies["csrftoken"].value


def test_superuser_session_reads_and_writes_with_csrf(browser, staff_factory, workspace):
    browser.force_login(staff_factory(superuser=True))
    assert browser.get(WORKSPACES).status_code == 200
    token = csrf_token(browser)
    response = browser.patch(f"{WORKSPACES}acme/", {"name": "By session"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "By session"


def test_session_write_without_csrf_token_is_refused(browser, staff_factory, workspace):
    browser.force_login(staff_factory(superuser=True))
    csrf_token(browser)  # the cookie alone proves nothing
    response = browser.patch(f"{WORKSPACES}acme/", {"name": "Forged"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]
    workspace.refresh_from_db()
    assert workspace.name == "Acme"


def test_non_staff_session_is_refused(browser, user, workspace):
    browser.force_login(user)
    response = browser.get(WORKSPACES)
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "Only staff users may use the management API."}


def test_staff_session_sees_only_its_workspaces(browser, staff_factory, workspace, workspace_factory):
    other = workspace_factory("other")
    browser.force_login(staff_factory(perms=["oauthhub.view_workspace"], workspaces=[workspace]))
    assert [w["slug"] for w in browser.get(WORKSPACES).json()["results"]] == ["acme"]
    assert browser.get(f"{WORKSPACES}{other.slug}/").status_code == 404


def test_staff_session_needs_the_model_permission(browser, staff_factory, workspace):
    browser.force_login(staff_factory(perms=["oauthhub.view_workspace"], workspaces=[workspace]))
    token = csrf_token(browser)
    assert browser.get(f"{WORKSPACES}acme/").status_code == 200
    response = browser.patch(f"{WORKSPACES}acme/", {"name": "x"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403
    assert "oauthhub.change_workspace" in response.json()["detail"]
    assert browser.get(f"{WORKSPACES}acme/clients/").status_code == 403  # no view_client


def test_staff_without_rows_manages_nothing(browser, staff_factory, workspace):
    browser.force_login(staff_factory(perms=["oauthhub.view_workspace"]))
    assert browser.get(WORKSPACES).json()["count"] == 0


# User tokens of the system workspace: the client's grant and the user's rights, both -----------------------


def test_user_token_is_limited_by_client_grant_and_user_rights(
    system, workspace, workspace_factory, authorize, post_form, pkce, user
):
    from django.contrib.auth.models import Permission

    from oauthhub.models import Client

    workspace_factory("other")
    system.grant_types = ["authorization_code", "client_credentials"]
    system.save()
    console = Client(workspace=system, name="CLI", client_type=Client.Kind.CONFIDENTIAL,
                     grant_types=["authorization_code"], redirect_uris=REDIRECT_URI)
    console.plain_secret = console.set_new_secret()
    console.save()
    console.allowed_scopes.set(system.scopes.all())
    AdminClientGrant.objects.create(client=console, all_workspaces=True)
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_workspace"))
    WorkspaceAdmin.objects.create(user=user, workspace=workspace)

    verifier, challenge = pkce
    code = authorize(console, challenge, slug=system.slug, scope=READ)["code"]
    response = post_form(
        f"/auth/{system.slug}/oauth2/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
        HTTP_AUTHORIZATION=basic_auth(console.client_id, console.plain_secret),
    )
    assert response.status_code == 200, response.content
    api = bearer(response.json()["access_token"])
    assert [w["slug"] for w in api.get(WORKSPACES).json()["results"]] == ["acme"]

    get_user_model().objects.filter(pk=user.pk).update(is_staff=False)
    assert api.get(WORKSPACES).status_code == 403
