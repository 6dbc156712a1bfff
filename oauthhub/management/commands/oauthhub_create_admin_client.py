"""``oauthhub_create_admin_client``: a client of the system workspace whose tokens drive the management API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...access import READ_SCOPE, SYSTEM_SCOPES, WRITE_SCOPE, create_admin_client
from .._options import base_url, describe, get_workspace, token_endpoint, write_json


class Command(BaseCommand):
    help = (
        "Create an admin client: a confidential client of the system workspace "
        '(OAUTHHUB["SYSTEM_WORKSPACE"]) that gets management API tokens by client credentials. '
        "Prints its client_id, its secret (shown this once) and the token endpoint. Without "
        "--workspace it manages every workspace; with it, only those."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="Admin client", help='Display name (default: "Admin client").')
        parser.add_argument(
            "--scope", dest="scopes", action="append", choices=sorted(SYSTEM_SCOPES), metavar="SCOPE",
            help=f"{READ_SCOPE} and/or {WRITE_SCOPE}; repeat for both (default: both).",
        )
        parser.add_argument(
            "--workspace", dest="workspaces", action="append", metavar="SLUG",
            help="A workspace it may manage; repeat for several (default: all, including future ones).",
        )
        parser.add_argument(
            "--base-url",
            help='Public base URL for the printed token endpoint (default: OAUTHHUB["ISSUER_BASE_URL"], '
            "else http://127.0.0.1:8000).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        scopes = list(dict.fromkeys(options["scopes"] or [READ_SCOPE, WRITE_SCOPE]))
        unknown = sorted(set(scopes) - set(SYSTEM_SCOPES))
        if unknown:  # call_command() skips argparse's choices
            raise CommandError(f"--scope: choose among {', '.join(SYSTEM_SCOPES)}; not {', '.join(unknown)}.")
        slugs = options["workspaces"]
        workspaces = None if slugs is None else [get_workspace(slug) for slug in dict.fromkeys(slugs)]
        try:
            client, secret = create_admin_client(name=options["name"], scopes=scopes, workspaces=workspaces)
        except ValidationError as exc:
            raise CommandError(describe(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        endpoint = token_endpoint(base_url(options["base_url"]), client.workspace)
        manages = "all" if workspaces is None else [workspace.slug for workspace in workspaces]
        if options["json"]:
            write_json(self, {
                "client_id": client.client_id,
                "client_secret": secret,
                "token_endpoint": endpoint,
                "scope": " ".join(scopes),
                "workspace": client.workspace.slug,
                "manages": manages,
            })
            return
        self.stdout.write(f"Created admin client {client.name!r} in workspace {client.workspace.slug}.")
        self.stdout.write(f"  client_id:      {client.client_id}")
        self.stdout.write(f"  client_secret:  {secret}")
        self.stdout.write("                  Shown only once: only a digest is stored. Save it now.")
        self.stdout.write(f"  token endpoint: {endpoint}")
        self.stdout.write(f"  scope:          {' '.join(scopes)}")
        self.stdout.write(f"  manages:        {'every workspace' if manages == 'all' else ', '.join(manages) or 'none'}")
        self.stdout.write(
            f"Get a token: curl -u CLIENT_ID:SECRET -d grant_type=client_credentials -d 'scope={' '.join(scopes)}' "
            f"{endpoint}"
        )
