from __future__ import annotations

import json

import pytest
from django.core.management.base import CommandError

from oauthhub.models import Workspace

COMMAND = "oauthhub_create_workspace"


def test_creates_with_defaults(run):
    out = run(COMMAND, "acme")
    assert "Workspace acme created." in out
    workspace = Workspace.objects.get(slug="acme")
    assert workspace.name == "acme"
    assert workspace.profile == "default"
    assert workspace.token_format == Workspace.TokenFormat.JWT
    assert workspace.signing_keys.filter(state="active").count() == 1
    assert workspace.effective_ttl("access") == 3600


def test_creates_with_options(run):
    run(
        COMMAND, "acme", "--name", "Acme Inc", "--access-token-ttl", "15m", "--refresh-token-ttl", "30d",
        "--code-ttl", "90s", "--id-token-ttl", "1800",
    )
    workspace = Workspace.objects.get(slug="acme")
    assert workspace.name == "Acme Inc"
    assert (workspace.access_token_ttl, workspace.refresh_token_ttl) == (900, 30 * 86400)
    assert (workspace.authorization_code_ttl, workspace.id_token_ttl) == (90, 1800)


def test_open_banking_profile_presets_are_validated_not_site_defaults(run):
    # The site default access TTL (1 h) breaks the profile's 10 min bound; the
    # preset (5 min) is what the new workspace gets, so creation must succeed.
    run(COMMAND, "bank", "--profile", "open_banking")
    workspace = Workspace.objects.get(slug="bank")
    assert workspace.access_token_ttl == 300
    assert workspace.authorization_code_ttl == 60


def test_rerun_is_unchanged(run):
    args = (COMMAND, "acme", "--name", "Acme", "--access-token-ttl", "15m")
    run(*args)
    out = run(*args)
    assert "Workspace acme unchanged." in out
    assert Workspace.objects.count() == 1


def test_existing_workspace_gets_only_the_options_passed(run):
    run(COMMAND, "acme", "--name", "Acme Inc", "--access-token-ttl", "15m")
    out = run(COMMAND, "acme", "--access-token-ttl", "10m")
    assert "Workspace acme updated: access_token_ttl." in out
    workspace = Workspace.objects.get(slug="acme")
    assert workspace.name == "Acme Inc"  # not reset to the slug
    assert workspace.access_token_ttl == 600
    assert Workspace.objects.count() == 1


def test_bad_duration_names_the_option(run):
    with pytest.raises(CommandError, match="--access-token-ttl: 'soon' is not a duration"):
        run(COMMAND, "acme", "--access-token-ttl", "soon")
    assert not Workspace.objects.exists()


def test_bad_duration_through_keyword_arguments(run):
    # call_command keywords bypass argparse; the value is still parsed.
    with pytest.raises(CommandError, match="--code-ttl"):
        run(COMMAND, "acme", code_ttl="5 minutes")


def test_out_of_bounds_ttl_names_field_and_bound_and_saves_nothing(run):
    with pytest.raises(CommandError) as excinfo:
        run(COMMAND, "acme", "--access-token-ttl", "2d")
    assert "access_token_ttl: Access token TTL must be at most 1 day." in str(excinfo.value)
    assert not Workspace.objects.exists()


def test_out_of_bounds_update_leaves_row_alone(run):
    run(COMMAND, "acme", "--name", "Acme")
    with pytest.raises(CommandError, match="code TTL must be at most 10 min"):
        run(COMMAND, "acme", "--name", "Renamed", "--code-ttl", "1h")
    workspace = Workspace.objects.get(slug="acme")
    assert workspace.name == "Acme"
    assert workspace.authorization_code_ttl is None


def test_every_problem_is_reported(run):
    with pytest.raises(CommandError) as excinfo:
        run(COMMAND, "bank", "--profile", "open_banking", "--access-token-ttl", "1h", "--code-ttl", "1h")
    message = str(excinfo.value)
    assert "access_token_ttl: Access token TTL must be at most 10 min for the Open banking" in message
    assert "authorization_code_ttl: Authorization code TTL must be at most 10 min." in message
    assert not Workspace.objects.exists()


def test_refresh_shorter_than_access_is_refused(run):
    with pytest.raises(CommandError, match="refresh_token_ttl: Refresh token TTL must be at least the access"):
        run(COMMAND, "acme", "--access-token-ttl", "1h", "--refresh-token-ttl", "30m")


def test_reserved_slug_is_refused(run):
    with pytest.raises(CommandError, match="slug: .*reserved"):
        run(COMMAND, "admin")


def test_profile_change_revalidates_inherited_lifetimes(run):
    run(COMMAND, "acme")
    with pytest.raises(CommandError, match=r"access_token_ttl: .*at most 10 min .*\(it inherits 1 h\)"):
        run(COMMAND, "acme", "--profile", "open_banking")
    assert Workspace.objects.get(slug="acme").profile == "default"


def test_json_output(run):
    data = json.loads(run(COMMAND, "acme", "--access-token-ttl", "15m", "--json"))
    assert data["workspace"] == "acme"
    assert data["status"] == "created"
    assert data["ttl"]["access"] == 900
    assert data["ttl"]["refresh"] == 30 * 86400

    data = json.loads(run(COMMAND, "acme", "--access-token-ttl", "15m", "--json"))
    assert (data["status"], data["changed"]) == ("unchanged", [])
