"""A TTL edit reaches every server process on the next token, with no restart."""

from __future__ import annotations

import os
import time

import requests

from oauthhub.conf import hub_settings


def issue(server, c) -> int:
    response = requests.post(
        f"{server.url}/auth/edge/oauth2/token", data={"grant_type": "client_credentials"},
        auth=(c.client_id, c.plain_secret), timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["expires_in"]


def test_ttl_edit_applies_to_the_next_token_in_two_processes(server_factory, workspace_factory, client_factory):
    ws = workspace_factory("edge", access_token_ttl=3600)
    c = client_factory(ws)
    first, second = server_factory(), server_factory()
    assert issue(first, c) == 3600 and issue(second, c) == 3600  # both now hold the workspace

    ws.access_token_ttl = 900
    ws.full_clean()
    ws.save()  # an admin edit in yet another process (this one)

    if os.environ.get("REDIS_URL"):
        # A shared cache is cleared on save: the very next token follows.
        assert issue(first, c) == 900 and issue(second, c) == 900
        return
    # A per-process cache may serve the old row for WORKSPACE_CACHE_SECONDS at most.
    deadline = time.monotonic() + hub_settings.WORKSPACE_CACHE_SECONDS + 2
    seen = {}
    while time.monotonic() < deadline and set(seen.values()) != {900}:
        seen = {"first": issue(first, c), "second": issue(second, c)}
        time.sleep(0.2)
    assert seen == {"first": 900, "second": 900}
