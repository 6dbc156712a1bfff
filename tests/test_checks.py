"""Each system check fires on the misconfiguration it names, with its stable id."""

from __future__ import annotations

from oauthhub import checks


def ids(messages):
    return [m.id for m in messages]


def test_configured_host_passes(settings):
    assert checks.check_dot_integration() == []
    assert checks.check_hub_settings() == []


def test_e001_application_model_not_ours(settings):
    settings.OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
    messages = checks.check_dot_integration()
    assert ids(messages) == ["oauthhub.E001"]
    assert "oauthhub.Client" in messages[0].hint


def test_e002_dot_not_installed(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "oauth2_provider"]
    assert "oauthhub.E002" in ids(checks.check_dot_integration())


def test_e004_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "AuthenticationMiddleware" not in m]
    messages = checks.check_dot_integration()
    assert ids(messages) == ["oauthhub.E004"]
    assert "AuthenticationMiddleware" in messages[0].msg


def test_e003_site_default_lifetime_out_of_bounds(settings):
    settings.OAUTHHUB = {"ACCESS_TOKEN_TTL": 2 * 86400, "AUTHORIZATION_CODE_TTL": "60"}
    messages = checks.check_hub_settings()
    assert ids(messages) == ["oauthhub.E003", "oauthhub.E003"]
    assert "ACCESS_TOKEN_TTL" in messages[0].hint and "at most 1 day" in messages[0].msg
    assert "whole number of seconds" in messages[1].msg


def test_w001_unknown_key(settings):
    settings.OAUTHHUB = {"ACCESS_TOKEN_TTLL": 60}
    messages = checks.check_hub_settings()
    assert ids(messages) == ["oauthhub.W001"]
    assert "ACCESS_TOKEN_TTLL" in messages[0].msg


def test_w002_issuer_unset_is_a_deploy_warning(settings):
    settings.OAUTHHUB = {}
    assert ids(checks.check_issuer()) == ["oauthhub.W002"]
    settings.OAUTHHUB = {"ISSUER_BASE_URL": "https://id.example.com"}
    assert checks.check_issuer() == []


def test_w004_key_encryption_key_unset(settings):
    settings.OAUTHHUB = {}
    assert ids(checks.check_key_encryption_key()) == ["oauthhub.W004"]
    settings.OAUTHHUB = {"KEY_ENCRYPTION_KEY": "x" * 40}
    assert checks.check_key_encryption_key() == []
