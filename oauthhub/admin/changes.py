"""Audit events for what an admin did in the console, in the management API's shape.

The API records a change as ``{"via": "api", "operation": "updated",
"changed": {field: [old, new]}}``; the console writes the same with
``"via": "admin"``, so the audit log reads alike whichever way a setting moved.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model

from ..models import AuditEvent, Workspace


def snapshot(obj: Model, names: Iterable[str]) -> dict:
    """The JSON-ready values of ``obj``'s concrete fields in ``names`` (foreign keys by pk)."""
    values = {}
    for name in names:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field: nothing stored under that name
            continue
        if not field.concrete or field.many_to_many:
            continue
        values[name] = _plain(field.value_from_object(obj))
    return values


def differences(before: dict, after: dict) -> dict[str, list]:
    """field -> [old, new] for each value that differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def record(request, workspace: Workspace | None, action: str, target: str, **detail) -> AuditEvent:
    """One audit event under ``request.user``'s name."""
    return AuditEvent.objects.create(
        workspace=workspace, actor=request.user, action=action, target=target, detail={"via": "admin", **detail}
    )


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)
