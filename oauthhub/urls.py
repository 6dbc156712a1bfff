"""Include with ``path("", include("oauthhub.urls"))`` (any prefix works)."""

from django.urls import include, path

from .oauth import views
from .oauth.urls import workspace_patterns

app_name = "oauthhub"

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server/<str:workspace>",
        views.discovery,
        name="authorization-server-metadata",
    ),
    path("<str:workspace>/", include(workspace_patterns)),
]
