"""``oauthhub_demo``: the ready-to-try set-up ``make run`` prints before starting the server."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ...durations import humanize
from ...models import Client, Scope, Workspace
from .._options import DEFAULT_BASE_URL, full_clean, token_endpoint

SLUG = "demo"
CLIENT_NAME = "Demo client"
ADMIN = "admin"


class Command(BaseCommand):
    help = (
        "Set up a demo: workspace 'demo', scope 'read', a confidential client "
        "'Demo client' (client_credentials) and a superuser 'admin'. Safe to run again: "
        "nothing is duplicated and an existing workspace, scope or user is left as it is. "
        "The client's secret is stored only as a digest and cannot be shown again, so "
        "every run ROTATES it and prints the new one; the previous secret stops working."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url", default=DEFAULT_BASE_URL, help=f"Where the site runs (default {DEFAULT_BASE_URL})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["base_url"].rstrip("/")
        with transaction.atomic():
            workspace = demo_workspace()
            client = demo_client(workspace, demo_scope(workspace))
            secret = client.set_new_secret()
            if secret is None:
                raise CommandError(f"{CLIENT_NAME!r} in workspace {SLUG} is public; delete it and run again.")
            client.save(update_fields=["client_secret", "updated"])
            password = demo_admin()

        if password is None:
            self.stdout.write(f"{ADMIN} user exists; password unchanged (use `manage.py changepassword {ADMIN}`)")
        else:
            self.stdout.write(f"Created superuser {ADMIN} with password {password} (shown only this once).")
        self.stdout.write(f"Admin:          {base}/admin/")
        ttl = humanize(workspace.effective_ttl("access"))
        self.stdout.write(f"Workspace:      {workspace.slug} (access tokens live {ttl})")
        self.stdout.write(f"client_id:      {client.client_id}")
        self.stdout.write(f"client_secret:  {secret} (new on every run; the previous one no longer works)")
        self.stdout.write("Get a token:")
        self.stdout.write(
            f"  curl -s -u {client.client_id}:{secret} -d grant_type=client_credentials "
            f"{token_endpoint(base, workspace)}"
        )


def demo_workspace() -> Workspace:
    """The demo workspace; one that already exists is never modified."""
    workspace = Workspace.objects.filter(slug=SLUG).first()
    if workspace is None:
        workspace = Workspace(slug=SLUG, name="Demo", profile="default", token_format=Workspace.TokenFormat.JWT)
        full_clean(workspace)
        workspace.save()
    return workspace


def demo_scope(workspace: Workspace) -> Scope:
    scope = Scope.objects.for_workspace(workspace).filter(name="read").first()
    if scope is None:
        scope = Scope(workspace=workspace, name="read", description="Read your data", is_default=True)
        full_clean(scope)
        scope.save()
    return scope


def demo_client(workspace: Workspace, scope: Scope) -> Client:
    """The demo client, found again by workspace and name on later runs."""
    client = Client.objects.for_workspace(workspace).filter(name=CLIENT_NAME).order_by("pk").first()
    if client is None:
        client = Client(
            workspace=workspace,
            name=CLIENT_NAME,
            client_type=Client.Kind.CONFIDENTIAL,
            grant_types=[Workspace.GrantType.CLIENT_CREDENTIALS],
        )
        full_clean(client)
        client.save()
        client.allowed_scopes.set([scope])
    return client


def demo_admin() -> str | None:
    """Create the superuser with a fresh password and return it; None if it exists."""
    User = get_user_model()
    if User._default_manager.filter(**{User.USERNAME_FIELD: ADMIN}).exists():
        return None
    password = secrets.token_urlsafe(12)
    User._default_manager.create_superuser(**{User.USERNAME_FIELD: ADMIN}, password=password)
    return password
