"""manageable_workspaces, the system workspace (migration 0006), oauthhub_create_admin_client, the new checks."""

from __future__ import annotations

import importlib
import io
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from oauthhub import checks
from oauthhub.access import create_admin_client, manageable_workspaces, manages_all
from oauthhub.models import (
    AdminClientGrant,
    Scope,
    SigningKey,
    Workspace,
    WorkspaceAdmin,
)
from tests.api.conftest import API, READ, WRITE
from tests.conftest import basic_auth

# manageable_workspaces ----------------------------------------------------------------------------------


@pytest.fixture
def three(workspace_factory):
    return [workspace_factory(slug) for slug in ("a", "b", "c")]


def slugs(queryset) -> list[str]:
    return sorted(queryset.exclude(slug="system").values_list("slug", flat=True))


def test_users(three, staff_factory, user):
    a, b, _ = three
    assert slugs(manageable_workspaces(staff_factory("root", superuser=True))) == ["a", "b", "c"]
    staff = staff_factory(workspaces=[a, b])
    assert slugs(manageable_workspaces(staff)) == ["a", "b"]
    assert not manages_all(staff)
    WorkspaceAdmin.objects.create(user=user, workspace=a)  # rows of a non-staff user count for nothing
    assert slugs(manageable_workspaces(user)) == []
    staff.is_active = False
    assert slugs(manageable_workspaces(staff)) == []
    assert slugs(manageable_workspaces(AnonymousUser())) == []
    assert slugs(manageable_workspaces(None)) == []


def test_admin_clients(three, system, client_factory):
    a, _, _ = three
    everything, _ = create_admin_client(name="all", scopes=[READ], workspaces=None)
    one, _ = create_admin_client(name="one", scopes=[READ], workspaces=[a])
    nothing, _ = create_admin_client(name="none", scopes=[READ], workspaces=[])
    assert slugs(manageable_workspaces(everything)) == ["a", "b", "c"] and manages_all(everything)
    assert slugs(manageable_workspaces(one)) == ["a"] and not manages_all(one)
    assert slugs(manageable_workspaces(nothing)) == []
    # A grant on a client outside the system workspace, or a disabled one, counts for nothing.
    stray = client_factory(a)
    AdminClientGrant.objects.create(client=stray, all_workspaces=True)
    assert slugs(manageable_workspaces(stray)) == [] and not manages_all(stray)
    everything.enabled = False
    assert slugs(manageable_workspaces(everything)) == []


# The system workspace --------------------------------------------------------------------------------------


def run_migration_0006():
    module = importlib.import_module("oauthhub.migrations.0006_system_workspace")
    state = MigrationExecutor(connection).loader.project_state(("oauthhub", "0006_system_workspace"))
    module.create_system_workspace(state.apps, None)


def test_migration_creates_the_system_workspace(db, settings):
    Workspace.objects.filter(slug="system").delete()
    run_migration_0006()
    system = Workspace.objects.get(slug="system")
    assert (system.token_format, system.grant_types, system.enabled) == ("jwt", ["client_credentials"], True)
    assert system.access_token_ttl is None  # inherits the site default; edited like any workspace
    assert dict(Scope.objects.filter(workspace=system).values_list("name", "is_default")) == {
        READ: True, WRITE: True,
    }
    run_migration_0006()  # idempotent
    assert Workspace.objects.filter(slug="system").count() == 1
    settings.OAUTHHUB = {**settings.OAUTHHUB, "SYSTEM_WORKSPACE": "mgmt"}
    run_migration_0006()
    assert Scope.objects.filter(workspace__slug="mgmt").count() == 2


def test_migration_created_workspace_signs_after_an_edit(db, post_form):
    """Saved before its first token, a key-less workspace publishes a next key; signing must still work."""
    Workspace.objects.filter(slug="system").delete()
    run_migration_0006()
    system = Workspace.objects.get(slug="system")
    assert not system.signing_keys.exists()
    system.access_token_ttl = 600
    system.save()  # publishes a next key
    admin, secret = create_admin_client(name="ci", scopes=[READ], workspaces=None)
    response = post_form("/auth/system/oauth2/token", {"grant_type": "client_credentials"},
                         HTTP_AUTHORIZATION=basic_auth(admin.client_id, secret))
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 600
    assert sorted(system.signing_keys.values_list("state", flat=True)) == ["active", "next"]
    assert SigningKey.objects.filter(workspace=system, algorithm="RS256").count() == 2


# oauthhub_create_admin_client ----------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("oauthhub_create_admin_client", *args, stdout=out)
    return out.getvalue()


def test_command_json_and_the_credentials_work(system, workspace, post_form):
    output = json.loads(run("--json", "--base-url", "http://testserver/auth"))
    assert set(output) == {"client_id", "client_secret", "token_endpoint", "scope", "workspace", "manages"}
    assert output["token_endpoint"] == "http://testserver/auth/system/oauth2/token"
    assert (output["scope"], output["manages"], output["workspace"]) == (f"{READ} {WRITE}", "all", "system")
    response = post_form("/auth/system/oauth2/token", {"grant_type": "client_credentials"},
                         HTTP_AUTHORIZATION=basic_auth(output["client_id"], output["client_secret"]))
    assert response.status_code == 200
    assert response.json()["scope"] == f"{READ} {WRITE}"  # no scope asked: all the client may have
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    assert api.get(f"{API}/workspaces/acme/").status_code == 200


def test_command_limits_scopes_and_workspaces(system, workspace, workspace_factory):
    workspace_factory("globex")
    output = json.loads(run("--json", "--name", "CI", "--scope", READ, "--workspace", "acme", "--workspace", "acme"))
    assert output["scope"] == READ and output["manages"] == ["acme"]
    grant = AdminClientGrant.objects.get(client__client_id=output["client_id"])
    assert not grant.all_workspaces and list(grant.workspaces.values_list("slug", flat=True)) == ["acme"]
    assert grant.client.name == "CI" and grant.client.client_type == "confidential"


def test_command_text_output(system):
    text = run()
    assert "client_secret:" in text and "Shown only once" in text
    assert "token endpoint: http://127.0.0.1:8000/system/oauth2/token" in text
    assert "manages:        every workspace" in text


def test_command_errors(system):
    with pytest.raises(CommandError, match="No workspace 'nope'"):
        run("--workspace", "nope")
    with pytest.raises(CommandError, match="choose among"):
        call_command("oauthhub_create_admin_client", scopes=["admin"], stdout=io.StringIO())


def test_command_recreates_a_missing_system_workspace(db, settings):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "SYSTEM_WORKSPACE": "ops"}
    output = json.loads(run("--json"))
    assert output["workspace"] == "ops"
    assert set(Scope.objects.filter(workspace__slug="ops").values_list("name", flat=True)) == {READ, WRITE}


# Checks ------------------------------------------------------------------------------------------------------------


def ids(messages):
    return [m.id for m in messages]


def test_checks_pass_when_configured():
    assert checks.check_management_api() == []


@pytest.mark.parametrize("slug", ["api", "Not Valid", "", 5])
def test_e005_system_workspace_slug(settings, slug):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "SYSTEM_WORKSPACE": slug}
    assert ids(checks.check_management_api()) == ["oauthhub.E005"]


@pytest.mark.parametrize("rate, ok", [("600/min", True), ("5/s", True), (None, True), ("fast", False),
                                      ("10/week", False), (10, False)])
def test_e006_api_rate(settings, rate, ok):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "API_RATE": rate}
    assert ids(checks.check_management_api()) == ([] if ok else ["oauthhub.E006"])


def test_w005_docs_apps_missing(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if not app.startswith("drf_spectacular")]
    messages = checks.check_management_api()
    assert ids(messages) == ["oauthhub.W005"]
    assert "drf_spectacular_sidecar" in messages[0].hint
