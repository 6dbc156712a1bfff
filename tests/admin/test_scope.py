"""Scope admin: its own list, filtered by workspace, searchable by name."""

from __future__ import annotations

import pytest

from oauthhub.models import Scope

pytestmark = pytest.mark.django_db

LIST = "/admin/oauthhub/scope/"


def test_list_filters_by_workspace_and_searches_by_name(admin_client, workspace, workspace_factory, scope_factory):
    other = workspace_factory("other")
    scope_factory(other, "reports")

    assert admin_client.get(LIST).context["cl"].result_count == 3
    assert admin_client.get(LIST, {"workspace__id__exact": other.pk}).context["cl"].result_count == 1
    assert [s.name for s in admin_client.get(LIST, {"q": "rep"}).context["cl"].result_list] == ["reports"]


def test_add_scope(admin_client, workspace):
    response = admin_client.post(
        f"{LIST}add/", {"workspace": workspace.pk, "name": "admin", "description": "Administer"}
    )
    assert response.status_code == 302
    assert Scope.objects.filter(workspace=workspace, name="admin").exists()


def test_invalid_and_duplicate_names_are_field_errors(admin_client, workspace):
    for name, message in (("has space", "printable ASCII"), ("read", "already exists")):
        response = admin_client.post(f"{LIST}add/", {"workspace": workspace.pk, "name": name})
        errors = response.context["adminform"].form.errors
        assert message in str(errors), errors


def test_workspace_is_fixed_once_created(admin_client, workspace):
    scope = workspace.scopes.get(name="read")
    form = admin_client.get(f"{LIST}{scope.pk}/change/").context["adminform"].form
    assert "workspace" not in form.fields
