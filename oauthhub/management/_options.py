"""Pieces the oauthhub_* commands share: duration options, workspace lookup, errors, output."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from ..conf import hub_settings
from ..durations import parse
from ..exceptions import DurationError
from ..models import Workspace

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def add_duration_option(parser: CommandParser, flag: str, what: str) -> None:
    """A ``--…-ttl`` option; kept as text here and parsed by :func:`durations`."""
    parser.add_argument(flag, metavar="DURATION", help=f"{what}: seconds, or 90s, 15m, 1h, 30d.")


def durations(options: dict[str, Any], *dests: str) -> dict[str, int]:
    """Seconds for each duration option that was passed; a bad one names its flag.

    Parsed in ``handle()`` rather than by an argparse ``type`` because
    ``call_command(..., access_token_ttl="1h")`` skips argparse for optional
    arguments, and both ways in must accept (and refuse) the same values.
    """
    seconds = {}
    for dest in dests:
        value = options.get(dest)
        if value is None:
            continue
        try:
            seconds[dest] = parse(value)
        except DurationError as exc:
            raise CommandError(f"--{dest.replace('_', '-')}: {exc}") from exc
    return seconds


def full_clean(instance: models.Model) -> None:
    """``instance.full_clean()``, with every problem reported as one CommandError.

    The models own the rules (bounds, profiles, redirect URIs); the commands
    only relay their messages, so the admin, the API and scripts agree.
    """
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise CommandError(describe(exc)) from exc


def describe(error: ValidationError) -> str:
    """``field: message`` per problem, one per line; non-field errors bare."""
    if not hasattr(error, "error_dict"):
        return "\n".join(error.messages)
    lines = []
    for field, messages in error.message_dict.items():
        prefix = "" if field == NON_FIELD_ERRORS else f"{field}: "
        lines.extend(prefix + message for message in messages)
    return "\n".join(lines)


def get_workspace(slug: str) -> Workspace:
    """The workspace called ``slug``, enabled or not (an operator may be preparing it)."""
    try:
        return Workspace.objects.get(slug=slug)
    except Workspace.DoesNotExist:
        raise CommandError(f"No workspace '{slug}' (create it with oauthhub_create_workspace).") from None


def base_url(option: str | None) -> str:
    """``--base-url``, else OAUTHHUB["ISSUER_BASE_URL"] (mount prefix included), else local."""
    return (option or hub_settings.ISSUER_BASE_URL or DEFAULT_BASE_URL).rstrip("/")


def token_endpoint(base: str, workspace: Workspace) -> str:
    return f"{base.rstrip('/')}/{workspace.slug}/oauth2/token"


def write_json(command: BaseCommand, data: dict[str, Any]) -> None:
    """Exactly one JSON object on stdout, so scripts can pipe it to ``jq``."""
    command.stdout.write(json.dumps(data, indent=2))
