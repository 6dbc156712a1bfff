"""Include with ``path("", include("oauthhub.urls"))`` (any prefix works).

``api/`` comes before ``<workspace>/``: "api" is a reserved slug, and the API
answers everything under it, so no path there ever reaches a workspace.
"""

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
    path("api/", include("oauthhub.api.urls")),
    path("<str:workspace>/", include(workspace_patterns)),
]
