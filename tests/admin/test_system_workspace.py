"""The system workspace issues the management API's admin tokens: the console keeps it working."""

from __future__ import annotations

from oauthhub.access import ensure_system_workspace
from oauthhub.models import Workspace


def change(admin_client, workspace, **fields):
    page = admin_client.get(f"/admin/oauthhub/workspace/{workspace.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"grant_types": workspace.grant_types, "audiences": "", **fields})
    for prefix in ("scopes", "signing_keys", "admins"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        for i, inline_form in enumerate(formset.formset.forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[inline_form.add_prefix(name)] = value
    return admin_client.post(f"/admin/oauthhub/workspace/{workspace.pk}/change/", data)


def test_it_cannot_be_deleted(admin_client):
    system = ensure_system_workspace()
    assert admin_client.get(f"/admin/oauthhub/workspace/{system.pk}/delete/").status_code == 403
    assert Workspace.objects.filter(pk=system.pk).exists()


def test_it_cannot_be_disabled_or_turned_opaque(admin_client):
    system = ensure_system_workspace()
    response = change(admin_client, system, enabled="", token_format="opaque")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "keep it enabled" in errors["enabled"][0]
    assert "issues JWTs" in errors["token_format"][0]
    system.refresh_from_db()
    assert system.enabled and system.token_format == "jwt"


def test_its_other_settings_stay_editable(admin_client):
    system = ensure_system_workspace()
    response = change(admin_client, system, name="Platform admin", access_token_ttl="10m")
    assert response.status_code == 302, response.context["adminform"].form.errors
    system.refresh_from_db()
    assert (system.name, system.access_token_ttl) == ("Platform admin", 600)
