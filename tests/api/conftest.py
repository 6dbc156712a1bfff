"""Fixtures of the management API tests: the system workspace, admin clients and their tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from oauthhub.access import create_admin_client, ensure_system_workspace
from oauthhub.models import Workspace
from tests.conftest import basic_auth

API = "/auth/api/v1"
READ, WRITE = "oauthhub:read", "oauthhub:write"


@pytest.fixture
def system(db):
    # Created by migration 0006; made again here because transactional tests flush the database.
    workspace = ensure_system_workspace()
    if not workspace.signing_keys.exists():
        # ES256 keys generate in a millisecond (RSA, the default, is tested where it matters).
        Workspace.objects.filter(pk=workspace.pk).update(signing_algorithm="ES256")
        workspace.refresh_from_db()
    return workspace


@pytest.fixture
def admin_client_factory(system):
    """An admin client (plain secret on ``.plain_secret``): all workspaces unless ``workspaces`` is given."""

    def make(*, scopes=(READ, WRITE), workspaces=None, name="Admin"):
        client, secret = create_admin_client(name=name, scopes=scopes, workspaces=workspaces)
        client.plain_secret = secret
        return client

    return make


@pytest.fixture
def admin_token(post_form):
    """An access token for an admin client, from the system workspace's token endpoint."""

    def issue(admin, **data) -> str:
        response = post_form(
            f"/auth/{admin.workspace.slug}/oauth2/token", {"grant_type": "client_credentials", **data},
            HTTP_AUTHORIZATION=basic_auth(admin.client_id, admin.plain_secret),
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return issue


@pytest.fixture
def api_as(admin_client_factory, admin_token):
    """An APIClient with a bearer admin token; options as for ``admin_client_factory``."""

    def make(**options) -> APIClient:
        admin = admin_client_factory(**options)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
        api.admin = admin
        return api

    return make


@pytest.fixture
def api(api_as):
    """Read and write, every workspace."""
    return api_as()


@pytest.fixture
def staff_factory(db):
    def make(username="staff", *, superuser=False, perms=(), workspaces=()):
        from django.contrib.auth.models import Permission

        from oauthhub.models import WorkspaceAdmin

        user = get_user_model().objects.create_user(
            username, password="pw-staff-12345", is_staff=True, is_superuser=superuser
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        for workspace in workspaces:
            WorkspaceAdmin.objects.create(user=user, workspace=workspace)
        return get_user_model().objects.get(pk=user.pk)  # fresh permission cache

    return make
