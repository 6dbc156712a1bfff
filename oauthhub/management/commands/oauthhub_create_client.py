"""``oauthhub_create_client WORKSPACE --name N --grant-type T``: register a client, print its secret once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ...models import Client, Scope, Workspace
from .._options import add_duration_option, base_url, durations, full_clean, get_workspace, token_endpoint, write_json


class Command(BaseCommand):
    help = (
        "Register a new client in a workspace and print its client_id and secret. Only a "
        "digest of the secret is stored, so it is shown this once. Not idempotent: every "
        "run creates another client with its own secret."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", help="Workspace slug.")
        parser.add_argument("--name", required=True, help="Display name.")
        parser.add_argument(
            "--grant-type",
            dest="grant_types",
            action="append",
            required=True,
            choices=Workspace.GrantType.values,
            metavar="GRANT_TYPE",
            help=f"One of {', '.join(Workspace.GrantType.values)}; repeat for several.",
        )
        parser.add_argument(
            "--redirect-uri", dest="redirect_uris", action="append", default=[], metavar="URI",
            help="Repeat for several.",
        )
        parser.add_argument(
            "--scope", dest="scopes", action="append", default=[], metavar="SCOPE",
            help="An existing scope of the workspace; repeat for several.",
        )
        parser.add_argument("--public", action="store_true", help="A public client (no secret; PKCE apps).")
        add_duration_option(parser, "--access-token-ttl", "Access token lifetime (default: the workspace's)")
        add_duration_option(parser, "--refresh-token-ttl", "Refresh token lifetime (default: the workspace's)")
        parser.add_argument(
            "--base-url",
            help='Public base URL for the printed token endpoint (default: OAUTHHUB["ISSUER_BASE_URL"], '
            "else http://127.0.0.1:8000).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = get_workspace(options["workspace"])
        ttls = durations(options, "access_token_ttl", "refresh_token_ttl")
        scopes = find_scopes(workspace, options["scopes"])
        client = Client(
            workspace=workspace,
            name=options["name"],
            client_type=Client.Kind.PUBLIC if options["public"] else Client.Kind.CONFIDENTIAL,
            grant_types=list(dict.fromkeys(options["grant_types"])),
            redirect_uris=" ".join(options["redirect_uris"]),
            **ttls,
        )
        secret = client.set_new_secret()
        with transaction.atomic():
            full_clean(client)
            client.save()
            client.allowed_scopes.set(scopes)

        endpoint = token_endpoint(base_url(options["base_url"]), workspace)
        if options["json"]:
            write_json(self, {
                "client_id": client.client_id,
                "client_secret": secret,
                "workspace": workspace.slug,
                "token_endpoint": endpoint,
            })
            return
        self.stdout.write(f"Created client {client.name!r} in workspace {workspace.slug}.")
        self.stdout.write(f"  client_id:      {client.client_id}")
        if secret is None:
            self.stdout.write("  client_secret:  none (public client)")
        else:
            self.stdout.write(f"  client_secret:  {secret}")
            self.stdout.write("                  Shown only once: only a digest is stored. Save it now.")
        self.stdout.write(f"  token endpoint: {endpoint}")


def find_scopes(workspace: Workspace, names: list[str]) -> list[Scope]:
    """The named scopes of ``workspace``; all of them must exist, or none is used."""
    scopes = list(Scope.objects.for_workspace(workspace).filter(name__in=names))
    missing = sorted(set(names) - {scope.name for scope in scopes})
    if missing:
        raise CommandError(
            f"Workspace '{workspace.slug}' has no scope {', '.join(missing)} (create it with oauthhub_create_scope)."
        )
    return scopes
