import pytest
from django.core.exceptions import ValidationError

from oauthhub.models import Scope


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["has space", 'quo"te', "back\\slash", ""])
def test_scope_names_follow_rfc_6749(workspace, name):
    with pytest.raises(ValidationError):
        Scope(workspace=workspace, name=name).full_clean()


@pytest.mark.django_db
def test_scope_names_are_unique_per_workspace_only(workspace, workspace_factory):
    with pytest.raises(ValidationError):
        Scope(workspace=workspace, name="read").full_clean()
    Scope(workspace=workspace_factory("other"), name="read").full_clean()


@pytest.mark.django_db
def test_querysets_read_as_sentences(workspace):
    assert list(Scope.objects.for_workspace(workspace).defaults().values_list("name", flat=True)) == ["read"]
