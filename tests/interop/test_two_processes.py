"""Two server processes, one database, one Redis: a revocation in one is honoured by the other at once."""

from __future__ import annotations

import os

import pytest
import requests


REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs a Redis at {REDIS_URL} shared by two processes (CI provides one)")
    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


def test_revocation_through_one_process_is_refused_by_the_other(server_factory, redis_url, workspace_factory,
                                                                scope_factory, client_factory):
    ws = workspace_factory("acme")  # the test host's protected views validate acme tokens
    read = scope_factory(ws, "read", is_default=True)
    c = client_factory(ws, scopes=[read])
    # Both sit behind one public URL, as behind a load balancer, so they agree on the issuer.
    shared = {"REDIS_URL": redis_url, "OAUTHHUB_ISSUER_BASE_URL": "https://id.example.test/auth"}
    a, b = server_factory(**shared), server_factory(**shared)

    token = requests.post(f"{a.url}/auth/acme/oauth2/token", data={"grant_type": "client_credentials"},
                          auth=(c.client_id, c.plain_secret), timeout=10).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{b.url}/api-test/whoami", headers=bearer, timeout=10).status_code == 200

    revoked = requests.post(f"{a.url}/auth/acme/oauth2/revoke", data={"token": token},
                            auth=(c.client_id, c.plain_secret), timeout=10)
    assert revoked.status_code == 200
    refused = requests.get(f"{b.url}/api-test/whoami", headers=bearer, timeout=10)
    assert refused.status_code == 401, "process B must refuse the token at once"
    assert "revoked" in refused.json()["detail"]

    # A flushed cache (Redis restarted) must not bring the token back.
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    assert requests.get(f"{b.url}/api-test/whoami", headers=bearer, timeout=10).status_code == 401
    assert requests.get(f"{a.url}/api-test/whoami", headers=bearer, timeout=10).status_code == 401
