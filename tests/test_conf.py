import pytest

from oauthhub.conf import DEFAULTS, hub_settings


def test_defaults_apply(settings):
    settings.OAUTHHUB = {}
    assert hub_settings.ACCESS_TOKEN_TTL == DEFAULTS["ACCESS_TOKEN_TTL"] == 3600


def test_changing_the_setting_drops_the_cache(settings):
    settings.OAUTHHUB = {"ACCESS_TOKEN_TTL": 10}
    assert hub_settings.ACCESS_TOKEN_TTL == 10
    settings.OAUTHHUB = {"ACCESS_TOKEN_TTL": 20}
    assert hub_settings.ACCESS_TOKEN_TTL == 20


def test_unknown_setting_is_an_attribute_error():
    with pytest.raises(AttributeError, match="OAUTHHUB"):
        hub_settings.NOPE
