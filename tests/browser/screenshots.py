"""Regenerate docs/screenshots/*.png: ``make screenshots`` (or ``python -m tests.browser.screenshots``).

Builds a throwaway SQLite database with a demo (two workspaces, scopes,
clients, a rotated key, tokens issued over the last day, a few revocations),
starts the project (``config.wsgi``) with gunicorn on a loopback port, and
drives Debian's Chromium through the admin console as an admin would: change
a TTL, add a client, inspect tokens. Nothing outside the temporary directory
is touched except the PNGs. The issuer is fixed (``https://auth.example.com``)
so the pictures do not change with the port.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ISSUER_BASE = "https://auth.example.com"
PASSWORD = "pw-screenshots-123"
WIDTH = 1280


def main() -> int:
    if not os.path.exists(CHROMIUM):
        print(f"no Chromium at {CHROMIUM}: apt-get install -y chromium", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="oauthhub-screenshots-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "true",
            "OAUTHHUB_ISSUER_BASE_URL": ISSUER_BASE,
            "OAUTHHUB_TOKEN_ENDPOINT_RATE": "",
            "LOG_LEVEL": "WARNING",
            "TZ": "UTC",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
             "--log-level", "warning", "config.wsgi:application"],
            cwd=ROOT, env=env,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait(url)
            demo = populate(url)
            shoot(url, demo)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB")
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str) -> None:
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/healthz", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("the server did not start within 30 s")


# The demo -------------------------------------------------------------------------------------


def populate(url: str) -> dict:
    """Everything the pictures show; returns what the browser part needs."""
    import jwt as pyjwt
    import requests
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, RefreshToken

    from oauthhub import keys, revocation
    from oauthhub.models import AuditEvent, Client, IssuedToken, RefreshTokenExpiry, Scope, Workspace, WorkspaceAdmin

    rng = random.Random(5)
    User = get_user_model()
    root = User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    carol = User.objects.create_user("carol", "carol@example.com", PASSWORD, is_staff=True)
    carol.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["oauthhub", "oauth2_provider"], codename__startswith="view_"))
    users = [User.objects.create_user(name, f"{name}@example.com", PASSWORD) for name in ("alice", "bob", "dan")]

    demo = Workspace(slug="demo", name="Demo", description="The workspace of the demo apps.",
                     signing_algorithm="ES256", audiences=["https://api.example.com"])
    demo.full_clean()
    demo.save()
    billing = Workspace(slug="billing", name="Billing", profile="open_banking", signing_algorithm="ES256")
    billing.full_clean()
    billing.save()
    WorkspaceAdmin.objects.create(user=carol, workspace=billing)
    read = Scope.objects.create(workspace=demo, name="read", description="Read your data", is_default=True)
    write = Scope.objects.create(workspace=demo, name="write", description="Change your data")
    Scope.objects.create(workspace=billing, name="payments", description="Make payments")

    def client(workspace, name, scopes, **fields):
        made = Client(workspace=workspace, name=name, client_type=Client.Kind.CONFIDENTIAL,
                      grant_types=["client_credentials"], **fields)
        made.plain_secret = made.set_new_secret()
        made.full_clean()
        made.save()
        made.allowed_scopes.set(scopes)
        return made

    service = client(demo, "Reporting service", [read])
    worker = client(demo, "Sync worker", [read, write], access_token_ttl=600)
    web = Client(workspace=demo, name="Web app", client_type=Client.Kind.PUBLIC,
                 grant_types=["authorization_code", "refresh_token"], redirect_uris="https://app.example.com/callback")
    web.full_clean()
    web.save()
    web.allowed_scopes.set([read, write])

    keys.signing_key(demo)
    keys.signing_key(billing)
    keys.rotate(demo, force=True)  # one retired key to show
    AuditEvent.objects.create(workspace=demo, actor=root, action=AuditEvent.Action.KEYS_ROTATED,
                              target="workspace demo", detail={"via": "admin", "active": keys.active_key(demo.pk).kid})

    def token(oauth_client, scope="read"):
        response = requests.post(f"{url}/{oauth_client.workspace.slug}/oauth2/token",
                                 data={"grant_type": "client_credentials", "scope": scope},
                                 auth=(oauth_client.client_id, oauth_client.plain_secret), timeout=10)
        response.raise_for_status()
        return response.json()["access_token"]

    issued = [token(service) for _ in range(70)] + [token(worker, "read write") for _ in range(40)]
    now = timezone.now()
    # Spread their issue times over the day, busier in working hours, so the chart has a shape.
    for record in IssuedToken.objects.filter(workspace=demo):
        hours_ago = rng.choices(range(24), weights=[3 if 6 <= (now - timedelta(hours=h)).hour <= 18 else 1
                                                    for h in range(24)])[0]
        IssuedToken.objects.filter(pk=record.pk).update(issued_at=now - timedelta(hours=hours_ago,
                                                                                   minutes=rng.randrange(60)))
    # Users' refresh tokens, stored as the token endpoint stores them.
    for user in users:
        access = AccessToken(user=user, application=web, scope="read write", expires=now + timedelta(minutes=45))
        access._raw_token = secrets.token_urlsafe()
        access.save()
        refresh = RefreshToken(user=user, application=web, access_token=access)
        refresh._raw_token = secrets.token_urlsafe()
        refresh.save()
        RefreshTokenExpiry.objects.create(refresh_token=refresh, expires=now + timedelta(days=30))
    revoked = issued[3]

    revoked_jti = pyjwt.decode(revoked, options={"verify_signature": False})["jti"]
    row = AccessToken.objects.get(oauthhub_record__jti=revoked_jti)
    revocation.revoke(access_tokens=AccessToken.objects.filter(pk=row.pk), refresh_tokens=RefreshToken.objects.none(),
                      workspace=demo, reason="revoked in the admin", actor=root, target=f"access token #{row.pk}")
    revocation.revoke_user(users[2], workspace=demo, reason="revoked in the admin", actor=root)
    return {"valid": issued[-1], "revoked": revoked, "demo": demo.pk, "billing": billing.pk,
            "service": service.pk}


# The pictures ----------------------------------------------------------------------------------


def shoot(url: str, demo: dict) -> None:
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", "--font-render-hinting=none"],
        )
        context = browser.new_context(viewport={"width": WIDTH, "height": 900}, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(20_000)
        # The navigation sidebar collapsed: the pages get the whole width.
        page.goto(f"{url}/admin/login/")
        page.evaluate("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
        _log_in(page, url, "admin")
        workspace = f"{url}/admin/oauthhub/workspace/{demo['demo']}/change/"

        page.goto(workspace)
        _shot(page, "workspace", until="fieldset:has(h2:text('Tokens — Time to live'))")

        page.fill("#id_access_token_ttl", "15m")
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist")
        _shot(page, "workspace-ttl-saved", until="#changelist")

        page.goto(workspace)
        page.fill("#id_access_token_ttl", "25h")
        page.fill("#id_refresh_token_ttl", "10m")
        page.click("input[name=_continue]")
        page.wait_for_selector(".errornote")
        _shot(page, "workspace-ttl-errors", start=".errornote",
              until="fieldset:has(h2:text('Tokens — Time to live'))")

        page.goto(f"{url}/admin/oauthhub/workspace/{demo['billing']}/change/")
        _shot(page, "workspace-admins", start="#scopes-group", until="#admins-group")

        page.goto(f"{url}/admin/oauthhub/client/add/")
        page.select_option("#id_workspace", str(demo["demo"]))
        page.fill("#id_name", "Invoice exporter")
        page.check("input[name=grant_types][value=client_credentials]")
        page.locator("label", has_text="demo:read").locator("input").check()
        _shot(page, "client-add", until=".submit-row")
        page.click("input[name=_save]")
        page.wait_for_selector("#client-secret")
        _shot(page, "client-secret", until="#content-main")

        page.goto(f"{url}/admin/oauthhub/client/{demo['service']}/change/")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("text=Rotate secret")
        page.wait_for_selector("#client-secret")

        page.goto(f"{url}/admin/oauthhub/signingkey/")
        _shot(page, "keys", until="#changelist")

        page.goto(f"{url}/admin/oauth2_provider/accesstoken/?application__workspace__id__exact={demo['demo']}")
        _shot(page, "tokens", height=760)

        for name, value in (("inspector-valid", demo["valid"]), ("inspector-revoked", demo["revoked"])):
            page.goto(f"{url}/admin/oauthhub/workspace/inspector/")
            page.fill("#id_token", value)
            page.click("input[type=submit][value=Inspect]")
            page.wait_for_selector("#inspection")
            _shot(page, name, until="#jwt-claims")

        page.goto(f"{url}/admin/oauthhub/auditevent/")
        _shot(page, "audit-log", until="#changelist")

        context.clear_cookies()
        _log_in(page, url, "carol")
        page.goto(f"{url}/admin/oauthhub/workspace/")
        _shot(page, "workspace-limited-admin", height=420)
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/admin/")


def _shot(page, name: str, *, start: str | None = None, until: str | None = None, height: int | None = None) -> None:
    """A picture of the page from the top (or ``start``) to the bottom of ``until``, ``WIDTH`` wide."""
    top = 0
    if start:
        top = max(0, int(page.locator(start).first.bounding_box()["y"]) - 16)
    if until:
        box = page.locator(until).first.bounding_box()
        bottom = int(box["y"] + box["height"]) + 16
    else:
        bottom = top + (height or 900)
    if height and until is None:
        bottom = top + height
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True,
                    clip={"x": 0, "y": top, "width": WIDTH, "height": max(200, bottom - top)})


if __name__ == "__main__":
    sys.exit(main())
