"""The token endpoint: responses, client authentication, scopes and every error path."""

from __future__ import annotations

import pytest

from tests.conftest import basic_auth

TOKEN = "/auth/acme/oauth2/token"


@pytest.fixture
def cc(confidential_client):
    return {"HTTP_AUTHORIZATION": basic_auth(confidential_client.client_id, confidential_client.plain_secret)}


def assert_oauth_error(response, status: int, error: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    return body


# Success ---------------------------------------------------------------------


def test_token_response_shape_and_headers(post_form, cc):
    response = post_form(TOKEN, {"grant_type": "client_credentials", "scope": "read write"}, **cc)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write"


def test_client_secret_post_authentication(post_form, confidential_client):
    c = confidential_client
    response = post_form(
        TOKEN, {"grant_type": "client_credentials", "client_id": c.client_id, "client_secret": c.plain_secret}
    )
    assert response.status_code == 200, response.content


def test_no_scope_requested_gives_defaults_the_client_is_allowed(post_form, cc):
    assert post_form(TOKEN, {"grant_type": "client_credentials"}, **cc).json()["scope"] == "read"


def test_default_scope_the_client_is_not_allowed_is_not_granted(post_form, workspace, client_factory):
    write_only = client_factory(workspace, scopes=[workspace.scopes.get(name="write")])
    response = post_form(
        TOKEN, {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(write_only.client_id, write_only.plain_secret),
    )
    assert response.status_code == 200
    assert response.json()["scope"] == ""


def test_token_is_stored_only_as_a_checksum(post_form, cc):
    from oauth2_provider.models import AccessToken

    token = post_form(TOKEN, {"grant_type": "client_credentials"}, **cc).json()["access_token"]
    row = AccessToken.objects.get()
    assert row.token == ""
    assert token not in row.token_checksum


def test_expires_in_follows_workspace_and_client_ttl(post_form, cc, workspace, confidential_client):
    workspace.access_token_ttl = 900
    workspace.save()
    assert post_form(TOKEN, {"grant_type": "client_credentials"}, **cc).json()["expires_in"] == 900
    confidential_client.access_token_ttl = 120
    confidential_client.save()
    assert post_form(TOKEN, {"grant_type": "client_credentials"}, **cc).json()["expires_in"] == 120


def test_site_default_ttl_applies_when_workspace_has_none(post_form, cc, settings):
    settings.OAUTHHUB = {"ACCESS_TOKEN_TTL": 1800}
    assert post_form(TOKEN, {"grant_type": "client_credentials"}, **cc).json()["expires_in"] == 1800


def test_issued_token_keeps_its_expiry_after_a_ttl_edit(post_form, cc, workspace):
    from oauth2_provider.models import AccessToken

    post_form(TOKEN, {"grant_type": "client_credentials"}, **cc)
    before = AccessToken.objects.get().expires
    workspace.access_token_ttl = 60
    workspace.save()
    assert AccessToken.objects.get().expires == before


# Client authentication ---------------------------------------------------------


def test_wrong_secret_is_invalid_client_with_basic_challenge(post_form, confidential_client):
    response = post_form(
        TOKEN, {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, "wrong"),
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_no_credentials_is_invalid_client(post_form, confidential_client):
    assert_oauth_error(post_form(TOKEN, {"grant_type": "client_credentials"}), 401, "invalid_client")


def test_unknown_client_is_invalid_client(post_form, confidential_client):
    response = post_form(
        TOKEN, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic_auth("nobody", "x")
    )
    assert_oauth_error(response, 401, "invalid_client")


def test_disabled_client_is_invalid_client(post_form, cc, confidential_client):
    confidential_client.enabled = False
    confidential_client.save()
    assert_oauth_error(post_form(TOKEN, {"grant_type": "client_credentials"}, **cc), 401, "invalid_client")


def test_client_of_another_workspace_is_invalid_client(post_form, workspace_factory, client_factory, cc):
    other = workspace_factory("other")
    response = post_form("/auth/other/oauth2/token", {"grant_type": "client_credentials"}, **cc)
    assert_oauth_error(response, 401, "invalid_client")
    # and the other way round
    stranger = client_factory(other)
    response = post_form(
        TOKEN, {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(stranger.client_id, stranger.plain_secret),
    )
    assert_oauth_error(response, 401, "invalid_client")


def test_malformed_basic_header_is_invalid_client(post_form, confidential_client):
    for header in ("Basic !!!notbase64", "Basic " + "QQ==", "Basic", "Bearer abc"):
        response = post_form(TOKEN, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header)
        assert_oauth_error(response, 401, "invalid_client")


# Grant types and scopes ---------------------------------------------------------


def test_grant_type_the_client_may_not_use_is_unauthorized_client(post_form, workspace, client_factory):
    code_only = client_factory(
        workspace, grant_types=["authorization_code"], redirect_uris="https://app.example.com/cb"
    )
    response = post_form(
        TOKEN, {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(code_only.client_id, code_only.plain_secret),
    )
    assert_oauth_error(response, 400, "unauthorized_client")


def test_grant_type_the_workspace_turned_off_is_unauthorized_client(post_form, cc, workspace):
    workspace.grant_types = ["authorization_code", "refresh_token"]
    workspace.save()
    assert_oauth_error(post_form(TOKEN, {"grant_type": "client_credentials"}, **cc), 400, "unauthorized_client")


@pytest.mark.parametrize("grant_type", ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code", "x"])
def test_unknown_or_unoffered_grant_type(post_form, cc, grant_type):
    assert_oauth_error(post_form(TOKEN, {"grant_type": grant_type}, **cc), 400, "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(post_form, cc):
    assert_oauth_error(post_form(TOKEN, {"scope": "read"}, **cc), 400, "invalid_request")


def test_scope_outside_the_client_allowance_is_invalid_scope(post_form, workspace, client_factory):
    reader = client_factory(workspace, scopes=[workspace.scopes.get(name="read")])
    auth = basic_auth(reader.client_id, reader.plain_secret)
    for scope in ("write", "read write", "admin"):
        response = post_form(TOKEN, {"grant_type": "client_credentials", "scope": scope}, HTTP_AUTHORIZATION=auth)
        assert_oauth_error(response, 400, "invalid_scope")


def test_scope_of_another_workspace_is_invalid_scope(post_form, cc, workspace_factory, scope_factory):
    scope_factory(workspace_factory("other"), "admin")
    assert_oauth_error(
        post_form(TOKEN, {"grant_type": "client_credentials", "scope": "admin"}, **cc), 400, "invalid_scope"
    )


# Malformed requests ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["scope", "grant_type", "client_secret", "code", "refresh_token", "code_verifier"])
def test_repeated_parameter_is_invalid_request(post_form, cc, name):
    data = [("grant_type", "client_credentials"), (name, "a"), (name, "b")]
    body = assert_oauth_error(post_form(TOKEN, data, **cc), 400, "invalid_request")
    assert name in body["error_description"]


def test_unknown_resource_is_invalid_target(post_form, cc):
    response = post_form(TOKEN, {"grant_type": "client_credentials", "resource": "https://api.other.example"}, **cc)
    body = assert_oauth_error(response, 400, "invalid_target")
    assert "api.other.example" in body["error_description"]


def test_cache_outage_is_a_json_server_error(post_form, cc, settings):
    # A Redis cache that is down for real: nothing listens on port 1.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    response = post_form(TOKEN, {"grant_type": "client_credentials"}, **cc)
    assert_oauth_error(response, 500, "server_error")


def test_json_body_is_invalid_request(client, cc):
    response = client.post(TOKEN, {"grant_type": "client_credentials"}, content_type="application/json", **cc)
    assert_oauth_error(response, 400, "invalid_request")


def test_multipart_body_is_invalid_request(client, cc):
    response = client.post(TOKEN, {"grant_type": "client_credentials"}, **cc)
    assert_oauth_error(response, 400, "invalid_request")


def test_parameters_in_query_string_are_refused(post_form, cc):
    response = post_form(TOKEN + "?client_secret=leak", {"grant_type": "client_credentials"}, **cc)
    assert_oauth_error(response, 400, "invalid_request")


def test_garbage_body_is_an_oauth_error_not_a_500(client, cc):
    for body in (b"\xff\xfe\x00garbage", b"%%%%", b"=&=&==", b"grant_type"):
        response = client.post(TOKEN, body, content_type="application/x-www-form-urlencoded", **cc)
        assert response.status_code in (400, 401), body
        assert "error" in response.json()


def test_huge_body_is_refused_with_json(client, cc):
    body = "grant_type=client_credentials&scope=" + "a" * (3 * 1024 * 1024)
    response = client.post(TOKEN, body, content_type="application/x-www-form-urlencoded", **cc)
    assert_oauth_error(response, 413, "invalid_request")


def test_huge_scope_value_is_an_oauth_error(post_form, cc):
    response = post_form(TOKEN, {"grant_type": "client_credentials", "scope": "x" * 100_000}, **cc)
    assert_oauth_error(response, 400, "invalid_scope")


def test_huge_client_id_is_invalid_client(post_form, workspace):
    response = post_form(TOKEN, {"grant_type": "client_credentials", "client_id": "c" * 10_000, "client_secret": "s"})
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize("field", ["client_id", "client_secret", "scope", "refresh_token", "code"])
def test_nul_byte_in_any_parameter_is_invalid_request(post_form, workspace, field):
    data = {"grant_type": "client_credentials", "client_id": "a", "client_secret": "s", field: "a\x00b"}
    assert_oauth_error(post_form(TOKEN, data), 400, "invalid_request")


def test_get_is_method_not_allowed_in_json(client, workspace):
    response = client.get(TOKEN)
    assert_oauth_error(response, 405, "invalid_request")
    assert "POST" in response["Allow"]


# Workspaces --------------------------------------------------------------------


def test_unknown_workspace_is_404_json(post_form, cc):
    response = post_form("/auth/nope/oauth2/token", {"grant_type": "client_credentials"}, **cc)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_disabled_workspace_is_404(post_form, cc, workspace):
    workspace.enabled = False
    workspace.save()
    response = post_form(TOKEN, {"grant_type": "client_credentials"}, **cc)
    assert response.status_code == 404


def test_throttle_answers_429_in_oauth_json(post_form, cc, settings):
    settings.OAUTHHUB = {"TOKEN_ENDPOINT_RATE": "2/min"}
    for _ in range(2):
        assert post_form(TOKEN, {"grant_type": "client_credentials"}, **cc).status_code == 200
    response = post_form(TOKEN, {"grant_type": "client_credentials"}, **cc)
    assert_oauth_error(response, 429, "temporarily_unavailable")
    assert int(response["Retry-After"]) >= 1
