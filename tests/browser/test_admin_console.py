"""What an admin does in the console, done in a real browser."""

from __future__ import annotations

import jwt as pyjwt
import requests

from oauthhub.models import Client, Scope, Workspace
from tests.browser.conftest import ADMIN_PASSWORD, log_in


def demo(client_factory=None):
    ws = Workspace(slug="demo", name="Demo", signing_algorithm="ES256")
    ws.full_clean()
    ws.save()
    read = Scope.objects.create(workspace=ws, name="read", description="Read your data", is_default=True)
    return ws, read


def token(live, slug, client_id, secret):
    response = requests.post(f"{live.url}/auth/{slug}/oauth2/token", data={"grant_type": "client_credentials"},
                             auth=(client_id, secret), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_ttl_change_in_the_form_reaches_the_next_token(page, live, superuser, client_factory):
    ws, read = demo()
    c = client_factory(ws, scopes=[read])
    log_in(page, live, "root")
    page.goto(f"{live.url}/admin/oauthhub/workspace/{ws.pk}/change/")
    page.fill("#id_access_token_ttl", "15m")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert Workspace.objects.get(pk=ws.pk).access_token_ttl == 900
    body = token(live, "demo", c.client_id, c.plain_secret)
    claims = pyjwt.decode(body["access_token"], options={"verify_signature": False})
    assert body["expires_in"] == 900
    assert claims["exp"] - claims["iat"] == 900


def test_invalid_ttl_shows_the_error_beside_the_field_and_saves_nothing(page, live, superuser):
    ws, _ = demo()
    log_in(page, live, "root")
    page.goto(f"{live.url}/admin/oauthhub/workspace/{ws.pk}/change/")
    page.fill("#id_access_token_ttl", "25h")
    page.click("input[name=_save]")
    error = page.locator(".field-access_token_ttl .errorlist")
    assert "at most 1 day" in error.inner_text()
    assert Workspace.objects.get(pk=ws.pk).access_token_ttl is None


def test_new_client_secret_is_shown_once_and_works(page, live, superuser):
    ws, read = demo()
    log_in(page, live, "root")
    page.goto(f"{live.url}/admin/oauthhub/client/add/")
    page.select_option("#id_workspace", str(ws.pk))
    page.fill("#id_name", "Billing service")
    page.check("input[name=client_type][value=confidential]")
    page.check("input[name=grant_types][value=client_credentials]")
    page.click("input[name=_save]")
    secret = page.input_value("#client-secret")
    assert "will not be shown again" in page.content()
    client = Client.objects.get(name="Billing service")
    assert token(live, "demo", client.client_id, secret)["token_type"] == "Bearer"
    page.goto(f"{live.url}/admin/oauthhub/client/{client.pk}/change/")
    assert secret not in page.content()


def test_the_inspector_shows_a_valid_and_a_revoked_token_correctly(page, live, superuser, client_factory):
    ws, read = demo()
    c = client_factory(ws, scopes=[read])
    valid = token(live, "demo", c.client_id, c.plain_secret)["access_token"]
    revoked = token(live, "demo", c.client_id, c.plain_secret)["access_token"]
    response = requests.post(f"{live.url}/auth/demo/oauth2/revoke", data={"token": revoked},
                             auth=(c.client_id, c.plain_secret), timeout=10)
    assert response.status_code == 200, response.text
    log_in(page, live, "root")
    page.goto(f"{live.url}/admin/oauth2_provider/accesstoken/")
    page.click("text=Token inspector")

    page.fill("#id_token", valid)
    page.click("input[type=submit][value=Inspect]")
    assert page.inner_text(".inspector-verdict").strip() == "Valid: every check passes."
    assert page.locator("ul.checklist li.fail").count() == 0
    assert "Signed by key" in page.inner_text("ul.checklist")
    assert '"iss": "' + live.url + '/auth/demo"' in page.inner_text("#jwt-claims")
    assert page.input_value("#id_token") == ""  # never shown back

    page.fill("#id_token", revoked)
    page.click("input[type=submit][value=Inspect]")
    assert page.inner_text(".inspector-verdict").startswith("Not valid: Revoked")
    failed = page.locator("ul.checklist li.fail")
    assert "Not revoked" in failed.first.inner_text()
    assert revoked not in page.content()


def test_a_workspace_limited_staff_user_cannot_see_another_workspace(page, live, superuser, client_factory,
                                                                     django_user_model):
    from django.contrib.auth.models import Permission

    from oauthhub.models import WorkspaceAdmin

    ws, read = demo()
    hidden = Workspace(slug="hidden", name="Hidden", signing_algorithm="ES256")
    hidden.full_clean()
    hidden.save()
    secret_scope = Scope.objects.create(workspace=hidden, name="secrets")
    far = client_factory(hidden, name="Far client", scopes=[secret_scope])
    client_factory(ws, name="Near client", scopes=[read])
    staff = django_user_model.objects.create_user("carol", password=ADMIN_PASSWORD, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="oauthhub"))
    WorkspaceAdmin.objects.create(user=staff, workspace=ws)

    log_in(page, live, "carol")
    page.goto(f"{live.url}/admin/oauthhub/workspace/")
    listed = page.inner_text("#result_list")
    assert "demo" in listed and "hidden" not in listed
    page.goto(f"{live.url}/admin/oauthhub/client/")
    assert "Near client" in page.inner_text("#result_list") and "Far client" not in page.content()
    page.goto(f"{live.url}/admin/oauthhub/client/add/")
    assert page.locator("#id_workspace option", has_text="hidden").count() == 0
    assert "secrets" not in page.inner_text(".field-allowed_scopes")

    for url in (f"/admin/oauthhub/workspace/{hidden.pk}/change/", f"/admin/oauthhub/client/{far.pk}/change/",
                f"/admin/oauthhub/scope/{secret_scope.pk}/change/"):
        response = page.goto(live.url + url)
        assert response.status in (403, 404), url
        assert "Far client" not in page.content() and "hidden" not in page.content()
