"""``oauthhub_revoke_key KID [--yes]``: unpublish a next or retired signing key at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import keys
from ...exceptions import RotationError
from ...models import SigningKey


class Command(BaseCommand):
    help = (
        "Revoke a signing key (for a leaked or compromised key): it leaves the JWKS now, and "
        "tokens it signed fail validation from now on instead of when they expire. Only a next "
        "or retired key can be revoked; rotate an active key first. Without --yes, only reports "
        "how many live access tokens of the key's workspace could be affected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kid", help="Key ID, as in the JWKS and the admin.")
        parser.add_argument("--yes", action="store_true", help="Revoke without asking.")

    def handle(self, *args: Any, **options: Any) -> None:
        key = SigningKey.objects.select_related("workspace").filter(kid=options["kid"]).first()
        if key is None:
            raise CommandError(f"No signing key with kid {options['kid']}.")
        workspace = key.workspace.slug
        if key.state == SigningKey.State.REVOKED:
            self.stdout.write(f"Key {key.kid} of {workspace} is already revoked.")
            return
        # The active key goes straight to keys.revoke(), which refuses it and
        # says what to do; confirming first would only cost the operator a run.
        if key.state != SigningKey.State.ACTIVE and not options["yes"]:
            self.stdout.write(
                f"Key {key.kid} ({key.state}) of {workspace}: {keys.live_token_counts([key.workspace_id]).get(key.workspace_id, 0)} live "
                f"access token(s) of {workspace} could be signed by it; they would fail validation at once."
            )
            raise CommandError("Not revoked: re-run with --yes to revoke it.")
        try:
            keys.revoke(key)
        except RotationError as exc:
            raise CommandError(f"Key {key.kid} ({key.state}) of {workspace} not revoked. {exc}") from exc
        self.stdout.write(f"Revoked key {key.kid} of {workspace}; it is no longer in the JWKS.")
