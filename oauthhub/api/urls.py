"""The management API under ``api/`` (mounted by oauthhub.urls before the workspace URLs).

``api/v1/…`` are the resources, ``api/schema/`` the OpenAPI document and
``api/docs/`` Swagger UI. ``api`` is a reserved workspace slug, and anything
else under ``api/`` answers a JSON 404 here, so no path under it ever reaches
a workspace's endpoints. URL names: ``oauthhub:api:workspace-list`` …
"""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import schema  # noqa: F401  (registers the schema extensions)
from .schema import DocsView, SchemaView
from .views import (
    AuditEventViewSet,
    ClientViewSet,
    ScopeViewSet,
    SigningKeyViewSet,
    TokenViewSet,
    WorkspaceViewSet,
    not_found,
)

app_name = "api"

router = SimpleRouter()
router.register("workspaces", WorkspaceViewSet, basename="workspace")
router.register(r"workspaces/(?P<workspace_slug>[^/.]+)/scopes", ScopeViewSet, basename="scope")
router.register(r"workspaces/(?P<workspace_slug>[^/.]+)/clients", ClientViewSet, basename="client")
router.register(r"workspaces/(?P<workspace_slug>[^/.]+)/keys", SigningKeyViewSet, basename="key")
router.register(r"workspaces/(?P<workspace_slug>[^/.]+)/tokens", TokenViewSet, basename="token")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(), name="docs"),
    re_path(r"^", not_found, name="not-found"),
]
