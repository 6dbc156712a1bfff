"""``oauthhub_revoke``: revoke every token of a user, a client or a workspace (a security event)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import revocation
from ...models import Client
from .._options import get_workspace


class Command(BaseCommand):
    help = (
        "Revoke all tokens of a user (in one workspace with --workspace, else everywhere), of a "
        "client, or of a whole workspace. Refresh tokens stop working and access tokens fail "
        "introspection and in-process validation at once. Each revocation is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Username (or numeric id) whose tokens to revoke.")
        parser.add_argument("--client", help="client_id whose tokens to revoke.")
        parser.add_argument("--workspace", help="Workspace slug: limits --user, or alone revokes the whole workspace.")
        parser.add_argument("--reason", default="revoked by an operator", help="Recorded in the audit log.")

    def handle(self, *args: Any, **options: Any) -> None:
        user, client, slug = options["user"], options["client"], options["workspace"]
        # An empty value is an error, not an absent option: `--user "$NAME" --workspace acme`
        # with $NAME unset must not fall through to revoking the whole workspace.
        for flag, value in (("--user", user), ("--client", client), ("--workspace", slug)):
            if value is not None and not value.strip():
                raise CommandError(f"{flag} is empty.")
        given = (user is not None) + (client is not None) + (slug is not None and user is None)
        if given != 1:
            raise CommandError("Give exactly one of --user (optionally with --workspace), --client, --workspace.")
        reason, label = options["reason"], "command"
        if user:
            workspace = get_workspace(slug) if slug else None
            count = revocation.revoke_user(find_user(user), workspace=workspace, reason=reason, actor_label=label)
            scope = f"user {user}" + (f" in {slug}" if slug else " in every workspace")
        elif client:
            found = Client.objects.select_related("workspace").filter(client_id=client).first()
            if found is None:
                raise CommandError(f"No client with client_id {client!r}.")
            count = revocation.revoke_client(found, reason=reason, actor_label=label)
            scope = f"client {client}"
        else:
            count = revocation.revoke_workspace(get_workspace(slug), reason=reason, actor_label=label)
            scope = f"workspace {slug}"
        self.stdout.write(f"Revoked {count} token(s) of {scope}.")


def find_user(value: str):
    users = get_user_model()._default_manager
    user = users.filter(**{get_user_model().USERNAME_FIELD: value}).first()
    if user is None and value.isdigit():
        user = users.filter(pk=int(value)).first()
    if user is None:
        raise CommandError(f"No user {value!r}.")
    return user
