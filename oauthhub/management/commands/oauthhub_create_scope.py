"""``oauthhub_create_scope WORKSPACE NAME``: get or create a scope, updating what is passed."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...models import Scope
from .._options import full_clean, get_workspace


class Command(BaseCommand):
    help = (
        "Create a scope in a workspace, or update the description and default flag of an "
        "existing one (only those passed). Safe to run again; reports created, updated or unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", help="Workspace slug.")
        parser.add_argument("name", help="Scope name as clients request it (RFC 6749 §3.3 scope-token).")
        parser.add_argument("--description", help="Shown to users on the consent page.")
        parser.add_argument(
            "--default",
            dest="is_default",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Grant it when a client asks for no scope (--no-default to stop).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = get_workspace(options["workspace"])
        wanted = {f: options[f] for f in ("description", "is_default") if options[f] is not None}
        scope = Scope.objects.for_workspace(workspace).filter(name=options["name"]).first()
        if scope is None:
            scope, status = Scope(workspace=workspace, name=options["name"], **wanted), "created"
        else:
            changed = [field for field, value in wanted.items() if getattr(scope, field) != value]
            status = "updated" if changed else "unchanged"
            for field in changed:
                setattr(scope, field, wanted[field])
        if status != "unchanged":
            full_clean(scope)
            scope.save()
        default = " (granted by default)" if scope.is_default else ""
        self.stdout.write(f"Scope {workspace.slug}:{scope.name} {status}{default}.")
