"""Client validation and secret handling."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from oauthhub import tokens
from oauthhub.models import Client


def errors_of(client: Client) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        client.full_clean()
    return excinfo.value.message_dict


def make(workspace, **fields) -> Client:
    defaults = {"name": "c", "client_type": Client.Kind.CONFIDENTIAL, "grant_types": ["client_credentials"]}
    return Client(workspace=workspace, **{**defaults, **fields})


@pytest.mark.django_db
def test_secret_is_generated_shown_once_and_stored_as_keyed_digest(workspace):
    client = make(workspace)
    secret = client.set_new_secret()
    assert len(secret) >= 43  # 32 random bytes, base64url
    assert secret not in client.client_secret
    assert client.client_secret.startswith("hmac-sha256$")
    client.save()
    stored = Client.objects.get(pk=client.pk)
    assert stored.check_secret(secret)
    assert not stored.check_secret(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert not stored.check_secret("")


@pytest.mark.django_db
def test_secrets_differ_between_clients(workspace):
    assert make(workspace).set_new_secret() != make(workspace).set_new_secret()


@pytest.mark.django_db
def test_digest_made_under_an_old_secret_key_still_verifies(workspace, settings):
    client = make(workspace)
    secret = client.set_new_secret()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-key"
    assert client.check_secret(secret)
    settings.SECRET_KEY_FALLBACKS = []
    assert not client.check_secret(secret)


def test_a_django_password_hash_is_never_accepted():
    assert not tokens.secret_matches("x", "pbkdf2_sha256$1$salt$hash")
    assert not tokens.secret_matches("x", "x")


@pytest.mark.django_db
def test_public_client_has_no_secret(workspace):
    client = make(workspace, client_type=Client.Kind.PUBLIC, grant_types=["authorization_code"],
                  redirect_uris="https://app.example.com/cb")
    assert client.set_new_secret() is None
    assert client.client_secret == ""


@pytest.mark.django_db
def test_public_client_cannot_use_client_credentials(workspace):
    client = make(workspace, client_type=Client.Kind.PUBLIC)
    assert "public client" in errors_of(client)["grant_types"][0]


@pytest.mark.django_db
def test_grant_type_must_be_allowed_by_the_workspace(workspace):
    workspace.grant_types = ["authorization_code"]
    workspace.save()
    assert "does not allow: client_credentials" in errors_of(make(workspace))["grant_types"][0]


@pytest.mark.django_db
def test_open_banking_allows_confidential_clients_only(workspace_factory):
    bank = workspace_factory("bank", profile="open_banking")
    client = make(bank, client_type=Client.Kind.PUBLIC, grant_types=["authorization_code"],
                  redirect_uris="https://app.example.com/cb")
    assert "confidential clients only" in errors_of(client)["client_type"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "uri, fragment",
    [
        ("http://app.example.com/cb", "use https"),
        ("https://app.example.com/cb#frag", "fragment"),
        ("https://*.example.com/cb", "wildcards"),
        ("myapp:/cb", "use https"),
    ],
)
def test_redirect_uri_rules(workspace, uri, fragment):
    client = make(workspace, grant_types=["authorization_code"], redirect_uris=uri)
    assert any(fragment in m for m in errors_of(client)["redirect_uris"])


@pytest.mark.django_db
@pytest.mark.parametrize("uri", ["https://app.example.com/cb?x=1", "http://127.0.0.1:8765/cb", "http://localhost/cb",
                                 "http://[::1]:9000/cb"])
def test_redirect_uris_that_are_fine(workspace, uri):
    make(workspace, grant_types=["authorization_code"], redirect_uris=uri).full_clean()


@pytest.mark.django_db
def test_authorization_code_needs_a_redirect_uri(workspace):
    assert "redirect_uris" in errors_of(make(workspace, grant_types=["authorization_code"]))


@pytest.mark.django_db
def test_ttl_overrides_resolve_before_the_workspace(workspace):
    workspace.access_token_ttl = 900
    client = make(workspace)
    assert tokens.lifetime(client, "access") == 900
    client.access_token_ttl = 60
    assert tokens.lifetime(client, "access") == 60
    assert tokens.lifetime(client, "code") == 60  # site default


@pytest.mark.django_db
def test_ttl_override_bounds_and_refresh_rule(workspace):
    assert errors_of(make(workspace, access_token_ttl=0))["access_token_ttl"] == [
        "Access token TTL must be at least 1 s."
    ]
    assert errors_of(make(workspace, access_token_ttl=7200, refresh_token_ttl=3600))["refresh_token_ttl"] == [
        "Refresh token TTL must be at least the access token TTL (2 h)."
    ]


@pytest.mark.django_db
def test_dot_grant_names_are_understood(workspace):
    client = make(workspace, grant_types=["authorization_code"])
    assert client.allows_grant_type("authorization-code")
    assert not client.allows_grant_type("client-credentials", "password", "implicit")
