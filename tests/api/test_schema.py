"""The OpenAPI schema (valid, oauthhub's endpoints only, OAuth endpoints included), the docs page, the URL map."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import resolve
from drf_spectacular.validation import validate_schema

SCHEMA = "/auth/api/schema/"


@pytest.fixture
def schema(client, db):
    response = client.get(SCHEMA, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_schema_is_valid_openapi_3(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "oauthhub management API"


def test_schema_is_public_and_yaml_by_default(client, db):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["version"] == "1"


def test_schema_has_oauthhubs_endpoints_only(schema):
    paths = set(schema["paths"])
    assert {
        "/auth/api/v1/workspaces/", "/auth/api/v1/workspaces/{slug}/", "/auth/api/v1/workspaces/{slug}/disable/",
        "/auth/api/v1/workspaces/{workspace_slug}/clients/{client_id}/rotate-secret/",
        "/auth/api/v1/workspaces/{workspace_slug}/keys/rotate/",
        "/auth/api/v1/workspaces/{workspace_slug}/keys/{kid}/revoke/",
        "/auth/api/v1/workspaces/{workspace_slug}/tokens/revoke/",
        "/auth/api/v1/workspaces/{workspace_slug}/tokens/{jti}/revoke/",
        "/auth/api/v1/audit-events/",
        "/auth/{workspace}/oauth2/token", "/auth/{workspace}/oauth2/revoke", "/auth/{workspace}/oauth2/introspect",
    } <= paths
    assert not any(path.startswith("/api-test/") for path in paths)  # the host's own API
    assert not any("schema" in path or "docs" in path for path in paths)


def test_oauth_endpoints_are_documented_as_forms(schema):
    token = schema["paths"]["/auth/{workspace}/oauth2/token"]["post"]
    assert token["tags"] == ["oauth2"] and token["operationId"] == "oauth2_token"
    assert list(token["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert {"200", "400", "401", "404", "429"} <= set(token["responses"])
    assert {"clientSecretBasic": []} in token["security"]
    introspect = schema["paths"]["/auth/{workspace}/oauth2/introspect"]["post"]
    ref = introspect["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "active" in schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]


def test_oauth_views_themselves_are_untouched():
    from oauthhub.oauth.views import IntrospectionView, RevocationView, TokenView

    for view in (TokenView, RevocationView, IntrospectionView):
        assert "schema" not in view.__dict__


def test_admin_token_security_points_at_the_system_token_endpoint(schema):
    scheme = schema["components"]["securitySchemes"]["adminToken"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/auth/system/oauth2/token"
    assert set(scheme["flows"]["clientCredentials"]["scopes"]) == {"oauthhub:read", "oauthhub:write"}
    operations = schema["paths"]["/auth/api/v1/workspaces/{slug}/"]
    assert {"adminToken": ["oauthhub:read"]} in operations["get"]["security"]
    assert {"adminToken": ["oauthhub:write"]} in operations["patch"]["security"]
    assert {"staffSession": []} in operations["patch"]["security"]


def test_errors_etags_and_durations_are_documented(schema):
    patch = schema["paths"]["/auth/api/v1/workspaces/{slug}/"]["patch"]
    assert {"400", "401", "403", "404", "412", "429"} <= set(patch["responses"])
    assert patch["responses"]["412"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    components = schema["components"]["schemas"]
    ttl_in = components["PatchedWorkspaceRequest"]["properties"]["access_token_ttl"]
    assert [option["type"] for option in ttl_in["oneOf"]] == ["integer", "string"] and ttl_in["nullable"]
    ttl_out = components["Workspace"]["properties"]["access_token_ttl"]
    assert ttl_out["type"] == "integer"
    assert components["Workspace"]["properties"]["access_token_ttl_human"]["type"] == "string"
    assert "client_secret" not in components["Client"]["properties"]
    assert "client_secret" in components["ClientWithSecret"]["properties"]
    destroy = schema["paths"]["/auth/api/v1/workspaces/{slug}/"]["delete"]
    assert any(p["name"] == "confirm" and p["required"] for p in destroy["parameters"])


def test_schema_is_generated_once_per_process(client, db, monkeypatch):
    from oauthhub.api import schema as module

    module._generated.clear()
    calls = []
    original = module.ManagementSchemaGenerator.get_schema

    def counting(self, **kwargs):
        calls.append(1)
        return original(self, **kwargs)

    monkeypatch.setattr(module.ManagementSchemaGenerator, "get_schema", counting)
    first = client.get(SCHEMA, HTTP_ACCEPT="application/vnd.oai.openapi+json").content
    assert client.get(SCHEMA, HTTP_ACCEPT="application/vnd.oai.openapi+json").content == first
    assert client.get(SCHEMA).status_code == 200  # YAML from the same document
    assert len(calls) == 1


def test_schema_generates_without_warnings(settings):
    # --fail-on-warn: every view, field and parameter has a known type.
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", "tests.urls",
                 "--generator-class", "oauthhub.api.schema.ManagementSchemaGenerator", stdout=out)
    assert "oauth2_token" in out.getvalue()


def test_schema_works_without_spectacular_as_drfs_default_schema(client, settings, db):
    # A host that set no REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] (as tests/settings.py) still gets it;
    # a host that did also gets the same document.
    settings.REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
    response = client.get(SCHEMA, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/auth/api/v1/workspaces/" in json.loads(response.content)["paths"]


def test_docs_page_uses_packaged_assets(client, db):
    response = client.get("/auth/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert '"/auth/api/schema/"' in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), asset


# The URL map: nothing under api/ reaches a workspace ----------------------------------------------------


@pytest.mark.parametrize("path", [
    "/auth/api/oauth2/token", "/auth/api/.well-known/jwks.json", "/auth/api/v2/workspaces/", "/auth/api/anything",
])
def test_api_paths_never_resolve_to_a_workspace(path):
    match = resolve(path)
    assert match.namespaces[:2] == ["oauthhub", "api"], path


def test_unknown_api_path_is_a_json_404(db, admin_user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)  # a session cookie, and no CSRF token: still the API's JSON 404
    for method in (browser.post, browser.delete, browser.get):
        response = method("/auth/api/oauth2/token")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_missing_trailing_slash_redirects_keeping_the_method(client, db):
    response = client.post("/auth/api/v1/workspaces?limit=1")
    assert response.status_code == 308
    assert response["Location"] == "/auth/api/v1/workspaces/?limit=1"


def test_workspace_urls_still_resolve():
    assert resolve("/auth/acme/oauth2/token").url_name == "token"
    assert resolve("/auth/apis/oauth2/token").kwargs == {"workspace": "apis"}


def test_url_names():
    from django.urls import reverse

    assert reverse("oauthhub:api:workspace-list") == "/auth/api/v1/workspaces/"
    assert reverse("oauthhub:api:client-rotate-secret", kwargs={"workspace_slug": "a", "client_id": "c"}) == (
        "/auth/api/v1/workspaces/a/clients/c/rotate-secret/"
    )
    assert reverse("oauthhub:api:token-revoke-many", kwargs={"workspace_slug": "a"}) == (
        "/auth/api/v1/workspaces/a/tokens/revoke/"
    )


def test_runnable_project_mounts_the_api_at_the_root():
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import django; django.setup();"
        "from django.urls import resolve;"
        "m = resolve('/api/v1/workspaces/'); print(m.view_name);"
        "print(resolve('/api/docs/').view_name); print(resolve('/api/oauth2/token').view_name);"
        "print(resolve('/system/oauth2/token').view_name)"
    )
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
        timeout=60, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "oauthhub:api:workspace-list", "oauthhub:api:docs", "oauthhub:api:not-found", "oauthhub:token",
    ]
