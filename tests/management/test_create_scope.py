from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from oauthhub.models import Scope

COMMAND = "oauthhub_create_scope"


@pytest.fixture
def acme(workspace_factory):
    return workspace_factory("acme")


def test_creates_scope(run, acme):
    out = run(COMMAND, "acme", "profile", "--description", "See your profile", "--default")
    assert "Scope acme:profile created (granted by default)." in out
    scope = Scope.objects.get(workspace=acme, name="profile")
    assert scope.description == "See your profile"
    assert scope.is_default is True


def test_rerun_is_unchanged(run, acme):
    run(COMMAND, "acme", "read", "--description", "Read")
    assert "unchanged" in run(COMMAND, "acme", "read", "--description", "Read")
    assert "unchanged" in run(COMMAND, "acme", "read")
    assert Scope.objects.count() == 1


def test_updates_only_what_is_passed(run, acme):
    run(COMMAND, "acme", "read", "--description", "Read", "--default")
    assert "updated" in run(COMMAND, "acme", "read", "--no-default")
    scope = Scope.objects.get()
    assert (scope.description, scope.is_default) == ("Read", False)


def test_same_name_in_another_workspace_is_another_scope(run, acme, workspace_factory):
    workspace_factory("other")
    run(COMMAND, "acme", "read")
    run(COMMAND, "other", "read")
    assert Scope.objects.count() == 2


def test_unknown_workspace(run):
    with pytest.raises(CommandError, match="No workspace 'nope'"):
        run(COMMAND, "nope", "read")


def test_invalid_name_is_refused(run, acme):
    with pytest.raises(CommandError, match="name: A scope name is printable ASCII"):
        run(COMMAND, "acme", 'say "hi"')
    assert not Scope.objects.exists()
