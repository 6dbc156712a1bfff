"""Admin-test helpers: resubmitting an admin form as a browser would, issuing tokens.

The token helpers below (``user_tokens``, ``build_scene``, ``alive``…) are
plain functions so tests/management can import them too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt as pyjwt
import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.utils import timezone
from oauth2_provider.models import (
    AccessToken,
    RefreshToken,
    get_access_token_model,
    get_refresh_token_model,
)

from oauthhub.models import RefreshTokenExpiry
from tests.conftest import REDIRECT_URI, basic_auth
from tests.oauth.test_authorization_code import exchange


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


def user_tokens(post_form, oauth_client, user, *, scope: str = "read") -> dict:
    """A real token response for ``user``: consent in the user's own browser, then the code + PKCE exchange.

    tests/conftest.py's ``authorize`` always signs in the one ``user`` fixture;
    this one takes any user, so tests can tell two users' tokens apart.
    """
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = Browser()
    browser.force_login(user)
    slug = oauth_client.workspace.slug
    query = urlencode({
        "response_type": "code", "client_id": oauth_client.client_id, "redirect_uri": REDIRECT_URI,
        "scope": scope, "state": "xyz", "code_challenge": challenge, "code_challenge_method": "S256",
    })
    page = browser.get(f"/auth/{slug}/oauth2/authorize?{query}")
    assert page.status_code == 200, page.content
    data = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    consent = browser.post(f"/auth/{slug}/oauth2/authorize?{query}", {**data, "allow": "Authorize"})
    assert consent.status_code == 302, consent.content
    code = parse_qs(urlsplit(consent["Location"]).query)["code"][0]
    response = exchange(post_form, oauth_client, code, verifier, slug=slug)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def grant(post_form):
    """``grant(oauth_client, user)`` -> the token response of an authorization code flow (access + refresh)."""

    def run(oauth_client, user, *, scope: str = "read") -> dict:
        return user_tokens(post_form, oauth_client, user, scope=scope)

    return run


def cc_token(post_form, oauth_client, *, scope: str = "read") -> dict:
    """A real client credentials token response."""
    response = post_form(
        f"/auth/{oauth_client.workspace.slug}/oauth2/token",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()


def jti(token: str) -> str:
    return pyjwt.decode(token, options={"verify_signature": False})["jti"]


def access_row(token: str) -> AccessToken | None:
    """The row of a JWT access token, found by its jti; None once revoked (or cleared)."""
    return AccessToken.objects.filter(oauthhub_record__jti=jti(token)).first()


def refresh_row(token: str) -> RefreshToken | None:
    return RefreshToken.objects.filter(token_checksum=hashlib.sha256(token.encode()).hexdigest()).first()


def alive(tokens: dict) -> bool:
    """Whether a token response still works: its access token row exists, its refresh token is unrevoked."""
    access = access_row(tokens["access_token"]) is not None
    if "refresh_token" not in tokens:
        return access
    refresh = refresh_row(tokens["refresh_token"])
    assert access == (refresh is not None and refresh.revoked is None), "an access token and its refresh token split"
    return access


@dataclass
class Scene:
    """Two users, three clients in two workspaces, and a token of every combination revocation tells apart."""

    app: object  # acme: the client most tests aim at
    tool: object  # acme: a second client
    far: object  # workspace "other"
    alice: object
    bob: object
    alice_app: dict
    bob_app: dict
    alice_tool: dict
    alice_far: dict
    cc_app: dict
    cc_tool: dict

    def everything(self) -> dict[str, dict]:
        names = ("alice_app", "bob_app", "alice_tool", "alice_far", "cc_app", "cc_tool")
        return {name: getattr(self, name) for name in names}

    def survivors(self) -> set[str]:
        return {name for name, tokens in self.everything().items() if alive(tokens)}


def build_scene(post_form, *, workspace, app, alice, workspace_factory, scope_factory, client_factory) -> Scene:
    """Every token of the Scene, issued by the token endpoint (scope read, so acme's whoami accepts them)."""
    grants = ["client_credentials", "authorization_code", "refresh_token"]
    redirect = "https://app.example.com/callback"
    tool = client_factory(
        workspace, name="Tool", grant_types=grants, scopes=list(workspace.scopes.all()), redirect_uris=redirect
    )
    other = workspace_factory("other")
    far = client_factory(
        other, name="Far", grant_types=grants, scopes=[scope_factory(other, "read", is_default=True)],
        redirect_uris=redirect,
    )
    bob = get_user_model().objects.create_user("bob", password="pw-bob-123")
    return Scene(
        app=app, tool=tool, far=far, alice=alice, bob=bob,
        alice_app=user_tokens(post_form, app, alice),
        bob_app=user_tokens(post_form, app, bob),
        alice_tool=user_tokens(post_form, tool, alice),
        alice_far=user_tokens(post_form, far, alice),
        cc_app=cc_token(post_form, app),
        cc_tool=cc_token(post_form, tool),
    )


@pytest.fixture
def scene(workspace, confidential_client, user, workspace_factory, scope_factory, client_factory, post_form) -> Scene:
    return build_scene(
        post_form, workspace=workspace, app=confidential_client, alice=user,
        workspace_factory=workspace_factory, scope_factory=scope_factory, client_factory=client_factory,
    )
