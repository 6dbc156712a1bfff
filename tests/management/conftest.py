"""Helpers for command tests: run a command for its stdout, ask the token endpoint."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

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
