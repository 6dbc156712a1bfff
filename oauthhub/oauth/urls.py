"""Per-workspace protocol URLs, mounted under ``<workspace>/`` by oauthhub.urls."""

from django.urls import path

from . import views

workspace_patterns = [
    path("oauth2/authorize", views.AuthorizationView.as_view(), name="authorize"),
    path("oauth2/token", views.TokenView.as_view(), name="token"),
    path("oauth2/revoke", views.RevocationView.as_view(), name="revoke"),
    path("oauth2/introspect", views.IntrospectionView.as_view(), name="introspect"),
    path(".well-known/openid-configuration", views.discovery, name="openid-configuration"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
]
