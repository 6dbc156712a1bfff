"""Admin-test helpers: resubmitting an admin form as a browser would, issuing tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauthhub.models import RefreshTokenExpiry
from tests.conftest import basic_auth


def form_data(response) -> dict:
    """The POST body a browser would send back, unchanged, for the admin form in ``response``.

    Tests then change only the fields they care about, so the rest of the form
    (fieldsets, inline management forms) can evolve without touching them.
    """
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue  # an empty input or an unticked checkbox sends nothing
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


@pytest.fixture
def issue_token(post_form):
    """POST a client_credentials request; returns the response."""

    def issue(client_id: str, secret: str, *, workspace: str = "acme"):
        return post_form(
            f"/auth/{workspace}/oauth2/token",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic_auth(client_id, secret),
        )

    return issue


@pytest.fixture
def token_pair_factory(db):
    """Makes an access token and its refresh token, stored the way the validator stores them."""

    def make(client, user, *, scope: str = "read", expires_in: int = 3600):
        access = get_access_token_model()(
            user=user, application=client, scope=scope, expires=timezone.now() + timedelta(seconds=expires_in)
        )
        access._raw_token = secrets.token_urlsafe()  # hashed on save; the column stays blank
        access.save()
        refresh = get_refresh_token_model()(user=user, application=client, access_token=access)
        refresh._raw_token = secrets.token_urlsafe()
        refresh.save()
        RefreshTokenExpiry.objects.create(refresh_token=refresh, expires=timezone.now() + timedelta(days=30))
        return access, refresh

    return make


@pytest.fixture
def refresh_token(token_pair_factory, confidential_client, admin_user):
    """A live refresh token of ``confidential_client``, bound to a live access token."""
    return token_pair_factory(confidential_client, admin_user)[1]


@pytest.fixture
def jwks_max_age(settings):
    """``jwks_max_age(0)``: how long a next key must be published before rotation may promote it."""

    def set_age(seconds: int) -> None:
        settings.OAUTHHUB = {**settings.OAUTHHUB, "JWKS_MAX_AGE": seconds}

    return set_age
