"""Audit event admin: the log, read-only for everyone, superusers included.

An audit log that an admin could edit or prune proves nothing, so no one may
add, change or delete an event here; staff with the view permission may read
it. Events are written by the code that acts (``oauthhub.revocation``, key
rotation), never through this page.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from ..durations import humanize
from ..models import AuditEvent
from .scoping import ReadOnlyScopedAdmin, ScopedRelatedFilter

SUMMARY_LENGTH = 80
# Fields stored in seconds: a diff shows them as durations.
DURATIONS = {
    "access_token_ttl", "refresh_token_ttl", "authorization_code_ttl", "id_token_ttl",
    "refresh_token_grace_period", "key_rotation_period",
}


class AuditEventAdmin(ReadOnlyScopedAdmin):
    # Events without a workspace (site-wide, or of a deleted workspace) are for superusers only.
    change_list_template = "oauthhub/admin/auditevent_change_list.html"
    change_form_template = "oauthhub/admin/auditevent_change_form.html"
    list_display = ("created_at", "workspace", "actor_name", "action", "target", "summary")
    list_display_links = ("created_at",)
    list_filter = (("workspace", ScopedRelatedFilter), "action")
    list_select_related = ("workspace", "actor")
    search_fields = ("target", "actor_label")
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "created_at", "workspace", "actor", "actor_label", "action", "target", "diff", "detail_pretty",
    )
    actions = None  # not even "delete selected"

    @admin.display(description="actor", ordering="actor_label")
    def actor_name(self, obj: AuditEvent) -> str:
        return obj.actor_name

    @admin.display(description="detail")
    def summary(self, obj: AuditEvent) -> str:
        """``key: value`` pairs and ``field: old → new`` on one line, cut short; the change page has all of it."""
        detail = obj.detail if isinstance(obj.detail, dict) else {"": obj.detail}
        parts = []
        for key, value in detail.items():
            if key == "via":
                continue  # the actor column says who; admin or API is on the change page
            if key == "changed" and isinstance(value, dict):
                parts += [f"{name}: {old} → {new}" for name, old, new in _diff_rows(value)]
            elif key == "operation":
                parts.append(str(value))
            else:
                parts.append(f"{key}: {_compact(value)}" if key else _compact(value))
        return Truncator("; ".join(parts)).chars(SUMMARY_LENGTH)

    @admin.display(description="changes")
    def diff(self, obj: AuditEvent) -> str:
        changed = obj.detail.get("changed") if isinstance(obj.detail, dict) else None
        if not isinstance(changed, dict) or not changed:
            return "—"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", _diff_rows(changed))
        return format_html(
            '<table class="audit-diff"><thead><tr><th>Field</th><th>Before</th><th>After</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="detail")
    def detail_pretty(self, obj: AuditEvent) -> str:
        text = json.dumps(obj.detail, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        return format_html('<pre class="audit-detail">{}</pre>', text)


def _diff_rows(changed: dict) -> list[tuple[str, str, str]]:
    """(field, before, after) in words: durations humanized, empty as "inherit"."""
    rows = []
    for name, values in changed.items():
        old, new = values if isinstance(values, list) and len(values) == 2 else (None, values)
        rows.append((name, _value(name, old), _value(name, new)))
    return rows


def _value(name: str, value) -> str:
    if name == "key_rotation_period" and value is None:
        return "never"
    if name in DURATIONS:
        return "inherit" if value is None else humanize(value) if isinstance(value, int) else _compact(value)
    return "—" if value is None else _compact(value)


def _compact(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
