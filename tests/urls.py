from django.contrib import admin
from django.urls import include, path

from tests import resource_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("auth/", include("oauthhub.urls")),
    path("api-test/whoami", resource_views.WhoAmI.as_view()),
    path("api-test/any", resource_views.ReadOrWrite.as_view()),
    path("api-test/write", resource_views.WriteOnly.as_view()),
    path("api-test/plain", resource_views.plain_view),
]
