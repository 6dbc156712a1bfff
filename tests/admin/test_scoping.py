"""Multi-tenant admins: a staff user made admin of some workspaces sees and changes only those, everywhere."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client as Browser
from oauth2_provider.models import AccessToken, RefreshToken

from oauthhub import revocation
from oauthhub.admin.scoping import WorkspaceScopedAdmin
from oauthhub.models import AuditEvent, Client, Scope, SigningKey, Workspace, WorkspaceAdmin

pytestmark = pytest.mark.django_db

EVERY_PERMISSION = ("view", "change", "add", "delete")


@pytest.fixture
def world(confidential_client, workspace_factory, scope_factory, client_factory, token_pair_factory, admin_user):
    """acme (the limited admin's) and other (not theirs), each with a scope, a client, keys, tokens and an event."""
    other = workspace_factory("other")
    secret_scope = scope_factory(other, "secrets")
    far = client_factory(other, name="Far client", scopes=[secret_scope])
    mine_tokens = token_pair_factory(confidential_client, admin_user)
    far_tokens = token_pair_factory(far, admin_user)
    for workspace in (confidential_client.workspace, other):
        AuditEvent.objects.create(workspace=workspace, actor_label="command", action="keys_rotated",
                                  target=f"workspace {workspace.slug}")
    AuditEvent.objects.create(workspace=None, actor_label="command", action="settings_changed",
                              target="workspace gone")
    return {
        "mine": confidential_client.workspace, "other": other,
        "objects": {
            "workspace": (confidential_client.workspace, other),
            "scope": (confidential_client.workspace.scopes.first(), secret_scope),
            "client": (confidential_client, far),
            "signingkey": (SigningKey.objects.filter(workspace=confidential_client.workspace).first(),
                           SigningKey.objects.filter(workspace=other).first()),
            "auditevent": (AuditEvent.objects.get(workspace=confidential_client.workspace),
                           AuditEvent.objects.get(workspace=other)),
            "accesstoken": (mine_tokens[0], far_tokens[0]),
            "refreshtoken": (mine_tokens[1], far_tokens[1]),
        },
    }


@pytest.fixture
def tenant(django_user_model, world):
    """A staff user with every model permission, admin of acme only, logged in."""
    user = django_user_model.objects.create_user("tenant", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["oauthhub", "oauth2_provider"],
        codename__regex=rf"^({'|'.join(EVERY_PERMISSION)})_",
    ))
    WorkspaceAdmin.objects.create(user=user, workspace=world["mine"])
    browser = Browser()
    browser.force_login(user)
    browser.user = user
    return browser


def url(name: str, obj=None, suffix: str = "") -> str:
    app = "oauth2_provider" if name in {"accesstoken", "refreshtoken"} else "oauthhub"
    return f"/admin/{app}/{name}/" + (f"{obj.pk}/{suffix}" if obj is not None else "")


def shown(browser, name: str, **params) -> set:
    response = browser.get(url(name), params)
    assert response.status_code == 200, name
    return {obj.pk for obj in response.context["cl"].result_list}


def test_every_oauthhub_model_admin_is_workspace_scoped():
    from oauthhub.models import AuditEvent as Audit

    for model in (Workspace, Scope, Client, SigningKey, Audit, AccessToken, RefreshToken):
        assert isinstance(admin.site._registry[model], WorkspaceScopedAdmin), model


@pytest.mark.parametrize("name", ["workspace", "scope", "client", "signingkey", "auditevent", "accesstoken",
                                  "refreshtoken"])
def test_lists_show_only_managed_workspaces(tenant, world, admin_client, name):
    mine, theirs = world["objects"][name]
    model_admin = admin.site._registry[type(mine)]
    path = model_admin.workspace_path or "pk"
    expected = set(type(mine).objects.filter(**{path: world["mine"].pk}).values_list("pk", flat=True))
    assert mine.pk in expected
    assert shown(tenant, name) == expected
    assert {mine.pk, theirs.pk} <= shown(admin_client, name)  # a superuser sees everything


@pytest.mark.parametrize("name", ["workspace", "scope", "client", "signingkey", "auditevent", "accesstoken",
                                  "refreshtoken"])
@pytest.mark.parametrize("suffix", ["change/", "delete/", "history/"])
def test_crafted_urls_to_another_workspace_are_404(tenant, world, name, suffix):
    mine, theirs = world["objects"][name]
    # Read-only models refuse every delete page with 403 before looking the object up.
    refused = {404, 403} if suffix == "delete/" and name not in {"workspace", "scope", "client"} else {404}
    assert tenant.get(url(name, theirs, suffix)).status_code in refused
    assert tenant.get(url(name, mine, "change/")).status_code == 200


@pytest.mark.parametrize("name", ["workspace", "scope", "client"])
def test_crafted_posts_to_another_workspace_change_nothing(tenant, world, name):
    _, theirs = world["objects"][name]
    assert tenant.post(url(name, theirs, "change/"), {"name": "hijacked"}).status_code == 404
    assert tenant.post(url(name, theirs, "delete/"), {"post": "yes"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name != "hijacked"


def test_actions_on_crafted_ids_touch_nothing(tenant, world):
    far_access, far_refresh = world["objects"]["accesstoken"][1], world["objects"]["refreshtoken"][1]
    far_client = world["objects"]["client"][1]
    tenant.post(url("accesstoken"), {"action": "revoke", "_selected_action": [far_access.pk]})
    tenant.post(url("client"), {"action": "rotate_secret", "_selected_action": [far_client.pk]})
    tenant.post(url("client"), {"action": "revoke_tokens", "_selected_action": [far_client.pk]})
    tenant.post(url("workspace"), {"action": "revoke_tokens", "_selected_action": [world["other"].pk],
                                   "post": "yes"})
    assert AccessToken.objects.filter(pk=far_access.pk).exists()
    assert RefreshToken.objects.get(pk=far_refresh.pk).revoked is None
    assert Client.objects.get(pk=far_client.pk).client_secret == far_client.client_secret
    assert tenant.post(f"/admin/oauthhub/client/{far_client.pk}/rotate-secret/").status_code == 404
    assert tenant.get(f"/admin/oauthhub/workspace/{world['other'].pk}/revoke-tokens/").status_code == 404


def test_filters_offer_only_managed_workspaces(tenant, world, admin_client, client_factory):
    client_factory(world["mine"], name="Second")  # two workspaces' worth of choices for the superuser

    def choices(browser, name: str, title: str) -> set[str]:
        response = browser.get(url(name))
        spec = next(spec for spec in response.context["cl"].filter_specs if spec.title == title)
        return {str(label) for _, label in spec.lookup_choices}

    assert choices(admin_client, "client", "workspace") == {"acme", "other"}
    # One choice is no filter at all, so Django shows none; the limited admin never sees "other".
    assert "other" not in tenant.get(url("client")).content.decode().split('id="changelist-filter"')[-1]
    assert choices(admin_client, "accesstoken", "client") >= {"Test client", "Far client"}
    assert "Far client" not in tenant.get(url("accesstoken")).content.decode()
    # A crafted filter value shows nothing from the other workspace.
    assert world["objects"]["scope"][1].pk not in shown(tenant, "scope", workspace__id__exact=world["other"].pk)


def test_related_pickers_offer_only_managed_workspaces(tenant, world):
    form = tenant.get(url("client") + "add/").context["adminform"].form
    assert set(form.fields["workspace"].queryset) == {world["mine"]}
    assert {scope.workspace for scope in form.fields["allowed_scopes"].queryset} == {world["mine"]}
    scope_form = tenant.get(url("scope") + "add/").context["adminform"].form
    assert set(scope_form.fields["workspace"].queryset) == {world["mine"]}


def test_adding_into_another_workspace_is_refused(tenant, world):
    response = tenant.post(url("scope") + "add/", {"workspace": world["other"].pk, "name": "mine-now"})
    assert response.status_code == 200
    assert "workspace" in response.context["adminform"].form.errors
    response = tenant.post(url("client") + "add/", {
        "workspace": world["other"].pk, "name": "Sneaky", "client_type": "confidential",
        "grant_types": ["client_credentials"], "allowed_scopes": [world["objects"]["scope"][1].pk],
    })
    assert "workspace" in response.context["adminform"].form.errors
    assert not Scope.objects.filter(name="mine-now").exists() and not Client.objects.filter(name="Sneaky").exists()


def test_only_an_admin_of_every_workspace_adds_workspaces(tenant, admin_client):
    assert tenant.get(url("workspace") + "add/").status_code == 403
    assert admin_client.get(url("workspace") + "add/").status_code == 200


def test_site_wide_events_are_for_superusers(tenant, admin_client, world):
    site_wide = AuditEvent.objects.get(workspace=None)
    assert site_wide.pk not in shown(tenant, "auditevent")
    assert site_wide.pk in shown(admin_client, "auditevent")
    assert tenant.get(url("auditevent", site_wide, "change/")).status_code == 404


def test_staff_without_workspace_admin_rows_sees_nothing(django_user_model, world):
    user = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    browser = Browser()
    browser.force_login(user)
    for name in ("workspace", "client", "accesstoken", "auditevent"):
        assert shown(browser, name) == set()


def test_workspace_admins_are_granted_by_superusers_only(tenant, admin_client, world, django_user_model):
    mine = world["mine"]
    assert "admins-TOTAL_FORMS" not in tenant.get(url("workspace", mine, "change/")).content.decode()
    page = admin_client.get(url("workspace", mine, "change/"))
    html = page.content.decode()
    assert "admins-TOTAL_FORMS" in html
    inline = next(i for i in page.context["inline_admin_formsets"] if i.opts.model is WorkspaceAdmin)
    offered = set(inline.formset.forms[0].fields["user"].queryset.values_list("username", flat=True))
    assert "tenant" in offered and "admin" not in offered  # staff only; superusers need no row


def test_a_grant_takes_effect_and_a_withdrawal_too(tenant, world):
    other = world["other"]
    assert tenant.get(url("workspace", other, "change/")).status_code == 404
    grant = WorkspaceAdmin.objects.create(user=tenant.user, workspace=other)
    assert tenant.get(url("workspace", other, "change/")).status_code == 200
    grant.delete()
    assert tenant.get(url("workspace", other, "change/")).status_code == 404


def test_model_permissions_still_apply(django_user_model, world):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_workspace"))
    WorkspaceAdmin.objects.create(user=user, workspace=world["mine"])
    browser = Browser()
    browser.force_login(user)
    assert shown(browser, "workspace") == {world["mine"].pk}
    assert browser.get(url("client")).status_code == 403
    response = browser.post(url("workspace", world["mine"], "change/"), {"name": "x"})
    assert response.status_code == 403


def test_limited_admin_revokes_within_their_workspace(tenant, world):
    mine_access = world["objects"]["accesstoken"][0]
    tenant.post(url("accesstoken"), {"action": "revoke", "_selected_action": [mine_access.pk]})
    assert not AccessToken.objects.filter(pk=mine_access.pk).exists()
    event = AuditEvent.objects.get(action="tokens_revoked")
    assert event.actor == tenant.user and event.workspace == world["mine"]
    assert revocation  # the module the action goes through
