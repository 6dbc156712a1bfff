"""What an admin does in the console, done in a real browser."""

from __future__ import annotations

import jwt as pyjwt
import requests

from oauthhub.models import Client, Scope, Workspace
from tests.browser.conftest import log_in


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
