"""Factory fixtures shared by the whole suite."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from oauthhub.models import Client, Scope, Workspace

REDIRECT_URI = "https://app.example.com/callback"


@pytest.fixture(autouse=True)
def _clear_cache():
    # One cache is shared by every test (and Redis by every run): start clean.
    _clear_this_workers_cache()
    yield
    _clear_this_workers_cache()


def _clear_this_workers_cache() -> None:
    """cache.clear(), except that on Redis only this xdist worker's keys go (see KEY_PREFIX in
    tests/settings.py): a FLUSHDB would wipe another worker's entries mid-test, throttle counts too."""
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if not cache.key_prefix or client is None:
        cache.clear()
        return
    redis = client(write=True)
    for keys in _chunks(redis.scan_iter(match=f"{cache.key_prefix}:*", count=500), 500):
        redis.delete(*keys)


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@pytest.fixture(autouse=True)
def _without_system_workspace(request):
    """Database tests start without the system workspace that migration 0006 creates.

    Each test builds the world it asserts on, and transactional tests flush the
    database anyway, so the row would be there or not depending on test order.
    Tests of the management API ask for the ``system`` fixture (tests/api/conftest.py).
    """
    names = set(request.fixturenames)
    if "system" in names or (request.node.get_closest_marker("django_db") is None
                             and not names & {"db", "transactional_db"}):
        return
    from oauthhub.conf import hub_settings

    request.getfixturevalue("db")
    Workspace.objects.filter(slug=hub_settings.SYSTEM_WORKSPACE).delete()


@pytest.fixture
def workspace_factory(db):
    counter = iter(range(1, 10_000))

    def make(slug: str | None = None, **fields) -> Workspace:
        # ES256 keys generate in a millisecond; RSA is tested where it matters.
        fields.setdefault("signing_algorithm", "ES256")
        workspace = Workspace(slug=slug or f"ws{next(counter)}", name=fields.pop("name", "Test workspace"), **fields)
        workspace.full_clean()
        workspace.save()
        return workspace

    return make


@pytest.fixture
def scope_factory(db):
    def make(workspace: Workspace, name: str = "read", **fields) -> Scope:
        return Scope.objects.create(workspace=workspace, name=name, **fields)

    return make


@pytest.fixture
def client_factory(db):
    """Creates a client; its plain secret is on ``client.plain_secret``."""

    def make(
        workspace: Workspace,
        *,
        grant_types=("client_credentials",),
        scopes=(),
        public: bool = False,
        redirect_uris: str = "",
        **fields,
    ) -> Client:
        client = Client(
            workspace=workspace,
            name=fields.pop("name", "Test client"),
            client_type=Client.Kind.PUBLIC if public else Client.Kind.CONFIDENTIAL,
            grant_types=list(grant_types),
            redirect_uris=redirect_uris,
            **fields,
        )
        client.plain_secret = client.set_new_secret()
        client.full_clean()
        client.save()
        client.allowed_scopes.set(scopes)
        return client

    return make


@pytest.fixture
def workspace(workspace_factory, scope_factory):
    """A workspace with a default scope ``read`` and a non-default ``write``."""
    ws = workspace_factory("acme", name="Acme")
    scope_factory(ws, "read", description="Read your data", is_default=True)
    scope_factory(ws, "write", description="Change your data")
    return ws


@pytest.fixture
def confidential_client(workspace, client_factory):
    return client_factory(
        workspace,
        grant_types=["client_credentials", "authorization_code", "refresh_token"],
        scopes=list(workspace.scopes.all()),
        redirect_uris="https://app.example.com/callback",
    )


@pytest.fixture
def pkce():
    """A fresh (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1 Basic credentials (form-encoded, then base64)."""
    from urllib.parse import quote_plus

    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


@pytest.fixture
def post_form(client):
    """POST ``data`` form-encoded, as OAuth clients do."""
    from urllib.parse import urlencode

    def post(url: str, data, **headers):
        return client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded", **headers)

    return post


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` need its row locks: they run in the PostgreSQL pass of CI."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    kept = [item for item in items if "postgresql" not in item.keywords]
    deselected = [item for item in items if "postgresql" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: a suite that silently skips proves nothing."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) were skipped; every test must run in CI.", red=True)
        session.exitstatus = 1

@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def authorize(client, user):
    """Log in, ask for consent, press Allow; return the redirect's query parameters."""

    def run(oauth_client, challenge: str | None, *, slug="acme", scope="read", allow=True, method="S256",
            redirect_uri=REDIRECT_URI, **extra):
        client.force_login(user)
        params = {
            "response_type": "code",
            "client_id": oauth_client.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": "xyz",
            **extra,
        }
        if challenge is not None:
            params.update(code_challenge=challenge, code_challenge_method=method)
        page = client.get(f"/auth/{slug}/oauth2/authorize?{urlencode(params)}")
        if page.status_code == 302:  # an error sent back to the client
            return parse_qs(urlsplit(page["Location"]).query)
        assert page.status_code == 200, page.content
        form = page.context["form"]
        data = {name: value for name, value in form.initial.items() if value is not None}
        if allow:
            data["allow"] = "Authorize"
        response = client.post(page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"], data)
        assert response.status_code == 302, response.content
        location = urlsplit(response["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
        return {key: values[0] for key, values in parse_qs(location.query).items()}

    return run


@pytest.fixture
def issue(post_form):
    """An access token for ``oauth_client`` from its workspace's token endpoint (client credentials)."""

    def run(oauth_client, **data) -> str:
        response = post_form(
            f"/auth/{oauth_client.workspace.slug}/oauth2/token",
            {"grant_type": "client_credentials", **data},
            HTTP_AUTHORIZATION=basic_auth(oauth_client.client_id, oauth_client.plain_secret),
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return run
