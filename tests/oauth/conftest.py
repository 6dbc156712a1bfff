"""Fixtures for driving the authorization code flow through Django's test client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model

REDIRECT_URI = "https://app.example.com/callback"


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
