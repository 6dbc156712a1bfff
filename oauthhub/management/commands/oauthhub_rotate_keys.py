"""``oauthhub_rotate_keys [WORKSPACE | --due]``: promote the next signing key, retire the active one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import keys
from ...exceptions import RotationError
from ...models import SigningKey, Workspace
from .._options import get_workspace, write_json


class Command(BaseCommand):
    help = (
        "Rotate a workspace's signing keys: the next key (already published) starts signing, "
        "the active key is retired but stays in the JWKS until its tokens expire, and a new next "
        "key is published. With --due, rotate every workspace whose active key is older than its "
        "key rotation period and drop retired keys no longer needed; run that from cron (safe on "
        "several hosts at once). Prints key IDs only, never key material."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", nargs="?", help="Workspace slug (or use --due).")
        parser.add_argument(
            "--force",
            action="store_true",
            help='Rotate even if the next key was published less than OAUTHHUB["JWKS_MAX_AGE"] ago; '
            "resource servers holding an older JWKS reject new tokens until they fetch it again.",
        )
        parser.add_argument(
            "--due", action="store_true", help="Rotate every workspace that is due, then prune retired keys."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["workspace"]) == options["due"]:
            raise CommandError("Give either a WORKSPACE or --due.")
        if options["due"]:
            if options["force"]:
                raise CommandError("--force applies to one WORKSPACE, not to --due.")
            self.rotate_due(as_json=options["json"])
        else:
            self.rotate_one(get_workspace(options["workspace"]), force=options["force"], as_json=options["json"])

    def rotate_one(self, workspace: Workspace, *, force: bool, as_json: bool) -> None:
        try:
            keys.rotate(workspace, force=force)
        except RotationError as exc:
            raise CommandError(str(exc)) from exc
        kids = current_kids(workspace)
        if as_json:
            write_json(self, {"workspace": workspace.slug, **kids})
            return
        self.stdout.write(f"Rotated the signing keys of {workspace.slug}.")
        self.stdout.write(f"  active (signing):      {kids['active_kid']}")
        self.stdout.write(f"  next (published only): {kids['next_kid']}")

    def rotate_due(self, *, as_json: bool) -> None:
        rotated = [{"workspace": ws.slug, **current_kids(ws)} for ws in keys.rotate_due()]
        pruned = keys.prune()
        if as_json:
            write_json(self, {"rotated": rotated, "pruned": pruned})
            return
        if not rotated:
            self.stdout.write("No workspace was due for rotation.")
        for row in rotated:
            self.stdout.write(f"Rotated {row['workspace']}: active {row['active_kid']}, next {row['next_kid']}.")
        self.stdout.write(f"Pruned {pruned} retired key(s) whose tokens have all expired.")


def current_kids(workspace: Workspace) -> dict[str, str | None]:
    """The kids of the key that signs now and of the one that signs after the next rotation."""
    states = dict(
        workspace.signing_keys.filter(state__in=[SigningKey.State.ACTIVE, SigningKey.State.NEXT])
        .values_list("state", "kid")
    )
    return {"active_kid": states.get(SigningKey.State.ACTIVE), "next_kid": states.get(SigningKey.State.NEXT)}
