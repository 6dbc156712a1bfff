import pytest

from tests.conftest import basic_auth


@pytest.mark.django_db
def test_client_credentials_token(post_form, confidential_client):
    c = confidential_client
    response = post_form(
        "/auth/acme/oauth2/token", {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(c.client_id, c.plain_secret),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read"
