"""``oauthhub_cleartokens``: delete expired and revoked tokens; safe from cron on several hosts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...cleanup import clear_tokens


class Command(BaseCommand):
    help = (
        "Delete expired and revoked tokens, authorization codes and their records, in small "
        "batches that never hold long locks. Each token's own expiry (set from its workspace's "
        "TTLs when issued) decides. Safe to run from cron on several hosts at once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for kind, count in clear_tokens().items():
            self.stdout.write(f"{count:>8} {kind} deleted")
