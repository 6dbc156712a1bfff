"""oauthhub's Django admin: replaces django-oauth-toolkit's registrations with its own.

DOT's admin module is imported first, so its registrations exist whatever the
order of INSTALLED_APPS; then the ones oauthhub replaces or hides are dropped.
Grants and ID tokens get no admin: codes are stored hashed and live a minute,
and neither is something an operator edits.
"""

from __future__ import annotations

import oauth2_provider.admin  # noqa: F401  (registers DOT's admins, which we replace)
from django.contrib import admin
from oauth2_provider import models as dot_models

from ..models import AuditEvent, Client, Scope, SigningKey, Workspace
from .audit import AuditEventAdmin
from .client import ClientAdmin
from .key import SigningKeyAdmin
from .scope import ScopeAdmin
from .token import AccessTokenAdmin, RefreshTokenAdmin
from .workspace import WorkspaceAdmin

_DOT_MODELS = (
    dot_models.get_application_model(),  # oauthhub.Client
    dot_models.get_access_token_model(),
    dot_models.get_refresh_token_model(),
    dot_models.get_grant_model(),
    dot_models.get_id_token_model(),
    dot_models.get_device_grant_model(),
)

for _model in _DOT_MODELS:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

admin.site.register(Workspace, WorkspaceAdmin)
admin.site.register(Scope, ScopeAdmin)
admin.site.register(Client, ClientAdmin)
admin.site.register(SigningKey, SigningKeyAdmin)
admin.site.register(AuditEvent, AuditEventAdmin)
admin.site.register(dot_models.get_access_token_model(), AccessTokenAdmin)
admin.site.register(dot_models.get_refresh_token_model(), RefreshTokenAdmin)
