"""Workspace validation: slugs, profiles, lifetime bounds with plain-language messages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from oauthhub.models import Workspace


def errors_of(workspace: Workspace) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        workspace.full_clean()
    return excinfo.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["admin", "api", "accounts", "static", "healthz"])
def test_reserved_slugs_are_refused(slug):
    message = errors_of(Workspace(slug=slug, name="x"))["slug"][0]
    assert "reserved" in message and slug in message


@pytest.mark.django_db
def test_extra_reserved_slugs_from_settings(settings):
    settings.OAUTHHUB = {"RESERVED_SLUGS": ["billing"]}
    assert "reserved" in errors_of(Workspace(slug="billing", name="x"))["slug"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["Acme", "a_b", "-ab", "ab-", "a.b", "a b", "x" * 51, ""])
def test_malformed_slugs_are_refused(slug):
    assert "slug" in errors_of(Workspace(slug=slug, name="x"))


@pytest.mark.django_db
def test_duplicate_slug_is_refused(workspace_factory):
    workspace_factory("acme")
    assert "slug" in errors_of(Workspace(slug="acme", name="x"))


@pytest.mark.django_db
def test_defaults_inherit_site_lifetimes(workspace_factory, settings):
    ws = workspace_factory("acme")
    assert ws.access_token_ttl is None
    assert [ws.effective_ttl(k) for k in ("access", "refresh", "code", "id")] == [3600, 30 * 86400, 60, 3600]
    settings.OAUTHHUB = {"ACCESS_TOKEN_TTL": 600}
    assert ws.effective_ttl("access") == 600
    assert ws.grant_types == ["authorization_code", "client_credentials", "refresh_token"]


@pytest.mark.django_db
def test_open_banking_presets(workspace_factory):
    ws = workspace_factory("bank", profile="open_banking")
    assert (ws.access_token_ttl, ws.refresh_token_ttl, ws.authorization_code_ttl) == (300, 90 * 86400, 60)


@pytest.mark.django_db
def test_open_banking_caps_access_tokens_at_ten_minutes(workspace_factory):
    ws = workspace_factory("bank", profile="open_banking")
    ws.access_token_ttl = 900
    assert errors_of(ws)["access_token_ttl"] == [
        "Access token TTL must be at most 10 min for the Open banking (FAPI-style) profile."
    ]


@pytest.mark.django_db
def test_open_banking_refuses_an_inherited_value_over_its_bound(workspace_factory):
    ws = workspace_factory("bank", profile="open_banking")
    ws.access_token_ttl = None
    assert "inherits 1 h" in errors_of(ws)["access_token_ttl"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("access_token_ttl", 0, "Access token TTL must be at least 1 s."),
        ("access_token_ttl", 86401, "Access token TTL must be at most 1 day."),
        ("refresh_token_ttl", 59, "Refresh token TTL must be at least 1 min."),
        ("refresh_token_ttl", 367 * 86400, "Refresh token TTL must be at most 366 days."),
        ("authorization_code_ttl", 601, "Authorization code TTL must be at most 10 min."),
        ("id_token_ttl", 30, "ID token TTL must be at least 1 min."),
        ("id_token_ttl", 86401, "ID token TTL must be at most 1 day."),
    ],
)
def test_bounds_name_the_field_and_the_bound(workspace_factory, field, value, message):
    ws = workspace_factory("acme")
    setattr(ws, field, value)
    assert errors_of(ws)[field] == [message]


@pytest.mark.django_db
def test_refresh_never_shorter_than_access(workspace_factory):
    ws = workspace_factory("acme")
    ws.access_token_ttl, ws.refresh_token_ttl = 7200, 3600
    assert errors_of(ws)["refresh_token_ttl"] == ["Refresh token TTL must be at least the access token TTL (2 h)."]


@pytest.mark.django_db
def test_unknown_grant_type_is_refused(workspace_factory):
    ws = workspace_factory("acme")
    ws.grant_types = ["password"]
    assert "password" in errors_of(ws)["grant_types"][0]
