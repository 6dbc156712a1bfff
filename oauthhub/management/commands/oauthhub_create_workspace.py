"""``oauthhub_create_workspace SLUG``: create a workspace, or converge an existing one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...durations import humanize
from ...models import Workspace
from ...models.workspace import TTL_FIELDS
from ...profiles import PROFILES
from .._options import add_duration_option, durations, full_clean, write_json

# option dest -> model field
TTL_OPTIONS = {
    "access_token_ttl": TTL_FIELDS["access"],
    "refresh_token_ttl": TTL_FIELDS["refresh"],
    "code_ttl": TTL_FIELDS["code"],
    "id_token_ttl": TTL_FIELDS["id"],
}


class Command(BaseCommand):
    help = (
        "Create a workspace, or apply the options given to an existing one. Options you "
        "leave out are not touched, so a provisioning script can run the same line again "
        "and converge; the result is reported as created, updated or unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The URL segment: /<slug>/oauth2/token.")
        parser.add_argument("--name", help="Display name (default on creation: the slug).")
        parser.add_argument("--profile", choices=sorted(PROFILES), help="Presets and bounds for lifetimes.")
        add_duration_option(parser, "--access-token-ttl", "Access token lifetime")
        add_duration_option(parser, "--refresh-token-ttl", "Refresh token lifetime")
        add_duration_option(parser, "--code-ttl", "Authorization code lifetime")
        add_duration_option(parser, "--id-token-ttl", "ID token lifetime")
        parser.add_argument("--token-format", choices=Workspace.TokenFormat.values)
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"]
        wanted = {
            field: options[field]
            for field in ("name", "profile", "token_format")
            if options[field] is not None
        }
        wanted.update({TTL_OPTIONS[dest]: s for dest, s in durations(options, *TTL_OPTIONS).items()})

        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            workspace = Workspace(slug=slug, **{"name": slug, **wanted})
            status, changed = "created", sorted(wanted)
        else:
            changed = sorted(field for field, value in wanted.items() if getattr(workspace, field) != value)
            status = "updated" if changed else "unchanged"
            for field in changed:
                setattr(workspace, field, wanted[field])
        if status != "unchanged":
            full_clean(workspace)
            workspace.save()
        self.report(workspace, status, changed, as_json=options["json"])

    def report(self, workspace: Workspace, status: str, changed: list[str], *, as_json: bool) -> None:
        ttls = {kind: workspace.effective_ttl(kind) for kind in TTL_FIELDS}
        if as_json:
            write_json(self, {
                "workspace": workspace.slug,
                "status": status,
                "changed": changed,
                "name": workspace.name,
                "profile": workspace.profile,
                "token_format": workspace.token_format,
                "ttl": ttls,
            })
            return
        detail = f": {', '.join(changed)}" if status == "updated" else ""
        self.stdout.write(f"Workspace {workspace.slug} {status}{detail}.")
        self.stdout.write(
            f"  profile {workspace.profile}, {workspace.token_format} tokens; lifetimes: "
            f"access {humanize(ttls['access'])}, refresh {humanize(ttls['refresh'])}, "
            f"code {humanize(ttls['code'])}, ID token {humanize(ttls['id'])}"
        )
