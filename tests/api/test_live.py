"""The management API end to end over real HTTP (requests) against a server process on loopback."""

from __future__ import annotations

import io
import json

import pytest
import requests
from django.core.management import call_command

from tests.interop.conftest import live_oauthhub, server_factory  # noqa: F401  (fixtures)

pytestmark = pytest.mark.live


def test_admin_token_to_revoked_client_token(live_oauthhub, system):  # noqa: F811
    base = f"{live_oauthhub.url}/auth"
    out = io.StringIO()
    call_command("oauthhub_create_admin_client", "--json", "--name", "CI", "--base-url", base, stdout=out)
    admin = json.loads(out.getvalue())

    # 1. An admin token, by client credentials at the system workspace's token endpoint.
    response = requests.post(admin["token_endpoint"], data={"grant_type": "client_credentials"},
                             auth=(admin["client_id"], admin["client_secret"]), timeout=10)
    assert response.status_code == 200, response.text
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    # 2. A workspace whose access tokens live 5 minutes.
    response = api.post(f"{base}/api/v1/workspaces/", json={"slug": "shop", "name": "Shop", "access_token_ttl": "5m"},
                        timeout=10)
    assert response.status_code == 201, response.text
    assert response.json()["access_token_ttl"] == 300 and response.json()["access_token_ttl_human"] == "5 min"
    response = api.post(f"{base}/api/v1/workspaces/shop/scopes/", json={"name": "orders:read"}, timeout=10)
    assert response.status_code == 201, response.text

    # 3. A client of it; its secret is in this answer only.
    response = api.post(f"{base}/api/v1/workspaces/shop/clients/", json={
        "name": "Billing", "grant_types": ["client_credentials"], "allowed_scopes": ["orders:read"],
    }, timeout=10)
    assert response.status_code == 201, response.text
    client_id, secret = response.json()["client_id"], response.json()["client_secret"]

    # 4. Its token lives 300 seconds.
    response = requests.post(f"{base}/shop/oauth2/token",
                             data={"grant_type": "client_credentials", "scope": "orders:read"},
                             auth=(client_id, secret), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 300
    token = response.json()["access_token"]

    # 5. Revoke it through the API, found by its client.
    listed = api.get(f"{base}/api/v1/workspaces/shop/tokens/", params={"client": client_id}, timeout=10).json()
    assert listed["count"] == 1 and listed["results"][0]["state"] == "active"
    jti = listed["results"][0]["jti"]
    response = api.post(f"{base}/api/v1/workspaces/shop/tokens/{jti}/revoke/", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "revoked"

    # 6. Introspection, asked by the client itself, says inactive.
    response = requests.post(f"{base}/shop/oauth2/introspect", data={"token": token},
                             auth=(client_id, secret), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"active": False}

    # The audit log names the admin client for each step.
    events = api.get(f"{base}/api/v1/audit-events/", params={"actor": admin["client_id"]}, timeout=10).json()
    assert [e["target"] for e in reversed(events["results"])] == [
        "workspace shop", "scope orders:read", f"client {client_id}", f"token {jti}",
    ]
