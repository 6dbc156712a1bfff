"""Helpers for command tests: run a command for its stdout, ask the token endpoint."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.admin.conftest import Scene, build_scene
from tests.conftest import basic_auth


@pytest.fixture
def run(db):
    """``run("oauthhub_x", "arg", "--flag")`` -> what the command printed on stdout."""

    def run(*args: str, **options) -> str:
        out = io.StringIO()
        call_command(*args, stdout=out, stderr=io.StringIO(), **options)
        return out.getvalue()

    return run


@pytest.fixture
def request_token(post_form):
    """POST a client_credentials request to the tests host's endpoint (mounted under /auth/)."""

    def request(slug: str, client_id: str, secret: str, path: str | None = None):
        return post_form(
            path or f"/auth/{slug}/oauth2/token",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic_auth(client_id, secret),
        )

    return request


@pytest.fixture
def jwks_max_age(settings):
    """``jwks_max_age(0)``: how long a next key must be published before rotation may promote it."""

    def set_age(seconds: int) -> None:
        settings.OAUTHHUB = {**settings.OAUTHHUB, "JWKS_MAX_AGE": seconds}

    return set_age


@pytest.fixture
def whoami(client):
    """GET the tests host's protected view (it validates workspace acme's tokens in-process)."""

    def call(token: str):
        return client.get("/api-test/whoami", HTTP_AUTHORIZATION=f"Bearer {token}")

    return call


@pytest.fixture
def scene(workspace, confidential_client, user, workspace_factory, scope_factory, client_factory, post_form) -> Scene:
    """Real tokens of two users and three clients in two workspaces (see tests/admin/conftest.py)."""
    return build_scene(
        post_form, workspace=workspace, app=confidential_client, alice=user,
        workspace_factory=workspace_factory, scope_factory=scope_factory, client_factory=client_factory,
    )
