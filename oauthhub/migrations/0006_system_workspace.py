"""The system workspace: oauthhub's own authorization server for management API tokens.

Its slug is OAUTHHUB["SYSTEM_WORKSPACE"] ("system" by default), read when this
migration runs. A workspace already called that is reused, and only the two
scopes are added: its existing clients gain nothing, since only a client with
an AdminClientGrant may use the API. Its lifetimes inherit the site defaults
and are edited like any workspace's.
"""

from django.conf import settings
from django.db import migrations

SCOPES = {
    "oauthhub:read": "Read oauthhub's configuration (management API)",
    "oauthhub:write": "Change oauthhub's configuration (management API)",
}


def create_system_workspace(apps, schema_editor):
    Workspace = apps.get_model("oauthhub", "Workspace")
    Scope = apps.get_model("oauthhub", "Scope")
    slug = (getattr(settings, "OAUTHHUB", None) or {}).get("SYSTEM_WORKSPACE") or "system"
    workspace, _ = Workspace.objects.get_or_create(
        slug=slug,
        defaults={
            "name": "oauthhub management",
            "description": "Issues the admin access tokens of oauthhub's management API (/api/v1/).",
            "token_format": "jwt",
            "grant_types": ["client_credentials"],
        },
    )
    for name, description in SCOPES.items():
        # Default scopes: a token request without scope gets every scope the admin client may have.
        Scope.objects.get_or_create(
            workspace=workspace, name=name, defaults={"description": description, "is_default": True}
        )


class Migration(migrations.Migration):

    dependencies = [
        ("oauthhub", "0005_api_access"),
    ]

    operations = [
        # Not reversed: the workspace may hold admin clients by then.
        migrations.RunPython(create_system_workspace, migrations.RunPython.noop, elidable=False),
    ]
