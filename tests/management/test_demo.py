from __future__ import annotations

import re
import shlex
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from oauthhub.models import Client, Scope, Workspace

COMMAND = "oauthhub_demo"
# The tests host mounts oauthhub under /auth/, so the printed URL is one the test client can use.
BASE = "http://testserver/auth"


def curl_credentials(out: str) -> tuple[str, str, str]:
    """(client_id, secret, path) from the printed curl line."""
    line = next(line for line in out.splitlines() if line.strip().startswith("curl "))
    words = shlex.split(line)
    client_id, secret = words[words.index("-u") + 1].split(":", 1)
    return client_id, secret, urlsplit(words[-1]).path


@pytest.fixture
def token_from_curl(request_token):
    def post(out: str):
        client_id, secret, path = curl_credentials(out)
        return request_token("demo", client_id, secret, path=path)

    return post


def test_first_run_sets_everything_up(run, token_from_curl):
    out = run(COMMAND, "--base-url", BASE)
    workspace = Workspace.objects.get(slug="demo")
    assert (workspace.name, workspace.profile, workspace.token_format) == ("Demo", "default", "jwt")
    scope = Scope.objects.get(workspace=workspace, name="read")
    assert (scope.description, scope.is_default) == ("Read your data", True)
    client = Client.objects.get(workspace=workspace, name="Demo client")
    assert client.is_confidential
    assert client.grant_types == ["client_credentials"]
    assert list(client.allowed_scopes.all()) == [scope]

    assert f"{BASE}/admin/" in out
    assert "access tokens live 1 h" in out
    password = re.search(r"superuser admin with password (\S+)", out).group(1)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)

    client_id, secret, path = curl_credentials(out)
    assert client_id == client.client_id
    assert f"client_secret:  {secret}" in out
    assert path == "/auth/demo/oauth2/token"
    response = token_from_curl(out)
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 3600
    assert response.json()["scope"] == "read"


def test_default_base_url(run):
    out = run(COMMAND)
    assert "http://127.0.0.1:8000/admin/" in out
    assert curl_credentials(out)[2] == "/demo/oauth2/token"
    assert " http://127.0.0.1:8000/demo/oauth2/token" in out


def test_second_run_duplicates_nothing_and_rotates_the_secret(run, token_from_curl):
    first = run(COMMAND, "--base-url", BASE)
    password_hash = get_user_model().objects.get(username="admin").password
    second = run(COMMAND, "--base-url", BASE)

    assert Workspace.objects.filter(slug="demo").count() == 1
    assert Scope.objects.count() == 1
    assert Client.objects.count() == 1
    assert get_user_model().objects.count() == 1
    assert get_user_model().objects.get(username="admin").password == password_hash
    assert "admin user exists; password unchanged (use `manage.py changepassword admin`)" in second

    assert curl_credentials(first)[0] == curl_credentials(second)[0]
    old = token_from_curl(first)
    assert old.status_code == 401, old.content
    assert old.json()["error"] == "invalid_client"
    new = token_from_curl(second)
    assert new.status_code == 200, new.content
    assert "expires_in" in new.json()


def test_existing_demo_workspace_and_user_are_left_alone(run, workspace_factory, token_from_curl):
    workspace_factory("demo", name="Mine", access_token_ttl=600)
    get_user_model().objects.create_user("admin", password="kept")
    out = run(COMMAND, "--base-url", BASE)
    workspace = Workspace.objects.get(slug="demo")
    assert (workspace.name, workspace.access_token_ttl) == ("Mine", 600)
    assert "access tokens live 10 min" in out
    assert get_user_model().objects.get(username="admin").check_password("kept")
    assert "password unchanged" in out
    response = token_from_curl(out)
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 600
