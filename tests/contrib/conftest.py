from __future__ import annotations

import pytest

from tests.conftest import basic_auth


@pytest.fixture
def issue(post_form):
    """Get an access token for ``oauth_client`` at its workspace's token endpoint."""

    def run(oauth_client, **data) -> str:
        response = post_form(
            f"/auth/{oauth_client.workspace.slug}/oauth2/token",
            {"grant_type": "client_credentials", **data},
            HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret),
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return run


@pytest.fixture
def call(client):
    """GET a protected test view with a bearer token."""

    def run(path: str, token: str | None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
        return client.get(path, **headers, **extra)

    return run
