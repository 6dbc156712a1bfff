"""Audit event admin: the log, read-only for everyone, superusers included.

An audit log that an admin could edit or prune proves nothing, so no one may
add, change or delete an event here; staff with the view permission may read
it. Events are written by the code that acts (``oauthhub.revocation``, key
rotation), never through this page.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from ..models import AuditEvent

SUMMARY_LENGTH = 80


class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "workspace", "actor_name", "action", "target", "summary")
    list_display_links = ("created_at",)
    list_filter = ("workspace", "action")
    list_select_related = ("workspace", "actor")
    search_fields = ("target", "actor_label")
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "created_at", "workspace", "actor", "actor_label", "action", "target", "detail_pretty",
    )
    actions = None  # not even "delete selected"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="actor", ordering="actor_label")
    def actor_name(self, obj: AuditEvent) -> str:
        return obj.actor_name

    @admin.display(description="detail")
    def summary(self, obj: AuditEvent) -> str:
        """``key: value`` pairs on one line, cut short; the change page has all of it."""
        detail = obj.detail if isinstance(obj.detail, dict) else {"": obj.detail}
        text = "; ".join(f"{key}: {_compact(value)}" if key else _compact(value) for key, value in detail.items())
        return Truncator(text).chars(SUMMARY_LENGTH)

    @admin.display(description="detail")
    def detail_pretty(self, obj: AuditEvent) -> str:
        text = json.dumps(obj.detail, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        return format_html('<pre class="audit-detail">{}</pre>', text)


def _compact(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
