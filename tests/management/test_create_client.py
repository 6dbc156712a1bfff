from __future__ import annotations

import json

import pytest
from django.core.management.base import CommandError

from oauthhub.models import Client

COMMAND = "oauthhub_create_client"
CC = ("--grant-type", "client_credentials")


def field(out: str, label: str) -> str:
    """The value after ``label:`` in the command's text output."""
    line = next(line for line in out.splitlines() if line.strip().startswith(f"{label}:"))
    return line.split(":", 1)[1].strip()


def test_creates_client_whose_printed_secret_authenticates(run, workspace, request_token):
    out = run(COMMAND, "acme", "--name", "Billing", *CC, "--scope", "read")
    assert "Shown only once" in out
    assert field(out, "token endpoint") == "http://127.0.0.1:8000/acme/oauth2/token"
    client = Client.objects.get(client_id=field(out, "client_id"))
    assert client.name == "Billing"
    assert client.workspace == workspace
    assert client.is_confidential
    assert client.grant_types == ["client_credentials"]
    assert [s.name for s in client.allowed_scopes.all()] == ["read"]

    response = request_token("acme", client.client_id, field(out, "client_secret"))
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 3600
    assert response.json()["scope"] == "read"


def test_json_output(run, workspace, request_token):
    out = run(COMMAND, "acme", "--name", "Billing", *CC, "--scope", "read", "--json")
    data = json.loads(out)
    assert set(data) == {"client_id", "client_secret", "workspace", "token_endpoint"}
    assert data["workspace"] == "acme"
    assert data["token_endpoint"] == "http://127.0.0.1:8000/acme/oauth2/token"
    response = request_token("acme", data["client_id"], data["client_secret"])
    assert response.status_code == 200, response.content
    assert "expires_in" in response.json()


def test_every_run_creates_another_client(run, workspace):
    first = json.loads(run(COMMAND, "acme", "--name", "Billing", *CC, "--json"))
    second = json.loads(run(COMMAND, "acme", "--name", "Billing", *CC, "--json"))
    assert first["client_id"] != second["client_id"]
    assert first["client_secret"] != second["client_secret"]
    assert Client.objects.filter(name="Billing").count() == 2


def test_only_a_digest_is_stored(run, workspace):
    data = json.loads(run(COMMAND, "acme", "--name", "Billing", *CC, "--json"))
    client = Client.objects.get(client_id=data["client_id"])
    assert data["client_secret"] not in client.client_secret
    assert client.check_secret(data["client_secret"])


def test_public_client_has_no_secret(run, workspace):
    out = run(
        COMMAND, "acme", "--name", "SPA", "--public", "--grant-type", "authorization_code",
        "--grant-type", "refresh_token", "--redirect-uri", "https://spa.example.com/cb",
        "--redirect-uri", "http://127.0.0.1:5173/cb", "--json",
    )
    data = json.loads(out)
    assert data["client_secret"] is None
    client = Client.objects.get(client_id=data["client_id"])
    assert not client.is_confidential
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.redirect_uris == "https://spa.example.com/cb http://127.0.0.1:5173/cb"
    assert "client_secret:  none (public client)" in run(
        COMMAND, "acme", "--name", "SPA 2", "--public", "--grant-type", "authorization_code",
        "--redirect-uri", "https://spa.example.com/cb",
    )


def test_client_ttl_is_what_the_token_endpoint_uses(run, workspace, request_token):
    data = json.loads(run(COMMAND, "acme", "--name", "Short", *CC, "--access-token-ttl", "10m", "--json"))
    assert Client.objects.get(client_id=data["client_id"]).access_token_ttl == 600
    response = request_token("acme", data["client_id"], data["client_secret"])
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 600


def test_bad_duration_names_the_option(run, workspace):
    with pytest.raises(CommandError, match="--refresh-token-ttl: '1 week' is not a duration"):
        run(COMMAND, "acme", "--name", "x", *CC, "--refresh-token-ttl", "1 week")
    assert not Client.objects.exists()


def test_out_of_bounds_ttl_names_field_and_bound_and_saves_nothing(run, workspace):
    with pytest.raises(CommandError) as excinfo:
        run(COMMAND, "acme", "--name", "x", *CC, "--scope", "read", "--access-token-ttl", "2d")
    assert "access_token_ttl: Access token TTL must be at most 1 day." in str(excinfo.value)
    assert not Client.objects.exists()


def test_profile_bound_applies_to_client_ttl(run):
    # Not workspace_factory: it runs full_clean() before save() fills the
    # profile's presets, so it cannot make an open_banking workspace.
    run("oauthhub_create_workspace", "bank", "--profile", "open_banking")
    with pytest.raises(CommandError, match="access_token_ttl: .*at most 10 min for the Open banking"):
        run(COMMAND, "bank", "--name", "x", *CC, "--access-token-ttl", "1h")


def test_unknown_workspace(run):
    with pytest.raises(CommandError, match="No workspace 'nope'"):
        run(COMMAND, "nope", "--name", "x", *CC)


def test_missing_scopes_are_named_and_nothing_saved(run, workspace):
    with pytest.raises(CommandError, match="Workspace 'acme' has no scope admin, delete"):
        run(COMMAND, "acme", "--name", "x", *CC, "--scope", "read", "--scope", "delete", "--scope", "admin")
    assert not Client.objects.exists()


def test_scope_of_another_workspace_is_not_found(run, workspace, workspace_factory, scope_factory):
    scope_factory(workspace_factory("other"), "billing")
    with pytest.raises(CommandError, match="has no scope billing"):
        run(COMMAND, "acme", "--name", "x", *CC, "--scope", "billing")


def test_model_rules_are_reported_per_field(run, workspace):
    with pytest.raises(CommandError) as excinfo:
        run(COMMAND, "acme", "--name", "x", "--public", *CC, "--redirect-uri", "http://app.example.com/cb")
    message = str(excinfo.value)
    assert "grant_types: A public client cannot use client credentials" in message
    assert "redirect_uris: http://app.example.com/cb: use https" in message
    assert not Client.objects.exists()


def test_unknown_grant_type_is_refused(run, workspace):
    with pytest.raises(CommandError, match="invalid choice: 'password'"):
        run(COMMAND, "acme", "--name", "x", "--grant-type", "password")


def test_token_endpoint_uses_issuer_base_url(run, workspace, settings):
    settings.OAUTHHUB = {"ISSUER_BASE_URL": "https://auth.example.com/sso/"}
    data = json.loads(run(COMMAND, "acme", "--name", "x", *CC, "--json"))
    assert data["token_endpoint"] == "https://auth.example.com/sso/acme/oauth2/token"
    data = json.loads(run(COMMAND, "acme", "--name", "x", *CC, "--json", "--base-url", "https://id.example.org"))
    assert data["token_endpoint"] == "https://id.example.org/acme/oauth2/token"


def test_works_with_workspace_made_by_the_commands(run, request_token):
    run("oauthhub_create_workspace", "shop", "--access-token-ttl", "15m")
    run("oauthhub_create_scope", "shop", "orders", "--default")
    data = json.loads(run(COMMAND, "shop", "--name", "Backend", *CC, "--scope", "orders", "--json"))
    response = request_token("shop", data["client_id"], data["client_secret"])
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 900
    assert response.json()["scope"] == "orders"
