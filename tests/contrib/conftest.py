from __future__ import annotations

import pytest



@pytest.fixture
def call(client):
    """GET a protected test view with a bearer token."""

    def run(path: str, token: str | None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
        return client.get(path, **headers, **extra)

    return run
