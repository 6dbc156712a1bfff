"""System checks. Every id is listed here once and never reused.

| id             | what it catches                                                  |
| -------------- | ---------------------------------------------------------------- |
| oauthhub.E001  | OAUTH2_PROVIDER_APPLICATION_MODEL is not "oauthhub.Client"       |
| oauthhub.E002  | "oauth2_provider" missing from INSTALLED_APPS                    |
| oauthhub.E003  | a site-default lifetime in OAUTHHUB is outside the bounds        |
| oauthhub.E004  | session or authentication middleware missing (login + consent)   |
| oauthhub.W001  | OAUTHHUB holds a key oauthhub does not know (a typo?)            |
| oauthhub.W002  | OAUTHHUB["ISSUER_BASE_URL"] unset in a deployment (--deploy)     |
| oauthhub.W003  | retired: reuse detection no longer depends on OAUTH2_PROVIDER    |
| oauthhub.W004  | KEY_ENCRYPTION_KEY unset: derived from SECRET_KEY (--deploy)     |
| oauthhub.E005  | OAUTHHUB["SYSTEM_WORKSPACE"] is not a usable workspace slug      |
| oauthhub.E006  | OAUTHHUB["API_RATE"] is not a rate such as "600/min" (or None)   |
| oauthhub.W005  | drf_spectacular(_sidecar) missing: no API schema or docs page    |
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS, hub_settings
from .profiles import PROFILES

_TTL_SETTINGS = {
    "access": "ACCESS_TOKEN_TTL",
    "refresh": "REFRESH_TOKEN_TTL",
    "code": "AUTHORIZATION_CODE_TTL",
    "id": "ID_TOKEN_TTL",
}


@register(Tags.compatibility)
def check_dot_integration(app_configs=None, **kwargs):
    errors = []
    model = getattr(settings, "OAUTH2_PROVIDER_APPLICATION_MODEL", "oauth2_provider.Application")
    if model != "oauthhub.Client":
        errors.append(
            Error(
                f"OAUTH2_PROVIDER_APPLICATION_MODEL is {model!r}; oauthhub needs its own client model.",
                hint='Set OAUTH2_PROVIDER_APPLICATION_MODEL = "oauthhub.Client" before the first migrate.',
                id="oauthhub.E001",
            )
        )
    if "oauth2_provider" not in settings.INSTALLED_APPS:
        errors.append(
            Error(
                "django-oauth-toolkit is not installed.",
                hint='Add "oauth2_provider" to INSTALLED_APPS (before "oauthhub").',
                id="oauthhub.E002",
            )
        )
    middleware = set(settings.MIDDLEWARE)
    for needed in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ):
        if needed not in middleware:
            errors.append(
                Error(
                    f"{needed} is not in MIDDLEWARE; the authorization endpoint needs a logged-in user.",
                    hint=f'Add "{needed}" to MIDDLEWARE.',
                    id="oauthhub.E004",
                )
            )
    return errors


@register(Tags.compatibility)
def check_hub_settings(app_configs=None, **kwargs):
    messages = []
    user = getattr(settings, "OAUTHHUB", {}) or {}
    for key in sorted(set(user) - set(DEFAULTS)):
        messages.append(
            Warning(
                f"OAUTHHUB[{key!r}] is not an oauthhub setting and is ignored.",
                hint="See docs/settings.md for the settings oauthhub reads.",
                id="oauthhub.W001",
            )
        )
    for kind, name in _TTL_SETTINGS.items():
        value = getattr(hub_settings, name)
        problem = (
            f"OAUTHHUB[{name!r}] must be a whole number of seconds."
            if not isinstance(value, int) or isinstance(value, bool)
            else PROFILES["default"].ttl_error(kind, value)
        )
        if problem:
            messages.append(Error(problem, hint=f'Change OAUTHHUB["{name}"].', id="oauthhub.E003"))
    return messages


@register(Tags.security, deploy=True)
def check_issuer(app_configs=None, **kwargs):
    if hub_settings.ISSUER_BASE_URL:
        return []
    return [
        Warning(
            "OAUTHHUB['ISSUER_BASE_URL'] is not set, so issuers are derived from the Host header.",
            hint='Set OAUTHHUB["ISSUER_BASE_URL"] to the public https URL the app is mounted at.',
            id="oauthhub.W002",
        )
    ]


@register(Tags.security, deploy=True)
def check_key_encryption_key(app_configs=None, **kwargs):
    if hub_settings.KEY_ENCRYPTION_KEY:
        return []
    return [
        Warning(
            "Signing keys are encrypted with a key derived from SECRET_KEY, so rotating SECRET_KEY "
            "makes them unreadable and one leaked setting exposes both.",
            hint='Set OAUTHHUB["KEY_ENCRYPTION_KEY"] to a long random string kept apart from SECRET_KEY '
            "(and keep it: losing it loses the signing keys).",
            id="oauthhub.W004",
        )
    ]


@register(Tags.compatibility)
def check_management_api(app_configs=None, **kwargs):
    from django.core.exceptions import ValidationError

    from .models.workspace import slug_validator, validate_slug_not_reserved

    messages = []
    slug = hub_settings.SYSTEM_WORKSPACE
    try:
        if not isinstance(slug, str):
            raise ValidationError("not a string")
        slug_validator(slug)
        validate_slug_not_reserved(slug)
    except ValidationError as exc:
        messages.append(
            Error(
                f"OAUTHHUB['SYSTEM_WORKSPACE'] = {slug!r} cannot be a workspace slug: {' '.join(exc.messages)}",
                hint='Use lowercase letters, digits and hyphens, not a reserved path (default: "system").',
                id="oauthhub.E005",
            )
        )
    rate = hub_settings.API_RATE
    if rate is not None and not _is_rate(rate):
        messages.append(
            Error(
                f"OAUTHHUB['API_RATE'] = {rate!r} is not a request rate.",
                hint='Use "<count>/<s|sec|m|min|h|hour|d|day>", e.g. "600/min", or None to turn the throttle off.',
                id="oauthhub.E006",
            )
        )
    missing = [app for app in ("drf_spectacular", "drf_spectacular_sidecar") if app not in settings.INSTALLED_APPS]
    if missing:
        messages.append(
            Warning(
                f"{' and '.join(missing)} not in INSTALLED_APPS: the management API's /api/schema/ and "
                "/api/docs/ pages cannot render.",
                hint=f"Add {', '.join(repr(app) for app in missing)} to INSTALLED_APPS.",
                id="oauthhub.W005",
            )
        )
    return messages


def _is_rate(rate) -> bool:
    """What DRF's SimpleRateThrottle.parse_rate reads: "<int>/<unit…>" with unit s, m, h or d."""
    if not isinstance(rate, str) or "/" not in rate:
        return False
    count, period = rate.split("/", 1)
    return count.isdigit() and period[:1] in {"s", "m", "h", "d"}
