"""Error bodies (stable code, detail, field errors) on the API only; throttling per admin client."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.api.conftest import API

WORKSPACES = f"{API}/workspaces/"


def test_malformed_json_is_a_parse_error(api, workspace):
    response = api.generic("PATCH", f"{WORKSPACES}acme/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_only_json_is_accepted(api, workspace):
    response = api.patch(f"{WORKSPACES}acme/", "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_method_not_allowed(api, workspace):
    response = api.post(f"{WORKSPACES}acme/")
    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "detail": 'Method "POST" not allowed.'}


def test_validation_error_shape(api):
    response = api.post(WORKSPACES, {"name": ""}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "The request has invalid fields; see errors.",
        "errors": {"slug": ["This field is required."], "name": ["This field may not be blank."]},
    }


def test_404_says_nothing_about_the_object(api, workspace):
    for path in (f"{WORKSPACES}nope/", f"{WORKSPACES}nope/clients/", f"{WORKSPACES}acme/clients/nope/"):
        assert api.get(path).json() == {"code": "not_found", "detail": "Not found."}


def test_nul_bytes_are_refused_not_500s(api, workspace):
    """PostgreSQL refuses NUL in any query; each place one can arrive answers 404 or 400."""
    for path in ("workspaces/a%00b/", "workspaces/a%00b/clients/", "workspaces/acme/clients/x%00y/",
                 "workspaces/acme/tokens/x%00y/", "workspaces/acme/keys/x%00y/", "workspaces/acme/scopes/1%00/"):
        assert api.get(f"{API}/{path}").status_code == 404, path
    for path in ("audit-events/?workspace=a%00b", "audit-events/?actor=a%00b", "workspaces/acme/tokens/?user=1%00",
                 "workspaces/acme/tokens/?client=1%00", "workspaces/?search=%00"):
        assert api.get(f"{API}/{path}").status_code == 400, path
    for url, body in [
        (f"{API}/workspaces/acme/tokens/revoke/", {"client": "a\x00b"}),
        (f"{API}/workspaces/acme/tokens/revoke/", {"user": "1\x00"}),
        (f"{API}/workspaces/acme/clients/", {"name": "x", "grant_types": ["client_credentials"],
                                             "allowed_scopes": ["re\x00ad"]}),
        (f"{API}/workspaces/acme/scopes/", {"name": "a\x00"}),
        (f"{API}/workspaces/", {"slug": "a\x00", "name": "x\x00"}),
    ]:
        assert api.post(url, body, format="json").status_code == 400, body


def test_hosts_own_drf_views_keep_their_error_format(client, db):
    # tests/resource_views.py is the host's API: DRF's own body, no oauthhub "code"/"errors" shape.
    response = client.get("/api-test/whoami")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_throttle_per_admin_client(settings, api_as, workspace):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "API_RATE": "3/min"}
    first, second = api_as(name="first"), api_as(name="second")
    assert [first.get(WORKSPACES).status_code for _ in range(3)] == [200, 200, 200]
    response = first.get(WORKSPACES)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert second.get(WORKSPACES).status_code == 200  # another client has its own budget


def test_throttle_off(settings, api, workspace):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "API_RATE": None}
    assert all(api.get(WORKSPACES).status_code == 200 for _ in range(20))


def test_throttle_per_staff_user(settings, staff_factory, workspace):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "API_RATE": "2/min"}
    browser = APIClient()
    browser.force_login(staff_factory(superuser=True))
    assert [browser.get(WORKSPACES).status_code for _ in range(3)] == [200, 200, 429]


def test_token_endpoint_is_not_counted(settings, api, admin_token, workspace):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "API_RATE": "1/min"}
    for _ in range(3):
        admin_token(api.admin)
    assert api.get(WORKSPACES).status_code == 200
