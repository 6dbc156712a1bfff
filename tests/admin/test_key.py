"""Signing keys in the admin: read-only, rotated from the workspace list, revoked after a confirmation."""

from __future__ import annotations

import pytest

from oauthhub import keys
from oauthhub.models import SigningKey
from tests.admin.test_workspace import CHANGE, change

pytestmark = pytest.mark.django_db

WORKSPACES = "/admin/oauthhub/workspace/"
KEYS = "/admin/oauthhub/signingkey/"


def kid(workspace, state: str) -> str:
    return SigningKey.objects.get(workspace=workspace, state=state).kid


def rotate_action(admin_client, workspace):
    return admin_client.post(
        WORKSPACES, {"action": "rotate_signing_keys", "_selected_action": [workspace.pk]}, follow=True
    )


def revoke_action(admin_client, *selected: SigningKey, confirm: bool = False):
    data = {"action": "revoke", "_selected_action": [key.pk for key in selected]}
    if confirm:
        data["post"] = "yes"
    return admin_client.post(KEYS, data, follow=confirm)


@pytest.fixture
def retired_key(workspace, jwks_max_age):
    """The workspace's first active key, retired by a rotation."""
    first = kid(workspace, "active")
    jwks_max_age(0)
    keys.rotate(workspace)
    return SigningKey.objects.get(kid=first)


# Workspace page -------------------------------------------------------------------------


def test_inline_shows_each_key_and_its_state(admin_client, retired_key):
    response = admin_client.get(CHANGE.format(pk=retired_key.workspace_id))
    html = response.content.decode()
    for key in SigningKey.objects.filter(workspace=retired_key.workspace):
        assert key.kid in html
        assert key.get_state_display() in html
    assert "Published until" in html
    inline = next(i for i in response.context["inline_admin_formsets"] if i.opts.model is SigningKey)
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)


def test_workspace_saves_with_the_read_only_inline(admin_client, workspace):
    before = dict(SigningKey.objects.values_list("kid", "state"))
    assert change(admin_client, workspace, name="Renamed").status_code == 302
    assert dict(SigningKey.objects.values_list("kid", "state")) == before


def test_signing_fields_are_on_the_workspace_form(admin_client, workspace):
    response = change(
        admin_client, workspace,
        signing_algorithm="EdDSA", key_rotation_period="30d", audiences="https://api.example.com\n\nbilling\n",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    workspace.refresh_from_db()
    assert workspace.signing_algorithm == "EdDSA"
    assert workspace.key_rotation_period == 30 * 86400
    assert workspace.audiences == ["https://api.example.com", "billing"]

    html = admin_client.get(CHANGE.format(pk=workspace.pk)).content.decode()
    assert "Token format and signing" in html
    assert 'name="key_rotation_period" value="30d"' in html
    assert "https://api.example.com\nbilling</textarea>" in html
    assert "oauthhub_rotate_keys --due" in html


def test_empty_rotation_period_means_never(admin_client, workspace):
    assert change(admin_client, workspace, key_rotation_period="").status_code == 302
    workspace.refresh_from_db()
    assert workspace.key_rotation_period is None


def test_rotation_period_under_a_day_is_refused(admin_client, workspace):
    response = change(admin_client, workspace, key_rotation_period="1h")
    assert response.status_code == 200
    assert "at least 1 day" in str(response.context["adminform"].form.errors["key_rotation_period"])


# Rotate action ----------------------------------------------------------------------


def test_rotate_action_rotates_and_names_the_new_active_key(admin_client, workspace, jwks_max_age):
    jwks_max_age(0)
    old_active, old_next = kid(workspace, "active"), kid(workspace, "next")

    html = rotate_action(admin_client, workspace).content.decode()

    assert f"Rotated the signing keys of acme: {old_next} signs now." in html
    assert kid(workspace, "active") == old_next
    assert SigningKey.objects.get(kid=old_active).state == "retired"


def test_rotate_action_reports_a_too_early_refusal(admin_client, workspace, jwks_max_age):
    jwks_max_age(3600)
    old_active = kid(workspace, "active")

    html = rotate_action(admin_client, workspace).content.decode()

    assert "Rotate again in" in html
    assert kid(workspace, "active") == old_active


# Key list and revocation ----------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?state__exact=retired", "?algorithm__exact=ES256", "?q=x"])
def test_key_list_renders(admin_client, retired_key, query):
    assert admin_client.get(KEYS + query).status_code == 200  # an unknown filter would redirect to ?e=1


def test_keys_are_read_only(admin_client, retired_key):
    assert admin_client.get(KEYS + "add/").status_code == 403
    html = admin_client.get(f"{KEYS}{retired_key.pk}/change/").content.decode()
    assert retired_key.kid in html
    assert 'name="_save"' not in html


def test_revoke_asks_first_with_the_live_token_count(
    admin_client, retired_key, confidential_client, admin_user, token_pair_factory
):
    token_pair_factory(confidential_client, admin_user)
    token_pair_factory(confidential_client, admin_user)
    token_pair_factory(confidential_client, admin_user, expires_in=-60)  # expired: not counted

    page = revoke_action(admin_client, retired_key)

    assert page.status_code == 200
    html = page.content.decode()
    assert retired_key.kid in html
    assert "<td>2</td>" in html
    assert "csrfmiddlewaretoken" in html
    assert 'name="post" value="yes"' in html
    assert SigningKey.objects.get(pk=retired_key.pk).state == "retired"

    done = revoke_action(admin_client, retired_key, confirm=True)

    assert f"Revoked 1 key(s): {retired_key.kid}." in done.content.decode()
    assert SigningKey.objects.get(pk=retired_key.pk).state == "revoked"


def test_revoke_refuses_the_active_key_and_revokes_the_rest(admin_client, workspace):
    active = SigningKey.objects.get(workspace=workspace, state="active")
    following = SigningKey.objects.get(workspace=workspace, state="next")

    html = revoke_action(admin_client, active, following, confirm=True).content.decode()

    assert "Rotate first" in html
    assert SigningKey.objects.get(pk=active.pk).state == "active"
    assert SigningKey.objects.get(pk=following.pk).state == "revoked"


def test_private_material_is_never_shown(admin_client, retired_key):
    workspace = retired_key.workspace
    all_keys = list(SigningKey.objects.filter(workspace=workspace))
    pages = [
        admin_client.get(CHANGE.format(pk=workspace.pk)),
        admin_client.get(KEYS),
        *(admin_client.get(f"{KEYS}{key.pk}/change/") for key in all_keys),
        revoke_action(admin_client, *all_keys),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for key in all_keys:
            assert key.private_jwk_encrypted not in html
            assert keys._decrypt(key.kid, key.private_jwk_encrypted).export_private(as_dict=True)["d"] not in html
